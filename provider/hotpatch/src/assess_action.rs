//! `hotpatch_assess`: "Check for updates" now on one Arc machine or Azure VM (`assessPatches`).
//!
//! The assessment is a long-running POST; its progress is streamed to Terraform while it runs
//! and the action ends with the counts the service returns. The per-KB list lands in Resource
//! Graph, where `hotpatch_available_updates` reads it. Arc and VM results differ in shape (Arc
//! counts per classification, a VM lists every patch), so each is reduced to one [`Report`] and
//! the rest of the action is the same for both.

use armclient::models::compute::{self, VirtualMachineAssessPatchesResult};
use armclient::models::hybridcompute::{self, MachineAssessPatchesResult, PatchOperationStatus};
use armclient::ErrorDetail;
use async_trait::async_trait;
use tfframework::raw;
use tfframework::{
    AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics, ObjectReader,
    ProgressSender, Value,
};

use crate::action_progress::with_progress;
use crate::arm_diag::{arm_error, arm_error_at};
use crate::machine_facts;
use crate::machine_id::{machine_kind, AnyMachineId, MachineKind};
use crate::provider::HotpatchData;

pub struct AssessAction;

pub(crate) fn machine_id_attribute() -> AttributeSchema {
    AttributeSchema::string("machine_id")
        .required()
        .validator(AnyMachineId)
        .description("ARM id of the `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines` resource (compared case-insensitively).")
}

/// The kind of machine `config.machine_id` names (the validator already accepted it).
pub(crate) fn config_machine(config: &Value) -> Result<(String, MachineKind), Diagnostic> {
    let id = ObjectReader::new(config).get::<String>("machine_id")?;
    let kind = machine_kind(&id).map_err(|e| {
        Diagnostic::error("Invalid machine id", e).at(AttributePath::attr("machine_id"))
    })?;
    Ok((id, kind))
}

/// The api-version of the resource provider that owns `kind` machines.
pub(crate) fn api_version(kind: MachineKind) -> &'static str {
    match kind {
        MachineKind::Arc => hybridcompute::API_VERSION,
        MachineKind::Vm => compute::API_VERSION,
    }
}

/// The service's reason, or a placeholder.
pub(crate) fn reason(error: Option<&ErrorDetail>) -> String {
    error.map_or("no reason given".to_owned(), |e| e.to_string())
}

/// Plan-time: the machine must exist before the action is allowed to run.
pub(crate) async fn check_machine(data: Option<&HotpatchData>, config: &Value) -> Diagnostics {
    let (Some(data), Some(id)) = (data, config.attr("machine_id").and_then(Value::as_str)) else {
        return Diagnostics::new();
    };
    let Ok(kind) = machine_kind(id) else {
        return Diagnostics::new();
    };
    let path = AttributePath::attr("machine_id");
    match machine_facts::read(&data.arm, id, kind).await {
        Ok(Some(_)) => Diagnostics::new(),
        Ok(None) => Diagnostic::error(
            "Machine not found",
            format!("machine_id {id} does not exist (or the credentials cannot see it)."),
        )
        .at(path)
        .into(),
        Err(e) => arm_error_at("reading the machine during plan", &e, path).into(),
    }
}

/// The last path segment of an id, for messages.
pub(crate) fn short_name(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// What the action reports of an assessment, whichever kind of machine ran it.
struct Report {
    status: Option<PatchOperationStatus>,
    summary: String,
    error: String,
}

fn reboot_pending(r: Option<bool>) -> &'static str {
    if r == Some(true) {
        "yes"
    } else {
        "no"
    }
}

fn status_word(s: Option<&PatchOperationStatus>) -> &str {
    s.map_or("finished", |s| s.as_str())
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
    Report {
        error: reason(r.error_details.as_ref()),
        status: r.status,
        summary,
    }
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
    Report {
        error: reason(r.error.as_ref()),
        status: r.status,
        summary,
    }
}

#[async_trait]
impl raw::Action<HotpatchData> for AssessAction {
    fn type_name(&self) -> &str {
        "hotpatch_assess"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .description("Checks an Azure Arc-enabled machine or Azure VM for updates now (Update Manager assessment) and reports how many are available; read the list with `hotpatch_available_updates`.")
            .attribute(machine_id_attribute())
    }

    async fn plan(
        &self,
        _ctx: &Context,
        data: Option<&HotpatchData>,
        config: &Value,
    ) -> Diagnostics {
        check_machine(data, config).await
    }

    async fn invoke(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        config: &Value,
        progress: &ProgressSender,
    ) -> Diagnostics {
        let (machine_id, kind) = match config_machine(config) {
            Ok(m) => m,
            Err(d) => return d.into(),
        };
        let name = short_name(&machine_id).to_owned();
        progress
            .send(format!("Assessing {name} for updates..."))
            .await;
        let path = format!("{machine_id}/assessPatches");
        let body = serde_json::Map::new();
        let api = api_version(kind);
        let result = with_progress(progress, format!("Assessment of {name}"), |cb| async move {
            Ok(match kind {
                MachineKind::Arc => data
                    .arm
                    .post_lro::<_, MachineAssessPatchesResult>(&path, api, &body, Some(cb))
                    .await?
                    .map(|r| arc_report(&name, r)),
                MachineKind::Vm => data
                    .arm
                    .post_lro::<_, VirtualMachineAssessPatchesResult>(&path, api, &body, Some(cb))
                    .await?
                    .map(|r| vm_report(&name, r)),
            })
        })
        .await;
        match result {
            Err(e) => arm_error("assessing the machine for updates", &e).into(),
            Ok(None) => Diagnostic::error(
                "Assessment returned no result",
                format!("The assessment of {machine_id} finished without a result."),
            )
            .into(),
            Ok(Some(r)) => {
                progress.send(r.summary).await;
                match &r.status {
                    Some(PatchOperationStatus::Failed) => Diagnostic::error(
                        "Assessment failed",
                        format!("The assessment of {machine_id} failed: {}", r.error),
                    )
                    .into(),
                    _ => Diagnostics::new(),
                }
            }
        }
    }
}
