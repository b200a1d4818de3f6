//! Arc machines: GET (with `$expand=instanceView` accepted), list per subscription / resource
//! group with `nextLink` paging, and PATCH (`MachineUpdate`, synchronous 200).
//!
//! A list item is exactly the body a GET of that machine returns, `properties.licenseProfile`
//! (the license instance view) and `osProfile.*.patchSettings.status` included: the spec's
//! list operations return the same `Machine` schema and the contract names no field a list
//! leaves out. The resource-group list declares a free-form `$expand`, the subscription list
//! none; both accept it and carry it into `nextLink`. Setting
//! `enableHotpatching` answers `PendingEvaluation` at once; the service-side evaluation resolves
//! later (`Config::hotpatch_evaluation`) to `Enabled`, `Disabled` or `ActionRequired` with an
//! error, and never while the agent is disconnected.

use std::time::Instant;

use serde_json::{json, Map, Value};

use super::{license_profiles, LicenseProfile, API_VERSION, MACHINE_TYPE};
use crate::config::Config;
use crate::errors::ArmError;
use crate::reply::Reply;
use crate::router::Req;
use crate::seed::{self, SeedMachine};
use crate::state::{machine_key, State, Store};

pub(crate) const WINDOWS_CONFIG: &str = "windowsConfiguration";
pub(crate) const LINUX_CONFIG: &str = "linuxConfiguration";

#[derive(Clone, Debug)]
pub(crate) struct Machine {
    pub name: String,
    pub resource_group: String,
    pub location: String,
    pub tags: Option<Value>,
    pub kind: Option<Value>,
    pub identity: Option<Value>,
    pub properties: Map<String, Value>,
    pub evaluations: Vec<Evaluation>,
}

/// A pending evaluation of the hotpatch intent of one OS configuration.
#[derive(Clone, Debug)]
pub(crate) struct Evaluation {
    pub config_key: &'static str,
    pub started: Instant,
    pub polls: u32,
}

impl Machine {
    pub fn id(&self, subscription: &str) -> String {
        seed::machine_id(subscription, &self.resource_group, &self.name)
    }

    pub fn str_prop(&self, name: &str) -> &str {
        self.properties
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn is_windows(&self) -> bool {
        self.str_prop("osType").eq_ignore_ascii_case("windows")
    }

    /// Hotpatch for Arc: Windows Server 2025 Datacenter or Standard.
    pub fn hotpatch_capable_os(&self) -> bool {
        let sku = format!("{} {}", self.str_prop("osSku"), self.str_prop("osName")).to_lowercase();
        self.is_windows()
            && sku.contains("windows server 2025")
            && (sku.contains("datacenter") || sku.contains("standard"))
    }

    pub fn patch_settings_mut(&mut self, config_key: &str) -> &mut Map<String, Value> {
        let os = obj_entry(&mut self.properties, "osProfile");
        let cfg = obj_entry(os, config_key);
        obj_entry(cfg, "patchSettings")
    }

    pub fn patch_settings(&self, config_key: &str) -> Option<&Map<String, Value>> {
        self.properties
            .get("osProfile")?
            .get(config_key)?
            .get("patchSettings")?
            .as_object()
    }

    pub fn set_hotpatch_status(&mut self, config_key: &str, status: &str, error: Option<Value>) {
        let ps = self.patch_settings_mut(config_key);
        let mut st = json!({ "hotpatchEnablementStatus": status });
        if let Some(e) = error {
            st["error"] = e;
        }
        ps.insert("status".into(), st);
    }

    /// Records a new hotpatch intent: `PendingEvaluation` until the evaluation resolves.
    pub fn request_hotpatch(&mut self, config_key: &'static str, enable: bool) {
        self.patch_settings_mut(config_key)
            .insert("enableHotpatching".into(), json!(enable));
        self.set_hotpatch_status(config_key, "PendingEvaluation", None);
        self.evaluations.retain(|e| e.config_key != config_key);
        self.evaluations.push(Evaluation {
            config_key,
            started: Instant::now(),
            polls: 0,
        });
    }
}

/// Returns `map[key]` as an object, creating (or replacing a non-object) as needed.
pub(crate) fn obj_entry<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> &'a mut Map<String, Value> {
    let slot = map.entry(key.to_string()).or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    match slot {
        Value::Object(m) => m,
        _ => unreachable!("slot was just made an object"),
    }
}

