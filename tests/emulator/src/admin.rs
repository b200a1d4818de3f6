//! The out-of-band control surface (`/_admin/...`, JSON, no ARM auth). Tests use it (or the
//! typed methods on `EmulatorHandle`, which call the same functions) to read the request log
//! and the write ledger, inject faults and chaos, read throttling counters, fire schedules,
//! and change resources the way Azure would behind a client's back (agent disconnects, a
//! license canceled or its ESU changed in the portal, an OS upgrade).
//!
//! Endpoints (bodies and answers are the serde forms of the named types):
//! * `GET|DELETE /requests` (`LoggedRequest`s); `GET /writes[?id=]`, `DELETE /writes`
//!   (`ObjectWrites` / `WriteRecord`s);
//! * `GET|POST|DELETE /faults` (`Fault`); `GET|PUT|DELETE /chaos` (`ChaosConfig` in,
//!   `ChaosReport` out), `PUT /chaos/enabled` `{"enabled": bool}`;
//!   `POST /operations/release` (stuck LROs) → `{"released": n}`;
//! * `GET|PUT /throttle` (`ThrottleConfig`), `GET|DELETE /throttle/stats` (`ThrottleStats`),
//!   `PUT /resource-graph-quota` `{"limit", "windowMs"}`, `PUT /latency` `{"ms"}`;
//! * `GET|PATCH /machines/{name}` (`MachineChanges`), `GET|PATCH|DELETE
//!   /machines/{name}/license-profile` (`LicenseProfileChanges`), `POST
//!   /machines/{name}/license-profile/cancel-hotpatch`, `POST /machines/{name}/maintenance-runs`
//!   (`MaintenanceRun`), `POST /machines/{name}/assessments` (a finished assessment now; Arc
//!   machine or VM name) → `{"assessmentId"}`;
//! * `GET|PATCH /virtual-machines/{name}` (`VmChanges`);
//! * `GET|PATCH /maintenance-configurations/{name}` (`ScheduleChanges`), `POST
//!   /maintenance-configurations/{name}/fire` → `ScheduleFiring`;
//! * `GET /info`, `GET /health`, `POST /token`.

use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::compute::virtual_machines::{self as vms, VmChanges};
use crate::config::ThrottleConfig;
use crate::faults::{Chaos, ChaosConfig, ChaosReport, Fault, FaultAction};
use crate::hybridcompute::license_changes::{self, LicenseProfileChanges};
use crate::hybridcompute::{license_profiles, machines};
use crate::reply::Reply;
use crate::router::Req;
use crate::state::{lock, State};
use crate::throttle::ThrottleStats;
use crate::{lro, seed};

/// Out-of-band machine changes; absent fields are left alone.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MachineChanges {
    /// `Connected`, `Disconnected`, `Error`.
    pub status: Option<String>,
    pub os_name: Option<String>,
    pub os_sku: Option<String>,
    pub os_version: Option<String>,
    pub os_type: Option<String>,
    /// Sets the Windows hotpatch intent directly (no evaluation).
    pub enable_hotpatching: Option<bool>,
    /// Sets `patchSettings.status.hotpatchEnablementStatus` directly.
    pub hotpatch_enablement_status: Option<String>,
    pub tags: Option<Value>,
}

pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Reply {
    Reply::json(
        status,
        json!({ "error": { "code": "AdminError", "message": message.into() } }),
    )
}

fn key_for(state: &State, name: &str) -> Result<String, String> {
    lock(&state.store)
        .find_machine_key(name)
        .ok_or_else(|| format!("machine '{name}' not found"))
}

pub(crate) fn machine(state: &State, name: &str) -> Option<Value> {
    let key = key_for(state, name).ok()?;
    let mut store = lock(&state.store);
    store.tick(&state.config);
    machines::render(state, &store, &key)
}

