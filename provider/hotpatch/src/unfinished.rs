//! Why apply stopped waiting for the outcome of a write ARM may have accepted.
//!
//! After such a write the resources record what they can read back and say, in a warning or an
//! error, what is unfinished. The reason is told the same way everywhere: the operation's
//! timeout (which `timeouts` can raise), Terraform asking the provider to stop (Ctrl-C,
//! SIGTERM), or a failure with the service's own words. A call cut short by the deadline fails
//! as "cancelled", so the context, not the error, says which of the first two it was.

use armclient::ArmError;
use tfframework::wait::WaitError;
use tfframework::Context;

/// Why the provider stopped waiting for a write ARM may have accepted.
#[derive(Debug)]
pub(crate) struct Unfinished {
    /// One clause, e.g. "the operation's timeout ran out while the Hotpatch feature was
    /// Enabling".
    pub reason: String,
    /// The write's own failure, when it had one.
    pub lost: Option<ArmError>,
    /// Whether the operation's timeout ended it (the `timeouts` block can raise it).
    pub timed_out: bool,
    /// Whether the operation's context ended it (timeout or Ctrl-C), as opposed to a failure.
    pub stopped: bool,
}

impl Unfinished {
    /// The write failed after its request may have reached ARM.
    pub fn after_write(ctx: &Context, error: ArmError) -> Self {
        let reason = stop_reason(ctx).unwrap_or_else(|| {
            "ARM's answer to the write was lost or its operation could not be followed".to_owned()
        });
        Unfinished {
            reason,
            lost: Some(error),
            timed_out: ctx.timed_out(),
            stopped: ctx.is_stopped(),
        }
    }

    /// The wait for the write's outcome ended without one. `subject` names what was watched
    /// ("the Hotpatch feature") and `reading` what was read ("the license profile").
    pub fn after_wait(
        ctx: &Context,
        wait: &WaitError<ArmError>,
        subject: &str,
        reading: &str,
        lost: Option<ArmError>,
    ) -> Self {
        let was = match wait.last_seen() {
            Some(word) => format!(" while {subject} was {word}"),
            None => String::new(),
        };
        let reason = match (stop_reason(ctx), wait) {
            (Some(stopped), _) => format!("{stopped}{was}"),
            (None, WaitError::Failed(e)) => format!("reading {reading} failed: {e}"),
            (None, _) => format!("the wait ended{was}"),
        };
        Unfinished {
            reason,
            lost,
            timed_out: ctx.timed_out(),
            stopped: ctx.is_stopped(),
        }
    }

    /// The reason, with the write's own error when it says more than the reason (a write cut
    /// short by the same stop says "cancelled", which the reason already tells better).
    pub fn describe(&self) -> String {
        match &self.lost {
            Some(e) if !e.is_cancelled() => {
                format!("{} (the write itself ended with: {e})", self.reason)
            }
            _ => self.reason.clone(),
        }
    }

    /// A sentence to append when raising `timeouts.<operation>` would help.
    pub fn raise_hint(&self, operation: &str) -> String {
        if self.timed_out {
            format!(" Raise `timeouts.{operation}` to wait longer.")
        } else {
            String::new()
        }
    }
}

/// Why the operation's context ended, if it did.
fn stop_reason(ctx: &Context) -> Option<String> {
    if ctx.timed_out() {
        Some("the operation's timeout ran out".to_owned())
    } else if ctx.is_stopped() {
        Some("Terraform asked the provider to stop (Ctrl-C)".to_owned())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio_util::sync::CancellationToken;

    use super::*;

    #[tokio::test]
    async fn the_context_says_whether_it_was_the_timeout_or_ctrl_c() {
        let stop = CancellationToken::new();
        let root = Context::new(stop.clone());
        let (ctx, _guard) = root.with_timeout(Duration::from_millis(1));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let wait = WaitError::<ArmError>::Failed(ArmError::Cancelled);
        let u = Unfinished::after_wait(&ctx, &wait, "the feature", "the profile", None);
        assert_eq!(u.reason, "the operation's timeout ran out");
        assert!(u.timed_out);
        assert_eq!(
            u.raise_hint("create"),
            " Raise `timeouts.create` to wait longer."
        );

        stop.cancel();
        let wait = WaitError::<ArmError>::Cancelled {
            last: "Enabling".into(),
        };
        let u = Unfinished::after_wait(&root, &wait, "the feature", "the profile", None);
        assert_eq!(
            u.reason,
            "Terraform asked the provider to stop (Ctrl-C) while the feature was Enabling"
        );
        assert_eq!(u.raise_hint("create"), "");
    }

    #[tokio::test]
    async fn a_failed_read_says_what_failed() {
        let ctx = Context::new(CancellationToken::new());
        let wait = WaitError::Failed(ArmError::Config("boom".into()));
        let u = Unfinished::after_wait(&ctx, &wait, "the feature", "the profile", None);
        assert_eq!(
            u.reason,
            "reading the profile failed: invalid Azure configuration: boom"
        );
        assert_eq!(u.describe(), u.reason);
    }
}
