//! `hotpatch_available_updates`: what the latest assessment of an Arc machine or Azure VM
//! found.
//!
//! The Arc assessment result only counts updates per classification, so the list comes from
//! Resource Graph (`patch_results::assessment`): one query per read. VM assessments are read
//! there too (a VM's result is not kept anywhere else), so both kinds show the same fields.
//! `hotpatch` marks the updates that install without a restart (`rebootBehavior =
//! NeverReboots`), which is what hotpatching promises.

use async_trait::async_trait;
use tfframework::{Context, DataSource, Diagnostics, Model};

use crate::arm_diag::arm_error;
use crate::machine_id::AnyMachineId;
use crate::machine_target::MachineTarget;
use crate::patch_results::{self, RowProperties};
use crate::provider_data::HotpatchData;

/// The updates the latest assessment of an Azure Arc-enabled machine or Azure VM found (run
/// `hotpatch_assess` to refresh it). Read from Azure Resource Graph, where Update Manager keeps
/// assessments for 7 days.
#[derive(Model)]
pub struct AvailableUpdatesModel {
    /// ARM id of the `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines`
    /// resource (compared case-insensitively).
    #[tf(required, validator = AnyMachineId)]
    machine_id: String,
    /// When the latest assessment finished (RFC 3339); null when there is none.
    #[tf(computed)]
    last_assessment_time: Option<String>,
    /// `Succeeded`, `Failed`, `InProgress`, `CompletedWithWarnings`, ...; null when there is no
    /// assessment.
    #[tf(computed)]
    assessment_status: Option<String>,
    /// Whether the machine waits for a restart, as the assessment saw it.
    #[tf(computed)]
    reboot_pending: Option<bool>,
    /// Available updates, in KB order.
    #[tf(computed, nested)]
    updates: Option<Vec<AvailableUpdateModel>>,
}

/// One update the assessment found.
#[derive(Model)]
pub struct AvailableUpdateModel {
    /// KB number (digits).
    #[tf(computed)]
    kb_id: Option<String>,
    /// Update title.
    #[tf(computed)]
    name: Option<String>,
    /// Classifications, e.g. `Security`, `Critical`.
    #[tf(computed)]
    classifications: Option<Vec<String>>,
    /// `NeverReboots`, `AlwaysRequiresReboot`, `CanRequestReboot` or another value the service
    /// reports.
    #[tf(computed)]
    reboot_behavior: Option<String>,
    /// Whether installing it needs a restart.
    #[tf(computed)]
    reboot_required: Option<bool>,
    /// True for updates that never reboot (`reboot_behavior = NeverReboots`).
    #[tf(computed)]
    hotpatch: Option<bool>,
}

pub struct AvailableUpdatesDataSource;

const NEVER_REBOOTS: &str = "NeverReboots";

impl AvailableUpdateModel {
    /// An update row; without a `rebootRequired`, an update needs a restart unless it is a
    /// hotpatch.
    fn from_row(p: &RowProperties) -> Self {
        let hotpatch = p
            .reboot_behavior
            .as_deref()
            .is_some_and(|b| b.eq_ignore_ascii_case(NEVER_REBOOTS));
        AvailableUpdateModel {
            kb_id: p.kb_id.clone(),
            name: p.patch_name.clone(),
            classifications: Some(p.classifications.clone().unwrap_or_default()),
            reboot_behavior: p.reboot_behavior.clone(),
            reboot_required: p.reboot_required.or(Some(!hotpatch)),
            hotpatch: Some(hotpatch),
        }
    }
}

#[async_trait]
impl DataSource<HotpatchData> for AvailableUpdatesDataSource {
    type Model = AvailableUpdatesModel;
    const TYPE_NAME: &'static str = "hotpatch_available_updates";

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        config: &AvailableUpdatesModel,
    ) -> (Option<AvailableUpdatesModel>, Diagnostics) {
        let target = match MachineTarget::new(&config.machine_id, AvailableUpdatesModel::MACHINE_ID)
        {
            Ok(t) => t,
            Err(d) => return (None, d.into()),
        };
        let assessment = match patch_results::assessment(&data.arm, &target.id, target.kind).await {
            Ok(a) => a,
            Err(e) => {
                return (
                    None,
                    arm_error(
                        "reading the latest assessment from Azure Resource Graph",
                        &e,
                    )
                    .into(),
                )
            }
        };
        let summary = assessment.summary.unwrap_or_default();
        let mut updates: Vec<&RowProperties> = assessment.updates.iter().collect();
        updates.sort_by(|a, b| a.kb_id.cmp(&b.kb_id));
        let state = AvailableUpdatesModel {
            machine_id: target.id,
            last_assessment_time: summary.last_modified_date_time,
            assessment_status: summary.status,
            reboot_pending: summary.reboot_pending,
            updates: Some(
                updates
                    .into_iter()
                    .map(AvailableUpdateModel::from_row)
                    .collect(),
            ),
        };
        (Some(state), Diagnostics::new())
    }
}
