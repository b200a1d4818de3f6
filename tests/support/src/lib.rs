//! What every crate's tests share, so the rules below have one home.
//!
//! A test that cannot run its checks (the contract data beside the repository is missing, a
//! tool is not installed) must never show "ok" silently: under `CI` it fails, and otherwise it
//! writes a `SKIPPED` line straight to the process's stderr, which the test harness does not
//! capture (it captures only `print!`/`eprint!`), so a plain `cargo test` shows it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Whether the tests run under CI (`CI` set to anything but empty, `0` or `false`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// What to do about a test that cannot run its checks.
#[derive(Debug, PartialEq, Eq)]
pub enum CannotRun {
    /// Under CI: the test must fail with this message.
    Fail(String),
    /// Elsewhere: announce this line and let the test return.
    Announce(String),
}

/// The decision for `test`, which cannot run because of `reason` (pure, for testing).
pub fn decide(test: &str, reason: &str, ci: bool) -> CannotRun {
    if ci {
        CannotRun::Fail(format!(
            "{test}: cannot run its checks: {reason} (CI is set, so a skip is a failure)"
        ))
    } else {
        CannotRun::Announce(format!(
            "SKIPPED {test}: {reason}; its checks did NOT run (with CI set this fails)"
        ))
    }
}

/// Fails under CI; otherwise announces the skip where the harness cannot hide it. Call it and
/// return from the test.
pub fn cannot_run(test: &str, reason: &str) {
    match decide(test, reason, in_ci()) {
        CannotRun::Fail(message) => panic!("{message}"),
        CannotRun::Announce(message) => {
            let _ = writeln!(std::io::stderr().lock(), "\n{message}");
        }
    }
}

/// `<repo>/../shared/arm` (the official specs and examples; only tests read them), found from
/// a crate's manifest dir by walking up to the workspace root (the folder with `Cargo.lock`).
pub fn shared_arm_dir_from(manifest_dir: &Path) -> Option<PathBuf> {
    let root = manifest_dir
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())?;
    let dir = root.join("../shared/arm");
    dir.is_dir().then_some(dir)
}

/// [`shared_arm_dir_from`], or `None` after [`cannot_run`] for `test`.
pub fn shared_arm_dir_or_skip(manifest_dir: &Path, test: &str) -> Option<PathBuf> {
    let found = shared_arm_dir_from(manifest_dir);
    if found.is_none() {
        cannot_run(
            test,
            "../shared/arm (the official ARM specs and examples beside the repository) is missing",
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_under_ci_and_announces_elsewhere() {
        assert!(matches!(decide("t", "r", true), CannotRun::Fail(m) if m.contains("cannot run")));
        assert!(
            matches!(decide("t", "r", false), CannotRun::Announce(m) if m.starts_with("SKIPPED t:") && m.contains("did NOT run"))
        );
    }

    #[test]
    fn finds_the_workspace_root_from_a_crate() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = here.ancestors().find(|d| d.join("Cargo.lock").is_file());
        assert_eq!(
            root,
            Some(here.join("../..").canonicalize().unwrap().as_path())
        );
    }
}