fn fake_guid(n: usize, salt: u32) -> String {
    format!("{salt:08x}-0000-4000-8000-{n:012x}")
}

/// Adds one seeded machine (and its license profile, if any) to the store.
pub(crate) fn seed_machine(store: &mut Store, config: &Config, m: &SeedMachine, index: usize) {
    let windows = m.os_type == "windows";
    let config_key = if windows {
        WINDOWS_CONFIG
    } else {
        LINUX_CONFIG
    };
    let mut properties = json!({
        "provisioningState": "Succeeded",
        "status": m.status,
        "lastStatusChange": "2025-06-01T08:00:00Z",
        "agentVersion": "1.52.03026.2260",
        "displayName": m.name,
        "machineFqdn": format!("{}.contoso.local", m.name),
        "dnsFqdn": format!("{}.contoso.local", m.name),
        "domainName": "contoso.local",
        "adFqdn": format!("{}.contoso.local", m.name),
        "vmId": fake_guid(index + 1, 0xa1c0_0001),
        "vmUuid": fake_guid(index + 1, 0xa1c0_0002),
        "osName": m.os_name,
        "osVersion": m.os_version,
        "osType": m.os_type,
        "osSku": m.os_sku,
        "osEdition": m.os_edition,
        "detectedProperties": {
            "cloudprovider": "N/A",
            "manufacturer": "Microsoft Corporation",
            "model": "Virtual Machine"
        },
        "osProfile": {
            "computerName": m.name,
        },
        "errorDetails": [],
    });
    if let Some(p) = properties
        .get_mut("osProfile")
        .and_then(Value::as_object_mut)
    {
        p.insert(
            config_key.to_string(),
            json!({
                "patchSettings": {
                    "assessmentMode": "ImageDefault",
                    "patchMode": if windows { "AutomaticByOS" } else { "ImageDefault" },
                    "status": { "hotpatchEnablementStatus": "Unknown" }
                }
            }),
        );
    }
    let machine = Machine {
        name: m.name.clone(),
        resource_group: seed::RESOURCE_GROUP.to_string(),
        location: seed::LOCATION.to_string(),
        tags: Some(json!({ "environment": "emulator" })),
        kind: None,
        identity: Some(json!({
            "type": "SystemAssigned",
            "principalId": fake_guid(index + 1, 0xa1c0_0003),
            "tenantId": config.tenant_id,
        })),
        properties: properties.as_object().cloned().unwrap_or_default(),
        evaluations: Vec::new(),
    };
    let key = machine_key(&machine.resource_group, &machine.name);
    if m.has_esu_license {
        store
            .license_profiles
            .insert(key.clone(), license_profiles::seeded_esu_profile(&machine));
    }
    store.machines.insert(key, machine);
}

/// The machine body ARM returns, with the license-profile mirror (CONTRACT §2.3.4).
pub(crate) fn render(state: &State, store: &Store, key: &str) -> Option<Value> {
    let m = store.machines.get(key)?;
    let mut properties = m.properties.clone();
    if let Some(lp) = license_profiles::instance_view(state, store, key, m) {
        properties.insert("licenseProfile".into(), lp);
    }
    let mut body = json!({
        "id": m.id(&state.config.subscription_id),
        "name": m.name,
        "type": MACHINE_TYPE,
        "location": m.location,
        "tags": m.tags.clone().unwrap_or(Value::Null),
        "properties": properties,
    });
    if let Some(identity) = &m.identity {
        body["identity"] = identity.clone();
    }
    if let Some(kind) = &m.kind {
        body["kind"] = kind.clone();
    }
    Some(body)
}

fn not_found(rg: &str, name: &str) -> Reply {
    ArmError::resource_not_found(MACHINE_TYPE, name, rg).into()
}

/// A read of the machine (GET or a list page that includes it) observes its pending hotpatch
/// evaluations, as a poll does.
fn observe(store: &mut Store, key: &str) -> bool {
    match store.machines.get_mut(key) {
        Some(m) => {
            for e in m.evaluations.iter_mut() {
                e.polls = e.polls.saturating_add(1);
            }
            true
        }
        None => false,
    }
}

pub(crate) fn get(state: &State, store: &mut Store, key: &str, rg: &str, name: &str) -> Reply {
    if !observe(store, key) {
        return not_found(rg, name);
    }
    tick(store, &state.config);
    match render(state, store, key) {
        Some(body) => Reply::ok(body),
        None => not_found(rg, name),
    }
}

