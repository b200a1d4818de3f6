//! `hotpatch_available_updates`: what the latest assessment of Arc machines or Azure VMs
//! found, for one machine (`machine_id`), a list (`machine_ids`) or a whole subscription or
//! resource group (`scope`).
//!
//! The Arc assessment result only counts updates per classification, so the lists come from
//! Resource Graph (`patch_results::assessments`): one paged query per read, whatever the
//! number of machines. VM assessments are read there too (a VM's result is not kept anywhere
//! else), so both kinds show the same fields. `hotpatch` marks the updates that install
//! without a restart (`rebootBehavior = NeverReboots`), which is what hotpatching promises.

use std::collections::BTreeMap;

use async_trait::async_trait;
use tfframework::validators::each;
use tfframework::{Context, DataSource, Diagnostics, Model};

use crate::arm_diag::arm_error;
use crate::machine_id::AnyMachineId;
use crate::machine_selection::{self, machine_key, FleetScopeId, Selection, SelectorNames};
use crate::patch_results::{self, Assessment, RowProperties};
use crate::provider_data::HotpatchData;

/// The updates the latest assessment of Azure Arc-enabled machines or Azure VMs found (run
/// `hotpatch_assess` to refresh it), for one machine, a list of machines or a whole
/// subscription or resource group. Read from Azure Resource Graph with one paged query, where
/// Update Manager keeps assessments for 7 days.
#[derive(Model)]
pub struct AvailableUpdatesModel {
    /// One machine: ARM id of the `Microsoft.HybridCompute/machines` or
    /// `Microsoft.Compute/virtualMachines` resource (compared case-insensitively). Its results
    /// are the top-level attributes. Exactly one of `machine_id`, `machine_ids` and `scope`.
    #[tf(optional, validator = AnyMachineId)]
    machine_id: Option<String>,
    /// Many machines: Arc machine and/or VM ids. Results are in `machines`, one element per
    /// distinct id, in this order.
    #[tf(optional, validator = each(AnyMachineId))]
    machine_ids: Option<Vec<String>>,
    /// Every machine with an assessment in a subscription (`/subscriptions/<id>`) or resource
    /// group (`/subscriptions/<id>/resourceGroups/<name>`). Results are in `machines`, by
    /// machine id.
    #[tf(optional, validator = FleetScopeId)]
    scope: Option<String>,
    /// With `machine_id`: when the latest assessment finished (RFC 3339); null when there is
    /// none (and with `machine_ids` or `scope`).
    #[tf(computed)]
    last_assessment_time: Option<String>,
    /// With `machine_id`: `Succeeded`, `Failed`, `InProgress`, `CompletedWithWarnings`, ...;
    /// null when there is no assessment (and with `machine_ids` or `scope`).
    #[tf(computed)]
    assessment_status: Option<String>,
    /// With `machine_id`: whether the machine waits for a restart, as the assessment saw it.
    #[tf(computed)]
    reboot_pending: Option<bool>,
    /// With `machine_id`: available updates, in KB order (null with `machine_ids` or `scope`).
    #[tf(computed, nested)]
    updates: Option<Vec<AvailableUpdateModel>>,
    /// With `machine_ids` or `scope`: the latest assessment of each machine (null with
    /// `machine_id`).
    #[tf(computed, nested)]
    machines: Option<Vec<MachineUpdatesModel>>,
}

/// The latest assessment of one machine of a list or scope.
#[derive(Model)]
pub struct MachineUpdatesModel {
    /// The machine's ARM id: as written in `machine_ids`, or as Resource Graph spells it for a
    /// `scope`.
    #[tf(computed)]
    machine_id: Option<String>,
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

const SELECTORS: SelectorNames = SelectorNames {
    machine_id: AvailableUpdatesModel::MACHINE_ID,
    machine_ids: AvailableUpdatesModel::MACHINE_IDS,
    scope: AvailableUpdatesModel::SCOPE,
};

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

impl MachineUpdatesModel {
    /// `machine_id`'s assessment; a machine without one reads with nulls and no updates.
    fn of(machine_id: String, assessment: Option<&Assessment>) -> Self {
        let summary = assessment
            .and_then(|a| a.summary.clone())
            .unwrap_or_default();
        let mut updates: Vec<&RowProperties> = assessment
            .map(|a| a.updates.iter().collect())
            .unwrap_or_default();
        updates.sort_by(|a, b| a.kb_id.cmp(&b.kb_id));
        MachineUpdatesModel {
            machine_id: Some(machine_id),
            last_assessment_time: summary.last_modified_date_time,
            assessment_status: summary.status,
            reboot_pending: summary.reboot_pending,
            updates: Some(
                updates
                    .into_iter()
                    .map(AvailableUpdateModel::from_row)
                    .collect(),
            ),
        }
    }
}

/// One element per selected machine: every configured id (assessed or not) for a list, every
/// assessed machine for a scope.
fn per_machine(selection: &Selection, assessments: Vec<Assessment>) -> Vec<MachineUpdatesModel> {
    if let Selection::Scope(_) = selection {
        return assessments
            .into_iter()
            .map(|a| MachineUpdatesModel::of(a.machine_id.clone(), Some(&a)))
            .collect();
    }
    let by_id: BTreeMap<String, &Assessment> = assessments
        .iter()
        .map(|a| (machine_key(&a.machine_id), a))
        .collect();
    selection
        .ids()
        .iter()
        .map(|id| MachineUpdatesModel::of(id.clone(), by_id.get(&machine_key(id)).copied()))
        .collect()
}

#[async_trait]
impl DataSource<HotpatchData> for AvailableUpdatesDataSource {
    type Model = AvailableUpdatesModel;
    const TYPE_NAME: &'static str = "hotpatch_available_updates";

    fn validate(&self, config: &AvailableUpdatesModelPlan, diags: &mut Diagnostics) {
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
        config: &AvailableUpdatesModel,
    ) -> (Option<AvailableUpdatesModel>, Diagnostics) {
        let selection = match Selection::of(
            SELECTORS,
            config.machine_id.as_ref(),
            config.machine_ids.as_ref(),
            config.scope.as_ref(),
        ) {
            Ok(s) => s,
            Err(d) => return (None, d.into()),
        };
        let assessments = match patch_results::assessments(&data.arm_for(ctx), &selection).await {
            Ok(a) => a,
            Err(e) => {
                return (
                    None,
                    arm_error(
                        "reading the latest assessments from Azure Resource Graph",
                        &e,
                    )
                    .into(),
                )
            }
        };
        let mut machines = per_machine(&selection, assessments);
        let state = if let Selection::One(id) = &selection {
            // A list of one: `per_machine` answers with exactly that machine.
            let one = machines
                .pop()
                .unwrap_or_else(|| MachineUpdatesModel::of(id.clone(), None));
            AvailableUpdatesModel {
                machine_id: config.machine_id.clone(),
                machine_ids: None,
                scope: None,
                last_assessment_time: one.last_assessment_time,
                assessment_status: one.assessment_status,
                reboot_pending: one.reboot_pending,
                updates: one.updates,
                machines: None,
            }
        } else {
            AvailableUpdatesModel {
                machine_id: None,
                machine_ids: config.machine_ids.clone(),
                scope: config.scope.clone(),
                last_assessment_time: None,
                assessment_status: None,
                reboot_pending: None,
                updates: None,
                machines: Some(machines),
            }
        };
        (Some(state), Diagnostics::new())
    }
}
