//! What an operation's status word means (CONTRACT 1.4), in one place.
//!
//! The contract says the terminal words are exactly `Succeeded`, `Failed` and `Canceled`, and
//! that any other value means "still running"; resource providers do invent running words
//! freely (`Enabling`, `Migrating`, ...). Taken literally, though, a word the client cannot
//! read — a new terminal word, `Cancelled` spelt the British way, an empty status — would keep
//! a Terraform run waiting until its deadline, which for a patch install is hours. The two
//! rules are reconciled like this:
//!
//! * the three terminal words end the wait (case-insensitively);
//! * the running words ARM and its providers are known to use ([`RUNNING`]) keep it going;
//! * any other word is [`StatusKind::Unrecognised`]: it is probably running too, so polling
//!   goes on, but only for [`crate::PollPolicy::unrecognised_status_limit`]; if the service is
//!   still reporting unrecognised words then, the wait ends with
//!   [`crate::ArmError::OperationUnfinished`] naming the word (the operation was accepted, so
//!   the caller reads the object back).

/// How a status word is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusKind {
    Succeeded,
    Failed,
    Canceled,
    /// A known running word.
    Running,
    /// Neither terminal nor a known running word (an empty status included).
    Unrecognised,
}

impl StatusKind {
    /// Whether the wait goes on (running, or not yet given up on).
    pub fn is_pending(self) -> bool {
        matches!(self, StatusKind::Running | StatusKind::Unrecognised)
    }
}

/// Status words known to mean "still running": ARM's generic ones and those of the resource
/// providers this client talks to (`provisioningState`s included).
pub const RUNNING: &[&str] = &[
    "InProgress",
    "Running",
    "Accepted",
    "NotStarted",
    "Started",
    "Pending",
    "Queued",
    "Creating",
    "Updating",
    "Deleting",
    "Enabling",
    "Disabling",
    "Provisioning",
    "Migrating",
    "Registering",
    "Unregistering",
    "Starting",
    "Stopping",
    "Restarting",
    "Deallocating",
    "Suspending",
    "Resuming",
    "Upgrading",
    "Validating",
];

/// Classifies a status word (`status` of an `Azure-AsyncOperation` monitor, or a
/// `provisioningState`), ignoring case and surrounding whitespace.
pub fn classify(word: &str) -> StatusKind {
    let w = word.trim();
    if w.eq_ignore_ascii_case("Succeeded") {
        StatusKind::Succeeded
    } else if w.eq_ignore_ascii_case("Failed") {
        StatusKind::Failed
    } else if w.eq_ignore_ascii_case("Canceled") {
        StatusKind::Canceled
    } else if RUNNING.iter().any(|r| r.eq_ignore_ascii_case(w)) {
        StatusKind::Running
    } else {
        StatusKind::Unrecognised
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words() {
        assert_eq!(classify("Succeeded"), StatusKind::Succeeded);
        assert_eq!(classify(" succeeded "), StatusKind::Succeeded);
        assert_eq!(classify("FAILED"), StatusKind::Failed);
        assert_eq!(classify("Canceled"), StatusKind::Canceled);
        for w in [
            "InProgress",
            "running",
            "Accepted",
            "NotStarted",
            "Enabling",
        ] {
            assert_eq!(classify(w), StatusKind::Running, "{w}");
        }
        for w in ["", "Cancelled", "Done", "SomethingNew", "Succeeded!"] {
            assert_eq!(classify(w), StatusKind::Unrecognised, "{w:?}");
        }
    }

    proptest! {
        #[test]
        fn classification_is_total(w in ".{0,40}") {
            let k = classify(&w);
            let terminal = ["Succeeded", "Failed", "Canceled"]
                .iter()
                .any(|t| t.eq_ignore_ascii_case(w.trim()));
            prop_assert_eq!(k.is_pending(), !terminal);
        }
    }
}
