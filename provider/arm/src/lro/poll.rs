//! How often, and for how long, long-running operations are polled.
//!
//! Three forces: the service's `Retry-After` is its wish and is honoured (a wait may be longer,
//! never shorter, within bounds); a `Retry-After: 0` or a tiny configured interval must not turn
//! into a busy loop against ARM's read budget; and a patch install runs for hours, where a poll
//! every few seconds would spend thousands of reads for nothing. So every wait is at least
//! [`PollPolicy::min_interval`], at least a tenth of the time the operation has run so far
//! (a gentle geometric backoff: at 5 minutes the client polls every 30 s), and at most
//! [`PollPolicy::max_interval`], which also caps a larger `Retry-After`, so a confused service
//! cannot park a run for an hour between two polls.

use std::time::Duration;

/// Polling limits of long-running operations (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollPolicy {
    /// Wait between polls when the service sends no `Retry-After`.
    pub interval: Duration,
    /// Floor of every wait between polls, `Retry-After: 0` included.
    pub min_interval: Duration,
    /// Ceiling of every wait between polls, a larger `Retry-After` included (wins over
    /// `min_interval` when the two conflict).
    pub max_interval: Duration,
    /// How long an operation may run when the caller sets no deadline
    /// ([`crate::LroOptions::deadline`]).
    pub default_deadline: Duration,
    /// How long the service may keep reporting status words this client does not know before
    /// the wait ends with an error (see [`crate::lro::status`]).
    pub unrecognised_status_limit: Duration,
}

impl Default for PollPolicy {
    /// 2 s between polls (1 s at least, 60 s at most), six hours per operation (a patch
    /// install may take four), ten minutes of unknown status words.
    fn default() -> Self {
        PollPolicy {
            interval: Duration::from_secs(2),
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(60),
            default_deadline: Duration::from_secs(6 * 3600),
            unrecognised_status_limit: Duration::from_secs(10 * 60),
        }
    }
}

impl PollPolicy {
    /// The wait before the next poll of an operation that has run for `elapsed`, given the
    /// service's `retry_after` and the caller's `interval` override.
    pub fn wait(
        &self,
        elapsed: Duration,
        retry_after: Option<Duration>,
        interval: Option<Duration>,
    ) -> Duration {
        retry_after
            .unwrap_or(interval.unwrap_or(self.interval))
            .max(elapsed / 10)
            .max(self.min_interval)
            .min(self.max_interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_does_not_spin_and_long_operations_back_off() {
        let p = PollPolicy::default();
        let s = Duration::from_secs;
        assert_eq!(p.wait(s(0), Some(s(0)), None), s(1));
        assert_eq!(p.wait(s(0), None, None), s(2));
        assert_eq!(p.wait(s(0), Some(s(7)), None), s(7));
        assert_eq!(p.wait(s(0), None, Some(s(5))), s(5));
        assert_eq!(p.wait(s(300), Some(s(1)), None), s(30));
        assert_eq!(p.wait(s(4 * 3600), Some(s(1)), None), s(60));
        assert_eq!(p.wait(s(0), Some(s(3600)), None), s(60));
    }

    proptest! {
        #[test]
        fn waits_stay_within_bounds(
            elapsed in any::<u64>(),
            hint in proptest::option::of(any::<u64>()),
            min in any::<u64>(),
            max in any::<u64>(),
        ) {
            let p = PollPolicy {
                min_interval: Duration::from_millis(min),
                max_interval: Duration::from_millis(max),
                ..PollPolicy::default()
            };
            let w = p.wait(Duration::from_millis(elapsed), hint.map(Duration::from_millis), None);
            prop_assert!(w <= p.max_interval);
            if min <= max {
                prop_assert!(w >= p.min_interval);
            }
        }
    }
}
