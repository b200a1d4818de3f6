//! Bridges the ARM client's LRO progress callback (synchronous, called after each poll) to
//! Terraform's action progress stream (asynchronous), so users see the operation's status
//! while `terraform apply -invoke=...` waits.

use std::future::Future;
use std::sync::Arc;

use armclient::{LroProgress, ProgressFn};
use tfframework::ProgressSender;

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
