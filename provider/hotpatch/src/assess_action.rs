//! `hotpatch_assess`: "Check for updates" now on one Arc machine or Azure VM (`assessPatches`).
//!
//! The assessment is a long-running POST; its progress is streamed to Terraform while it runs
//! and the action ends with the counts the service returns. The per-KB list lands in Resource
//! Graph, where `hotpatch_available_updates` reads it. Arc and VM results differ in shape, so
//! each is reduced to one [`Report`] and the rest of the action is the same for both.

use armclient::models::compute::{self, VirtualMachineAssessPatchesResult};
use armclient::models::hybridcompute::{MachineAssessPatchesResult, PatchOperationStatus};
use async_trait::async_trait;
use tfframework::{Action, Context, Diagnostic, Diagnostics, Model, ProgressSender};

use crate::action_progress::{action_error, with_progress};
use crate::machine_id::{AnyMachineId, MachineKind};
use crate::machine_target::{self, MachineTarget};
use crate::patch_report::{status_word, Report};
use crate::provider_data::HotpatchData;

/// Checks an Azure Arc-enabled machine or Azure VM for updates now (Update Manager assessment)
/// and reports how many are available; read the list with `hotpatch_available_updates`.
#[derive(Model)]
pub struct AssessConfig {
    /// ARM id of the `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines`
    /// resource (compared case-insensitively).
    #[tf(required, validator = AnyMachineId)]
    machine_id: String,
}

pub struct AssessAction;

/// The operation the action POSTs.
const OPERATION: &str = "assessPatches";

/// The POST's body, the same for both kinds: the operation takes no arguments, and the
/// service's examples send an empty object.
fn body() -> serde_json::Map<String, serde_json::Value> {
    serde_json::Map::new()
}

fn reboot_pending(r: Option<bool>) -> &'static str {
    if r == Some(true) {
        "yes"
    } else {
        "no"
    }
}

fn arc_report(name: &str, r: MachineAssessPatchesResult) -> Report {
    let c = r
        .available_patch_count_by_classification
        .clone()
        .unwrap_or_default();
    let n = |v: Option<i32>| v.unwrap_or(0);
    let total = [
        c.security,
        c.critical,
        c.definition,
        c.update_rollup,
        c.feature_pack,
        c.service_pack,
        c.tools,
        c.updates,
        c.other,
    ]
    .into_iter()
    .map(n)
    .sum::<i32>();
    let summary = format!(
        "Assessment of {name} {}: {total} updates available (security {}, critical {}, definition {}, update rollup {}, other {}); reboot pending: {}.",
        status_word(r.status.as_ref()),
        n(c.security),
        n(c.critical),
        n(c.definition),
        n(c.update_rollup),
        total - n(c.security) - n(c.critical) - n(c.definition) - n(c.update_rollup),
        reboot_pending(r.reboot_pending),
    );
    Report::new(r.status, summary, r.error_details.as_ref())
}

/// A VM result lists its patches, so the summary names the hotpatches among them.
fn vm_report(name: &str, r: VirtualMachineAssessPatchesResult) -> Report {
    let patches = r.available_patches.as_deref().unwrap_or_default();
    let hotpatches: Vec<&str> = patches
        .iter()
        .filter(|p| p.reboot_behavior == Some(compute::PatchRebootBehavior::NeverReboots))
        .filter_map(|p| p.kb_id.as_deref())
        .collect();
    let n = |v: Option<i32>| v.unwrap_or(0);
    let summary = format!(
        "Assessment of {name} {}: {} updates available (critical and security {}, other {}); {} never reboot{}; reboot pending: {}.",
        status_word(r.status.as_ref()),
        n(r.critical_and_security_patch_count) + n(r.other_patch_count),
        n(r.critical_and_security_patch_count),
        n(r.other_patch_count),
        hotpatches.len(),
        if hotpatches.is_empty() { String::new() } else { format!(" (KB {})", hotpatches.join(", ")) },
        reboot_pending(r.reboot_pending),
    );
    Report::new(r.status, summary, r.error.as_ref())
}

#[async_trait]
impl Action<HotpatchData> for AssessAction {
    type Config = AssessConfig;
    const TYPE_NAME: &'static str = "hotpatch_assess";

    async fn plan(
        &self,
        ctx: &Context,
        data: Option<&HotpatchData>,
        config: &AssessConfigPlan,
    ) -> Diagnostics {
        machine_target::check_exists(ctx, data, &config.machine_id, AssessConfig::MACHINE_ID).await
    }

    async fn invoke(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        config: &AssessConfig,
        progress: &ProgressSender,
    ) -> Diagnostics {
        let target = match MachineTarget::new(&config.machine_id, AssessConfig::MACHINE_ID) {
            Ok(t) => t,
            Err(d) => return d.into(),
        };
        let name = target.name().to_owned();
        progress
            .send(format!("Assessing {name} for updates..."))
            .await;
        let path = target.operation_path(OPERATION);
        let api = target.api_version();
        let body = body();
        let arm = &data.arm_for(ctx);
        let result = with_progress(progress, format!("Assessment of {name}"), |cb| async move {
            Ok(match target.kind {
                MachineKind::Arc => arm
                    .post_lro::<_, MachineAssessPatchesResult>(&path, api, &body, Some(cb))
                    .await?
                    .map(|r| arc_report(&name, r)),
                MachineKind::Vm => arm
                    .post_lro::<_, VirtualMachineAssessPatchesResult>(&path, api, &body, Some(cb))
                    .await?
                    .map(|r| vm_report(&name, r)),
            })
        })
        .await;
        match result {
            Err(e) => action_error("assessing the machine for updates", &e).into(),
            Ok(None) => Diagnostic::error(
                "Assessment returned no result",
                format!(
                    "The assessment of {} finished without a result.",
                    config.machine_id
                ),
            )
            .into(),
            Ok(Some(r)) => {
                progress.send(r.summary).await;
                match &r.status {
                    Some(PatchOperationStatus::Failed) => Diagnostic::error(
                        "Assessment failed",
                        format!(
                            "The assessment of {} failed: {}",
                            config.machine_id, r.error
                        ),
                    )
                    .into(),
                    _ => Diagnostics::new(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The wire format of the assessment POST, one place to read it (CONTRACT §2.4 Arc, §3 VM:
    //! "no request body; send an empty JSON object").

    use serde_json::json;

    use super::*;
    use crate::machine_target::test_ids::{ARC, VM};

    /// The request the action sends for `machine_id`: path, api-version and body as JSON.
    fn request(machine_id: &str) -> (String, &'static str, serde_json::Value) {
        let target = MachineTarget::new(machine_id, AssessConfig::MACHINE_ID).unwrap();
        let sent = serde_json::to_vec(&body()).unwrap();
        (
            target.operation_path(OPERATION),
            target.api_version(),
            serde_json::from_slice(&sent).unwrap(),
        )
    }

    #[test]
    fn arc_post() {
        assert_eq!(
            request(ARC),
            (format!("{ARC}/assessPatches"), "2025-01-13", json!({}))
        );
    }

    #[test]
    fn vm_post() {
        assert_eq!(
            request(VM),
            (format!("{VM}/assessPatches"), "2025-04-01", json!({}))
        );
    }
}
