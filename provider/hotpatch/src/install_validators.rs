//! Plan-time checks of one-time install arguments, so a typo fails `terraform plan` with the
//! attribute named instead of failing the run after the service accepted it. KB ids have
//! their own module (`kb`), shared with the maintenance schedules.

use armclient::models::hybridcompute::{parse_datetime, WindowsClassification};
use tfframework::{AttributePath, Diagnostics, Validator, Value};

/// An ISO 8601 duration of days, hours, minutes and seconds (`PT2H`, `PT90M`, `P1DT6H`).
pub struct IsoDuration;

/// Whether `s` is such a duration and longer than zero.
pub fn is_iso_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((_, "")) => return false,
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut nonzero = false;
    let mut part_ok = |part: &str, units: &[char]| {
        let mut number = String::new();
        let mut next_unit = 0;
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let Some(pos) = units.iter().position(|u| *u == c) else {
                return false;
            };
            if number.is_empty() || pos < next_unit {
                return false;
            }
            nonzero |= number.bytes().any(|b| b != b'0');
            number.clear();
            next_unit = pos + 1;
        }
        number.is_empty()
    };
    let ok = (!date.is_empty() || time.is_some())
        && part_ok(date, &['D'])
        && time.is_none_or(|t| part_ok(t, &['H', 'M', 'S']));
    ok && nonzero
}

impl Validator for IsoDuration {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if !is_iso_duration(s) {
            diags.error_at(
                path.clone(),
                "Invalid duration",
                format!("{path}: {s:?} is not an ISO 8601 duration longer than zero, such as \"PT2H\", \"PT90M\" or \"P1DT6H\"."),
            );
        }
    }
}

/// An RFC 3339 date-time with its offset (`2025-06-10T00:00:00Z`,
/// `2025-06-10T02:36:43.0539904+00:00`), as ARM's `date-time` format takes it.
pub struct Rfc3339DateTime;

impl Validator for Rfc3339DateTime {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if parse_datetime(s).is_none() {
            diags.error_at(
                path.clone(),
                "Invalid date-time",
                format!("{path}: {s:?} is not an RFC 3339 date-time with an offset, such as \"2025-06-10T00:00:00Z\" or \"2025-06-10T09:00:00+02:00\"."),
            );
        }
    }
}

/// A Windows update classification, compared case-insensitively (`UpdateRollup` and the
/// API's `UpdateRollUp` are the same).
pub struct Classification;

impl Validator for Classification {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if matches!(
            WindowsClassification::from(s),
            WindowsClassification::Other(_)
        ) {
            diags.error_at(
                path.clone(),
                "Invalid classification",
                format!(
                    "{path}: {s:?} is not one of {}.",
                    WindowsClassification::KNOWN.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: &dyn Validator, s: &str) -> bool {
        let mut d = Diagnostics::new();
        v.validate(&Value::string(s), &AttributePath::root(), &mut d);
        d.is_empty()
    }

    #[test]
    fn durations() {
        for ok in ["PT2H", "PT90M", "P1DT6H", "PT1H30M", "PT3600S", "P1D"] {
            assert!(check(&IsoDuration, ok), "{ok}");
        }
        for bad in [
            "", "2h", "PT", "P", "PT0H", "PT2", "PT30M2H", "PT2H ", "P1H", "PTé",
        ] {
            assert!(!check(&IsoDuration, bad), "{bad}");
        }
    }

    #[test]
    fn classifications_and_dates() {
        assert!(check(&Classification, "UpdateRollup"));
        for ok in [
            "2025-06-10T00:00:00Z",
            "2021-08-19T02:36:43.0539904+00:00",
            "2025-06-10T09:00:00+02:00",
        ] {
            assert!(check(&Rfc3339DateTime, ok), "{ok}");
        }
        for bad in [
            "2025-06-10",
            "2025-06-10T00:00:00",
            "10/06/2025",
            "2025-13-01T00:00:00Z",
            "",
        ] {
            assert!(!check(&Rfc3339DateTime, bad), "{bad}");
        }
        assert!(check(&Classification, "security"));
        assert!(!check(&Classification, "Other"));
    }
}
