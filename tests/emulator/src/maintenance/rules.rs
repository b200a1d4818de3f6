//! The Maintenance service's own validation of a schedule, answered as 400s in its error shape
//! (`{"error":{"code","message"}}`, nothing else). The real service checks these semantically,
//! beyond what the OpenAPI schema says, so a client that skips them fails only at apply time.
//!
//! Rules (CONTRACT §4.1): `startDateTime`/`expirationDateTime` are `YYYY-MM-DD hh:mm`
//! (expiration may carry `:ss`, as the service's own default `9999-12-31 23:59:59` does) and
//! expiration is after start; `duration` is `hh:mm` and, for InGuestPatch, between 01:30 and
//! 03:55 (the bounds are reported, not in the spec: UNCERTAIN); `timeZone` is a Windows
//! time-zone id; `recurEvery` follows the grammar in the spec description or is an hour
//! recurrence of at least six hours (`6Hours`, `12Hours`; `Hour` or `4Hours` are rejected
//! naming the rule); `rebootSetting` is one of the three values the service accepts.

use serde_json::{Map, Value};

use crate::errors::ArmError;

/// Code the emulator uses for a rejected schedule (the service's codes are not documented).
const INVALID: &str = "InvalidParameter";

/// Shortest hour recurrence the service accepts (`6Hours`; issue 9 and the Maintenance
/// documentation's hourly form, which the contract's grammar from the spec description lacks:
/// INFERENCE beyond the contract).
pub(crate) const MIN_RECUR_HOURS: u32 = 6;

/// InGuestPatch duration bounds in minutes (UNCERTAIN in the contract).
pub(crate) const MIN_DURATION: u32 = 90;
pub(crate) const MAX_DURATION: u32 = 235;

fn invalid(message: String) -> ArmError {
    ArmError::bad_request(INVALID, message)
}

