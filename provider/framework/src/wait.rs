//! One wait loop for everything that settles: a license leaving `Enabling`, a hotpatch
//! evaluation leaving `PendingEvaluation`, any state reached by polling.
//!
//! Every wait must end: at the operation's deadline (its `timeouts`), when Terraform asks the
//! provider to stop, or when a poll fails. The interval grows from `first` to `max` so a wait
//! of seconds stays responsive and a wait of hours does not hammer ARM. The error says what the
//! object was last seen doing, so the caller can record it in state with the diagnostic.

use std::future::Future;
use std::time::Duration;

use crate::provider::Context;

/// One poll's answer: done with a value, or still pending (with what it is doing, e.g. the
/// transitional status word).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Poll<T> {
    Ready(T),
    Pending(String),
}

/// How often to poll.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    /// Each interval is the previous one times this (at least 1).
    pub factor: f64,
}

impl Backoff {
    /// A fixed interval.
    pub fn every(interval: Duration) -> Self {
        Backoff {
            first: interval,
            max: interval,
            factor: 1.0,
        }
    }

    fn next(&self, current: Duration) -> Duration {
        current.mul_f64(self.factor.max(1.0)).min(self.max)
    }
}

/// Why a wait ended without a result.
#[derive(Debug)]
pub enum WaitError<E> {
    /// A poll failed.
    Failed(E),
    /// The deadline passed; `last` is what the object was last seen doing.
    TimedOut { last: String },
    /// Terraform asked the provider to stop.
    Cancelled { last: String },
}

impl<E> WaitError<E> {
    /// What the object was last seen doing, when the wait ran out rather than failed.
    pub fn last_seen(&self) -> Option<&str> {
        match self {
            WaitError::Failed(_) => None,
            WaitError::TimedOut { last } | WaitError::Cancelled { last } => Some(last),
        }
    }
}

/// Polls until `poll` is ready, an error, the context's deadline or its cancellation. The
/// first poll runs at once.
pub async fn wait_until<T, E, F, Fut>(
    ctx: &Context,
    backoff: Backoff,
    mut poll: F,
) -> Result<T, WaitError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, E>>,
{
    let mut interval = backoff.first;
    loop {
        let last = match poll().await.map_err(WaitError::Failed)? {
            Poll::Ready(value) => return Ok(value),
            Poll::Pending(doing) => doing,
        };
        let ended = |last: String| {
            if ctx.timed_out() {
                WaitError::TimedOut { last }
            } else {
                WaitError::Cancelled { last }
            }
        };
        if ctx.is_stopped() {
            return Err(ended(last));
        }
        tokio::select! {
            _ = ctx.stop.cancelled() => return Err(ended(last)),
            _ = tokio::time::sleep(interval) => {}
        }
        interval = backoff.next(interval);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use tokio_util::sync::CancellationToken;

    use super::*;

    fn quick() -> Backoff {
        Backoff {
            first: Duration::from_millis(1),
            max: Duration::from_millis(4),
            factor: 2.0,
        }
    }

    #[tokio::test]
    async fn returns_once_ready() {
        let ctx = Context::new(CancellationToken::new());
        let polls = AtomicU32::new(0);
        let result: Result<u32, WaitError<()>> = wait_until(&ctx, quick(), || async {
            let n = polls.fetch_add(1, Ordering::SeqCst);
            Ok(if n < 3 {
                Poll::Pending("Enabling".into())
            } else {
                Poll::Ready(n)
            })
        })
        .await;
        assert_eq!(result.unwrap(), 3);
    }

    #[tokio::test]
    async fn a_failed_poll_ends_the_wait() {
        let ctx = Context::new(CancellationToken::new());
        let result: Result<(), WaitError<&str>> =
            wait_until(&ctx, quick(), || async { Err("boom") }).await;
        assert!(matches!(result, Err(WaitError::Failed("boom"))));
    }

    #[tokio::test]
    async fn the_deadline_ends_the_wait_with_the_last_status() {
        let root = Context::new(CancellationToken::new());
        let (ctx, _guard) = root.with_timeout(Duration::from_millis(30));
        let result: Result<(), WaitError<()>> = wait_until(&ctx, quick(), || async {
            Ok(Poll::Pending("Enabling".into()))
        })
        .await;
        match result {
            Err(WaitError::TimedOut { last }) => assert_eq!(last, "Enabling"),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(!root.is_stopped(), "a timeout must not stop the provider");
    }

    #[tokio::test]
    async fn stopping_ends_the_wait_as_cancelled() {
        let stop = CancellationToken::new();
        let ctx = Context::new(stop.clone());
        stop.cancel();
        let result: Result<(), WaitError<()>> = wait_until(&ctx, quick(), || async {
            Ok(Poll::Pending("PendingEvaluation".into()))
        })
        .await;
        assert!(
            matches!(result, Err(WaitError::Cancelled { last }) if last == "PendingEvaluation")
        );
    }

    #[tokio::test]
    async fn recovery_context_outlives_a_stop() {
        let stop = CancellationToken::new();
        let ctx = Context::new(stop.clone());
        stop.cancel();
        let (recovery, _guard) = ctx.recovery();
        assert!(!recovery.is_stopped());
        assert!(recovery.deadline().is_some());
    }
}
