//! ARM failures as Terraform diagnostics.
//!
//! Users need the service's own words (error code and message, and for sign-in failures the
//! Entra ID AADSTS text) plus what the provider was doing; request ids let support trace it.

use armclient::ArmError;
use tfframework::{AttributePath, Diagnostic};

/// An error diagnostic for a failed ARM call made while `doing` something.
pub fn arm_error(doing: &str, err: &ArmError) -> Diagnostic {
    let summary = if err.is_auth() {
        "Azure authentication failed".to_string()
    } else if err.is_cancelled() {
        "Operation cancelled".to_string()
    } else {
        format!("Failed {doing}")
    };
    let mut detail = format!("While {doing}: {err}");
    if let Some(id) = err.request_id() {
        detail.push_str(&format!("\n\nARM request id: {id}"));
    }
    Diagnostic::error(summary, detail)
}

/// The same, attached to an attribute.
pub fn arm_error_at(doing: &str, err: &ArmError, path: AttributePath) -> Diagnostic {
    arm_error(doing, err).at(path)
}
