//! `hotpatch_status`: what the portal shows for one machine, plus the raw fields behind it.
//!
//! One GET answers everything: the Arc machine body embeds the license instance view next to
//! the patch settings, and a VM read with its instance view carries the OS facts. The portal
//! word is derived in `machine_facts` / `status` so it matches the enrollment resource and the
//! fleet data source exactly.

use async_trait::async_trait;
use tfframework::raw;
use tfframework::{
    AttributePath, AttributeSchema, BlockSchema, Context, Diagnostics, ObjectBuilder, ObjectReader,
    Type, Value,
};

use crate::arm_diag::arm_error_at;
use crate::machine_facts;
use crate::machine_id::{machine_kind, AnyMachineId};
use crate::provider::HotpatchData;

pub struct StatusDataSource;

fn computed(name: &str, description: &str) -> AttributeSchema {
    AttributeSchema::string(name)
        .computed()
        .description(description)
}

#[async_trait]
impl raw::DataSource<HotpatchData> for StatusDataSource {
    fn type_name(&self) -> &str {
        "hotpatch_status"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .description("The hotpatch status of one Azure Arc-enabled machine or Azure VM, as the Azure portal shows it, with the raw ARM fields it is derived from and whether the machine can use hotpatch. Costs one ARM read.")
            .attribute(
                AttributeSchema::string("machine_id")
                    .required()
                    .validator(AnyMachineId)
                    .description("ARM id of a `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines` resource."),
            )
            .attribute(computed("status", "The portal's word: `Enabled`, `Disabled`, `Pending`, `Canceled` or `Not enrolled` (see the status mapping)."))
            .attribute(computed("subscription_status", "Arc: raw `subscriptionStatus` of the Hotpatch license feature; null when there is none and for VMs."))
            .attribute(AttributeSchema::bool("hotpatching_enabled").computed().description("`patchSettings.enableHotpatching` (false when unset)."))
            .attribute(computed("hotpatch_enablement_status", "Arc: `patchSettings.status.hotpatchEnablementStatus`; VMs: null."))
            .attribute(computed("patch_mode", "`patchSettings.patchMode`."))
            .attribute(computed("assessment_mode", "`patchSettings.assessmentMode`."))
            .attribute(computed("os_name", "OS name reported by the Arc agent or the VM instance view."))
            .attribute(computed("os_sku", "Arc: `osSku`; VMs: the image SKU."))
            .attribute(computed("os_version", "OS version (build) reported by the machine."))
            .attribute(computed("connection_status", "Arc agent status (`Connected`, `Disconnected`, `Error`); null for VMs."))
            .attribute(AttributeSchema::bool("eligible").computed().description("Whether nothing stands in the way of hotpatch (`eligibility_issues` is empty)."))
            .attribute(AttributeSchema::list("eligibility_issues", Type::String).computed().description("Why hotpatch cannot work on the machine right now, in plain words, including the service's own reasons for `ActionRequired` or a `Failed` license."))
            .attribute(computed("enrollment_date", "Arc: when the Hotpatch license feature was enrolled (RFC 3339)."))
            .attribute(computed("billing_start_date", "Arc: when hotpatch billing started (RFC 3339)."))
    }

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        config: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let machine_id = match ObjectReader::new(config).get::<String>("machine_id") {
            Ok(id) => id,
            Err(d) => return (None, d.into()),
        };
        let at = AttributePath::attr("machine_id");
        let mut diags = Diagnostics::new();
        let kind = match machine_kind(&machine_id) {
            Ok(k) => k,
            Err(e) => {
                diags.error_at(at, "Invalid machine id", e);
                return (None, diags);
            }
        };
        let facts = match machine_facts::read(&data.arm, &machine_id, kind).await {
            Ok(Some(f)) => f,
            Ok(None) => {
                diags.error_at(
                    at,
                    "Machine not found",
                    format!("machine_id {machine_id} does not exist (or the credentials cannot see it)."),
                );
                return (None, diags);
            }
            Err(e) => {
                diags.push(arm_error_at("reading the machine", &e, at));
                return (None, diags);
            }
        };
        let issues = facts.issues();
        let feature = facts.feature.as_ref();
        let state = ObjectBuilder::new()
            .set("machine_id", machine_id.as_str())
            .set("status", facts.status().as_str())
            .set(
                "subscription_status",
                feature
                    .and_then(|f| f.subscription_status.as_ref())
                    .map(|s| s.as_str().to_owned()),
            )
            .set(
                "hotpatching_enabled",
                facts.hotpatching_enabled.unwrap_or(false),
            )
            .set(
                "hotpatch_enablement_status",
                facts.enablement_status.clone(),
            )
            .set("patch_mode", facts.patch_mode.clone())
            .set("assessment_mode", facts.assessment_mode.clone())
            .set("os_name", facts.os_name.clone())
            .set("os_sku", facts.os_sku.clone())
            .set("os_version", facts.os_version.clone())
            .set("connection_status", facts.connection_status.clone())
            .set("eligible", issues.is_empty())
            .set("eligibility_issues", issues)
            .set(
                "enrollment_date",
                feature.and_then(|f| f.enrollment_date.clone()),
            )
            .set(
                "billing_start_date",
                feature.and_then(|f| f.billing_start_date.clone()),
            )
            .build();
        (Some(state), diags)
    }
}
