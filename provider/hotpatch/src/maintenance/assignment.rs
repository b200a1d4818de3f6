//! `hotpatch_schedule_assignment`: attaches one Arc machine or Azure VM to a schedule, as the
//! extension resource `<machine id>/providers/Microsoft.Maintenance/configurationAssignments/<name>`
//! (CONTRACT §4.2). Every argument forces replacement (the API has no PATCH at resource level).
//! Ids are kept as the user wrote them and compared case-insensitively with what ARM returns.

use armclient::models::maintenance::{
    ConfigurationAssignment, ConfigurationAssignmentProperties, API_VERSION,
};
use armclient::resource_id::{ids_equal, ResourceId};
use async_trait::async_trait;
use tfframework::raw;
use tfframework::{
    AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics, Known,
    ObjectBuilder, ObjectReader, ResourceSchema, Validator, Value,
};

use super::schedule::parse_schedule_id;
use crate::arm_diag::{arm_error, delete_outcome, read_outcome};
use crate::provider::HotpatchData;

/// What sits between the machine id and the assignment name.
pub const ASSIGNMENT_INFIX: &str = "/providers/Microsoft.Maintenance/configurationAssignments/";

pub struct ScheduleAssignmentResource;

/// An Arc machine or Azure VM id.
struct MachineOrVmId;

impl Validator for MachineOrVmId {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(id) = value.as_str() else { return };
        let ok = ResourceId::parse(id).is_ok_and(|r| {
            r.resource_group().is_some()
                && r.resource_types().len() == 1
                && (r.is_type("Microsoft.HybridCompute/machines")
                    || r.is_type("Microsoft.Compute/virtualMachines"))
        });
        if !ok {
            diags.error_at(path.clone(), "Invalid machine id", format!("{path} must be an Arc machine id (.../providers/Microsoft.HybridCompute/machines/<name>) or an Azure VM id (.../providers/Microsoft.Compute/virtualMachines/<name>), got {id:?}."));
        }
    }
}

/// A maintenance configuration id.
pub struct ScheduleId;

impl Validator for ScheduleId {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(id) = value.as_str() {
            if let Err(e) = parse_schedule_id(id) {
                diags.error_at(path.clone(), "Invalid schedule id", format!("{path}: {e}."));
            }
        }
    }
}

/// `(machine id, assignment name)` of an assignment id.
fn split_assignment_id(id: &str) -> Option<(&str, &str)> {
    let lower = id.to_ascii_lowercase();
    let at = lower.rfind(&ASSIGNMENT_INFIX.to_ascii_lowercase())?;
    let name = &id[at + ASSIGNMENT_INFIX.len()..];
    (!name.is_empty() && !name.contains('/')).then(|| (&id[..at], name))
}

fn state_from(prior: &Value, a: &ConfigurationAssignment) -> Value {
    let r = ObjectReader::new(prior);
    let prior_schedule = r.get::<Option<String>>("schedule_id").ok().flatten();
    let service = a
        .properties
        .as_ref()
        .and_then(|p| p.maintenance_configuration_id.clone());
    let schedule = match (prior_schedule, service) {
        (Some(p), Some(s)) if ids_equal(&p, &s) => Some(p),
        (_, s) => s,
    };
    ObjectBuilder::from_value(prior)
        .set("schedule_id", schedule)
        .build()
}

#[async_trait]
impl raw::Resource<HotpatchData> for ScheduleAssignmentResource {
    fn type_name(&self) -> &str {
        "hotpatch_schedule_assignment"
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema::new(
            0,
            BlockSchema::new()
                .description("Attaches one Azure Arc machine or Azure VM to a `hotpatch_maintenance_schedule`.")
                .attribute(AttributeSchema::string("machine_id").required().requires_replace().validator(MachineOrVmId).description("ARM id of an Arc machine (`Microsoft.HybridCompute/machines`) or an Azure VM (`Microsoft.Compute/virtualMachines`)."))
                .attribute(AttributeSchema::string("schedule_id").required().requires_replace().validator(ScheduleId).description("ARM id of the maintenance schedule (`hotpatch_maintenance_schedule.<name>.id`)."))
                .attribute(AttributeSchema::string("name").optional().computed().requires_replace().use_state_for_unknown().description("Name of the assignment. Default: the schedule's name."))
                .attribute(AttributeSchema::string("id").computed().use_state_for_unknown().description("`<machine_id>/providers/Microsoft.Maintenance/configurationAssignments/<name>`.")),
        )
    }

