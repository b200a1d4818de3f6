//! A schedule firing: what Update Manager does when an InGuestPatch maintenance window opens.
//! The schedule's targets are its resource-level assignments plus every machine and VM its
//! dynamic scopes select (subscription or resource group, `scope_filter`); each target gets
//! one install run with the schedule's `installPatches` settings, all sharing one
//! `maintenanceRunId`, visible afterwards in Resource Graph history.
//!
//! Targets that the service would not patch are reported as skipped (INFERENCE, the contract
//! describes prerequisites, not the service's reaction):
//! * an Arc machine whose agent is not `Connected` (CONTRACT §5.1: actions need it);
//! * an Azure VM whose patch orchestration is not customer-managed schedules, i.e. not
//!   `patchMode: AutomaticByPlatform` with `bypassPlatformSafetyChecksOnUserSchedule: true`
//!   (CONTRACT §3), which is also why a VM with hotpatching on is never patched by a schedule.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::assignments::{self, Assignment};
use super::scope_filter::{self, Candidate};
use crate::compute::VM_TYPE;
use crate::hybridcompute::{patches, MACHINE_TYPE};
use crate::router::ArmPath;
use crate::state::{lock, State, Store};

/// What one firing did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleFiring {
    /// The schedule run id every run of this firing carries.
    pub maintenance_run_id: String,
    pub runs: Vec<FiredRun>,
    pub skipped: Vec<SkippedResource>,
}

/// An install run started on one machine or VM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FiredRun {
    pub resource_id: String,
    pub run_id: String,
    /// Ids of the assignments that selected the resource.
    pub assignments: Vec<String>,
}

/// A selected resource the service would not patch, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedResource {
    pub resource_id: String,
    pub reason: String,
}

/// One machine or VM of the store, with the facts targeting needs.
struct Resource {
    key: String,
    id: String,
    resource_type: &'static str,
    resource_group: String,
    os_type: String,
    location: String,
    tags: Option<Value>,
    /// Why the service would not patch it, if so.
    unpatchable: Option<String>,
}

fn resources(state: &State, store: &Store) -> Vec<Resource> {
    let sub = &state.config.subscription_id;
    let machines = store.machines.iter().map(|(key, m)| Resource {
        key: key.clone(),
        id: m.id(sub),
        resource_type: MACHINE_TYPE,
        resource_group: m.resource_group.clone(),
        os_type: m.str_prop("osType").to_string(),
        location: m.location.clone(),
        tags: m.tags.clone(),
        unpatchable: (!m.str_prop("status").eq_ignore_ascii_case("Connected")).then(|| {
            format!(
                "the machine's agent is '{}', not 'Connected'",
                m.str_prop("status")
            )
        }),
    });
    let vms = store.virtual_machines.iter().map(|(key, vm)| Resource {
        key: key.clone(),
        id: vm.id(sub),
        resource_type: VM_TYPE,
        resource_group: vm.resource_group.clone(),
        os_type: if vm.is_windows() { "Windows" } else { "Linux" }.to_string(),
        location: vm.location.clone(),
        tags: vm.tags.clone(),
        unpatchable: (!vm.customer_managed_schedules()).then(|| {
            "patch orchestration is not customer-managed schedules (patchMode AutomaticByPlatform with bypassPlatformSafetyChecksOnUserSchedule)".to_string()
        }),
    });
    machines.chain(vms).collect()
}

/// Whether assignment `a` selects `r`.
fn selects(state: &State, a: &Assignment, r: &Resource) -> bool {
    let Some(scope) = ArmPath::parse(&format!(
        "{}/providers/Microsoft.Maintenance/configurationAssignments/{}",
        a.scope, a.name
    )) else {
        return false;
    };
    if !scope.parent.is_empty() {
        // Resource level: the parent resource itself.
        return a.scope.eq_ignore_ascii_case(&r.id);
    }
    let in_scope = scope
        .subscription
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case(&state.config.subscription_id))
        && scope
            .resource_group
            .as_deref()
            .is_none_or(|rg| rg.eq_ignore_ascii_case(&r.resource_group));
    in_scope
        && scope_filter::selects(
            a.properties.get("filter"),
            &Candidate {
                resource_type: r.resource_type,
                resource_group: &r.resource_group,
                os_type: &r.os_type,
                location: &r.location,
                tags: r.tags.as_ref(),
            },
        )
}

/// Fires the schedule named `name` (any resource group) now.
pub(crate) fn fire(state: &State, name: &str) -> Result<ScheduleFiring, String> {
    let mut store = lock(&state.store);
    let (config_key, schedule) = store
        .maintenance
        .configurations
        .iter()
        .find(|(_, c)| c.name.eq_ignore_ascii_case(name))
        .map(|(k, c)| (k.clone(), c.clone()))
        .ok_or_else(|| format!("maintenance configuration '{name}' not found"))?;
    let scope = schedule
        .properties
        .get("maintenanceScope")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !scope.eq_ignore_ascii_case("InGuestPatch") {
        return Err(format!(
            "maintenance configuration '{name}' has scope '{scope}', not 'InGuestPatch'"
        ));
    }
    let sub = state.config.subscription_id.clone();
    let assignments: Vec<Assignment> = store
        .maintenance
        .assignments
        .values()
        .filter(|a| {
            a.properties
                .get("maintenanceConfigurationId")
                .and_then(Value::as_str)
                .and_then(assignments::configuration_ref)
                .is_some_and(|(s, k)| s.eq_ignore_ascii_case(&sub) && k == config_key)
        })
        .cloned()
        .collect();
    // Resource id -> (resource, assignment ids), in store order.
    let mut selected: BTreeMap<String, (Resource, Vec<String>)> = BTreeMap::new();
    for r in resources(state, &store) {
        let by: Vec<String> = assignments
            .iter()
            .filter(|a| selects(state, a, &r))
            .map(Assignment::id)
            .collect();
        if !by.is_empty() {
            selected.insert(r.key.clone(), (r, by));
        }
    }
    let mut firing = ScheduleFiring {
        maintenance_run_id: uuid::Uuid::new_v4().to_string(),
        ..ScheduleFiring::default()
    };
    let install = schedule.properties.get("installPatches");
    for (key, (r, by)) in selected {
        if let Some(reason) = r.unpatchable {
            firing.skipped.push(SkippedResource {
                resource_id: r.id,
                reason,
            });
            continue;
        }
        let run_id =
            patches::fire_schedule_run(&mut store, &key, &firing.maintenance_run_id, install);
        firing.runs.push(FiredRun {
            resource_id: r.id,
            run_id,
            assignments: by,
        });
    }
    Ok(firing)
}
