//! KB ids as users write them, for every object that takes them (schedules' and one-time
//! installs' include/exclude lists): one rule for what is valid and one for when two
//! spellings name the same update.
//!
//! Users write `5041585`, `KB5041585` or `kb5041585`, and the service accepts all of them, so
//! the provider sends ids exactly as written and compares them by their digits on read; a
//! re-spelling (by the service, the portal or another tool) is never drift.
//!
//! The digit limit is 9: KB ids issued so far have at most 7 digits, so 9 leaves two orders of
//! magnitude of room while still catching pasted dates, GUID fragments or phone numbers, and
//! every 9-digit number fits a signed 32-bit integer, so nothing downstream that parses KB ids
//! as integers can overflow (10 digits would admit 9,999,999,999, which does not fit).

use tfframework::{AttributePath, Diagnostics, Validator, Value};

/// The most digits a KB id has.
pub const MAX_DIGITS: usize = 9;

/// The digits of a valid KB id (`5041585` for `KB5041585`), or None for anything else.
pub fn digits(kb: &str) -> Option<&str> {
    let d = match kb.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("kb") => &kb[2..],
        _ => kb,
    };
    (!d.is_empty() && d.len() <= MAX_DIGITS && d.bytes().all(|b| b.is_ascii_digit())).then_some(d)
}

/// What two KB ids are compared by: the digits of a valid id, the text itself otherwise (so
/// invalid entries, which the validator reports, still compare consistently).
pub fn key(kb: &str) -> &str {
    digits(kb).unwrap_or(kb)
}

/// Validates one KB id at plan time.
pub struct KbNumber;

impl Validator for KbNumber {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if digits(s).is_none() {
            diags.error_at(
                path.clone(),
                "Invalid KB number",
                format!("{path}: {s:?} is not a KB number; write 1 to {MAX_DIGITS} digits, with or without a \"KB\" prefix (\"KB5041585\" or \"5041585\")."),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(s: &str) -> bool {
        let mut d = Diagnostics::new();
        KbNumber.validate(&Value::string(s), &AttributePath::root(), &mut d);
        d.is_empty()
    }

    #[test]
    fn spellings_and_limits() {
        for ok in [
            "KB5041585",
            "kb5041585",
            "Kb5041585",
            "5041585",
            "1",
            "123456789",
        ] {
            assert!(valid(ok), "{ok}");
        }
        for bad in [
            "",
            "KB",
            "KB50415a",
            "KB-5041585",
            "5041585 ",
            " 5041585",
            "1234567890",
            "KB1234567890",
            "Ｋ5",
            "é",
        ] {
            assert!(!valid(bad), "{bad}");
            assert_eq!(digits(bad), None, "{bad}");
        }
        assert_eq!(digits("KB5041585"), Some("5041585"));
        assert_eq!(key("KB5041585"), key("5041585"));
        assert_eq!(key("kb5041585"), key("KB5041585"));
        assert_ne!(key("KB5041585"), key("KB5041586"));
        assert_eq!(key("not a kb"), "not a kb");
    }
}