    async fn modify_plan(
        &self,
        _ctx: &Context,
        _data: Option<&HotpatchData>,
        req: &raw::PlanRequest<'_>,
        planned: &mut Value,
        _diags: &mut Diagnostics,
    ) {
        let r = ObjectReader::new(req.config);
        let known = |n: &str| r.get::<Known<String>>(n).ok().and_then(Known::known);
        let name = known("name").or_else(|| {
            let schedule = known("schedule_id")?;
            parse_schedule_id(&schedule).ok().map(|(_, _, n)| n)
        });
        if !req.is_create() {
            return;
        }
        if let (Some(n), Some(slot)) = (&name, planned.attr_mut("name")) {
            *slot = Value::string(n);
        }
        if let (Some(n), Some(m), Some(slot)) = (name, known("machine_id"), planned.attr_mut("id"))
        {
            *slot = Value::string(format!("{m}{ASSIGNMENT_INFIX}{n}"));
        }
    }

    async fn create(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let r = ObjectReader::new(req.planned);
        let (machine, schedule, name) = match (
            r.get::<String>("machine_id"),
            r.get::<String>("schedule_id"),
            r.get::<String>("name"),
        ) {
            (Ok(m), Ok(s), Ok(n)) => (m, s, n),
            (Err(d), _, _) | (_, Err(d), _) | (_, _, Err(d)) => return (None, d.into()),
        };
        let id = format!("{machine}{ASSIGNMENT_INFIX}{name}");
        let body = ConfigurationAssignment {
            properties: Some(ConfigurationAssignmentProperties {
                maintenance_configuration_id: Some(schedule),
                ..ConfigurationAssignmentProperties::default()
            }),
            ..ConfigurationAssignment::default()
        };
        let planned = ObjectBuilder::from_value(req.planned)
            .set("id", id.as_str())
            .build();
        match data
            .arm
            .put::<_, ConfigurationAssignment>(&id, API_VERSION, &body)
            .await
        {
            Ok(a) => (Some(state_from(&planned, &a)), Diagnostics::new()),
            Err(e) if e.status().is_some() => (
                None,
                arm_error("assigning the machine to the schedule", &e).into(),
            ),
            Err(e) => {
                let after = data
                    .arm
                    .get_optional::<ConfigurationAssignment>(&id, API_VERSION)
                    .await
                    .ok()
                    .flatten();
                (
                    after.map(|a| state_from(&planned, &a)),
                    arm_error("assigning the machine to the schedule", &e).into(),
                )
            }
        }
    }

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        current: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let id = match ObjectReader::new(current).get::<String>("id") {
            Ok(id) => id,
            Err(d) => return (None, d.into()),
        };
        let lookup = data
            .arm
            .get_optional::<ConfigurationAssignment>(&id, API_VERSION)
            .await;
        read_outcome(current, "reading the schedule assignment", lookup, |a| {
            Some(state_from(current, &a))
        })
    }

    async fn update(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        // Every argument forces replacement; nothing is updated in place.
        (Some(req.planned.clone()), Diagnostics::new())
    }

    async fn delete(&self, _ctx: &Context, data: &HotpatchData, prior: &Value) -> Diagnostics {
        let id = match ObjectReader::new(prior).get::<String>("id") {
            Ok(id) => id,
            Err(d) => return d.into(),
        };
        delete_outcome(
            "removing the schedule assignment",
            data.arm.delete(&id, API_VERSION).await,
        )
    }

    async fn import(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: &raw::ImportRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let id = req.id.trim();
        let Some((machine, name)) = split_assignment_id(id) else {
            let d = Diagnostic::error("Invalid import id", format!("Import hotpatch_schedule_assignment by its id, <machine id>{ASSIGNMENT_INFIX}<name>; got {id:?}."));
            return (None, d.into());
        };
        let mut diags = Diagnostics::new();
        MachineOrVmId.validate(
            &Value::string(machine),
            &AttributePath::attr("machine_id"),
            &mut diags,
        );
        if diags.has_errors() {
            return (None, diags);
        }
        let partial = ObjectBuilder::new()
            .set("id", id)
            .set("machine_id", machine)
            .set("name", name)
            .set("schedule_id", None::<String>)
            .build();
        (Some(partial), diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_assignment_ids_case_insensitively() {
        let m = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m1";
        assert_eq!(
            split_assignment_id(&format!("{m}{ASSIGNMENT_INFIX}a1")),
            Some((m, "a1"))
        );
        let lower = format!("{m}{}a1", ASSIGNMENT_INFIX.to_lowercase());
        assert_eq!(split_assignment_id(&lower), Some((m, "a1")));
        assert_eq!(split_assignment_id(m), None);
        assert_eq!(split_assignment_id(&format!("{m}{ASSIGNMENT_INFIX}")), None);
    }
}