pub(crate) fn license_profile(state: &State, name: &str) -> Option<Value> {
    let key = key_for(state, name).ok()?;
    let mut store = lock(&state.store);
    store.tick(&state.config);
    license_profiles::render_by_key(state, &store, &key)
}

pub(crate) fn set_machine(
    state: &State,
    name: &str,
    changes: &MachineChanges,
) -> Result<(), String> {
    let key = key_for(state, name)?;
    let mut store = lock(&state.store);
    let m = store
        .machines
        .get_mut(&key)
        .ok_or_else(|| format!("machine '{name}' not found"))?;
    let fields = [
        ("status", &changes.status),
        ("osName", &changes.os_name),
        ("osSku", &changes.os_sku),
        ("osVersion", &changes.os_version),
        ("osType", &changes.os_type),
    ];
    for (field, value) in fields {
        if let Some(v) = value {
            m.properties.insert(field.into(), json!(v));
            if field == "status" {
                m.properties.insert(
                    "lastStatusChange".into(),
                    json!(lro::rfc3339(time::OffsetDateTime::now_utc())),
                );
            }
        }
    }
    if let Some(tags) = &changes.tags {
        m.tags = (!tags.is_null()).then(|| tags.clone());
    }
    if let Some(b) = changes.enable_hotpatching {
        m.patch_settings_mut(machines::WINDOWS_CONFIG)
            .insert("enableHotpatching".into(), json!(b));
    }
    if let Some(s) = &changes.hotpatch_enablement_status {
        m.evaluations
            .retain(|e| e.config_key != machines::WINDOWS_CONFIG);
        m.set_hotpatch_status(machines::WINDOWS_CONFIG, s, None);
    }
    Ok(())
}

pub(crate) fn virtual_machine(state: &State, name: &str) -> Option<Value> {
    let mut store = lock(&state.store);
    store.tick(&state.config);
    vms::admin_get(state, &store, name)
}

pub(crate) fn set_virtual_machine(
    state: &State,
    name: &str,
    changes: &VmChanges,
) -> Result<(), String> {
    vms::admin_set(&mut lock(&state.store), name, changes)
}

pub(crate) fn cancel_hotpatch(state: &State, name: &str) -> Result<(), String> {
    let key = key_for(state, name)?;
    let mut store = lock(&state.store);
    if license_changes::cancel_hotpatch(&mut store, &key) {
        Ok(())
    } else {
        Err(format!(
            "machine '{name}' has no Hotpatch feature in its license profile"
        ))
    }
}

pub(crate) fn change_license_profile(
    state: &State,
    name: &str,
    changes: &LicenseProfileChanges,
) -> Result<(), String> {
    let key = key_for(state, name)?;
    license_changes::apply(&mut lock(&state.store), &key, changes)
}

pub(crate) fn delete_license_profile(state: &State, name: &str) -> Result<(), String> {
    let key = key_for(state, name)?;
    let mut store = lock(&state.store);
    store
        .license_profiles
        .remove(&key)
        .map(|_| ())
        .ok_or_else(|| format!("machine '{name}' has no license profile"))
}

/// Fires a maintenance schedule on one machine: an install run started by `Platform` with
/// its `maintenanceRunId`, as the schedule would leave it in history.
pub(crate) fn fire_maintenance_run(
    state: &State,
    name: &str,
    spec: &crate::hybridcompute::patches::MaintenanceRun,
) -> Result<Value, String> {
    let key = key_for(state, name)?;
    let mut store = lock(&state.store);
    let (run_id, maintenance_run_id) =
        crate::hybridcompute::patches::fire_maintenance_run(&mut store, &key, spec);
    Ok(json!({ "runId": run_id, "maintenanceRunId": maintenance_run_id }))
}

