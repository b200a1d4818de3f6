//! `assessPatches` / `installPatches` of Arc machines (CONTRACT §2.4) and Azure VMs (§3), and
//! the update history they leave.
//!
//! One engine serves both resource providers because Update Manager does: the same catalogue
//! (`crate::catalogue`), the same selection rules (`selection`), the same Resource Graph tables
//! (`rows`). What differs per [`Kind`] is only what the specs make differ: which body fields
//! are required, the namespace of the operation URLs, the shape of the final LRO body (Arc
//! counts per classification; VMs add per-patch arrays, `vm_results`) and the row types.
//!
//! Both are POST LROs answered `202` with only `Location` (final-state-via location): the
//! Location URL answers 202 while the operation runs and 200 with the result when it is done.
//! Work happens when the operation completes (`complete`), against the machine's catalogue
//! minus what it already installed. Every assessment and run is kept with its patches, since
//! Arc results expose per-KB detail only through Resource Graph.

mod rows;
mod selection;
mod vm_results;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

pub(crate) use rows::{table_rows, ASSESSMENT_TABLE, INSTALLATION_TABLE};
use selection::InstallParams;

use crate::catalogue::{self, Update};
use crate::errors::ArmError;
use crate::lro::{self, OpKind, Operation};
use crate::reply::Reply;
use crate::router::Req;
use crate::seed;
use crate::state::{State, Store};

/// Which resource provider a patched machine belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Arc,
    Vm,
}

impl Kind {
    fn namespace(self) -> &'static str {
        match self {
            Kind::Arc => super::NAMESPACE,
            Kind::Vm => crate::compute::NAMESPACE,
        }
    }

    fn api_version(self) -> &'static str {
        match self {
            Kind::Arc => super::API_VERSION,
            Kind::Vm => crate::compute::API_VERSION,
        }
    }

    /// The machine's type as Resource Graph writes it (lower case).
    fn graph_type(self) -> &'static str {
        match self {
            Kind::Arc => "microsoft.hybridcompute/machines",
            Kind::Vm => "microsoft.compute/virtualmachines",
        }
    }
}

/// The facts of a patched machine the engine needs, whichever store holds it.
pub(crate) struct Target {
    kind: Kind,
    name: String,
    resource_group: String,
    location: String,
    windows: bool,
}

impl Target {
    fn id(&self, subscription: &str) -> String {
        match self.kind {
            Kind::Arc => seed::machine_id(subscription, &self.resource_group, &self.name),
            Kind::Vm => seed::vm_id(subscription, &self.resource_group, &self.name),
        }
    }
}

/// The machine or VM stored under `key` (machine and VM keys never collide).
fn target(store: &Store, key: &str) -> Option<Target> {
    if let Some(m) = store.machines.get(key) {
        return Some(Target {
            kind: Kind::Arc,
            name: m.name.clone(),
            resource_group: m.resource_group.clone(),
            location: m.location.clone(),
            windows: m.is_windows(),
        });
    }
    let vm = store.virtual_machines.get(key)?;
    Some(Target {
        kind: Kind::Vm,
        name: vm.name.clone(),
        resource_group: vm.resource_group.clone(),
        location: vm.location.clone(),
        windows: vm.is_windows(),
    })
}

/// Patch state of every machine that has been assessed or patched, plus injected failures.
#[derive(Default)]
pub(crate) struct PatchStore {
    /// Keyed by machine key or VM key.
    pub machines: BTreeMap<String, MachinePatches>,
    /// Messages for the next install runs that must fail.
    pub install_failures: VecDeque<String>,
}

#[derive(Default)]
pub(crate) struct MachinePatches {
    installed: BTreeSet<&'static str>,
    reboot_pending: bool,
    assessment: Option<Assessment>,
    runs: Vec<Run>,
}

struct Assessment {
    id: String,
    status: &'static str,
    start: OffsetDateTime,
    end: OffsetDateTime,
    available: Vec<Update>,
    reboot_pending: bool,
    error: Option<Value>,
}

