//! Total parsers of the response headers ARM sends.
//!
//! Header values come from the service (or whatever sits between us and it), so every parser
//! here accepts any string: malformed, negative or non-finite values are ignored (`None`), and
//! values beyond what the client could ever act on are clamped. Nothing here can panic or
//! overflow. The history that made this a module of its own: `Retry-After: 1e20` went through
//! `Duration::from_secs_f64`, which panics above `u64::MAX` seconds, and took a read handler
//! down with it.
//!
//! Callers cap waits further with their own policy (see [`crate::RetryPolicy`] and
//! [`crate::PollPolicy`]); the clamp here only keeps the arithmetic sound.

use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

/// Longest wait any header value is read as; larger values are clamped to it.
pub const MAX_HEADER_WAIT: Duration = Duration::from_secs(24 * 3600);

/// `Retry-After`.
pub const RETRY_AFTER: &str = "retry-after";
/// Reads left in the subscription's throttling budget (CONTRACT 1.3).
pub const REMAINING_SUBSCRIPTION_READS: &str = "x-ms-ratelimit-remaining-subscription-reads";
/// Writes left in the subscription's throttling budget (CONTRACT 1.3).
pub const REMAINING_SUBSCRIPTION_WRITES: &str = "x-ms-ratelimit-remaining-subscription-writes";
/// Resource Graph: queries left in the current quota window (CONTRACT 6.4).
pub const QUOTA_REMAINING: &str = "x-ms-user-quota-remaining";
/// Resource Graph: time until the quota window resets, `hh:mm:ss` (CONTRACT 6.4).
pub const QUOTA_RESETS_AFTER: &str = "x-ms-user-quota-resets-after";

/// A header as text, if present and printable ASCII (anything else is ignored).
pub fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Parses a `Retry-After` value: delta-seconds (an integer of any length, or a decimal such as
/// `1.5`), or an IMF-fixdate HTTP date, which is read relative to `now` (a past date means
/// "now"). Negative, non-finite and unparsable values yield `None`; long waits are clamped to
/// [`MAX_HEADER_WAIT`].
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        // Only overflow can fail here: a 23-digit integer is simply "very long".
        let secs = v.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_HEADER_WAIT));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return if secs.is_finite() && secs >= 0.0 {
            let capped = secs.min(MAX_HEADER_WAIT.as_secs_f64());
            Some(
                Duration::try_from_secs_f64(capped)
                    .map_or(MAX_HEADER_WAIT, |d| d.min(MAX_HEADER_WAIT)),
            )
        } else {
            None
        };
    }
    http_date_from(v, now)
}

/// The wait until an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), in whole-nanosecond
/// arithmetic on 128-bit integers so no date (year 1 or 9999) and no clock can overflow it.
fn http_date_from(v: &str, now: SystemTime) -> Option<Duration> {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year repr:full] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(v, &fmt).ok()?.assume_utc();
    let at_nanos = at.unix_timestamp_nanos();
    let now_nanos = match now.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
    };
    let ahead = at_nanos.saturating_sub(now_nanos);
    if ahead <= 0 {
        return Some(Duration::ZERO);
    }
    let max = i128::try_from(MAX_HEADER_WAIT.as_nanos()).unwrap_or(i128::MAX);
    let nanos = u64::try_from(ahead.min(max)).unwrap_or(u64::MAX);
    Some(Duration::from_nanos(nanos))
}

/// A non-negative decimal count such as a remaining-budget header. Anything but digits (after
/// trimming) is ignored; a count too large for `u64` is clamped to `u64::MAX`.
pub fn count(value: &str) -> Option<u64> {
    digits(value.trim())
}

/// A non-empty run of ASCII digits, clamped to `u64::MAX`.
fn digits(v: &str) -> Option<u64> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Only overflow can fail here.
    Some(v.parse().unwrap_or(u64::MAX))
}

/// A `hh:mm:ss` duration (hours may exceed 24, seconds may carry a fraction such as `05.5`), as
/// Resource Graph sends in [`QUOTA_RESETS_AFTER`]. Minutes and seconds must be below 60; the
/// result is clamped to [`MAX_HEADER_WAIT`].
pub fn hms(value: &str) -> Option<Duration> {
    let mut parts = value.trim().split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let hours = digits(h)?;
    let minutes = digits(m).filter(|m| *m < 60)?;
    let seconds = digits(whole).filter(|s| *s < 60)?;
    let nanos = match fraction {
        None => 0,
        Some(f) => {
            digits(f)?;
            // The first nine digits, right-padded: "5" is 500,000,000 ns.
            let ns: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
            ns.parse::<u64>().ok()?
        }
    };
    let total = hours
        .saturating_mul(3600)
        .saturating_add(minutes * 60 + seconds);
    let d = Duration::from_secs(total.min(MAX_HEADER_WAIT.as_secs())) + Duration::from_nanos(nanos);
    Some(d.min(MAX_HEADER_WAIT))
}

/// The subscription's remaining throttling budget as one response reported it (CONTRACT 1.3).
///
/// ARM decrements these per call; a client that wants to slow down before it is throttled can
/// watch them. A missing or malformed header is `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimitRemaining {
    /// `x-ms-ratelimit-remaining-subscription-reads` (sent on reads).
    pub subscription_reads: Option<u64>,
    /// `x-ms-ratelimit-remaining-subscription-writes` (sent on writes).
    pub subscription_writes: Option<u64>,
}

