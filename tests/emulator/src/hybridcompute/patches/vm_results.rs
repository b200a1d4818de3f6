//! Final LRO bodies of VM `assessPatches` / `installPatches` (CONTRACT §3). Unlike Arc, a VM
//! result lists every patch (`availablePatches`, `patches`), counts critical-and-security vs
//! other updates instead of per classification, has no `lastModifiedDateTime`, `startedBy`,
//! `patchServiceUsed` or `osType`, and reports failures under `error` (an `ApiError`).

use serde_json::{json, Value};

use super::rows::count;
use super::{Assessment, Run};
use crate::catalogue::Update;
use crate::lro::rfc3339;

fn is_critical_or_security(u: &Update) -> bool {
    ["Critical", "Security"]
        .iter()
        .any(|c| u.classification.eq_ignore_ascii_case(c))
}

/// Windows updates have no package version; the service reports an empty one.
fn patch(u: &Update) -> Value {
    json!({
        "patchId": format!("kb{}", u.kb_id),
        "name": u.name,
        "version": "",
        "kbId": u.kb_id,
        "classifications": [u.classification],
    })
}

fn with_error(mut body: Value, error: &Option<Value>) -> Value {
    if let Some(e) = error {
        body["error"] = e.clone();
    }
    body
}

/// `VirtualMachineAssessPatchesResult`.
pub(super) fn assessment(a: &Assessment) -> Value {
    let critical = a
        .available
        .iter()
        .filter(|u| is_critical_or_security(u))
        .count();
    let available: Vec<Value> = a
        .available
        .iter()
        .map(|u| {
            let mut p = patch(u);
            p["rebootBehavior"] = json!(u.reboot_behavior);
            p["activityId"] = json!(a.id);
            p["publishedDate"] = json!(u.published);
            p["lastModifiedDateTime"] = json!(rfc3339(a.end));
            p["assessmentState"] = json!("Available");
            p
        })
        .collect();
    with_error(
        json!({
            "status": a.status,
            "assessmentActivityId": a.id,
            "rebootPending": a.reboot_pending,
            "criticalAndSecurityPatchCount": critical,
            "otherPatchCount": a.available.len() - critical,
            "startDateTime": rfc3339(a.start),
            "availablePatches": available,
        }),
        &a.error,
    )
}

/// `VirtualMachineInstallPatchesResult`.
pub(super) fn installation(run: &Run) -> Value {
    let patches: Vec<Value> = run
        .patches
        .iter()
        .map(|(u, state)| {
            let mut p = patch(u);
            p["installationState"] = json!(state);
            p
        })
        .collect();
    with_error(
        json!({
            "status": run.status,
            "installationActivityId": run.id,
            "rebootStatus": run.reboot_status,
            "maintenanceWindowExceeded": false,
            "excludedPatchCount": count(run, "Excluded"),
            "notSelectedPatchCount": count(run, "NotSelected"),
            "pendingPatchCount": count(run, "Pending"),
            "installedPatchCount": count(run, "Installed"),
            "failedPatchCount": count(run, "Failed"),
            "startDateTime": rfc3339(run.start),
            "patches": patches,
        }),
        &run.error,
    )
}