struct Run {
    id: String,
    status: &'static str,
    start: OffsetDateTime,
    end: OffsetDateTime,
    started_by: &'static str,
    maintenance_run_id: Option<String>,
    reboot_status: &'static str,
    params: InstallParams,
    patches: Vec<(Update, &'static str)>,
    /// Set at start by fault injection; the run fails with it.
    fail_message: Option<String>,
    error: Option<Value>,
}

/// Parses the request body: assessPatches takes `{}` or nothing, installPatches its
/// parameters.
fn body<T: for<'de> Deserialize<'de> + Default>(req: &Req) -> Result<T, Reply> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&req.body).map_err(|e| {
        ArmError::invalid_content(format!(
            "The request content was invalid and could not be deserialized: {e}."
        ))
        .into()
    })
}

/// `202` with `Location` and `Retry-After` only: the patch operations of both RPs declare
/// final-state-via location and no Azure-AsyncOperation header.
fn accepted(state: &State, kind: Kind, location: &str, op_id: &str) -> Reply {
    let url = format!(
        "{}/subscriptions/{}/providers/{}/locations/{location}/operationResults/{op_id}?api-version={}",
        state.base_url,
        state.config.subscription_id,
        kind.namespace(),
        kind.api_version()
    );
    Reply::empty(StatusCode::ACCEPTED)
        .header("Location", url)
        .header("Retry-After", state.config.lro_retry_after_secs.to_string())
}

/// The location of the `kind` machine stored under `key`, or that RP's 404.
fn location_or_404(
    store: &Store,
    kind: Kind,
    key: &str,
    rg: &str,
    name: &str,
) -> Result<String, Reply> {
    match target(store, key) {
        Some(t) if t.kind == kind => Ok(t.location),
        _ => Err(match kind {
            Kind::Arc => super::machines::machine_not_found(rg, name),
            Kind::Vm => ArmError::resource_not_found(crate::compute::VM_TYPE, name, rg),
        }
        .into()),
    }
}

fn conflict_if_busy(store: &Store, key: &str) -> Result<(), Reply> {
    let busy = store.operations.values().any(|o| {
        o.resource_key == key
            && o.end_time.is_none()
            && matches!(o.kind, OpKind::AssessPatches | OpKind::InstallPatches)
    });
    if busy {
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            "Conflict",
            "Another patch operation is in progress on this machine.",
        )
        .into());
    }
    Ok(())
}

/// `POST {MACHINE or VM}/assessPatches`; `key` is the machine or VM store key.
pub(crate) fn assess(
    state: &State,
    store: &mut Store,
    req: &Req,
    kind: Kind,
    key: &str,
    rg: &str,
    name: &str,
) -> Reply {
    let location = match location_or_404(store, kind, key, rg, name) {
        Ok(l) => l,
        Err(r) => return r,
    };
    if let Err(r) = body::<Value>(req).map(|_| ()) {
        return r;
    }
    if let Err(r) = conflict_if_busy(store, key) {
        return r;
    }
    let op = lro::start(
        state,
        store,
        req,
        kind.namespace(),
        &location,
        key,
        OpKind::AssessPatches,
    );
    let now = OffsetDateTime::now_utc();
    let entry = store.patches.machines.entry(key.to_string()).or_default();
    let reboot_pending = entry.reboot_pending;
    entry.assessment = Some(Assessment {
        id: op.clone(),
        status: "InProgress",
        start: now,
        end: now,
        available: Vec::new(),
        reboot_pending,
        error: None,
    });
    accepted(state, kind, &location, &op)
}