pub(crate) fn list(state: &State, store: &mut Store, req: &Req, rg: Option<&str>) -> Reply {
    let skip = match req.query("$skiptoken") {
        None => 0,
        Some(t) => match t.parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                return ArmError::bad_request(
                    "InvalidSkipToken",
                    format!("The skip token '{t}' is invalid."),
                )
                .into()
            }
        },
    };
    let keys: Vec<String> = store
        .machines
        .iter()
        .filter(|(_, m)| rg.is_none_or(|rg| m.resource_group.eq_ignore_ascii_case(rg)))
        .map(|(k, _)| k.clone())
        .collect();
    let page_size = state.config.page_size.max(1);
    let page: Vec<&String> = keys.iter().skip(skip).take(page_size).collect();
    for k in &page {
        observe(store, k);
    }
    tick(store, &state.config);
    let value: Vec<Value> = page
        .iter()
        .filter_map(|k| render(state, store, k))
        .collect();
    let mut body = json!({ "value": value });
    if skip.saturating_add(page_size) < keys.len() {
        let sub = &state.config.subscription_id;
        let scope = match rg {
            Some(rg) => {
                let canonical = store
                    .resource_groups
                    .get(&rg.to_lowercase())
                    .cloned()
                    .unwrap_or_else(|| rg.to_string());
                format!("/subscriptions/{sub}/resourceGroups/{canonical}")
            }
            None => format!("/subscriptions/{sub}"),
        };
        let mut link = format!(
            "{}{scope}/providers/Microsoft.HybridCompute/machines?api-version={API_VERSION}&$skiptoken={}",
            state.base_url,
            skip + page_size
        );
        if let Some(expand) = req.query("$expand") {
            link.push_str("&$expand=");
            link.push_str(
                &url::form_urlencoded::byte_serialize(expand.as_bytes()).collect::<String>(),
            );
        }
        body["nextLink"] = json!(link);
    }
    Reply::ok(body)
}

/// Top-level and `properties` keys a MachineUpdate may change (others are ignored, as ARM does
/// for read-only or unknown properties when no spec validation is configured).
const WRITABLE_PROPERTIES: &[&str] = &[
    "locationData",
    "agentUpgrade",
    "parentClusterResourceId",
    "privateLinkScopeResourceId",
    "identityKeyStore",
    "tpmEkCertificate",
    "cloudMetadata",
];

pub(crate) fn patch(
    state: &State,
    store: &mut Store,
    req: &Req,
    key: &str,
    rg: &str,
    name: &str,
) -> Reply {
    let body = match req.json_object() {
        Ok(b) => b,
        Err(e) => return e.into(),
    };
    if !store.machines.contains_key(key) {
        return not_found(rg, name);
    }
    // Semantic checks first, so a rejected request changes nothing.
    let props = body.get("properties").and_then(Value::as_object);
    let mut intents: Vec<(&'static str, bool)> = Vec::new();
    for cfg in [WINDOWS_CONFIG, LINUX_CONFIG] {
        let ps = props
            .and_then(|p| p.get("osProfile"))
            .and_then(|o| o.get(cfg))
            .and_then(|c| c.get("patchSettings"))
            .and_then(Value::as_object);
        let Some(ps) = ps else { continue };
        match ps.get("enableHotpatching") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => intents.push((cfg, *b)),
            Some(other) => {
                return ArmError::invalid_content(format!(
                    "The request content was invalid: 'properties.osProfile.{cfg}.patchSettings.enableHotpatching' must be a boolean, got {other}."
                ))
                .target(format!("properties.osProfile.{cfg}.patchSettings.enableHotpatching"))
                .into();
            }
        }
    }
    if let Some(tags) = body.get("tags") {
        if !tags.is_null()
            && !tags
                .as_object()
                .is_some_and(|t| t.values().all(Value::is_string))
        {
            return ArmError::invalid_content("'tags' must be an object of strings.")
                .target("tags")
                .into();
        }
    }

    let Some(m) = store.machines.get_mut(key) else {
        return not_found(rg, name);
    };
    if let Some(tags) = body.get("tags") {
        m.tags = (!tags.is_null()).then(|| tags.clone());
    }
    if let Some(identity) = body.get("identity").filter(|v| v.is_object()) {
        let mut id = identity.clone();
        if let Some(old) = &m.identity {
            for k in ["principalId", "tenantId"] {
                if let Some(v) = old.get(k) {
                    id[k] = v.clone();
                }
            }
        }
        m.identity = Some(id);
    }
    if let Some(kind) = body.get("kind") {
        m.kind = (!kind.is_null()).then(|| kind.clone());
    }
    if let Some(props) = props {
        for k in WRITABLE_PROPERTIES {
            if let Some(v) = props.get(*k) {
                merge(m.properties.entry(k.to_string()).or_insert(Value::Null), v);
            }
        }
        for cfg in [WINDOWS_CONFIG, LINUX_CONFIG] {
            let ps = props
                .get("osProfile")
                .and_then(|o| o.get(cfg))
                .and_then(|c| c.get("patchSettings"))
                .and_then(Value::as_object);
            if let Some(ps) = ps {
                let target = m.patch_settings_mut(cfg);
                for field in ["assessmentMode", "patchMode"] {
                    if let Some(v) = ps.get(field) {
                        target.insert(field.into(), v.clone());
                    }
                }
            }
        }
    }
    for (cfg, enable) in intents {
        let current = m.patch_settings(cfg);
        let old_intent = current
            .and_then(|p| p.get("enableHotpatching"))
            .and_then(Value::as_bool);
        let status = current
            .and_then(|p| p.get("status"))
            .and_then(|s| s.get("hotpatchEnablementStatus"))
            .and_then(Value::as_str)
            .unwrap_or("Unknown");
        let settled = matches!(
            (enable, status),
            (true, "Enabled")
                | (true, "PendingEvaluation")
                | (false, "Disabled")
                | (false, "PendingEvaluation")
        );
        if old_intent != Some(enable) || !settled {
            m.request_hotpatch(cfg, enable);
        }
    }
    match render(state, store, key) {
        Some(b) => Reply::ok(b),
        None => not_found(rg, name),
    }
}

