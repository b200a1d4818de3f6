//! Bridges the ARM client's LRO progress callback (synchronous, called after each poll) to
//! Terraform's action progress stream (asynchronous), so users see the operation's status
//! while `terraform apply -invoke=...` waits.

use std::future::Future;
use std::sync::Arc;

use armclient::{ArmError, LroProgress, ProgressFn};
use tfframework::{Diagnostic, ProgressSender};

use crate::arm_diag::arm_error;

/// Runs `operation` with a progress callback whose reports reach `progress` as
/// `"<label>: <status> (<seconds>s)"` while the operation is still running.
pub async fn with_progress<F, T>(
    progress: &ProgressSender,
    label: String,
    operation: impl FnOnce(ProgressFn) -> F,
) -> T
where
    F: Future<Output = T>,
{
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let callback: ProgressFn = Arc::new(move |p: &LroProgress| {
        // A closed channel only means the operation already returned.
        let _ = tx.send(format!("{label}: {} ({}s)", p.status, p.elapsed.as_secs()));
    });
    let running = operation(callback);
    tokio::pin!(running);
    loop {
        tokio::select! {
            out = &mut running => {
                while let Ok(message) = rx.try_recv() {
                    progress.send(message).await;
                }
                return out;
            }
            Some(message) = rx.recv() => progress.send(message).await,
        }
    }
}

/// The error of an action's ARM call. An assessment or install the service may have started
/// (Ctrl-C, or a lost answer, after the POST was sent) runs on, on the machine, whatever
/// happens to this Terraform run; the error says so and where to see how it ends, so nobody
/// starts a second run on top of it.
pub fn action_error(doing: &str, err: &ArmError) -> Diagnostic {
    let mut d = arm_error(doing, err);
    if err.may_have_written() {
        d.detail.push_str(
            "\n\nThe service may have started the run: it goes on on the machine even though \
             Terraform stopped waiting. hotpatch_update_history (installs) and \
             hotpatch_available_updates (assessments) show how it ends.",
        );
    }
    d
}
