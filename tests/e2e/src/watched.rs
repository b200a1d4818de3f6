//! Running a Terraform command the way a watching user would: its output collected as it comes,
//! Ctrl-C (SIGINT) sent once when a condition first holds, and a hard stop if it hangs.
//!
//! A long `apply` prints more than a pipe holds, so its output is drained by reader threads while
//! the command runs (a test that only waits would deadlock it). SIGINT goes to Terraform alone,
//! as `kill -INT` would send it: Terraform then asks its providers to stop (StopProvider), waits
//! for the operations in flight and saves the state. The deadline only guards against hangs; it
//! is never a speed assertion.

use std::io::Read;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::terraform::{interrupt as ctrl_c, Terraform, TfOutput};

/// How a watched command ended.
#[derive(Debug)]
pub struct Watched {
    pub output: TfOutput,
    /// Wall time from start to exit.
    pub elapsed: Duration,
    /// When SIGINT was sent, counted from the start (`None`: it was not sent).
    pub interrupted_after: Option<Duration>,
}

/// When to send Ctrl-C: polled while the command runs; the first `true` sends it (once).
pub type InterruptWhen<'a> = &'a mut dyn FnMut() -> bool;

/// How often the interrupt condition and the exit are polled.
const POLL: Duration = Duration::from_millis(200);

fn drain(mut stream: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `terraform <args>`, sending SIGINT once when `interrupt` first returns true (it is not
/// called after that). Panics, after killing Terraform, if it is still running after `deadline`.
pub fn run(
    tf: &Terraform,
    args: &[&str],
    deadline: Duration,
    mut interrupt: Option<InterruptWhen<'_>>,
) -> Watched {
    let start = Instant::now();
    let mut child = tf.spawn(args);
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let mut interrupted_after = None;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll terraform") {
            break status;
        }
        if interrupted_after.is_none() {
            if let Some(when) = interrupt.as_mut() {
                if when() {
                    ctrl_c(&child);
                    interrupted_after = Some(start.elapsed());
                }
            }
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "terraform {args:?} still ran after {deadline:?}; killed\n--- stdout\n{}\n--- stderr\n{}",
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default()
            );
        }
        std::thread::sleep(POLL);
    };
    let elapsed = start.elapsed();
    Watched {
        output: TfOutput {
            code: status.code().unwrap_or(-1),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        },
        elapsed,
        interrupted_after,
    }
}
