//! What exists: the objects the five resources manage, as the emulator holds them and as
//! Terraform's state records them, keyed by lower-cased ARM id (ARM ids compare
//! case-insensitively, and the Maintenance service itself lowercases `resourcegroups`).
//!
//! Orphan checks compare the two: an object that exists in the emulator, did not exist before
//! the test began, and is not in state is an object Terraform lost track of.

use std::collections::BTreeMap;

use arm_emulator::EmulatorHandle;
use serde_json::Value;

/// The kind of object a resource manages, for counting and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// The Hotpatch feature of an Arc machine's license profile (`hotpatch_enrollment`).
    Enrollment,
    /// An Arc machine with `enableHotpatching` on (`hotpatch_machine_setting`).
    MachineSetting,
    /// A maintenance configuration (`hotpatch_maintenance_schedule`).
    Schedule,
    /// A configuration assignment of one machine (`hotpatch_schedule_assignment`).
    Assignment,
    /// A configuration assignment of a subscription or resource group (`hotpatch_dynamic_scope`).
    DynamicScope,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 5] = [
        ObjectKind::Enrollment,
        ObjectKind::MachineSetting,
        ObjectKind::Schedule,
        ObjectKind::Assignment,
        ObjectKind::DynamicScope,
    ];

    /// The Terraform resource type that manages this kind.
    pub fn resource_type(self) -> &'static str {
        match self {
            ObjectKind::Enrollment => "hotpatch_enrollment",
            ObjectKind::MachineSetting => "hotpatch_machine_setting",
            ObjectKind::Schedule => "hotpatch_maintenance_schedule",
            ObjectKind::Assignment => "hotpatch_schedule_assignment",
            ObjectKind::DynamicScope => "hotpatch_dynamic_scope",
        }
    }

    pub fn of_resource_type(t: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.resource_type() == t)
    }

    /// The kind of a configuration assignment by its id: under a machine or VM, or a scope.
    fn of_assignment(id: &str) -> Self {
        let lower = id.to_lowercase();
        if lower.contains("/providers/microsoft.hybridcompute/machines/")
            || lower.contains("/providers/microsoft.compute/virtualmachines/")
        {
            ObjectKind::Assignment
        } else {
            ObjectKind::DynamicScope
        }
    }
}

/// Objects by lower-cased id.
pub type Objects = BTreeMap<String, ObjectKind>;

/// Whether a license profile has the Hotpatch feature on (or turning on): the machine is
/// enrolled, whatever ESU or Software Assurance say.
fn hotpatch_enrolled(profile: &Value) -> bool {
    profile["properties"]["productProfile"]["productFeatures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("Hotpatch"))
        })
        .any(|f| {
            matches!(
                f["subscriptionStatus"].as_str(),
                Some("Enabled" | "Enabling")
            )
        })
}

fn hotpatching_on(machine: &Value) -> bool {
    machine["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]["enableHotpatching"]
        .as_bool()
        .unwrap_or(false)
}

/// Every object of the five kinds the emulator holds now: enrolled license features and
/// hotpatch-enabled Arc machines, schedules, machine assignments and dynamic scopes.
pub fn emulator_objects(emulator: &EmulatorHandle) -> Objects {
    let mut out = Objects::new();
    for name in emulator.machine_names() {
        let machine_id = emulator.machine_id(&name);
        if emulator
            .license_profile(&name)
            .is_some_and(|p| hotpatch_enrolled(&p))
        {
            out.insert(
                format!("{machine_id}/licenseProfiles/default").to_lowercase(),
                ObjectKind::Enrollment,
            );
        }
        if emulator.machine(&name).is_some_and(|m| hotpatching_on(&m)) {
            out.insert(machine_id.to_lowercase(), ObjectKind::MachineSetting);
        }
    }
    let id = |v: &Value| v["id"].as_str().unwrap_or_default().to_lowercase();
    for schedule in emulator.maintenance_configurations() {
        out.insert(id(&schedule), ObjectKind::Schedule);
    }
    for assignment in emulator.configuration_assignments() {
        let id = id(&assignment);
        out.insert(id.clone(), ObjectKind::of_assignment(&id));
    }
    out
}

/// A resource instance in state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateObject {
    pub address: String,
    pub kind: ObjectKind,
}

/// The managed resources of the five kinds in `terraform show -json` output, by lower-cased id.
pub fn state_objects(show: &Value) -> BTreeMap<String, StateObject> {
    let mut out = BTreeMap::new();
    collect(&show["values"]["root_module"], &mut out);
    out
}

fn collect(module: &Value, out: &mut BTreeMap<String, StateObject>) {
    for r in module["resources"].as_array().into_iter().flatten() {
        if r["mode"] != "managed" {
            continue;
        }
        let (Some(kind), Some(id)) = (
            r["type"].as_str().and_then(ObjectKind::of_resource_type),
            r["values"]["id"].as_str(),
        ) else {
            continue;
        };
        out.insert(
            id.to_lowercase(),
            StateObject {
                address: r["address"].as_str().unwrap_or_default().to_string(),
                kind,
            },
        );
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        collect(child, out);
    }
}

/// Objects that exist now, did not exist in `baseline`, and are not in `state`.
pub fn orphans(
    now: &Objects,
    baseline: &Objects,
    state: &BTreeMap<String, StateObject>,
) -> Objects {
    now.iter()
        .filter(|(id, _)| !baseline.contains_key(*id) && !state.contains_key(*id))
        .map(|(id, kind)| (id.clone(), *kind))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enrolled_means_the_hotpatch_feature_is_on_or_turning_on() {
        let profile = |status: &str| {
            json!({"properties": {"productProfile": {"productFeatures": [
                {"name": "hotpatch", "subscriptionStatus": status}]}}})
        };
        assert!(hotpatch_enrolled(&profile("Enabled")));
        assert!(hotpatch_enrolled(&profile("Enabling")));
        assert!(!hotpatch_enrolled(&profile("Disabled")));
        assert!(!hotpatch_enrolled(&json!({"properties": {}})));
    }

    #[test]
    fn assignments_are_told_from_dynamic_scopes_by_their_scope() {
        let m = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m/providers/Microsoft.Maintenance/configurationAssignments/a";
        let s = "/subscriptions/s/providers/Microsoft.Maintenance/configurationAssignments/a";
        assert_eq!(ObjectKind::of_assignment(m), ObjectKind::Assignment);
        assert_eq!(ObjectKind::of_assignment(s), ObjectKind::DynamicScope);
    }

    #[test]
    fn orphans_are_new_objects_missing_from_state_ids_compared_lowercased() {
        let show = json!({"values": {"root_module": {"resources": [
            {"mode": "managed", "type": "hotpatch_maintenance_schedule",
             "address": "hotpatch_maintenance_schedule.s", "values": {"id": "/X/Schedules/A"}},
            {"mode": "data", "type": "hotpatch_maintenance_schedule",
             "address": "data.hotpatch_maintenance_schedule.d", "values": {"id": "/x/schedules/c"}}
        ]}}});
        let state = state_objects(&show);
        assert_eq!(state.len(), 1);
        let now: Objects = [
            ("/x/schedules/a".to_string(), ObjectKind::Schedule),
            ("/x/schedules/b".to_string(), ObjectKind::Schedule),
            ("/x/schedules/c".to_string(), ObjectKind::Schedule),
        ]
        .into();
        let baseline: Objects = [("/x/schedules/c".to_string(), ObjectKind::Schedule)].into();
        let lost = orphans(&now, &baseline, &state);
        assert_eq!(lost.keys().collect::<Vec<_>>(), vec!["/x/schedules/b"]);
    }
}