/// JSON merge (objects merged recursively, everything else replaced).
pub(crate) fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Resolves hotpatch evaluations that are due.
pub(crate) fn tick(store: &mut Store, config: &Config) {
    let timing = config.hotpatch_evaluation;
    let keys: Vec<String> = store
        .machines
        .iter()
        .filter(|(_, m)| !m.evaluations.is_empty())
        .map(|(k, _)| k.clone())
        .collect();
    for key in keys {
        let hotpatch_licensed = store
            .license_profiles
            .get(&key)
            .is_some_and(LicenseProfile::hotpatch_enabled);
        let Some(m) = store.machines.get_mut(&key) else {
            continue;
        };
        if !m.str_prop("status").eq_ignore_ascii_case("Connected") {
            continue;
        }
        let due: Vec<&'static str> = m
            .evaluations
            .iter()
            .filter(|e| e.polls >= timing.polls || e.started.elapsed() >= timing.duration)
            .map(|e| e.config_key)
            .collect();
        for cfg in due {
            m.evaluations.retain(|e| e.config_key != cfg);
            let (status, error) =
                evaluate(m, cfg, hotpatch_licensed, config.hotpatch_requires_license);
            m.set_hotpatch_status(cfg, status, error);
        }
    }
}

fn evaluate(
    m: &Machine,
    cfg: &str,
    licensed: bool,
    requires_license: bool,
) -> (&'static str, Option<Value>) {
    let intent = m
        .patch_settings(cfg)
        .and_then(|p| p.get("enableHotpatching"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if !intent {
        return ("Disabled", None);
    }
    if cfg != WINDOWS_CONFIG || !m.hotpatch_capable_os() {
        return (
            "ActionRequired",
            Some(json!({
                "code": "HotpatchNotSupported",
                "message": format!(
                    "Hotpatch is supported only on Windows Server 2025 Datacenter and Standard; machine '{}' runs '{}'.",
                    m.name,
                    m.str_prop("osSku")
                ),
            })),
        );
    }
    if requires_license && !licensed {
        return (
            "ActionRequired",
            Some(json!({
                "code": "HotpatchLicenseNotEnabled",
                "message": format!(
                    "Hotpatch is not enabled in the license profile of machine '{}'. Enable the 'Hotpatch' product feature on licenseProfiles/default first.",
                    m.name
                ),
            })),
        );
    }
    ("Enabled", None)
}

/// The 404 body for a machine, for other modules.
pub(crate) fn machine_not_found(rg: &str, name: &str) -> ArmError {
    ArmError::resource_not_found(MACHINE_TYPE, name, rg)
}