/// Windows time-zone ids the emulator accepts (compared case-insensitively).
const TIME_ZONES: &[&str] = &[
    "Dateline Standard Time",
    "UTC-11",
    "Aleutian Standard Time",
    "Hawaiian Standard Time",
    "Marquesas Standard Time",
    "Alaskan Standard Time",
    "UTC-09",
    "Pacific Standard Time (Mexico)",
    "UTC-08",
    "Pacific Standard Time",
    "US Mountain Standard Time",
    "Mountain Standard Time (Mexico)",
    "Mountain Standard Time",
    "Yukon Standard Time",
    "Central America Standard Time",
    "Central Standard Time",
    "Easter Island Standard Time",
    "Central Standard Time (Mexico)",
    "Canada Central Standard Time",
    "SA Pacific Standard Time",
    "Eastern Standard Time (Mexico)",
    "Eastern Standard Time",
    "Haiti Standard Time",
    "Cuba Standard Time",
    "US Eastern Standard Time",
    "Turks And Caicos Standard Time",
    "Paraguay Standard Time",
    "Atlantic Standard Time",
    "Venezuela Standard Time",
    "Central Brazilian Standard Time",
    "SA Western Standard Time",
    "Pacific SA Standard Time",
    "Newfoundland Standard Time",
    "Tocantins Standard Time",
    "E. South America Standard Time",
    "SA Eastern Standard Time",
    "Argentina Standard Time",
    "Greenland Standard Time",
    "Montevideo Standard Time",
    "Magallanes Standard Time",
    "Saint Pierre Standard Time",
    "Bahia Standard Time",
    "UTC-02",
    "Mid-Atlantic Standard Time",
    "Azores Standard Time",
    "Cape Verde Standard Time",
    "UTC",
    "GMT Standard Time",
    "Greenwich Standard Time",
    "Sao Tome Standard Time",
    "Morocco Standard Time",
    "W. Europe Standard Time",
    "Central Europe Standard Time",
    "Romance Standard Time",
    "Central European Standard Time",
    "W. Central Africa Standard Time",
    "Jordan Standard Time",
    "GTB Standard Time",
    "Middle East Standard Time",
    "Egypt Standard Time",
    "E. Europe Standard Time",
    "Syria Standard Time",
    "West Bank Standard Time",
    "South Africa Standard Time",
    "FLE Standard Time",
    "Israel Standard Time",
    "South Sudan Standard Time",
    "Kaliningrad Standard Time",
    "Sudan Standard Time",
    "Libya Standard Time",
    "Namibia Standard Time",
    "Arabic Standard Time",
    "Turkey Standard Time",
    "Arab Standard Time",
    "Belarus Standard Time",
    "Russian Standard Time",
    "E. Africa Standard Time",
    "Volgograd Standard Time",
    "Iran Standard Time",
    "Arabian Standard Time",
    "Astrakhan Standard Time",
    "Azerbaijan Standard Time",
    "Russia Time Zone 3",
    "Mauritius Standard Time",
    "Saratov Standard Time",
    "Georgian Standard Time",
    "Caucasus Standard Time",
    "Afghanistan Standard Time",
    "West Asia Standard Time",
    "Ekaterinburg Standard Time",
    "Pakistan Standard Time",
    "Qyzylorda Standard Time",
    "India Standard Time",
    "Sri Lanka Standard Time",
    "Nepal Standard Time",
    "Central Asia Standard Time",
    "Bangladesh Standard Time",
    "Omsk Standard Time",
    "Myanmar Standard Time",
    "SE Asia Standard Time",
    "Altai Standard Time",
    "W. Mongolia Standard Time",
    "North Asia Standard Time",
    "N. Central Asia Standard Time",
    "Tomsk Standard Time",
    "China Standard Time",
    "North Asia East Standard Time",
    "Singapore Standard Time",
    "W. Australia Standard Time",
    "Taipei Standard Time",
    "Ulaanbaatar Standard Time",
    "Aus Central W. Standard Time",
    "Transbaikal Standard Time",
    "Tokyo Standard Time",
    "North Korea Standard Time",
    "Korea Standard Time",
    "Yakutsk Standard Time",
    "Cen. Australia Standard Time",
    "AUS Central Standard Time",
    "E. Australia Standard Time",
    "AUS Eastern Standard Time",
    "West Pacific Standard Time",
    "Tasmania Standard Time",
    "Vladivostok Standard Time",
    "Lord Howe Standard Time",
    "Bougainville Standard Time",
    "Russia Time Zone 10",
    "Magadan Standard Time",
    "Norfolk Standard Time",
    "Sakhalin Standard Time",
    "Central Pacific Standard Time",
    "Russia Time Zone 11",
    "New Zealand Standard Time",
    "UTC+12",
    "Fiji Standard Time",
    "Kamchatka Standard Time",
    "Chatham Islands Standard Time",
    "UTC+13",
    "Tonga Standard Time",
    "Samoa Standard Time",
    "Line Islands Standard Time",
];

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const ORDINALS: &[&str] = &["first", "second", "third", "fourth", "last"];