/// `POST {MACHINE or VM}/installPatches`; `key` is the machine or VM store key.
pub(crate) fn install(
    state: &State,
    store: &mut Store,
    req: &Req,
    kind: Kind,
    key: &str,
    rg: &str,
    name: &str,
) -> Reply {
    let location = match location_or_404(store, kind, key, rg, name) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let params = match body::<InstallParams>(req).and_then(|p| p.validated(kind)) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = conflict_if_busy(store, key) {
        return r;
    }
    let op = lro::start(
        state,
        store,
        req,
        kind.namespace(),
        &location,
        key,
        OpKind::InstallPatches,
    );
    let fail_message = store.patches.install_failures.pop_front();
    let now = OffsetDateTime::now_utc();
    store
        .patches
        .machines
        .entry(key.to_string())
        .or_default()
        .runs
        .push(Run {
            id: op.clone(),
            status: "InProgress",
            start: now,
            end: now,
            started_by: "User",
            maintenance_run_id: None,
            reboot_status: "Unknown",
            params,
            patches: Vec::new(),
            fail_message,
            error: None,
        });
    accepted(state, kind, &location, &op)
}

/// The updates `target` can still install.
fn applicable(target: Option<&Target>, installed: &BTreeSet<&'static str>) -> Vec<Update> {
    if !target.is_some_and(|t| t.windows) {
        return Vec::new();
    }
    catalogue::WINDOWS
        .iter()
        .filter(|u| !installed.contains(u.kb_id))
        .copied()
        .collect()
}

/// Runs an install on `mp` now: selection, reboot handling, the failure fault.
fn run_install(mp: &mut MachinePatches, target: Option<&Target>, run: &mut Run) {
    let available = applicable(target, &mp.installed);
    let failing = run.fail_message.clone();
    run.patches = available
        .iter()
        .map(|u| {
            let s = run.params.state_of(u);
            (
                *u,
                if s == "Installed" && failing.is_some() {
                    "Failed"
                } else {
                    s
                },
            )
        })
        .collect();
    run.end = OffsetDateTime::now_utc();
    if let Some(message) = failing {
        run.status = "Failed";
        run.reboot_status = "NotNeeded";
        run.error = Some(json!({ "code": "PatchInstallationFailed", "message": message }));
        return;
    }
    let installed: Vec<&Update> = run
        .patches
        .iter()
        .filter(|(_, s)| *s == "Installed")
        .map(|(u, _)| u)
        .collect();
    let needs_reboot = installed.iter().any(|u| u.reboot_required()) || mp.reboot_pending;
    run.reboot_status = match (run.params.reboot_setting(), needs_reboot) {
        ("Always", _) | ("IfRequired", true) => "Completed",
        ("Never", true) => "Required",
        _ => "NotNeeded",
    };
    mp.reboot_pending = run.reboot_status == "Required";
    mp.installed.extend(installed.iter().map(|u| u.kb_id));
    run.status = "Succeeded";
}

/// Completes an assess/install operation; `Err` fails the operation itself (injected
/// `FailNextLro`), which is different from a run that ends `Failed`.
pub(crate) fn complete(store: &mut Store, op: &Operation) -> Result<(), Value> {
    if let Some(m) = &op.fail_message {
        return Err(json!({ "code": "OperationFailed", "message": m }));
    }
    let target = target(store, &op.resource_key);
    let Some(mp) = store.patches.machines.get_mut(&op.resource_key) else {
        return Ok(());
    };
    match op.kind {
        OpKind::AssessPatches => {
            let available = applicable(target.as_ref(), &mp.installed);
            let reboot_pending = mp.reboot_pending;
            if let Some(a) = mp.assessment.as_mut().filter(|a| a.id == op.id) {
                a.status = "Succeeded";
                a.end = OffsetDateTime::now_utc();
                a.available = available;
                a.reboot_pending = reboot_pending;
            }
        }
        OpKind::InstallPatches => {
            let Some(pos) = mp.runs.iter().position(|r| r.id == op.id) else {
                return Ok(());
            };
            let mut run = mp.runs.remove(pos);
            run_install(mp, target.as_ref(), &mut run);
            mp.runs.insert(pos, run);
        }
        _ => {}
    }
    Ok(())
}

