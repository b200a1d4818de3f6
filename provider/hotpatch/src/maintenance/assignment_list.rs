//! The `hotpatch_schedule_assignment` list resource: `terraform query` for the machines
//! attached to one schedule (`schedule_id`) or the schedules one machine is attached to
//! (`machine_id`), each ready to import by identity.
//!
//! Costs one call either way. A machine's assignments are one Maintenance list under the
//! machine. A schedule's are found with one paged Resource Graph query over
//! `maintenanceresources` (CONTRACT §6.3), which is where the portal looks too: the
//! Maintenance API has no list by schedule (its subscription-wide list is documented as "not
//! implemented yet"), and listing every machine's assignments would cost one read per machine.
//! Dynamic scopes share the assignment type but belong to `hotpatch_dynamic_scope`, so only
//! assignments under an Arc machine or Azure VM are listed.

use armclient::models::maintenance::{ConfigurationAssignment, API_VERSION, ASSIGNMENT_TYPE};
use armclient::resource_id::ResourceId;
use armclient::resourcegraph::Query;
use async_trait::async_trait;
use tfframework::{
    AttributePath, Context, Diagnostic, Diagnostics, Known, ListRequest, ListResource, ListResult,
    ListSink, Model, Resource,
};

use super::assignment_resource::{
    assignment_state, ScheduleAssignmentModel, ScheduleAssignmentResource,
};
use super::ids::{
    accepts, parse_schedule_id, split_assignment_id, IdIdentity, MachineOrVmId, ScheduleId,
    ASSIGNMENT_INFIX,
};
use crate::arm_diag::arm_error;
use crate::list_scope::push_collection;
use crate::provider_data::HotpatchData;

/// The Resource Graph table holding configuration assignments.
const MAINTENANCE_TABLE: &str = "maintenanceresources";

/// Lists schedule assignments: those of one schedule, or those of one machine.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct AssignmentListConfig {
    /// List the machines attached to this schedule (ARM id of a maintenance configuration).
    #[tf(optional, validator = ScheduleId)]
    pub schedule_id: Option<String>,
    /// List the schedules this Arc machine or Azure VM is attached to.
    #[tf(optional, validator = MachineOrVmId)]
    pub machine_id: Option<String>,
}

pub struct AssignmentList;

type Found = ListResult<ScheduleAssignmentModel, IdIdentity>;

/// The result for one assignment, or None for anything that is not a machine's assignment.
fn result(a: &ConfigurationAssignment) -> Option<Found> {
    let id = a.id.clone()?;
    let (machine, name) = split_assignment_id(&id)?;
    if !accepts(&MachineOrVmId, machine) {
        return None;
    }
    let known = ScheduleAssignmentModel {
        machine_id: machine.to_owned(),
        schedule_id: String::new(),
        name: Some(name.to_owned()),
        id: Some(id.clone()),
    };
    let state = assignment_state(&known, a);
    let schedule = parse_schedule_id(&state.schedule_id)
        .map_or_else(|_| state.schedule_id.clone(), |(_, _, n)| n);
    let machine_name = ResourceId::parse(machine)
        .ok()
        .and_then(|r| r.name().map(str::to_owned))
        .unwrap_or_else(|| machine.to_owned());
    Some(ListResult {
        display_name: format!("{machine_name} → {schedule} ({name})"),
        identity: IdIdentity { id },
        resource_object: Some(state),
        diagnostics: Diagnostics::new(),
    })
}

/// Pushes `found` until Terraform wants no more.
async fn push_all(
    found: impl IntoIterator<Item = Found>,
    sink: &mut ListSink<'_, ScheduleAssignmentModel, IdIdentity>,
) {
    for r in found {
        if !sink.push(r).await {
            return;
        }
    }
}

#[async_trait]
impl ListResource<HotpatchData> for AssignmentList {
    type Config = AssignmentListConfig;
    type Model = ScheduleAssignmentModel;
    type Identity = IdIdentity;
    const TYPE_NAME: &'static str =
        <ScheduleAssignmentResource as Resource<HotpatchData>>::TYPE_NAME;

    fn validate(&self, config: &AssignmentListConfigPlan, diags: &mut Diagnostics) {
        let schedule = !matches!(config.schedule_id, Known::Null);
        let machine = !matches!(config.machine_id, Known::Null);
        if schedule == machine {
            diags.error_at(
                AttributePath::attr(AssignmentListConfig::SCHEDULE_ID),
                "Give schedule_id or machine_id",
                "List the assignments of one schedule (schedule_id) or of one machine (machine_id): set exactly one of them.",
            );
        }
    }

    async fn list(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ListRequest<'_, AssignmentListConfig>,
        sink: &mut ListSink<'_, ScheduleAssignmentModel, IdIdentity>,
    ) -> Diagnostics {
        if let Some(machine) = &req.config.machine_id {
            let path = format!("{machine}{}", ASSIGNMENT_INFIX.trim_end_matches('/'));
            return match push_collection(
                &data.arm_for(ctx),
                &path,
                API_VERSION,
                "listing the machine's schedule assignments",
                sink,
                result,
            )
            .await
            {
                Ok(_) => Diagnostics::new(),
                Err(d) => d.into(),
            };
        }
        let Some(schedule) = &req.config.schedule_id else {
            return Diagnostic::error("Give schedule_id or machine_id", "Set exactly one of them.")
                .into();
        };
        let subscription = match parse_schedule_id(schedule) {
            Ok((sub, _, _)) => sub,
            Err(e) => return Diagnostic::error("Invalid schedule id", e).into(),
        };
        let query = Query::table(MAINTENANCE_TABLE)
            .where_equals("type", ASSIGNMENT_TYPE)
            .where_equals("properties.maintenanceConfigurationId", schedule)
            .project(&["id", "name", "properties"])
            .order_by_asc("id");
        let arm = data.arm_for(ctx);
        match arm
            .resource_graph::<ConfigurationAssignment>(&[subscription], &query)
            .await
        {
            Ok(found) => {
                push_all(found.rows.iter().filter_map(result), sink).await;
                Diagnostics::new()
            }
            Err(e) => {
                arm_error("listing the schedule's assignments with Resource Graph", &e).into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SCHEDULE: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/patch";

    #[test]
    fn machine_assignments_are_results_and_dynamic_scopes_are_not() {
        let vm =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
        let a = |id: &str| -> ConfigurationAssignment {
            serde_json::from_value(json!({"id": id, "name": "x",
                "properties": {"maintenanceConfigurationId": SCHEDULE}}))
            .unwrap()
        };
        let found = result(&a(&format!("{vm}{ASSIGNMENT_INFIX}patch"))).unwrap();
        let state = found.resource_object.unwrap();
        assert_eq!(state.machine_id, vm);
        assert_eq!(state.schedule_id, SCHEDULE);
        assert_eq!(state.name.as_deref(), Some("patch"));
        assert_eq!(found.display_name, "vm1 → patch (patch)");
        assert!(result(&a(&format!("/subscriptions/s{ASSIGNMENT_INFIX}prod"))).is_none());
        assert!(result(&a(&format!(
            "/subscriptions/s/resourceGroups/rg{ASSIGNMENT_INFIX}prod"
        )))
        .is_none());
    }
}
