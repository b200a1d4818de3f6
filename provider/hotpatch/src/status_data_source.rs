//! `hotpatch_status`: what the portal shows for one machine, plus the raw fields behind it.
//!
//! One GET answers everything: the Arc machine body embeds the license instance view next to
//! the patch settings, and a VM read with its instance view carries the OS facts. The portal
//! word is derived in `machine_facts` / `status` and eligibility in `eligibility`, so both match
//! the resources and the fleet data source exactly.

use async_trait::async_trait;
use tfframework::{AttributePath, Context, DataSource, Diagnostics, Model};

use crate::arm_diag::arm_error_at;
use crate::machine_facts::MachineFacts;
use crate::machine_id::{machine_kind, AnyMachineId};
use crate::provider_data::HotpatchData;

/// The hotpatch status of one Azure Arc-enabled machine or Azure VM, as the Azure portal shows
/// it, with the raw ARM fields it is derived from and whether the machine can use hotpatch.
/// Costs one ARM read.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct StatusModel {
    /// ARM id of a `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines`
    /// resource.
    #[tf(required, validator = AnyMachineId)]
    pub machine_id: String,
    /// The portal's word: `Enabled`, `Disabled`, `Pending`, `Canceled` or `Not enrolled` (see
    /// the status mapping), as of this read: at every plan, or during apply once the resources
    /// it depends on are applied (for the word after enabling hotpatch, depend on the
    /// `hotpatch_machine_setting`).
    #[tf(computed)]
    pub status: Option<String>,
    /// Arc: raw `subscriptionStatus` of the Hotpatch license feature; null when there is none
    /// and for VMs.
    #[tf(computed)]
    pub subscription_status: Option<String>,
    /// `patchSettings.enableHotpatching` (false when unset).
    #[tf(computed)]
    pub hotpatching_enabled: Option<bool>,
    /// Arc: `patchSettings.status.hotpatchEnablementStatus`; VMs: null.
    #[tf(computed)]
    pub hotpatch_enablement_status: Option<String>,
    /// `patchSettings.patchMode`.
    #[tf(computed)]
    pub patch_mode: Option<String>,
    /// `patchSettings.assessmentMode`.
    #[tf(computed)]
    pub assessment_mode: Option<String>,
    /// OS name reported by the Arc agent or the VM instance view.
    #[tf(computed)]
    pub os_name: Option<String>,
    /// Arc: `osSku`; VMs: the image SKU.
    #[tf(computed)]
    pub os_sku: Option<String>,
    /// OS version (build) reported by the machine.
    #[tf(computed)]
    pub os_version: Option<String>,
    /// Arc agent status (`Connected`, `Disconnected`, `Error`); null for VMs.
    #[tf(computed)]
    pub connection_status: Option<String>,
    /// Whether nothing stands in the way of hotpatch (`eligibility_issues` is empty).
    #[tf(computed)]
    pub eligible: Option<bool>,
    /// Why hotpatch cannot work on the machine right now, in plain words, including the
    /// service's own reasons for `ActionRequired` or a `Failed` license.
    #[tf(computed)]
    pub eligibility_issues: Option<Vec<String>>,
    /// Arc: when the Hotpatch license feature was enrolled (RFC 3339).
    #[tf(computed)]
    pub enrollment_date: Option<String>,
    /// Arc: when hotpatch billing started (RFC 3339).
    #[tf(computed)]
    pub billing_start_date: Option<String>,
}

impl StatusModel {
    fn of(machine_id: String, facts: &MachineFacts) -> Self {
        let issues = facts.issues();
        let feature = facts.feature.as_ref();
        StatusModel {
            machine_id,
            status: Some(facts.status().as_str().to_owned()),
            subscription_status: feature
                .and_then(|f| f.subscription_status.as_ref())
                .map(|s| s.as_str().to_owned()),
            hotpatching_enabled: Some(facts.hotpatching_enabled.unwrap_or(false)),
            hotpatch_enablement_status: facts.enablement_status.clone(),
            patch_mode: facts.patch_mode.clone(),
            assessment_mode: facts.assessment_mode.clone(),
            os_name: facts.os_name.clone(),
            os_sku: facts.os_sku.clone(),
            os_version: facts.os_version.clone(),
            connection_status: facts.connection_status.clone(),
            eligible: Some(issues.is_empty()),
            eligibility_issues: Some(issues),
            enrollment_date: feature.and_then(|f| f.enrollment_date.clone()),
            billing_start_date: feature.and_then(|f| f.billing_start_date.clone()),
        }
    }
}

pub struct StatusDataSource;

#[async_trait]
impl DataSource<HotpatchData> for StatusDataSource {
    type Model = StatusModel;
    const TYPE_NAME: &'static str = "hotpatch_status";

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        config: &StatusModel,
    ) -> (Option<StatusModel>, Diagnostics) {
        let machine_id = config.machine_id.clone();
        let at = AttributePath::attr(StatusModel::MACHINE_ID);
        let mut diags = Diagnostics::new();
        let kind = match machine_kind(&machine_id) {
            Ok(k) => k,
            Err(e) => {
                diags.error_at(at, "Invalid machine id", e);
                return (None, diags);
            }
        };
        match data
            .machine_facts(&data.arm_for(ctx), &machine_id, kind)
            .await
        {
            Ok(Some(facts)) => (Some(StatusModel::of(machine_id, &facts)), diags),
            Ok(None) => {
                diags.error_at(
                    at,
                    "Machine not found",
                    format!("machine_id {machine_id} does not exist (or the credentials cannot see it)."),
                );
                (None, diags)
            }
            Err(e) => {
                diags.push(arm_error_at("reading the machine", &e, at));
                (None, diags)
            }
        }
    }
}