/// `YYYY-MM-DD hh:mm[:ss]` as a sortable number, or `None`.
fn parse_datetime(s: &str, allow_seconds: bool) -> Option<u64> {
    let b = s.as_bytes();
    let shape_ok = match b.len() {
        16 => true,
        19 => allow_seconds && b[16] == b':',
        _ => false,
    };
    if !shape_ok || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d, h, mi) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
    );
    let sec = if b.len() == 19 { num(17..19)? } else { 0 };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1..=12).contains(&mo)
        && d >= 1
        && d <= days[(mo - 1) as usize]
        && h < 24
        && mi < 60
        && sec < 60;
    valid.then_some((((((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi) * 100) + sec)
}

/// `hh:mm` in minutes.
fn parse_duration(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60).then_some(h * 60 + m)
}

/// `[N]Unit(s)` → (N, the unit lower-cased), when N (default 1) is a positive integer.
fn unit(token: &str) -> Option<(u32, String)> {
    let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
    let rest = token[digits.len()..].to_ascii_lowercase();
    let n = if digits.is_empty() {
        1
    } else {
        digits.parse::<u32>().ok().filter(|n| *n > 0)?
    };
    Some((n, rest.trim_end_matches('s').to_string()))
}

/// Checks `recurEvery`: the spec grammar, plus hour recurrence (`6Hours`), which the service
/// accepts from [`MIN_RECUR_HOURS`] hours up. The error is the message of the service's 400.
pub(crate) fn check_recurrence(s: &str) -> Result<(), String> {
    let mut words = s.split_whitespace();
    let hours = words.next().and_then(unit).filter(|(_, u)| u == "hour");
    if let Some((n, _)) = hours {
        if words.next().is_none() && n < MIN_RECUR_HOURS {
            return Err(format!(
                "Invalid recurEvery '{s}'. Hourly recurrence must be at least {MIN_RECUR_HOURS} hours, for example '{MIN_RECUR_HOURS}Hours'."
            ));
        }
    }
    if valid_recurrence(s) {
        Ok(())
    } else {
        Err(format!("Invalid recurEvery '{s}'."))
    }
}

/// Whether `recurEvery` follows the grammar.
fn valid_recurrence(s: &str) -> bool {
    let mut words = s.split_whitespace();
    let Some(first) = words.next() else {
        return false;
    };
    let rest: Vec<&str> = words.collect();
    let Some((n, u)) = unit(first) else {
        return false;
    };
    match u.as_str() {
        "hour" => rest.is_empty() && n >= MIN_RECUR_HOURS,
        "day" => rest.is_empty(),
        "week" => match rest.as_slice() {
            [] => true,
            [days] => days
                .split(',')
                .all(|d| WEEKDAYS.contains(&d.to_ascii_lowercase().as_str())),
            _ => false,
        },
        "month" => match rest.as_slice() {
            [days] => days.split(',').all(|d| {
                d.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("day"))
                    && d[3..]
                        .parse::<i32>()
                        .is_ok_and(|n| (1..=31).contains(&n) || n == -1)
            }),
            [ordinal, weekday, offset @ ..] => {
                ORDINALS.contains(&ordinal.to_ascii_lowercase().as_str())
                    && WEEKDAYS.contains(&weekday.to_ascii_lowercase().as_str())
                    && match offset {
                        [] => true,
                        [o] => o
                            .get(..6)
                            .filter(|p| p.eq_ignore_ascii_case("offset"))
                            .and_then(|_| o[6..].parse::<i32>().ok())
                            .is_some_and(|n| (-6..=6).contains(&n)),
                        _ => false,
                    }
            }
            _ => false,
        },
        _ => false,
    }
}

fn str_at<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