/// Records a finished assessment of Arc machine or VM `name` now; returns
/// `{ "assessmentId" }`.
pub(crate) fn assess_now(state: &State, name: &str) -> Result<Value, String> {
    let mut store = lock(&state.store);
    let key = store
        .find_machine_key(name)
        .or_else(|| {
            store
                .virtual_machines
                .iter()
                .find(|(_, vm)| vm.name.eq_ignore_ascii_case(name))
                .map(|(k, _)| k.clone())
        })
        .ok_or_else(|| format!("machine or virtual machine '{name}' not found"))?;
    let id = crate::hybridcompute::patches::assess_now(&mut store, &key);
    Ok(json!({ "assessmentId": id }))
}

/// Replaces the Resource Graph per-user quota (queries per window).
pub(crate) fn set_resource_graph_quota(state: &State, limit: u32, window_ms: u64) {
    lock(&state.store)
        .resource_graph_quota
        .reconfigure(limit, std::time::Duration::from_millis(window_ms));
}

pub(crate) fn inject(state: &State, mut fault: Fault) {
    if let FaultAction::FailNextInstall { message } = &fault.action {
        let times = fault.count.unwrap_or(1);
        let mut store = lock(&state.store);
        for _ in 0..times {
            store.patches.install_failures.push_back(message.clone());
        }
        return;
    }
    if matches!(fault.action, FaultAction::FailNextLro { .. }) && fault.count.is_none() {
        // "Next" means one unless a count says otherwise.
        fault.count = Some(1);
    }
    lock(&state.faults).rules.push(fault);
}

/// Removes every fault rule and pending install failure (chaos is separate: `clear_chaos`).
pub(crate) fn clear_faults(state: &State) {
    lock(&state.faults).rules.clear();
    lock(&state.store).patches.install_failures.clear();
}

pub(crate) fn set_chaos(state: &State, config: ChaosConfig) -> Result<(), String> {
    let chaos = Chaos::new(config)?;
    lock(&state.faults).chaos = Some(chaos);
    Ok(())
}

pub(crate) fn chaos(state: &State) -> Option<ChaosReport> {
    lock(&state.faults).chaos.as_ref().map(Chaos::report)
}

/// Switches chaos on or off, keeping its counters; `Err` when none is configured.
pub(crate) fn set_chaos_enabled(state: &State, enabled: bool) -> Result<(), String> {
    match lock(&state.faults).chaos.as_mut() {
        Some(c) => {
            c.config.enabled = enabled;
            Ok(())
        }
        None => Err("no chaos is configured".into()),
    }
}

pub(crate) fn clear_chaos(state: &State) {
    lock(&state.faults).chaos = None;
}

/// Lets never-finishing LROs finish on the configured timing; returns how many.
pub(crate) fn release_stuck_operations(state: &State) -> usize {
    lro::release_stuck(&mut lock(&state.store))
}

pub(crate) fn info(state: &State) -> Value {
    let store = lock(&state.store);
    let machines: Vec<Value> = store
        .machines
        .values()
        .map(|m| json!({ "name": m.name, "id": m.id(&state.config.subscription_id) }))
        .collect();
    json!({
        "base_url": state.base_url,
        "tenant_id": state.config.tenant_id,
        "client_id": state.config.clients.first().map(|c| c.client_id.clone()),
        "subscription_id": state.config.subscription_id,
        "resource_group": seed::RESOURCE_GROUP,
        "location": seed::LOCATION,
        "machines": machines,
    })
}