/// The final 200 body of a finished assess/install operation, in its RP's result shape.
pub(crate) fn result(store: &Store, op: &Operation) -> Option<Value> {
    let mp = store.patches.machines.get(&op.resource_key)?;
    let target = target(store, &op.resource_key);
    let vm = target.as_ref().is_some_and(|t| t.kind == Kind::Vm);
    match op.kind {
        OpKind::AssessPatches => {
            let a = mp.assessment.as_ref().filter(|a| a.id == op.id)?;
            Some(if vm {
                vm_results::assessment(a)
            } else {
                rows::assessment_properties(a, target.as_ref())
            })
        }
        OpKind::InstallPatches => {
            let run = mp.runs.iter().find(|r| r.id == op.id)?;
            Some(if vm {
                vm_results::installation(run)
            } else {
                rows::run_properties(run, target.as_ref())
            })
        }
        _ => None,
    }
}

/// Records a finished assessment of machine or VM `key` now, as a periodic assessment by the
/// platform would (no operation to poll), and returns its id.
pub(crate) fn assess_now(store: &mut Store, key: &str) -> String {
    let target = target(store, key);
    let mp = store.patches.machines.entry(key.to_string()).or_default();
    let now = OffsetDateTime::now_utc();
    let id = uuid::Uuid::new_v4().to_string();
    mp.assessment = Some(Assessment {
        id: id.clone(),
        status: "Succeeded",
        start: now,
        end: now,
        available: applicable(target.as_ref(), &mp.installed),
        reboot_pending: mp.reboot_pending,
        error: None,
    });
    id
}

/// What a maintenance schedule firing on one machine looks like in history.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MaintenanceRun {
    /// The schedule run's id (a new GUID when absent).
    pub maintenance_run_id: Option<String>,
    /// How long ago the run happened (0 = now); older than 30 days drops out of Resource Graph.
    pub days_ago: u32,
    /// `IfRequired` (default), `Never` or `Always`.
    pub reboot_setting: Option<String>,
}

/// Runs a scheduled install on machine `key` at once (installs everything applicable) and
/// returns `(run id, maintenanceRunId)`.
pub(crate) fn fire_maintenance_run(
    store: &mut Store,
    key: &str,
    spec: &MaintenanceRun,
) -> (String, String) {
    let maintenance_run_id = spec
        .maintenance_run_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let params = InstallParams::scheduled(
        spec.reboot_setting
            .clone()
            .unwrap_or_else(|| "IfRequired".into()),
    );
    let id = run_scheduled(store, key, &maintenance_run_id, params, spec.days_ago);
    (id, maintenance_run_id)
}

/// Runs the install a schedule with these `installPatches` settings makes on machine or VM
/// `key` now, as part of schedule run `maintenance_run_id`; returns the run id.
pub(crate) fn fire_schedule_run(
    store: &mut Store,
    key: &str,
    maintenance_run_id: &str,
    install_patches: Option<&Value>,
) -> String {
    let params = InstallParams::from_schedule(install_patches);
    run_scheduled(store, key, maintenance_run_id, params, 0)
}

fn run_scheduled(
    store: &mut Store,
    key: &str,
    maintenance_run_id: &str,
    params: InstallParams,
    days_ago: u32,
) -> String {
    let target = target(store, key);
    let fail_message = store.patches.install_failures.pop_front();
    let mp = store.patches.machines.entry(key.to_string()).or_default();
    let now = OffsetDateTime::now_utc();
    let mut run = Run {
        id: uuid::Uuid::new_v4().to_string(),
        status: "InProgress",
        start: now,
        end: now,
        started_by: "Platform",
        maintenance_run_id: Some(maintenance_run_id.to_string()),
        reboot_status: "Unknown",
        params,
        patches: Vec::new(),
        fail_message,
        error: None,
    };
    run_install(mp, target.as_ref(), &mut run);
    let shift = time::Duration::days(i64::from(days_ago));
    run.start -= shift + time::Duration::minutes(20);
    run.end -= shift;
    let id = run.id.clone();
    mp.runs.push(run);
    id
}
