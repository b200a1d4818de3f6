//! The schedule rules the Maintenance service enforces only at apply time, checked at plan
//! time instead so a bad window never reaches ARM (CONTRACT §4.1): the `YYYY-MM-DD hh:mm`
//! date-times, the `hh:mm` duration and its InGuestPatch bounds, the `recurEvery` grammar
//! (with hour recurrence from [`MIN_RECUR_HOURS`]) and classification names. KB ids are
//! checked by the rule every object shares (`crate::kb`). Each check returns why a value is wrong, in words a user can
//! act on; the validators at the bottom attach that to the attribute.

use tfframework::{AttributePath, Diagnostics, Validator, Value};

use super::timezones;

/// InGuestPatch duration bounds, in minutes: 1h30 to 3h55. The contract marks them UNCERTAIN
/// (reported by the docs, absent from the spec); the service rejects longer windows.
pub const MIN_DURATION: u32 = 90;
pub const MAX_DURATION: u32 = 235;

/// Windows classifications, canonical spelling first. `UpdateRollUp` is the enum spelling the
/// service reads back, `UpdateRollup` the documented one; both mean the same.
pub const WINDOWS_CLASSIFICATIONS: &[&str] = &[
    "Critical",
    "Security",
    "UpdateRollup",
    "FeaturePack",
    "ServicePack",
    "Definition",
    "Tools",
    "Updates",
];
pub const LINUX_CLASSIFICATIONS: &[&str] = &["Critical", "Security", "Other"];

/// The shortest hour recurrence the service accepts (`6Hours`): hotpatches need no reboot, so
/// schedules may run several times a day, but not more often than every 6 hours.
pub const MIN_RECUR_HOURS: u32 = 6;

const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const ORDINALS: &[&str] = &["First", "Second", "Third", "Fourth", "Last"];

/// A wall-clock date-time `YYYY-MM-DD hh:mm`, ordered chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalDateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

impl std::fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }
}

pub fn parse_datetime(s: &str) -> Result<LocalDateTime, String> {
    let shape = "must be \"YYYY-MM-DD hh:mm\" (24-hour clock)";
    let b = s.as_bytes();
    if b.len() != 16 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' {
        return Err(shape.into());
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, String> {
        let t = &s[r];
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().map_err(|_| shape.to_string())
        } else {
            Err(shape.into())
        }
    };
    let dt = LocalDateTime {
        year: i64::from(num(0..4)?),
        month: num(5..7)?,
        day: num(8..10)?,
        hour: num(11..13)?,
        minute: num(14..16)?,
    };
    let calendar_date = i8::try_from(dt.month)
        .ok()
        .zip(i8::try_from(dt.day).ok())
        .is_some_and(|(m, d)| jiff::civil::Date::new(dt.year as i16, m, d).is_ok());
    if !calendar_date {
        return Err(format!("{s:?} is not a calendar date"));
    }
    if dt.hour > 23 || dt.minute > 59 {
        return Err(format!("{s:?} is not a time of day"));
    }
    Ok(dt)
}

/// `hh:mm` in minutes (format only; see [`check_duration`] for the bounds).
pub fn parse_duration(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let digits = |t: &str| t.len() == 2 && t.bytes().all(|c| c.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60).then_some(h * 60 + m)
}

pub fn check_duration(s: &str) -> Result<u32, String> {
    let minutes = parse_duration(s).ok_or("must be \"hh:mm\", e.g. \"03:55\"")?;
    if !(MIN_DURATION..=MAX_DURATION).contains(&minutes) {
        return Err(format!(
            "{s:?} is outside what Update Manager allows for a patch window: 01:30 to 03:55"
        ));
    }
    Ok(minutes)
}

