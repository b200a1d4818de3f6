//! The Resource Graph rows assessments and runs leave (CONTRACT §6.3), for Arc machines and
//! VMs alike: the same properties, only the `type` prefix differs. Arc LRO results also use
//! these summary properties, since the Arc result and the summary row share their fields.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{Assessment, Run, Target};
use crate::catalogue::Update;
use crate::lro::rfc3339;
use crate::state::Store;

/// Assessment results stay in Resource Graph for 7 days, installation results for 30.
const ASSESSMENT_RETENTION_DAYS: i64 = 7;
const INSTALLATION_RETENTION_DAYS: i64 = 30;

fn os_type(target: Option<&Target>) -> &'static str {
    if target.is_none_or(|t| t.windows) {
        "Windows"
    } else {
        "Linux"
    }
}

fn counts_by_classification(updates: &[Update]) -> Value {
    let count = |c: &str| {
        updates
            .iter()
            .filter(|u| u.classification.eq_ignore_ascii_case(c))
            .count()
    };
    json!({
        "security": count("Security"), "critical": count("Critical"), "definition": count("Definition"),
        "updateRollup": count("UpdateRollup"), "featurePack": count("FeaturePack"),
        "servicePack": count("ServicePack"), "tools": count("Tools"), "updates": count("Updates"),
        "other": 0,
    })
}

pub(super) fn assessment_properties(a: &Assessment, target: Option<&Target>) -> Value {
    let mut p = json!({
        "status": a.status,
        "assessmentActivityId": a.id,
        "rebootPending": a.reboot_pending,
        "availablePatchCountByClassification": counts_by_classification(&a.available),
        "startDateTime": rfc3339(a.start),
        "lastModifiedDateTime": rfc3339(a.end),
        "startedBy": "User",
        "patchServiceUsed": if os_type(target) == "Windows" { "WU" } else { "APT" },
        "osType": os_type(target),
    });
    if let Some(e) = &a.error {
        p["errorDetails"] = e.clone();
    }
    p
}

pub(super) fn count(run: &Run, state: &str) -> usize {
    run.patches.iter().filter(|(_, s)| *s == state).count()
}

pub(super) fn run_properties(run: &Run, target: Option<&Target>) -> Value {
    let mut p = json!({
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
        "lastModifiedDateTime": rfc3339(run.end),
        "startedBy": run.started_by,
        "patchServiceUsed": "WU",
        "osType": os_type(target),
    });
    if let Some(e) = &run.error {
        p["errorDetails"] = e.clone();
    }
    p
}

/// Resource Graph table names this module fills.
pub(crate) const ASSESSMENT_TABLE: &str = "patchassessmentresources";
pub(crate) const INSTALLATION_TABLE: &str = "patchinstallationresources";

fn row(
    id: String,
    name: &str,
    ty: &str,
    target: &Target,
    subscription: &str,
    properties: Value,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "type": ty,
        "location": target.location,
        "resourceGroup": target.resource_group.to_lowercase(),
        "subscriptionId": subscription,
        "properties": properties,
    })
}

pub(super) fn patch_row_properties(
    u: &Update,
    state: Option<&str>,
    modified: OffsetDateTime,
) -> Value {
    let mut p = json!({
        "patchName": u.name,
        "kbId": u.kb_id,
        "classifications": [u.classification],
        "rebootRequired": u.reboot_required(),
        "rebootBehavior": u.reboot_behavior,
        "publishedDateTime": u.published,
        "lastModifiedDateTime": rfc3339(modified),
    });
    if let Some(s) = state {
        p["installationState"] = json!(s);
    }
    p
}

/// Every row of `table` (ids lower-cased, as Update Manager writes them), within retention.
pub(crate) fn table_rows(store: &Store, subscription: &str, table: &str) -> Vec<Value> {
    let now = OffsetDateTime::now_utc();
    let mut rows = Vec::new();
    for (key, mp) in &store.patches.machines {
        let Some(target) = super::target(store, key) else {
            continue;
        };
        let machine_id = target.id(subscription).to_lowercase();
        let base_type = target.kind.graph_type();
        if table == ASSESSMENT_TABLE {
            let Some(a) = mp
                .assessment
                .as_ref()
                .filter(|a| now - a.end <= time::Duration::days(ASSESSMENT_RETENTION_DAYS))
            else {
                continue;
            };
            let id = format!("{machine_id}/patchassessmentresults/latest");
            rows.push(row(
                id.clone(),
                &a.id,
                &format!("{base_type}/patchassessmentresults"),
                &target,
                subscription,
                assessment_properties(a, Some(&target)),
            ));
            for u in &a.available {
                rows.push(row(
                    format!("{id}/softwarepatches/kb{}", u.kb_id),
                    &format!("KB{}", u.kb_id),
                    &format!("{base_type}/patchassessmentresults/softwarepatches"),
                    &target,
                    subscription,
                    patch_row_properties(u, None, a.end),
                ));
            }
        } else if table == INSTALLATION_TABLE {
            for run in mp
                .runs
                .iter()
                .filter(|r| now - r.end <= time::Duration::days(INSTALLATION_RETENTION_DAYS))
            {
                let id = format!("{machine_id}/patchinstallationresults/{}", run.id);
                let mut props = run_properties(run, Some(&target));
                if let Some(m) = &run.maintenance_run_id {
                    props["maintenanceRunId"] = json!(m);
                }
                rows.push(row(
                    id.clone(),
                    &run.id,
                    &format!("{base_type}/patchinstallationresults"),
                    &target,
                    subscription,
                    props,
                ));
                for (u, s) in &run.patches {
                    rows.push(row(
                        format!("{id}/softwarepatches/kb{}", u.kb_id),
                        &format!("KB{}", u.kb_id),
                        &format!("{base_type}/patchinstallationresults/softwarepatches"),
                        &target,
                        subscription,
                        patch_row_properties(u, Some(s), run.end),
                    ));
                }
            }
        }
    }
    rows
}
