//! `hotpatch_schedule_assignment`: attaches one Arc machine or Azure VM to a schedule, as the
//! extension resource `<machine id>/providers/Microsoft.Maintenance/configurationAssignments/<name>`
//! (CONTRACT §4.2). Every argument forces replacement (the API has no PATCH at resource level).
//! Ids are kept as the user wrote them and compared case-insensitively with what ARM returns.
//! Create refuses an existing assignment and an Azure VM with hotpatch on
//! (`vm_schedule_rule`); a write whose answer was lost is recorded as `arm_calls` decides.

use armclient::models::maintenance::ConfigurationAssignment;
use armclient::resource_id::ids_equal;
use async_trait::async_trait;
use tfframework::{
    ApplyRequest, AttributePath, Context, Diagnostic, Diagnostics, ImportRequest, Known, Model,
    PlanRequest, Resource, Validator, Value,
};

use super::arm_calls;
use super::ids::{
    assignment_id, import_id, parse_schedule_id, split_assignment_id, IdIdentity, IdIdentityPlan,
    MachineOrVmId, ScheduleId, ASSIGNMENT_INFIX,
};
use super::read_back::keep_if;
use super::request_bodies::assignment_body;
use super::vm_schedule_rule::{assignment_conflict, vm_with_hotpatch};
use crate::provider_data::HotpatchData;

pub struct ScheduleAssignmentResource;

/// Attaches one Azure Arc machine or Azure VM to a `hotpatch_maintenance_schedule`.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct ScheduleAssignmentModel {
    /// ARM id of an Arc machine (`Microsoft.HybridCompute/machines`) or an Azure VM
    /// (`Microsoft.Compute/virtualMachines`).
    #[tf(required, replace, validator = MachineOrVmId)]
    pub machine_id: String,
    /// ARM id of the maintenance schedule (`hotpatch_maintenance_schedule.<name>.id`).
    #[tf(required, replace, validator = ScheduleId)]
    pub schedule_id: String,
    /// Name of the assignment. Default: the schedule's name.
    #[tf(optional, computed, replace, state_for_unknown)]
    pub name: Option<String>,
    /// `<machine_id>/providers/Microsoft.Maintenance/configurationAssignments/<name>`.
    #[tf(computed, state_for_unknown)]
    pub id: Option<String>,
}

/// The default assignment name: the schedule's.
fn schedule_name(schedule_id: &str) -> Option<String> {
    parse_schedule_id(schedule_id).ok().map(|(_, _, name)| name)
}

fn machine_path() -> AttributePath {
    AttributePath::attr(ScheduleAssignmentModel::MACHINE_ID)
}

/// The state after ARM answered with `a`: the prior's, with the schedule ARM names (in the
/// prior's spelling when it is the same id). An answer without one reads as an empty id, so
/// the next plan replaces the assignment.
pub(super) fn assignment_state(
    prior: &ScheduleAssignmentModel,
    a: &ConfigurationAssignment,
) -> ScheduleAssignmentModel {
    let service = a
        .properties
        .as_ref()
        .and_then(|p| p.maintenance_configuration_id.as_deref());
    ScheduleAssignmentModel {
        schedule_id: keep_if(Some(&prior.schedule_id), service, ids_equal).unwrap_or_default(),
        ..prior.clone()
    }
}

#[async_trait]
impl Resource<HotpatchData> for ScheduleAssignmentResource {
    type Model = ScheduleAssignmentModel;
    type Identity = IdIdentity;
    const TYPE_NAME: &'static str = "hotpatch_schedule_assignment";

    fn identity(&self, state: &ScheduleAssignmentModelPlan) -> IdIdentityPlan {
        IdIdentityPlan {
            id: state.id.clone(),
        }
    }