fn is_one_of(s: &str, list: &[&str]) -> bool {
    list.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// `[N]Unit(s)`: the interval (1 when left out) and the unit (lower-case, singular), or why not.
fn frequency(token: &str) -> Result<(u32, String), String> {
    let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
    let n = if digits.is_empty() {
        1
    } else {
        match digits.parse::<u32>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(format!(
                    "the interval in {token:?} must be a positive number"
                ))
            }
        }
    };
    let unit = token[digits.len()..].to_ascii_lowercase();
    let singular = unit.strip_suffix('s').unwrap_or(&unit);
    match singular {
        "hour" | "day" | "week" | "month" => Ok((n, singular.to_string())),
        _ => Err(format!(
            "{token:?} is not a frequency: write Hours, Day, Week or Month, optionally with a number and plural (6Hours, 3Days, 2Weeks)"
        )),
    }
}

/// Checks `recurEvery` against the grammar of CONTRACT §4.1.
pub fn check_recurrence(s: &str) -> Result<(), String> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let Some((first, rest)) = words.split_first() else {
        return Err("must not be empty".into());
    };
    let (n, unit) = frequency(first)?;
    match unit.as_str() {
        "hour" if n < MIN_RECUR_HOURS => Err(format!(
            "hour recurrence must be at least every {MIN_RECUR_HOURS} hours (\"{MIN_RECUR_HOURS}Hours\", \"12Hours\"); {first:?} is more often than Update Manager allows"
        )),
        "hour" if rest.is_empty() => Ok(()),
        "hour" => Err("an hourly recurrence takes no further words (e.g. \"6Hours\")".into()),
        "day" if rest.is_empty() => Ok(()),
        "day" => Err("a daily recurrence takes no further words (e.g. \"Day\" or \"3Days\")".into()),
        "week" => match rest {
            [] => Ok(()),
            [days] => days
                .split(',')
                .find(|d| !is_one_of(d, WEEKDAYS))
                .map_or(Ok(()), |d| {
                    Err(format!("{d:?} is not a weekday (Monday..Sunday, comma-separated, no spaces)"))
                }),
            _ => Err("a weekly recurrence is \"Week\" or \"Week Saturday,Sunday\"".into()),
        },
        _ => match rest {
            [days] => days.split(',').try_for_each(|d| {
                let n = d
                    .get(..3)
                    .filter(|p| p.eq_ignore_ascii_case("day"))
                    .and_then(|_| d[3..].parse::<i32>().ok());
                match n {
                    Some(1..=31) => Ok(()),
                    _ => Err(format!("{d:?} is not a day of the month (day1..day31, e.g. \"Month day23,day24\")")),
                }
            }),
            [ordinal, weekday, offset @ ..] => {
                if !is_one_of(ordinal, ORDINALS) {
                    return Err(format!("{ordinal:?} is not one of First, Second, Third, Fourth, Last"));
                }
                if !is_one_of(weekday, WEEKDAYS) {
                    return Err(format!("{weekday:?} is not a weekday (Monday..Sunday)"));
                }
                match offset {
                    [] => Ok(()),
                    [o] => {
                        let n = o
                            .get(..6)
                            .filter(|p| p.eq_ignore_ascii_case("offset"))
                            .and_then(|_| o[6..].parse::<i32>().ok());
                        match n {
                            Some(-6..=6) => Ok(()),
                            _ => Err(format!("{o:?} must be Offset-6 .. Offset6 (days after the weekday; e.g. \"Month Second Tuesday Offset2\")")),
                        }
                    }
                    _ => Err("too many words after the weekday".into()),
                }
            }
            _ => Err("a monthly recurrence is \"Month day23,day24\" or \"Month <First|Second|Third|Fourth|Last> <Weekday> [Offset<-6..6>]\"".into()),
        },
    }
}

/// The canonical spelling of a classification in `list` (case-insensitive; `UpdateRollUp`
/// reads as `UpdateRollup`).
pub fn canonical_classification(s: &str, list: &[&'static str]) -> Option<&'static str> {
    list.iter().copied().find(|c| c.eq_ignore_ascii_case(s))
}

/// A string attribute checked by one of the functions above.
pub struct Check {
    what: &'static str,
    check: fn(&str) -> Result<(), String>,
}

impl Validator for Check {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if let Err(why) = (self.check)(s) {
                diags.error_at(
                    path.clone(),
                    format!("Invalid {}", self.what),
                    format!("{path}: {why} (got {s:?})."),
                );
            }
        }
    }
}

