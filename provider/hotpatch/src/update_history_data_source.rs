//! `hotpatch_update_history`: installation runs of an Arc machine or Azure VM within the last
//! `days` (the portal's "Update history"), each with its per-KB outcome and reboot status.
//!
//! One Resource Graph query per read (`patch_results::history`); the `days` window is part of
//! the query. A run is listed when its summary was last modified within the window.

use async_trait::async_trait;
use tfframework::validators::int_between;
use tfframework::{Context, DataSource, Diagnostics, Model};

use crate::arm_diag::arm_error;
use crate::machine_id::AnyMachineId;
use crate::machine_target::MachineTarget;
use crate::patch_results::{self, RowProperties, Run};
use crate::provider_data::HotpatchData;

/// Update Manager keeps installation results for 30 days.
const MAX_DAYS: i64 = 30;

/// Update installation runs of an Azure Arc-enabled machine or Azure VM within the last `days`
/// days (one-time installs and scheduled runs), newest first, with per-KB outcome and reboot
/// status. Read from Azure Resource Graph, where Update Manager keeps installation results for
/// 30 days.
#[derive(Model)]
pub struct UpdateHistoryModel {
    /// ARM id of the `Microsoft.HybridCompute/machines` or `Microsoft.Compute/virtualMachines`
    /// resource (compared case-insensitively).
    #[tf(required, validator = AnyMachineId)]
    machine_id: String,
    /// How many days back to look, 1 to 30. Default 30.
    #[tf(optional, computed, validator = int_between(1, MAX_DAYS))]
    days: Option<i64>,
    /// Runs, newest first.
    #[tf(computed, nested)]
    runs: Option<Vec<RunModel>>,
}

/// One installation run.
#[derive(Model)]
pub struct RunModel {
    /// The run's GUID (installation activity id).
    #[tf(computed)]
    id: Option<String>,
    /// `Succeeded`, `Failed`, `InProgress`, `CompletedWithWarnings`, ...
    #[tf(computed)]
    status: Option<String>,
    /// `User` (one-time install) or `Platform` (schedule).
    #[tf(computed)]
    started_by: Option<String>,
    /// When the run started (RFC 3339).
    #[tf(computed)]
    start_time: Option<String>,
    /// When the run last changed (RFC 3339).
    #[tf(computed)]
    last_modified_time: Option<String>,
    /// `NotNeeded`, `Required`, `Started`, `Failed`, `Completed`, ...
    #[tf(computed)]
    reboot_status: Option<String>,
    /// The schedule run that started it; null for one-time installs.
    #[tf(computed)]
    maintenance_run_id: Option<String>,
    /// Updates installed in the run.
    #[tf(computed)]
    installed_count: Option<i64>,
    /// Updates that failed in the run.
    #[tf(computed)]
    failed_count: Option<i64>,
    /// Updates still pending in the run.
    #[tf(computed)]
    pending_count: Option<i64>,
    /// Updates excluded in the run.
    #[tf(computed)]
    excluded_count: Option<i64>,
    /// Updates not selected in the run.
    #[tf(computed)]
    not_selected_count: Option<i64>,
    /// Whether the run ran out of time.
    #[tf(computed)]
    maintenance_window_exceeded: Option<bool>,
    /// The service's error (`code: message`) when the run failed; null otherwise.
    #[tf(computed)]
    error_message: Option<String>,
    /// Per-KB outcome.
    #[tf(computed, nested)]
    patches: Option<Vec<RunPatchModel>>,
}

/// One update's outcome in a run.
#[derive(Model)]
pub struct RunPatchModel {
    /// KB number (digits).
    #[tf(computed)]
    kb_id: Option<String>,
    /// Update title.
    #[tf(computed)]
    name: Option<String>,
    /// Classifications.
    #[tf(computed)]
    classifications: Option<Vec<String>>,
    /// `Installed`, `Failed`, `Pending`, `NotSelected`, `Excluded`, ...
    #[tf(computed)]
    installation_state: Option<String>,
    /// Whether the update needs a restart.
    #[tf(computed)]
    reboot_required: Option<bool>,
}

pub struct UpdateHistoryDataSource;

impl RunModel {
    fn from_run(r: &Run) -> Self {
        let s = &r.summary;
        RunModel {
            id: Some(r.id.clone()),
            status: s.status.clone(),
            started_by: s.started_by.as_ref().map(|v| v.as_str().to_owned()),
            start_time: s.start_date_time.clone(),
            last_modified_time: s.last_modified_date_time.clone(),
            reboot_status: s.reboot_status.as_ref().map(|v| v.as_str().to_owned()),
            maintenance_run_id: s.maintenance_run_id.clone(),
            installed_count: s.installed_patch_count,
            failed_count: s.failed_patch_count,
            pending_count: s.pending_patch_count,
            excluded_count: s.excluded_patch_count,
            not_selected_count: s.not_selected_patch_count,
            maintenance_window_exceeded: s.maintenance_window_exceeded,
            error_message: s.error_details.as_ref().map(|e| e.to_string()),
            patches: Some(r.patches.iter().map(RunPatchModel::from_row).collect()),
        }
    }
}

impl RunPatchModel {
    fn from_row(p: &RowProperties) -> Self {
        RunPatchModel {
            kb_id: p.kb_id.clone(),
            name: p.patch_name.clone(),
            classifications: Some(p.classifications.clone().unwrap_or_default()),
            installation_state: p.installation_state.clone(),
            reboot_required: p.reboot_required,
        }
    }
}

#[async_trait]
impl DataSource<HotpatchData> for UpdateHistoryDataSource {
    type Model = UpdateHistoryModel;
    const TYPE_NAME: &'static str = "hotpatch_update_history";

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        config: &UpdateHistoryModel,
    ) -> (Option<UpdateHistoryModel>, Diagnostics) {
        let target = match MachineTarget::new(&config.machine_id, UpdateHistoryModel::MACHINE_ID) {
            Ok(t) => t,
            Err(d) => return (None, d.into()),
        };
        let days = config.days.unwrap_or(MAX_DAYS);
        // Validation already bounds it; clamp anyway so a bad value never reaches KQL.
        let window = u32::try_from(days.clamp(1, MAX_DAYS)).unwrap_or(30);
        let runs = match patch_results::history(&data.arm, &target.id, target.kind, window).await {
            Ok(r) => r,
            Err(e) => {
                return (
                    None,
                    arm_error("reading the update history from Azure Resource Graph", &e).into(),
                )
            }
        };
        let state = UpdateHistoryModel {
            machine_id: target.id,
            days: Some(days),
            runs: Some(runs.iter().map(RunModel::from_run).collect()),
        };
        (Some(state), Diagnostics::new())
    }
}
