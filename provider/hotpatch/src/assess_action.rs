//! `hotpatch_assess`: "Check for updates" now on one Arc machine (`assessPatches`).
//!
//! The assessment is a long-running POST; its progress is streamed to Terraform while it runs
//! and the action ends with the counts the service returns. The per-KB list lands in Resource
//! Graph, where `hotpatch_available_updates` reads it.

use armclient::models::hybridcompute::Machine;
use armclient::models::hybridcompute::{
    MachineAssessPatchesResult, PatchOperationStatus, API_VERSION,
};
use async_trait::async_trait;
use tfframework::{
    Action, AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics,
    ObjectReader, ProgressSender, Value,
};

use crate::action_progress::with_progress;
use crate::arm_diag::{arm_error, arm_error_at};
use crate::machine_id::ArcMachineId;
use crate::provider::HotpatchData;

pub struct AssessAction;

pub(crate) fn machine_id_attribute() -> AttributeSchema {
    AttributeSchema::string("machine_id")
        .required()
        .validator(ArcMachineId)
        .description("ARM id of the `Microsoft.HybridCompute/machines` resource (compared case-insensitively).")
}

/// Plan-time: the machine must exist before the action is allowed to run.
pub(crate) async fn check_machine(data: Option<&HotpatchData>, config: &Value) -> Diagnostics {
    let (Some(data), Some(id)) = (data, config.attr("machine_id").and_then(Value::as_str)) else {
        return Diagnostics::new();
    };
    let path = AttributePath::attr("machine_id");
    match data.arm.get_optional::<Machine>(id, API_VERSION).await {
        Ok(Some(_)) => Diagnostics::new(),
        Ok(None) => Diagnostic::error(
            "Arc machine not found",
            format!("machine_id {id} does not exist (or the credentials cannot see it)."),
        )
        .at(path)
        .into(),
        Err(e) => arm_error_at("reading the Arc machine during plan", &e, path).into(),
    }
}

/// The last path segment of an id, for messages.
pub(crate) fn short_name(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

fn summary(name: &str, r: &MachineAssessPatchesResult) -> String {
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
    format!(
        "Assessment of {name} {}: {total} updates available (security {}, critical {}, definition {}, update rollup {}, other {}); reboot pending: {}.",
        r.status.as_ref().map_or("finished", |s| s.as_str()),
        n(c.security),
        n(c.critical),
        n(c.definition),
        n(c.update_rollup),
        total - n(c.security) - n(c.critical) - n(c.definition) - n(c.update_rollup),
        if r.reboot_pending == Some(true) { "yes" } else { "no" },
    )
}

#[async_trait]
impl Action<HotpatchData> for AssessAction {
    fn type_name(&self) -> &str {
        "hotpatch_assess"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .description("Checks an Azure Arc-enabled machine for updates now (Update Manager assessment) and reports how many are available; read the list with `hotpatch_available_updates`.")
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
        let machine_id = match ObjectReader::new(config).get::<String>("machine_id") {
            Ok(id) => id,
            Err(d) => return d.into(),
        };
        let name = short_name(&machine_id).to_owned();
        progress
            .send(format!("Assessing {name} for updates..."))
            .await;
        let path = format!("{machine_id}/assessPatches");
        let body = serde_json::Map::new();
        let result = with_progress(progress, format!("Assessment of {name}"), |cb| {
            data.arm
                .post_lro::<_, MachineAssessPatchesResult>(&path, API_VERSION, &body, Some(cb))
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
                progress.send(summary(&name, &r)).await;
                match &r.status {
                    Some(PatchOperationStatus::Failed) => Diagnostic::error(
                        "Assessment failed",
                        format!(
                            "The assessment of {machine_id} failed: {}",
                            r.error_details
                                .as_ref()
                                .map_or("no reason given".to_owned(), |e| e.to_string())
                        ),
                    )
                    .into(),
                    _ => Diagnostics::new(),
                }
            }
        }
    }
}