pub fn datetime() -> Check {
    Check {
        what: "date-time",
        check: |s| parse_datetime(s).map(|_| ()),
    }
}

pub fn duration() -> Check {
    Check {
        what: "duration",
        check: |s| check_duration(s).map(|_| ()),
    }
}

pub fn recurrence() -> Check {
    Check {
        what: "recurrence",
        check: check_recurrence,
    }
}

pub fn time_zone() -> Check {
    Check {
        what: "time zone",
        check: |s| {
            match timezones::find(s) {
            Some(_) => Ok(()),
            None => Err("is not a Windows time-zone id (e.g. \"Pacific Standard Time\", \"W. Europe Standard Time\", \"UTC\"; IANA names such as \"Europe/Berlin\" are not accepted)".into()),
        }
        },
    }
}

pub fn windows_classification() -> Check {
    Check {
        what: "classification",
        check: |s| match canonical_classification(s, WINDOWS_CLASSIFICATIONS) {
            Some(_) => Ok(()),
            None => Err(format!(
                "Windows classifications are {}",
                WINDOWS_CLASSIFICATIONS.join(", ")
            )),
        },
    }
}

pub fn linux_classification() -> Check {
    Check {
        what: "classification",
        check: |s| match canonical_classification(s, LINUX_CLASSIFICATIONS) {
            Some(_) => Ok(()),
            None => Err(format!(
                "Linux classifications are {}",
                LINUX_CLASSIFICATIONS.join(", ")
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurrence_grammar() {
        for ok in [
            "Day",
            "3Days",
            "Week",
            "2Weeks",
            "Week Saturday,Sunday",
            "Month day23,day24",
            "Month Last Sunday",
            "Month Fourth Monday",
            "Month Last Sunday Offset-3",
            "Month Third Sunday Offset6",
            "Month Second Tuesday Offset2",
            "2Months First friday",
            "6Hours",
            "12Hours",
            "24hours",
            "3Months Second Tuesday",
        ] {
            assert_eq!(check_recurrence(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "0Day",
            "Fortnight",
            "Day Monday",
            "Week Funday",
            "Week Monday, Tuesday",
            "Month",
            "Month day0",
            "Month day32",
            "Month Fifth Monday",
            "Month Last Sunday Offset7",
            "Month Last Sunday Offset",
            "Month Last Sunday Offset1 extra",
            "6Hours Monday",
            "0Hours",
        ] {
            assert!(check_recurrence(bad).is_err(), "{bad}");
        }
        for too_often in ["Hour", "1Hour", "5Hours"] {
            let why = check_recurrence(too_often).unwrap_err();
            assert!(why.contains("at least every 6 hours"), "{too_often}: {why}");
        }
    }

    #[test]
    fn datetimes_durations_kbs_classifications() {
        assert!(parse_datetime("2030-01-07 02:00").is_ok());
        for bad in [
            "2030-01-07T02:00",
            "2030-02-30 02:00",
            "2031-02-29 02:00",
            "2030-13-01 02:00",
            "2030-01-07 24:00",
            "2030-1-07 02:00",
            "2030-01-07 02:00:00",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad}");
        }
        assert!(
            parse_datetime("2030-01-07 02:00").unwrap()
                < parse_datetime("2030-01-07 02:01").unwrap()
        );
        assert_eq!(check_duration("03:55"), Ok(235));
        assert_eq!(check_duration("01:30"), Ok(90));
        for bad in ["01:29", "03:56", "3:55", "0355", "02:60"] {
            assert!(check_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(
            canonical_classification("updaterollup", WINDOWS_CLASSIFICATIONS),
            Some("UpdateRollup")
        );
        assert_eq!(
            canonical_classification("UpdateRollUp", WINDOWS_CLASSIFICATIONS),
            Some("UpdateRollup")
        );
        assert_eq!(
            canonical_classification("Other", WINDOWS_CLASSIFICATIONS),
            None
        );
        assert_eq!(
            canonical_classification("other", LINUX_CLASSIFICATIONS),
            Some("Other")
        );
    }
}