    async fn modify_plan(
        &self,
        ctx: &Context,
        data: Option<&HotpatchData>,
        req: PlanRequest<'_, ScheduleAssignmentModel>,
        planned: &mut ScheduleAssignmentModelPlan,
        diags: &mut Diagnostics,
    ) {
        if !req.is_create() {
            return;
        }
        if let (Some(data), Known::Value(machine)) = (data, &req.config.machine_id) {
            if vm_with_hotpatch(ctx, data, machine).await == Some(true) {
                diags.push(assignment_conflict(machine, machine_path()));
            }
        }
        // Only a name left out defaults to the schedule's; an unknown one stays unknown.
        let name = match &req.config.name {
            Known::Value(n) => Some(n.clone()),
            Known::Null => req
                .config
                .schedule_id
                .as_ref()
                .known()
                .and_then(|s| schedule_name(s)),
            Known::Unknown => None,
        };
        let Some(name) = name else { return };
        if let Known::Value(machine) = &req.config.machine_id {
            planned.id = Known::Value(assignment_id(machine, &name));
        }
        planned.name = Known::Value(name);
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ApplyRequest<'_, ScheduleAssignmentModel>,
    ) -> (Option<ScheduleAssignmentModel>, Diagnostics) {
        let planned = req.planned;
        let Some(name) = planned
            .name
            .clone()
            .or_else(|| schedule_name(&planned.schedule_id))
        else {
            let d = Diagnostic::error(
                "Assignment name unknown",
                "Set name, or a schedule_id that names a maintenance configuration.",
            )
            .at(AttributePath::attr(ScheduleAssignmentModel::NAME));
            return (None, d.into());
        };
        let id = assignment_id(&planned.machine_id, &name);
        let planned = ScheduleAssignmentModel {
            name: Some(name),
            id: Some(id.clone()),
            ..planned.clone()
        };
        if let Err(d) =
            arm_calls::ensure_absent(ctx, data, &id, Self::TYPE_NAME, &[(IdIdentity::ID, &id)])
                .await
        {
            return (None, d.into());
        }
        // Again at apply: the same apply may have switched hotpatch on since the plan.
        if vm_with_hotpatch(ctx, data, &planned.machine_id).await == Some(true) {
            return (
                None,
                assignment_conflict(&planned.machine_id, machine_path()).into(),
            );
        }
        let body = assignment_body(&planned.schedule_id);
        arm_calls::put::<_, ConfigurationAssignment, _>(
            ctx,
            data,
            &id,
            &body,
            "assigning the machine to the schedule",
            &planned,
            |a| assignment_state(&planned, a),
        )
        .await
        .created()
    }

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        current: &ScheduleAssignmentModel,
    ) -> (Option<ScheduleAssignmentModel>, Diagnostics) {
        let doing = "reading the schedule assignment";
        arm_calls::refresh(
            ctx,
            data,
            current,
            &current.id,
            Self::TYPE_NAME,
            doing,
            |a| assignment_state(current, &a),
        )
        .await
    }

    async fn update(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: ApplyRequest<'_, ScheduleAssignmentModel>,
    ) -> (Option<ScheduleAssignmentModel>, Diagnostics) {
        // Every argument forces replacement; nothing is updated in place.
        (Some(req.planned.clone()), Diagnostics::new())
    }

    async fn delete(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        prior: &ScheduleAssignmentModel,
    ) -> Diagnostics {
        let doing = "removing the schedule assignment";
        arm_calls::delete_recorded(ctx, data, &prior.id, Self::TYPE_NAME, doing).await
    }

    async fn import(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ImportRequest<'_, IdIdentity>,
    ) -> (Option<ScheduleAssignmentModel>, Diagnostics) {
        let id = import_id(req.id, req.identity);
        let Some((machine, name)) = split_assignment_id(id) else {
            let d = Diagnostic::error("Invalid import id", format!("Import hotpatch_schedule_assignment by its id, <machine id>{ASSIGNMENT_INFIX}<name>; got {id:?}."));
            return (None, d.into());
        };
        let mut diags = Diagnostics::new();
        MachineOrVmId.validate(&Value::string(machine), &machine_path(), &mut diags);
        if diags.has_errors() {
            return (None, diags);
        }
        let a = match arm_calls::get_for_import::<ConfigurationAssignment>(
            ctx,
            data,
            id,
            "schedule assignment",
        )
        .await
        {
            Ok(a) => a,
            Err(d) => return (None, d.into()),
        };
        // What the id tells; the schedule comes from ARM.
        let known = ScheduleAssignmentModel {
            machine_id: machine.to_owned(),
            schedule_id: String::new(),
            name: Some(name.to_owned()),
            id: Some(id.to_owned()),
        };
        (Some(assignment_state(&known, &a)), diags)
    }
}

#[cfg(test)]
mod tests {
    use armclient::models::maintenance::ConfigurationAssignmentProperties;
    use armclient::CancellationToken;

    use super::*;

    const SCHEDULE: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/p";
    const MACHINE: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m";

    /// The create plan for a configuration whose `name` is `name`.
    async fn plan(name: Known<String>) -> ScheduleAssignmentModelPlan {
        let config = ScheduleAssignmentModelPlan {
            machine_id: Known::Value(MACHINE.into()),
            schedule_id: Known::Value(SCHEDULE.into()),
            name,
            id: Known::Unknown,
        };
        let mut planned = ScheduleAssignmentModelPlan {
            name: Known::Unknown,
            ..config.clone()
        };
        let req = PlanRequest {
            prior: None,
            config: &config,
            proposed: &config,
        };
        let ctx = Context::new(CancellationToken::new());
        ScheduleAssignmentResource
            .modify_plan(&ctx, None, req, &mut planned, &mut Diagnostics::new())
            .await;
        planned
    }

    #[tokio::test]
    async fn the_name_defaults_to_the_schedules_only_when_left_out() {
        let defaulted = plan(Known::Null).await;
        assert_eq!(defaulted.name, Known::Value("p".into()));
        assert_eq!(defaulted.id, Known::Value(assignment_id(MACHINE, "p")));
        let named = plan(Known::Value("mine".into())).await;
        assert_eq!(named.id, Known::Value(assignment_id(MACHINE, "mine")));
        // A name known only at apply must stay unknown, not become the schedule's.
        let later = plan(Known::Unknown).await;
        assert_eq!((later.name, later.id), (Known::Unknown, Known::Unknown));
    }

    #[test]
    fn the_schedule_id_keeps_the_users_spelling_unless_it_changed() {
        let schedule = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/p";
        let machine =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m";
        let prior = ScheduleAssignmentModel {
            machine_id: machine.into(),
            schedule_id: schedule.into(),
            name: Some("p".into()),
            id: Some(assignment_id(machine, "p")),
        };
        let answer = |id: &str| ConfigurationAssignment {
            properties: Some(ConfigurationAssignmentProperties {
                maintenance_configuration_id: Some(id.into()),
                ..ConfigurationAssignmentProperties::default()
            }),
            ..ConfigurationAssignment::default()
        };
        assert_eq!(
            assignment_state(&prior, &answer(&schedule.to_lowercase())),
            prior
        );
        let other = schedule.replace("/p", "/q");
        assert_eq!(assignment_state(&prior, &answer(&other)).schedule_id, other);
        assert_eq!(schedule_name(schedule).as_deref(), Some("p"));
    }
}
