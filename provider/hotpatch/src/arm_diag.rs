//! ARM failures as Terraform diagnostics.
//!
//! Users need the service's own words (error code and message, and for sign-in failures the
//! Entra ID AADSTS text) plus what the provider was doing; request ids let support trace it.

use armclient::ArmError;
use tfframework::{AttributePath, Context, Diagnostic, Diagnostics};

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

/// An error diagnostic for a failed ARM call bounded by an operation's context: a call cut
/// short by the operation's deadline reads as a timeout that the `timeouts` block can raise,
/// not as "cancelled", which users take for their own Ctrl-C.
pub fn op_error(ctx: &Context, doing: &str, err: &ArmError) -> Diagnostic {
    if err.is_cancelled() && ctx.timed_out() {
        return Diagnostic::error(
            format!("Timed out {doing}"),
            format!("The operation's timeout ran out while {doing}. Raise it in the resource's `timeouts` block to wait longer."),
        );
    }
    arm_error(doing, err)
}

/// The same, attached to an attribute.
pub fn arm_error_at(doing: &str, err: &ArmError, path: AttributePath) -> Diagnostic {
    arm_error(doing, err).at(path)
}

/// What a resource read returns for one ARM lookup: gone when ARM has no such object, the
/// state `to_state` builds when it has (`None` there also means gone), and on any other failure
/// the current state kept with the error, because Terraform must not forget an object it merely
/// could not read.
/// `S` is the resource's state: its model, or a cty value.
pub fn read_outcome<T, S: Clone>(
    current: &S,
    doing: &str,
    lookup: Result<Option<T>, ArmError>,
    to_state: impl FnOnce(T) -> Option<S>,
) -> (Option<S>, Diagnostics) {
    match lookup {
        Ok(found) => (found.and_then(to_state), Diagnostics::new()),
        Err(e) => (Some(current.clone()), arm_error(doing, &e).into()),
    }
}

/// What a resource delete returns for one ARM DELETE: an object that is already gone is the
/// outcome Terraform asked for, so a 404 is success too.
pub fn delete_outcome(doing: &str, result: Result<(), ArmError>) -> Diagnostics {
    match result {
        Err(e) if !e.is_not_found() => arm_error(doing, &e).into(),
        _ => Diagnostics::new(),
    }
}