impl RateLimitRemaining {
    /// Reads both headers from `headers`.
    pub fn of(headers: &HeaderMap) -> Self {
        RateLimitRemaining {
            subscription_reads: text(headers, REMAINING_SUBSCRIPTION_READS).and_then(count),
            subscription_writes: text(headers, REMAINING_SUBSCRIPTION_WRITES).and_then(count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    #[test]
    fn retry_after_forms() {
        let now = now();
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(retry_after("1.5", now), Some(Duration::from_millis(1500)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:27 GMT", now),
            Some(Duration::ZERO),
            "a past date means now"
        );
    }

    #[test]
    fn retry_after_clamps_or_ignores_what_arm_should_never_send() {
        let now = now();
        for huge in [
            "1e20",
            "12345678901234567890123",
            "18446744073709551616",
            "1e308",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(retry_after(huge, now), Some(MAX_HEADER_WAIT), "{huge}");
        }
        for bad in [
            "",
            "-1",
            "-0.5",
            "NaN",
            "inf",
            "-inf",
            "soon",
            "1 2",
            "0x10",
            "Mon, 99 Foo",
        ] {
            assert_eq!(retry_after(bad, now), None, "{bad}");
        }
        assert_eq!(
            retry_after("Mon, 01 Jan 0001 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn counts_and_quota_times() {
        assert_eq!(count("42"), Some(42));
        assert_eq!(count(" 7 "), Some(7));
        assert_eq!(count("99999999999999999999999"), Some(u64::MAX));
        for bad in ["", "-1", "1.0", "x", "+3"] {
            assert_eq!(count(bad), None, "{bad}");
        }
        assert_eq!(hms("00:00:05"), Some(Duration::from_secs(5)));
        assert_eq!(hms("01:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(hms("00:00:00.5"), Some(Duration::from_millis(500)));
        assert_eq!(hms("99999999999999999999999:00:00"), Some(MAX_HEADER_WAIT));
        for bad in [
            "",
            "5",
            "00:61:00",
            "a:b:c",
            "00:00:00:00",
            "00:00:-1",
            "00:00:60",
            "00:00:1.",
            "00:00:1.x",
            "1e3:00:00",
        ] {
            assert_eq!(hms(bad), None, "{bad}");
        }
    }

    #[test]
    fn rate_limit_headers_are_typed() {
        let mut h = HeaderMap::new();
        h.insert(
            REMAINING_SUBSCRIPTION_READS,
            HeaderValue::from_static("11999"),
        );
        h.insert(
            REMAINING_SUBSCRIPTION_WRITES,
            HeaderValue::from_static("-3"),
        );
        assert_eq!(
            RateLimitRemaining::of(&h),
            RateLimitRemaining {
                subscription_reads: Some(11999),
                subscription_writes: None,
            }
        );
        assert_eq!(
            RateLimitRemaining::of(&HeaderMap::new()),
            RateLimitRemaining::default()
        );
    }

    proptest! {
        #[test]
        fn retry_after_is_total_and_bounded(v in ".{0,64}", now_secs in any::<u64>()) {
            let now = SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(now_secs % (400 * 365 * 86_400)))
                .unwrap_or(SystemTime::UNIX_EPOCH);
            if let Some(d) = retry_after(&v, now) {
                prop_assert!(d <= MAX_HEADER_WAIT);
            }
        }

        #[test]
        fn numeric_retry_after_is_total_and_bounded(
            int in "-?[0-9]{1,40}",
            float in any::<f64>(),
            exp in -400i32..400,
        ) {
            for v in [int.clone(), float.to_string(), format!("{float:e}"), format!("1e{exp}")] {
                if let Some(d) = retry_after(&v, now()) {
                    prop_assert!(d <= MAX_HEADER_WAIT, "{}", v);
                }
            }
            if int.starts_with('-') && int.trim_start_matches(['-', '0']).is_empty() {
                // "-0" is zero, which is harmless either way.
            } else if int.starts_with('-') {
                prop_assert_eq!(retry_after(&int, now()), None);
            }
        }

        #[test]
        fn http_dates_of_any_year_are_total(
            year in 0u32..10_000,
            day in 1u32..=31,
            month in 0usize..12,
            hh in 0u32..24, mm in 0u32..60, ss in 0u32..61,
        ) {
            const MONTHS: [&str; 12] = ["Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"];
            for wd in ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"] {
                let v = format!("{wd}, {day:02} {} {year:04} {hh:02}:{mm:02}:{ss:02} GMT", MONTHS[month]);
                if let Some(d) = retry_after(&v, now()) {
                    prop_assert!(d <= MAX_HEADER_WAIT);
                }
            }
        }

        #[test]
        fn counts_and_hms_are_total(v in ".{0,40}", h in any::<u64>(), m in any::<u64>(), s in any::<u64>()) {
            let _ = count(&v);
            if let Some(d) = hms(&v) {
                prop_assert!(d <= MAX_HEADER_WAIT);
            }
            let d = hms(&format!("{h}:{m:02}:{s:02}"));
            prop_assert_eq!(d.is_some(), m < 60 && s < 60);
        }

        #[test]
        fn rate_limit_parse_is_total(reads in "[ -~]{0,30}", writes in "[0-9]{0,30}") {
            let mut h = HeaderMap::new();
            h.insert(REMAINING_SUBSCRIPTION_READS, HeaderValue::from_str(&reads).unwrap());
            h.insert(REMAINING_SUBSCRIPTION_WRITES, HeaderValue::from_str(&writes).unwrap());
            let r = RateLimitRemaining::of(&h);
            prop_assert_eq!(r.subscription_writes.is_some(), !writes.is_empty());
            prop_assert_eq!(r.subscription_reads, count(&reads));
        }
    }
}
