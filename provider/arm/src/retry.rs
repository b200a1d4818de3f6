//! When and how long to wait before trying a request again.
//!
//! ARM throttles with 429 + `Retry-After`, RPs report transient failures as 5xx or as 409s with
//! codes like `AnotherOperationInProgress`; all of these are worth retrying with bounded
//! exponential backoff and jitter. The server's `Retry-After` wins when present (capped, so a
//! confused server cannot park Terraform for hours), and the total time spent waiting is bounded.

use crate::error::ArmError;
use crate::models::common::ErrorDetail;
use rand::Rng;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Retry limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first one (at least 1).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each retry.
    pub initial_backoff: Duration,
    /// Upper bound of a single backoff.
    pub max_backoff: Duration,
    /// Upper bound applied to a server-sent `Retry-After`.
    pub max_retry_after: Duration,
    /// Upper bound of the time spent waiting between attempts of one request.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
            max_total_wait: Duration::from_secs(15 * 60),
        }
    }
}

impl RetryPolicy {
    /// Backoff before retry number `retry` (1 = first retry): exponential, capped, with "equal
    /// jitter" (a random value in `[d/2, d]`) so concurrent clients spread out.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(20);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let half = base / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let extra = if jitter_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..=jitter_ms)
        };
        half.saturating_add(Duration::from_millis(extra))
    }

    /// The wait before the next attempt: the server's `Retry-After` (capped) plus a little
    /// jitter when given, otherwise [`RetryPolicy::backoff`].
    ///
    /// The jitter only ever lengthens the wait (the server's hint is a minimum): up to a fifth
    /// of the hint, and at least up to 100 ms, so the requests that a throttled burst sent
    /// together do not all come back in the same instant and collide again.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(d) => {
                let d = d.min(self.max_retry_after);
                let spread = (d / 5).max(Duration::from_millis(100));
                let spread_ms = u64::try_from(spread.as_millis()).unwrap_or(u64::MAX);
                d.saturating_add(Duration::from_millis(
                    rand::rng().random_range(0..=spread_ms),
                ))
            }
            None => self.backoff(retry),
        }
    }
}

/// ARM error codes that mean "another operation holds the resource; try again later".
const TRANSIENT_CONFLICT_CODES: &[&str] = &[
    "AnotherOperationInProgress",
    "RetryableErrorDueToAnotherOperation",
    "OperationPreempted",
    "ConcurrentRequestConflict",
];

fn is_transient_conflict(detail: &ErrorDetail) -> bool {
    let code = detail.code.as_deref().unwrap_or_default();
    if TRANSIENT_CONFLICT_CODES
        .iter()
        .any(|c| c.eq_ignore_ascii_case(code))
    {
        return true;
    }
    if code.eq_ignore_ascii_case("Conflict") || code.is_empty() {
        let msg = detail
            .message
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        return msg.contains("another operation")
            || msg.contains("operation is in progress")
            || msg.contains("retry");
    }
    false
}

/// Whether a failed response is ARM (or Resource Graph) throttling the caller's budget, as
/// opposed to the 429 some RPs answer for a transient conflict (CONTRACT 1.3).
pub fn is_throttling(status: u16, detail: &ErrorDetail) -> bool {
    status == 429 && !is_transient_conflict(detail)
}

/// Whether a failed response is worth retrying (ignoring idempotency).
pub fn is_retryable_status(status: u16, detail: &ErrorDetail) -> bool {
    match status {
        408 | 429 | 500 | 502 | 503 | 504 => true,
        409 => is_transient_conflict(detail),
        _ => false,
    }
}

/// Whether the server rejected the request without processing it, so even a non-idempotent
/// POST may be sent again (ARM's throttling answer, CONTRACT 1.3).
pub fn rejected_unprocessed(status: u16) -> bool {
    status == 429
}

/// Whether an answer with `status` leaves open that ARM processed the request: a server error
/// (or 408) can come after the work was done, while a 4xx is a refusal of the request as sent.
pub fn may_have_processed(status: u16) -> bool {
    status >= 500 || status == 408
}

/// Sleeps for `d`, returning [`ArmError::Cancelled`] as soon as `cancel` fires.
pub(crate) async fn sleep(cancel: &CancellationToken, d: Duration) -> Result<(), ArmError> {
    if d.is_zero() {
        return if cancel.is_cancelled() {
            Err(ArmError::Cancelled)
        } else {
            Ok(())
        };
    }
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(ArmError::Cancelled),
        _ = tokio::time::sleep(d) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_and_grows() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..Default::default()
        };
        for retry in 1..40 {
            let d = p.backoff(retry);
            assert!(d <= Duration::from_millis(1000), "{d:?}");
        }
        let d1 = p.backoff(1);
        assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
        let d4 = p.backoff(4);
        assert!(d4 >= Duration::from_millis(400));
        let capped = p.delay(1, Some(Duration::from_secs(9999)));
        assert!(capped >= p.max_retry_after && capped <= p.max_retry_after * 6 / 5);
    }

    #[test]
    fn retry_after_is_a_minimum_with_bounded_jitter() {
        let p = RetryPolicy::default();
        let hint = Duration::from_secs(1);
        let waits: Vec<Duration> = (0..200).map(|_| p.delay(1, Some(hint))).collect();
        assert!(waits
            .iter()
            .all(|w| *w >= hint && *w <= hint + Duration::from_millis(200)));
        assert!(
            waits.iter().any(|w| *w != waits[0]),
            "no jitter: {:?}",
            &waits[..5]
        );
        let zero = p.delay(1, Some(Duration::ZERO));
        assert!(zero <= Duration::from_millis(100));
    }

    #[test]
    fn conflicts() {
        let d = |code: &str, msg: &str| ErrorDetail {
            code: Some(code.into()),
            message: Some(msg.into()),
            ..Default::default()
        };
        assert!(is_retryable_status(
            409,
            &d("AnotherOperationInProgress", "x")
        ));
        assert!(is_retryable_status(
            409,
            &d(
                "Conflict",
                "Another operation is in progress on the resource"
            )
        ));
        assert!(!is_retryable_status(
            409,
            &d("Conflict", "name already taken")
        ));
        assert!(is_retryable_status(
            429,
            &d("RetryableErrorDueToAnotherOperation", "")
        ));
        assert!(!is_retryable_status(400, &d("BadRequest", "retry")));
    }

    proptest::proptest! {
        #[test]
        fn delays_are_total_and_bounded(
            retry in proptest::prelude::any::<u32>(),
            hint_ms in proptest::prelude::any::<u64>(),
            max_ms in proptest::prelude::any::<u64>(),
        ) {
            let p = RetryPolicy {
                max_retry_after: Duration::from_millis(max_ms),
                max_backoff: Duration::from_millis(max_ms),
                initial_backoff: Duration::from_millis(max_ms / 3),
                ..Default::default()
            };
            let d = p.delay(retry, Some(Duration::from_millis(hint_ms)));
            proptest::prop_assert!(d >= Duration::from_millis(hint_ms.min(max_ms)));
            let _ = p.delay(retry, None);
        }
    }
}
