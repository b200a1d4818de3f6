//! Faults in the middle of a write, shared by the resources' reliability tests: reads that start
//! failing at a chosen request, and Ctrl-C once ARM has accepted a write.

use std::process::Child;
use std::thread::sleep;
use std::time::{Duration, Instant};

use arm_emulator::{Fault, FaultAction};

use crate::env::TestEnv;
use crate::terraform::interrupt;

/// `method` requests to paths containing `path` answer `status` from the `skip`-th on (for
/// `count` of them, `None`: all), with `Retry-After: 1` so the provider's retries stay short.
pub fn failing(method: &str, path: &str, status: u16, skip: u32, count: Option<u32>) -> Fault {
    Fault {
        method: None,
        path_contains: None,
        skip,
        count,
        action: FaultAction::Error {
            status,
            code: "InjectedFailure".into(),
            message: Some("injected by the test".into()),
            retry_after: Some("1".into()),
        },
    }
    .matching(Some(method), Some(path))
}

/// Waits until ARM has accepted a PUT or PATCH to a path containing `path`, lets the provider
/// settle into its wait, then presses Ctrl-C (SIGINT to Terraform, which sends StopProvider).
pub fn interrupt_after_write(env: &TestEnv, child: &mut Child, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let accepted = env.emulator.requests().iter().any(|r| {
            matches!(r.method.as_str(), "PUT" | "PATCH")
                && r.path.contains(path)
                && (200..300).contains(&r.status)
        });
        if accepted {
            break;
        }
        if let Some(status) = child.try_wait().expect("terraform status") {
            panic!("terraform exited ({status}) before the write reached ARM");
        }
        assert!(Instant::now() < deadline, "the write never reached ARM");
        sleep(Duration::from_millis(100));
    }
    sleep(Duration::from_secs(2));
    interrupt(child);
}