/// Validates a schedule's `properties` the way the service does.
pub(crate) fn validate(properties: &Map<String, Value>) -> Result<(), ArmError> {
    let scope = str_at(properties, "maintenanceScope").unwrap_or_default();
    if scope.is_empty() {
        return Err(invalid("maintenanceScope is required.".into()));
    }
    let in_guest = scope.eq_ignore_ascii_case("InGuestPatch");
    let empty = Map::new();
    let window = properties
        .get("maintenanceWindow")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let start = str_at(window, "startDateTime");
    let start_at = match start {
        None if in_guest => {
            return Err(invalid(
                "maintenanceWindow.startDateTime is required.".into(),
            ))
        }
        None => None,
        Some(s) => Some(parse_datetime(s, false).ok_or_else(|| {
            invalid(format!(
                "Invalid startDateTime '{s}'. It must be in 'yyyy-MM-dd HH:mm' format."
            ))
        })?),
    };
    if let Some(e) = str_at(window, "expirationDateTime") {
        let end = parse_datetime(e, true).ok_or_else(|| {
            invalid(format!(
                "Invalid expirationDateTime '{e}'. It must be in 'yyyy-MM-dd HH:mm' format."
            ))
        })?;
        if start_at.is_some_and(|s| end <= s) {
            return Err(invalid(
                "expirationDateTime must be later than startDateTime.".into(),
            ));
        }
    }
    match str_at(window, "duration") {
        None => {}
        Some(d) => {
            let minutes = parse_duration(d).ok_or_else(|| {
                invalid(format!(
                    "Invalid duration '{d}'. It must be in 'HH:mm' format."
                ))
            })?;
            if in_guest && !(MIN_DURATION..=MAX_DURATION).contains(&minutes) {
                return Err(invalid(format!(
                    "Duration '{d}' is out of range. For InGuestPatch it must be between 01:30 and 03:55."
                )));
            }
        }
    }
    match str_at(window, "timeZone") {
        None if in_guest => return Err(invalid("maintenanceWindow.timeZone is required.".into())),
        Some(tz) if !TIME_ZONES.iter().any(|z| z.eq_ignore_ascii_case(tz)) => {
            return Err(invalid(format!("Invalid timeZone '{tz}'. Use a Windows time-zone id such as 'Pacific Standard Time'.")));
        }
        _ => {}
    }
    match str_at(window, "recurEvery") {
        None if in_guest => {
            return Err(invalid("maintenanceWindow.recurEvery is required.".into()))
        }
        Some(r) => check_recurrence(r).map_err(invalid)?,
        _ => {}
    }
    let reboot = properties
        .get("installPatches")
        .and_then(|p| p.get("rebootSetting"))
        .and_then(Value::as_str);
    if let Some(r) = reboot {
        if !["IfRequired", "Never", "Always"]
            .iter()
            .any(|v| v.eq_ignore_ascii_case(r))
        {
            return Err(invalid(format!(
                "Invalid rebootSetting '{r}'. Allowed values: IfRequired, Never, Always."
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(window: Value) -> Map<String, Value> {
        json!({"maintenanceScope": "InGuestPatch", "maintenanceWindow": window})
            .as_object()
            .cloned()
            .unwrap()
    }

    fn good() -> Value {
        json!({"startDateTime": "2030-01-01 02:00", "duration": "03:55",
               "timeZone": "pacific standard time", "recurEvery": "Month Second Tuesday Offset2"})
    }

    #[test]
    fn accepts_the_contract_grammar() {
        for r in [
            "Day",
            "3Days",
            "Week",
            "3Weeks",
            "Week Saturday,Sunday",
            "Month day23,day24",
            "Month Last Sunday",
            "2Months Fourth Monday",
            "Month Last Sunday Offset-3",
            "Month Third Sunday Offset6",
            "6Hours",
            "12Hours",
            "24hours",
        ] {
            assert!(check_recurrence(r).is_ok(), "{r}");
        }
        for r in ["Hour", "1Hour", "5Hours", "0Hours"] {
            let e = check_recurrence(r).expect_err(r);
            assert!(
                r == "0Hours" || e.contains("at least 6 hours"),
                "{r}: the message names the rule: {e}"
            );
        }
        for r in [
            "",
            "0Days",
            "Fortnight",
            "Week Funday",
            "Month day32",
            "Month Fifth Monday",
            "Month Last Sunday Offset7",
            "Day Monday",
            "Month Second Tuesday Offset",
            "6Hours Monday",
        ] {
            assert!(check_recurrence(r).is_err(), "{r}");
        }
        assert!(validate(&props(good())).is_ok());
    }

    #[test]
    fn rejects_each_rule_with_a_400() {
        let cases = [
            ("startDateTime", json!("2030-01-01T02:00")),
            ("startDateTime", json!("2030-02-30 02:00")),
            ("expirationDateTime", json!("2029-12-31 23:00")),
            ("duration", json!("01:29")),
            ("duration", json!("03:56")),
            ("duration", json!("3h")),
            ("timeZone", json!("Mars/Olympus")),
            ("recurEvery", json!("Month Fifth Monday")),
            ("recurEvery", json!("4Hours")),
        ];
        for (field, value) in cases {
            let mut w = good();
            w[field] = value.clone();
            let e = validate(&props(w)).expect_err(field);
            let body = e.body();
            assert_eq!(body["error"]["code"], INVALID, "{field}={value}");
            assert_eq!(
                body["error"].as_object().unwrap().len(),
                2,
                "only code and message"
            );
        }
        let mut p = props(good());
        p.insert(
            "installPatches".into(),
            json!({"rebootSetting": "NeverReboot"}),
        );
        assert!(validate(&p).is_err());
    }
}