fn parse<T: for<'de> Deserialize<'de>>(req: &Req) -> Result<T, Reply> {
    serde_json::from_slice(&req.body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

fn result(r: Result<(), String>) -> Reply {
    match r {
        Ok(()) => Reply::empty(StatusCode::NO_CONTENT),
        Err(e) => error(StatusCode::NOT_FOUND, e),
    }
}

pub(crate) fn handle(state: &State, req: &Req) -> Reply {
    let segs: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let m = &req.method;
    match (segs.get(1..).unwrap_or(&[]), m) {
        (["health"], _) => Reply::ok(json!({ "status": "ok" })),
        (["info"], &Method::GET) => Reply::ok(info(state)),
        (["requests"], &Method::GET) => {
            Reply::ok(serde_json::to_value(&*lock(&state.log)).unwrap_or(Value::Null))
        }
        (["requests"], &Method::DELETE) => {
            lock(&state.log).clear();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        (["faults"], &Method::GET) => {
            Reply::ok(serde_json::to_value(&lock(&state.faults).rules).unwrap_or(Value::Null))
        }
        (["faults"], &Method::POST) => match parse::<Fault>(req) {
            Ok(f) => {
                inject(state, f);
                Reply::empty(StatusCode::NO_CONTENT)
            }
            Err(r) => r,
        },
        (["faults"], &Method::DELETE) => {
            clear_faults(state);
            Reply::empty(StatusCode::NO_CONTENT)
        }
        (["latency"], &Method::PUT) => match parse::<Value>(req) {
            Ok(v) => match v.get("ms").and_then(Value::as_u64) {
                Some(ms) => {
                    lock(&state.faults).base_latency_ms = ms;
                    Reply::empty(StatusCode::NO_CONTENT)
                }
                None => error(StatusCode::BAD_REQUEST, "expected {\"ms\": <u64>}"),
            },
            Err(r) => r,
        },
        (["chaos"], &Method::GET) => match chaos(state) {
            Some(r) => Reply::ok(serde_json::to_value(r).unwrap_or(Value::Null)),
            None => error(StatusCode::NOT_FOUND, "no chaos is configured"),
        },
        (["chaos"], &Method::PUT) => match parse::<ChaosConfig>(req) {
            Ok(c) => match set_chaos(state, c) {
                Ok(()) => Reply::empty(StatusCode::NO_CONTENT),
                Err(e) => error(StatusCode::BAD_REQUEST, e),
            },
            Err(r) => r,
        },
        (["chaos"], &Method::DELETE) => {
            clear_chaos(state);
            Reply::empty(StatusCode::NO_CONTENT)
        }
        (["chaos", "enabled"], &Method::PUT) => match parse::<Value>(req) {
            Ok(v) => match v.get("enabled").and_then(Value::as_bool) {
                Some(on) => result(set_chaos_enabled(state, on)),
                None => error(StatusCode::BAD_REQUEST, "expected {\"enabled\": <bool>}"),
            },
            Err(r) => r,
        },
        (["writes"], &Method::GET) => {
            let ledger = lock(&state.ledger);
            let body = match req.query("id") {
                Some(id) => serde_json::to_value(ledger.for_id(id)),
                None => serde_json::to_value(ledger.objects()),
            };
            Reply::ok(body.unwrap_or(Value::Null))
        }
        (["writes"], &Method::DELETE) => {
            lock(&state.ledger).clear();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        (["throttle", "stats"], &Method::GET) => {
            Reply::ok(serde_json::to_value(&lock(&state.throttle).stats).unwrap_or(Value::Null))
        }
        (["throttle", "stats"], &Method::DELETE) => {
            lock(&state.throttle).stats = ThrottleStats::default();
            Reply::empty(StatusCode::NO_CONTENT)
        }
        (["operations", "release"], &Method::POST) => {
            Reply::ok(json!({ "released": release_stuck_operations(state) }))
        }
        (["maintenance-configurations", name, "fire"], &Method::POST) => {
            match crate::maintenance::firing::fire(state, name) {
                Ok(f) => Reply::ok(serde_json::to_value(f).unwrap_or(Value::Null)),
                Err(e) => error(StatusCode::NOT_FOUND, e),
            }
        }
        (["machines", name, "license-profile"], &Method::PATCH) => {
            match parse::<LicenseProfileChanges>(req) {
                Ok(c) => result(change_license_profile(state, name, &c)),
                Err(r) => r,
            }
        }
        (["throttle"], &Method::GET) => {
            Reply::ok(serde_json::to_value(lock(&state.throttle).config).unwrap_or(Value::Null))
        }
        (["throttle"], &Method::PUT) => match parse::<ThrottleConfig>(req) {
            Ok(c) => {
                lock(&state.throttle).reconfigure(c);
                Reply::empty(StatusCode::NO_CONTENT)
            }
            Err(r) => r,
        },
        (["token"], &Method::POST) => {
            let client = state
                .config
                .clients
                .first()
                .map(|c| c.client_id.clone())
                .unwrap_or_default();
            let t = crate::token::mint(state, &client, state.config.token_lifetime);
            Reply::ok(json!({ "access_token": t }))
        }
        (["machines", name], &Method::GET) => match machine(state, name) {
            Some(b) => Reply::ok(b),
            None => error(StatusCode::NOT_FOUND, format!("machine '{name}' not found")),
        },
        (["machines", name], &Method::PATCH) => match parse::<MachineChanges>(req) {
            Ok(c) => result(set_machine(state, name, &c)),
            Err(r) => r,
        },
        (["virtual-machines", name], &Method::GET) => match virtual_machine(state, name) {
            Some(b) => Reply::ok(b),
            None => error(
                StatusCode::NOT_FOUND,
                format!("virtual machine '{name}' not found"),
            ),
        },
        (["virtual-machines", name], &Method::PATCH) => match parse::<VmChanges>(req) {
            Ok(c) => result(set_virtual_machine(state, name, &c)),
            Err(r) => r,
        },
        (["maintenance-configurations", name], &Method::GET) => {
            match crate::maintenance::out_of_band::schedule(state, name) {
                Some(b) => Reply::ok(b),
                None => error(
                    StatusCode::NOT_FOUND,
                    format!("schedule '{name}' not found"),
                ),
            }
        }
        (["maintenance-configurations", name], &Method::PATCH) => {
            match parse::<crate::maintenance::out_of_band::ScheduleChanges>(req) {
                Ok(c) => result(crate::maintenance::out_of_band::change_schedule(
                    state, name, &c,
                )),
                Err(r) => r,
            }
        }
        (["machines", name, "assessments"], &Method::POST) => match assess_now(state, name) {
            Ok(v) => Reply::ok(v),
            Err(e) => error(StatusCode::NOT_FOUND, e),
        },
        (["machines", name, "maintenance-runs"], &Method::POST) => {
            match parse::<crate::hybridcompute::patches::MaintenanceRun>(req) {
                Ok(spec) => match fire_maintenance_run(state, name, &spec) {
                    Ok(v) => Reply::ok(v),
                    Err(e) => error(StatusCode::NOT_FOUND, e),
                },
                Err(r) => r,
            }
        }
        (["resource-graph-quota"], &Method::PUT) => match parse::<Value>(req) {
            Ok(v) => match (
                v.get("limit").and_then(Value::as_u64),
                v.get("windowMs").and_then(Value::as_u64),
            ) {
                (Some(limit), Some(ms)) => {
                    set_resource_graph_quota(state, u32::try_from(limit).unwrap_or(u32::MAX), ms);
                    Reply::empty(StatusCode::NO_CONTENT)
                }
                _ => error(
                    StatusCode::BAD_REQUEST,
                    "expected {\"limit\": <u32>, \"windowMs\": <u64>}",
                ),
            },
            Err(r) => r,
        },
        (["machines", name, "license-profile"], &Method::GET) => {
            match license_profile(state, name) {
                Some(b) => Reply::ok(b),
                None => error(
                    StatusCode::NOT_FOUND,
                    format!("no license profile for '{name}'"),
                ),
            }
        }
        (["machines", name, "license-profile"], &Method::DELETE) => {
            result(delete_license_profile(state, name))
        }
        (["machines", name, "license-profile", "cancel-hotpatch"], &Method::POST) => {
            result(cancel_hotpatch(state, name))
        }
        _ => error(
            StatusCode::NOT_FOUND,
            format!("no admin endpoint {} {}", req.method, req.path),
        ),
    }
}
