//! What `hotpatch_assess` and `hotpatch_install` report when their operation ends.
//!
//! Arc and VM results differ in shape (an Arc assessment counts updates per classification, a
//! VM lists every patch), so each action reduces its result to one [`Report`] and handles the
//! outcome the same way for both kinds: the summary is the last progress line, the status
//! decides whether the action fails, and the service's reason explains why.

use armclient::models::hybridcompute::PatchOperationStatus;
use armclient::ErrorDetail;

/// The outcome of an assessment or update run, whichever kind of machine ran it.
pub struct Report {
    pub status: Option<PatchOperationStatus>,
    pub summary: String,
    /// The service's reason for a failure, or a placeholder when it gave none.
    pub error: String,
}

impl Report {
    pub fn new(
        status: Option<PatchOperationStatus>,
        summary: String,
        error: Option<&ErrorDetail>,
    ) -> Self {
        Report {
            status,
            summary,
            error: error.map_or("no reason given".to_owned(), |e| e.to_string()),
        }
    }
}

/// How an operation ended, as a summary says it (`finished` when the service does not say).
pub fn status_word(status: Option<&PatchOperationStatus>) -> &str {
    status.map_or("finished", |s| s.as_str())
}
