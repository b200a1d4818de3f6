//! The schedule rules the Maintenance service enforces only at apply time, checked at plan
//! time instead so a bad window never reaches ARM (CONTRACT §4.1): the `YYYY-MM-DD hh:mm`
//! date-times, the `hh:mm` duration and its InGuestPatch bounds, the `recurEvery` grammar, KB
//! ids and classification names. Each check returns why a value is wrong, in words a user can
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
    if !(1..=12).contains(&dt.month)
        || dt.day == 0
        || dt.day > timezones::days_in_month(dt.year, dt.month)
    {
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

/// `[N]Unit(s)`: the unit (lower-case, singular), or why not.
fn frequency(token: &str) -> Result<String, String> {
    let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() && digits.parse::<u32>().map_or(true, |n| n == 0) {
        return Err(format!(
            "the interval in {token:?} must be a positive number"
        ));
    }
    let unit = token[digits.len()..].to_ascii_lowercase();
    let singular = unit.strip_suffix('s').unwrap_or(&unit);
    match singular {
        "day" | "week" | "month" => Ok(singular.to_string()),
        _ => Err(format!(
            "{token:?} is not a frequency: write Day, Week or Month, optionally with a number and plural (3Days, 2Weeks)"
        )),
    }
}

/// Checks `recurEvery` against the grammar of CONTRACT §4.1.
pub fn check_recurrence(s: &str) -> Result<(), String> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let Some((first, rest)) = words.split_first() else {
        return Err("must not be empty".into());
    };
    match frequency(first)?.as_str() {
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

/// The digits of a KB id written as `5041585`, `KB5041585` or `kb5041585`.
pub fn kb_digits(s: &str) -> Option<&str> {
    let digits = match s.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("kb") => &s[2..],
        _ => s,
    };
    (!digits.is_empty() && digits.len() <= 10 && digits.bytes().all(|c| c.is_ascii_digit()))
        .then_some(digits)
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

pub fn kb_id() -> Check {
    Check {
        what: "KB id",
        check: |s| {
            match kb_digits(s) {
            Some(_) => Ok(()),
            None => Err("a KB id is digits, optionally prefixed with \"KB\" (e.g. \"5041585\" or \"KB5041585\")".into()),
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
        ] {
            assert!(check_recurrence(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetimes_durations_kbs_classifications() {
        assert!(parse_datetime("2030-01-07 02:00").is_ok());
        for bad in [
            "2030-01-07T02:00",
            "2030-02-30 02:00",
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
        assert_eq!(kb_digits("KB5041585"), Some("5041585"));
        assert_eq!(kb_digits("kb5041585"), Some("5041585"));
        assert_eq!(kb_digits("5041585"), Some("5041585"));
        for bad in ["KB", "KB50415a", "", "KB-5041585", "Ｋ5"] {
            assert_eq!(kb_digits(bad), None, "{bad}");
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
