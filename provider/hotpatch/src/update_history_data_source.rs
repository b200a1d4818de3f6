//! `hotpatch_update_history`: installation runs within the last `days` (the portal's "Update
//! history") of one machine (`machine_id`), a list (`machine_ids`) or a whole subscription or
//! resource group (`scope`), each with its machine, per-KB outcome and reboot status.
//!
//! One paged Resource Graph query per read, whatever the number of machines
//! (`patch_results::history`); the `days` window is part of the query. A run is listed when
//! its summary was last modified within the window.

use std::collections::BTreeMap;

use async_trait::async_trait;
use tfframework::validators::{each, int_between};
use tfframework::{Context, DataSource, Diagnostics, Model};

use crate::arm_diag::arm_error;
use crate::machine_id::AnyMachineId;
use crate::machine_selection::{self, machine_key, FleetScopeId, Selection, SelectorNames};
use crate::patch_results::{self, RowProperties, Run};
use crate::provider_data::HotpatchData;

/// Update Manager keeps installation results for 30 days.
const MAX_DAYS: i64 = 30;

/// Update installation runs within the last `days` days (one-time installs and scheduled
/// runs) of one Azure Arc-enabled machine or Azure VM, a list of machines or a whole
/// subscription or resource group, newest first, with per-KB outcome and reboot status. Read
/// from Azure Resource Graph with one paged query, where Update Manager keeps installation
/// results for 30 days.
#[derive(Model)]
pub struct UpdateHistoryModel {
    /// One machine: ARM id of the `Microsoft.HybridCompute/machines` or
    /// `Microsoft.Compute/virtualMachines` resource (compared case-insensitively). Exactly one
    /// of `machine_id`, `machine_ids` and `scope`.
    #[tf(optional, validator = AnyMachineId)]
    machine_id: Option<String>,
    /// Many machines: Arc machine and/or VM ids.
    #[tf(optional, validator = each(AnyMachineId))]
    machine_ids: Option<Vec<String>>,
    /// Every machine in a subscription (`/subscriptions/<id>`) or resource group
    /// (`/subscriptions/<id>/resourceGroups/<name>`).
    #[tf(optional, validator = FleetScopeId)]
    scope: Option<String>,
    /// How many days back to look, 1 to 30. Default 30.
    #[tf(optional, computed, validator = int_between(1, MAX_DAYS))]
    days: Option<i64>,
    /// Runs of every selected machine, newest first.
    #[tf(computed, nested)]
    runs: Option<Vec<RunModel>>,
}

/// One installation run.
#[derive(Model)]
pub struct RunModel {
    /// The machine that ran it: as written in `machine_id` / `machine_ids`, or as Resource
    /// Graph spells it for a `scope`.
    #[tf(computed)]
    machine_id: Option<String>,
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

const SELECTORS: SelectorNames = SelectorNames {
    machine_id: UpdateHistoryModel::MACHINE_ID,
    machine_ids: UpdateHistoryModel::MACHINE_IDS,
    scope: UpdateHistoryModel::SCOPE,
};

impl RunModel {
    /// `r` as the run of `machine_id`.
    fn from_run(machine_id: String, r: &Run) -> Self {
        let s = &r.summary;
        RunModel {
            machine_id: Some(machine_id),
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

    fn validate(&self, config: &UpdateHistoryModelPlan, diags: &mut Diagnostics) {
        machine_selection::validate(
            SELECTORS,
            &config.machine_id,
            &config.machine_ids,
            &config.scope,
            diags,
        );
    }

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        config: &UpdateHistoryModel,
    ) -> (Option<UpdateHistoryModel>, Diagnostics) {
        let selection = match Selection::of(
            SELECTORS,
            config.machine_id.as_ref(),
            config.machine_ids.as_ref(),
            config.scope.as_ref(),
        ) {
            Ok(s) => s,
            Err(d) => return (None, d.into()),
        };
        let days = config.days.unwrap_or(MAX_DAYS);
        // Validation already bounds it; clamp anyway so a bad value never reaches KQL.
        let window = u32::try_from(days.clamp(1, MAX_DAYS)).unwrap_or(30);
        let runs = match patch_results::history(&data.arm_for(ctx), &selection, window).await {
            Ok(r) => r,
            Err(e) => {
                return (
                    None,
                    arm_error("reading the update history from Azure Resource Graph", &e).into(),
                )
            }
        };
        // Configured ids keep the user's spelling; a scope's machines keep the service's.
        let spelled: BTreeMap<String, &String> = selection
            .ids()
            .iter()
            .map(|id| (machine_key(id), id))
            .collect();
        let machine_id = |r: &Run| {
            spelled
                .get(&machine_key(&r.machine_id))
                .map_or_else(|| r.machine_id.clone(), |id| (*id).clone())
        };
        let state = UpdateHistoryModel {
            machine_id: config.machine_id.clone(),
            machine_ids: config.machine_ids.clone(),
            scope: config.scope.clone(),
            days: Some(days),
            runs: Some(
                runs.iter()
                    .map(|r| RunModel::from_run(machine_id(r), r))
                    .collect(),
            ),
        };
        (Some(state), Diagnostics::new())
    }
}
