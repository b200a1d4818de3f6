//! Out-of-band schedule edits (what a portal user or another tool would change behind
//! Terraform's back), used by the admin API and the typed `EmulatorHandle` methods.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::configurations;
use crate::state::{lock, State};

/// Changes to a schedule's patch selection; absent fields are left alone. Values are stored
/// verbatim, like a write through the service would.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScheduleChanges {
    pub kb_numbers_to_include: Option<Vec<String>>,
    pub kb_numbers_to_exclude: Option<Vec<String>>,
    pub classifications_to_include: Option<Vec<String>>,
    /// `IfRequired`, `Never` or `Always`.
    pub reboot_setting: Option<String>,
    /// `hh:mm`.
    pub duration: Option<String>,
}

/// The schedule body a GET would return, found by name in any resource group.
pub(crate) fn schedule(state: &State, name: &str) -> Option<Value> {
    let store = lock(&state.store);
    store
        .maintenance
        .configurations
        .values()
        .find(|c| c.name.eq_ignore_ascii_case(name))
        .map(|c| configurations::render(state, c))
}

pub(crate) fn change_schedule(
    state: &State,
    name: &str,
    changes: &ScheduleChanges,
) -> Result<(), String> {
    let mut store = lock(&state.store);
    let c = store
        .maintenance
        .configurations
        .values_mut()
        .find(|c| c.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| format!("maintenance configuration '{name}' not found"))?;
    let p = &mut c.properties;
    if let Some(d) = &changes.duration {
        let window = crate::hybridcompute::machines::obj_entry(p, "maintenanceWindow");
        window.insert("duration".into(), json!(d));
    }
    let ip = crate::hybridcompute::machines::obj_entry(p, "installPatches");
    if let Some(r) = &changes.reboot_setting {
        ip.insert("rebootSetting".into(), json!(r));
    }
    let w = crate::hybridcompute::machines::obj_entry(ip, "windowsParameters");
    let lists = [
        ("kbNumbersToInclude", &changes.kb_numbers_to_include),
        ("kbNumbersToExclude", &changes.kb_numbers_to_exclude),
        (
            "classificationsToInclude",
            &changes.classifications_to_include,
        ),
    ];
    for (field, value) in lists {
        if let Some(v) = value {
            w.insert(field.into(), json!(v));
        }
    }
    Ok(())
}

/// Every schedule (maintenance configuration), in any resource group, as a GET would return it.
pub(crate) fn schedules(state: &State) -> Vec<Value> {
    let store = lock(&state.store);
    store
        .maintenance
        .configurations
        .values()
        .map(|c| configurations::render(state, c))
        .collect()
}

/// Every configuration assignment (to a machine, a VM or a scope), as a GET would return it.
pub(crate) fn assignments(state: &State) -> Vec<Value> {
    let store = lock(&state.store);
    store
        .maintenance
        .assignments
        .values()
        .map(super::assignments::render)
        .collect()
}

/// An assignment body by its full id (case-insensitive), as a GET would return it.
pub(crate) fn assignment(state: &State, id: &str) -> Option<Value> {
    let store = lock(&state.store);
    store
        .maintenance
        .assignments
        .values()
        .find(|a| a.id().eq_ignore_ascii_case(id))
        .map(super::assignments::render)
}

/// Removes an assignment out of band (e.g. a machine detached in the portal).
pub(crate) fn delete_assignment(state: &State, id: &str) -> Result<(), String> {
    let mut store = lock(&state.store);
    let before = store.maintenance.assignments.len();
    store
        .maintenance
        .assignments
        .retain(|_, a| !a.id().eq_ignore_ascii_case(id));
    if store.maintenance.assignments.len() < before {
        Ok(())
    } else {
        Err(format!("configuration assignment '{id}' not found"))
    }
}
