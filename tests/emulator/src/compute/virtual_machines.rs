//! Virtual machines: the stored VM, its seeds, and GET / list / PATCH.
//!
//! Lists return the GET body of each VM; with `$expand=instanceView` (carried into `nextLink`)
//! each item also has `properties.instanceView`, as a GET with that expand does. CONTRACT §3
//! documents `$expand` only for GET; the list parameter is Compute's (`VirtualMachines_List` /
//! `_ListAll` accept `$expand=instanceView` in the SDKs built from 2025-04-01), so it is
//! modelled from there.
//!
//! PATCH follows Compute's behaviour for `patchSettings`: the `If-Match` precondition is checked
//! first (412 `PreconditionFailed`), then the service's own rules on the *merged* settings are
//! enforced as 400s before anything changes (hotpatch needs the VM agent, `AutomaticByPlatform`
//! and a hotpatch-capable Azure Edition image; `AutomaticByPlatform` needs the agent and automatic
//! updates). An accepted PATCH changes the VM at once, bumps the `etag`, answers 200 with
//! `provisioningState: Updating` and an `Azure-AsyncOperation` monitor, and the VM returns to
//! `Succeeded` when the operation completes.

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{API_VERSION, VM_TYPE};
use crate::errors::ArmError;
use crate::hybridcompute::machines::{merge, obj_entry};
use crate::lro::{self, OpKind, Operation};
use crate::reply::Reply;
use crate::router::Req;
use crate::seed;
use crate::state::{State, Store};

#[derive(Clone, Debug)]
pub(crate) struct VirtualMachine {
    pub name: String,
    pub resource_group: String,
    pub location: String,
    pub tags: Option<Value>,
    /// Incremented on every change; rendered as the quoted `etag`.
    pub version: u64,
    pub properties: Map<String, Value>,
    /// What `$expand=instanceView` adds.
    pub instance_view: Value,
}

/// Store key of a VM (also the resource key of its operations; distinct from machine keys).
pub(crate) fn vm_key(resource_group: &str, name: &str) -> String {
    format!(
        "virtualmachines/{}/{}",
        resource_group.to_lowercase(),
        name.to_lowercase()
    )
}

impl VirtualMachine {
    pub fn id(&self, subscription: &str) -> String {
        seed::vm_id(subscription, &self.resource_group, &self.name)
    }

    /// `storageProfile.osDisk.osType` is `Windows` (only Windows VMs have a catalogue).
    pub fn is_windows(&self) -> bool {
        self.properties
            .get("storageProfile")
            .and_then(|s| s.pointer("/osDisk/osType"))
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("windows"))
    }

    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }

    fn windows_configuration(&self) -> Option<&Map<String, Value>> {
        self.properties
            .get("osProfile")?
            .get("windowsConfiguration")?
            .as_object()
    }

    fn windows_configuration_mut(&mut self) -> &mut Map<String, Value> {
        let os = obj_entry(&mut self.properties, "osProfile");
        obj_entry(os, "windowsConfiguration")
    }

    /// Patch orchestration "customer-managed schedules": `AutomaticByPlatform` with the
    /// platform's safety checks bypassed on user schedules (CONTRACT §3).
    pub fn customer_managed_schedules(&self) -> bool {
        let ps = self
            .windows_configuration()
            .and_then(|c| c.get("patchSettings"));
        let mode = ps.and_then(|p| p.get("patchMode")).and_then(Value::as_str);
        let bypass = ps
            .and_then(|p| {
                p.pointer("/automaticByPlatformSettings/bypassPlatformSafetyChecksOnUserSchedule")
            })
            .and_then(Value::as_bool);
        mode == Some("AutomaticByPlatform") && bypass == Some(true)
    }

    fn image_sku(&self) -> &str {
        self.properties
            .get("storageProfile")
            .and_then(|s| s.get("imageReference"))
            .and_then(|i| i.get("sku"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Hotpatch on Azure VMs needs a Windows Server Datacenter: Azure Edition image.
    fn hotpatch_capable_image(&self) -> bool {
        let sku = self.image_sku().to_lowercase();
        sku.contains("azure-edition") || sku.contains("hotpatch")
    }

    fn render(&self, subscription: &str, instance_view: bool) -> Value {
        let mut properties = self.properties.clone();
        if instance_view {
            properties.insert("instanceView".into(), self.instance_view.clone());
        }
        json!({
            "id": self.id(subscription),
            "name": self.name,
            "type": VM_TYPE,
            "location": self.location,
            "tags": self.tags.clone().unwrap_or(Value::Null),
            "etag": self.etag(),
            "properties": properties,
        })
    }
}

/// One seeded VM.
struct SeedVm {
    name: &'static str,
    image_sku: &'static str,
    os_name: &'static str,
    os_version: &'static str,
    patch_mode: &'static str,
}

const SEED_VMS: &[SeedVm] = &[
    SeedVm {
        name: seed::VM_AZURE_EDITION,
        image_sku: "2025-datacenter-azure-edition",
        os_name: "Windows Server 2025 Datacenter Azure Edition",
        os_version: "10.0.26100.4061",
        patch_mode: "AutomaticByPlatform",
    },
    SeedVm {
        name: seed::VM_WS2022,
        image_sku: "2022-datacenter",
        os_name: "Windows Server 2022 Datacenter",
        os_version: "10.0.20348.3692",
        patch_mode: "AutomaticByOS",
    },
];

/// Adds the seeded VMs to the store.
pub(crate) fn seed(store: &mut Store) {
    for (i, s) in SEED_VMS.iter().enumerate() {
        let properties = json!({
            "provisioningState": "Succeeded",
            "vmId": format!("c0a1c0de-0000-4000-8000-{:012x}", i + 1),
            "hardwareProfile": { "vmSize": "Standard_D2s_v5" },
            "storageProfile": {
                "imageReference": {
                    "publisher": "MicrosoftWindowsServer",
                    "offer": "WindowsServer",
                    "sku": s.image_sku,
                    "version": "latest",
                    "exactVersion": "26100.4061.250605"
                },
                "osDisk": { "osType": "Windows", "name": format!("{}-osdisk", s.name), "createOption": "FromImage" }
            },
            "osProfile": {
                "computerName": s.name,
                "adminUsername": "azureuser",
                "windowsConfiguration": {
                    "provisionVMAgent": true,
                    "enableAutomaticUpdates": true,
                    "patchSettings": {
                        "patchMode": s.patch_mode,
                        "enableHotpatching": false,
                        "assessmentMode": "ImageDefault",
                        "automaticByPlatformSettings": {
                            "rebootSetting": "IfRequired",
                            "bypassPlatformSafetyChecksOnUserSchedule": false
                        }
                    }
                },
                "secrets": [],
                "allowExtensionOperations": true
            },
        });
        let vm = VirtualMachine {
            name: s.name.to_string(),
            resource_group: seed::RESOURCE_GROUP.to_string(),
            location: seed::LOCATION.to_string(),
            tags: Some(json!({ "environment": "emulator" })),
            version: 1,
            properties: properties.as_object().cloned().unwrap_or_default(),
            instance_view: json!({
                "computerName": s.name,
                "osName": s.os_name,
                "osVersion": s.os_version,
            }),
        };
        store
            .virtual_machines
            .insert(vm_key(&vm.resource_group, &vm.name), vm);
    }
}

fn not_found(rg: &str, name: &str) -> Reply {
    ArmError::resource_not_found(VM_TYPE, name, rg).into()
}

fn wants_instance_view(req: &Req) -> bool {
    req.query("$expand")
        .is_some_and(|e| e.eq_ignore_ascii_case("instanceView"))
}

pub(crate) fn get(state: &State, store: &mut Store, req: &Req, rg: &str, name: &str) -> Reply {
    let key = vm_key(rg, name);
    if !store.virtual_machines.contains_key(&key) {
        return not_found(rg, name);
    }
    // A GET of the resource observes its running update, as a monitor poll does.
    if let Some(op) = lro::active_for(store, &key) {
        lro::observe(store, &op);
        store.tick(&state.config);
    }
    match store.virtual_machines.get(&key) {
        Some(vm) => Reply::ok(vm.render(&state.config.subscription_id, wants_instance_view(req))),
        None => not_found(rg, name),
    }
}

pub(crate) fn list(state: &State, store: &Store, req: &Req, rg: Option<&str>) -> Reply {
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
    let vms: Vec<&VirtualMachine> = store
        .virtual_machines
        .values()
        .filter(|vm| rg.is_none_or(|rg| vm.resource_group.eq_ignore_ascii_case(rg)))
        .collect();
    let page_size = state.config.page_size.max(1);
    let sub = &state.config.subscription_id;
    let expand = wants_instance_view(req);
    let value: Vec<Value> = vms
        .iter()
        .skip(skip)
        .take(page_size)
        .map(|vm| vm.render(sub, expand))
        .collect();
    let mut body = json!({ "value": value });
    if skip.saturating_add(page_size) < vms.len() {
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
        let expand = if expand { "&$expand=instanceView" } else { "" };
        body["nextLink"] = json!(format!(
            "{}{scope}/providers/Microsoft.Compute/virtualMachines?api-version={API_VERSION}&$skiptoken={}{expand}",
            state.base_url,
            skip + page_size
        ));
    }
    Reply::ok(body)
}

const PATCH_SETTINGS: &str = "properties.osProfile.windowsConfiguration.patchSettings";
const WINDOWS_PATCH_MODES: &[&str] = &["Manual", "AutomaticByOS", "AutomaticByPlatform"];

fn invalid_parameter(target: &str, message: String) -> ArmError {
    ArmError::bad_request("InvalidParameter", message).target(target)
}

/// The service's rules on the Windows configuration a PATCH would produce.
fn check_rules(vm: &VirtualMachine, cfg: &Map<String, Value>) -> Result<(), ArmError> {
    let ps = cfg.get("patchSettings").and_then(Value::as_object);
    let get = |k: &str| ps.and_then(|p| p.get(k));
    let hotpatch = get("enableHotpatching").and_then(Value::as_bool) == Some(true);
    let mode = get("patchMode").and_then(Value::as_str);
    let agent = cfg.get("provisionVMAgent").and_then(Value::as_bool) == Some(true);
    let auto_updates = cfg.get("enableAutomaticUpdates").and_then(Value::as_bool) == Some(true);
    if let Some(mode) = mode {
        if !WINDOWS_PATCH_MODES.contains(&mode) {
            return Err(invalid_parameter(
                &format!("{PATCH_SETTINGS}.patchMode"),
                format!(
                    "The value '{mode}' of parameter 'windowsConfiguration.patchSettings.patchMode' is not allowed. Allowed values are 'Manual', 'AutomaticByOS', 'AutomaticByPlatform'."
                ),
            ));
        }
    }
    if mode == Some("AutomaticByPlatform") && !(agent && auto_updates) {
        return Err(invalid_parameter(
            &format!("{PATCH_SETTINGS}.patchMode"),
            "Patch mode 'AutomaticByPlatform' requires 'provisionVMAgent' and 'enableAutomaticUpdates' to be true.".to_string(),
        ));
    }
    if hotpatch {
        if !agent {
            return Err(invalid_parameter(
                "properties.osProfile.windowsConfiguration.provisionVMAgent",
                "Hotpatching requires 'provisionVMAgent' to be true.".to_string(),
            ));
        }
        if mode != Some("AutomaticByPlatform") {
            return Err(invalid_parameter(
                &format!("{PATCH_SETTINGS}.patchMode"),
                format!(
                    "Hotpatching requires patch mode 'AutomaticByPlatform', but the patch mode is '{}'.",
                    mode.unwrap_or("unset")
                ),
            ));
        }
        if !vm.hotpatch_capable_image() {
            return Err(ArmError::bad_request(
                "OperationNotAllowed",
                format!(
                    "Hotpatching is not supported for image SKU '{}'. Hotpatch requires a Windows Server Datacenter: Azure Edition image.",
                    vm.image_sku()
                ),
            )
            .target(format!("{PATCH_SETTINGS}.enableHotpatching")));
        }
    }
    Ok(())
}

pub(crate) fn patch(state: &State, store: &mut Store, req: &Req, rg: &str, name: &str) -> Reply {
    let body = match req.json_object() {
        Ok(b) => b,
        Err(e) => return e.into(),
    };
    let key = vm_key(rg, name);
    let Some(vm) = store.virtual_machines.get(&key) else {
        return not_found(rg, name);
    };
    if let Some(expected) = req.header("if-match") {
        if expected.trim() != "*" && expected.trim() != vm.etag() {
            return ArmError::new(
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                format!(
                    "The specified precondition 'If-Match = {expected}' failed: the virtual machine's current ETag is {}.",
                    vm.etag()
                ),
            )
            .into();
        }
    }
    let requested = body
        .get("properties")
        .and_then(|p| p.get("osProfile"))
        .and_then(|o| o.get("windowsConfiguration"))
        .and_then(|c| c.get("patchSettings"));
    if let Some(ps) = requested {
        if !ps.is_object() {
            return ArmError::invalid_content(format!("'{PATCH_SETTINGS}' must be an object."))
                .target(PATCH_SETTINGS)
                .into();
        }
        if ps
            .get("enableHotpatching")
            .is_some_and(|v| !v.is_boolean() && !v.is_null())
        {
            return ArmError::invalid_content(format!(
                "'{PATCH_SETTINGS}.enableHotpatching' must be a boolean."
            ))
            .target(format!("{PATCH_SETTINGS}.enableHotpatching"))
            .into();
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
    // Rules are judged on the settings the VM would end up with, before anything changes.
    let mut merged = vm
        .windows_configuration()
        .cloned()
        .map(Value::Object)
        .unwrap_or(json!({}));
    if let Some(ps) = requested {
        merge(&mut merged["patchSettings"], ps);
    }
    if let Some(cfg) = merged.as_object() {
        if let Err(e) = check_rules(vm, cfg) {
            return e.into();
        }
    }
    let location = vm.location.clone();
    let Some(vm) = store.virtual_machines.get_mut(&key) else {
        return not_found(rg, name);
    };
    if let Some(tags) = body.get("tags") {
        vm.tags = (!tags.is_null()).then(|| tags.clone());
    }
    if let Some(Value::Object(ps)) = merged.get("patchSettings") {
        vm.windows_configuration_mut()
            .insert("patchSettings".into(), Value::Object(ps.clone()));
    }
    vm.version += 1;
    vm.properties
        .insert("provisioningState".into(), json!("Updating"));
    let op = lro::start(
        state,
        store,
        req,
        super::NAMESPACE,
        &location,
        &key,
        OpKind::VirtualMachineUpdate,
    );
    let sub = &state.config.subscription_id;
    let rendered = store
        .virtual_machines
        .get(&key)
        .map(|vm| vm.render(sub, false))
        .unwrap_or(Value::Null);
    lro::with_headers(state, Reply::ok(rendered), store, &op)
}

/// Completes an update operation: the VM settles `Succeeded` (or `Failed` for an injected
/// failure, whose error is returned for the monitor).
pub(crate) fn complete(store: &mut Store, op: &Operation) -> Result<(), Value> {
    let failure = op
        .fail_message
        .as_ref()
        .map(|m| json!({ "code": "VMUpdateFailed", "message": m }));
    if let Some(vm) = store.virtual_machines.get_mut(&op.resource_key) {
        let state = if failure.is_some() {
            "Failed"
        } else {
            "Succeeded"
        };
        vm.properties
            .insert("provisioningState".into(), json!(state));
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(()),
    }
}

/// The VM body of a finished update (monitor `operationResults`).
pub(crate) fn render_by_key(state: &State, store: &Store, key: &str) -> Option<Value> {
    store
        .virtual_machines
        .get(key)
        .map(|vm| vm.render(&state.config.subscription_id, false))
}

/// Out-of-band changes to a VM (as made in the portal); absent fields are left alone. Every
/// change bumps the `etag`, exactly like a change made through ARM.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VmChanges {
    pub patch_mode: Option<String>,
    pub enable_hotpatching: Option<bool>,
    pub assessment_mode: Option<String>,
    pub provision_vm_agent: Option<bool>,
    pub bypass_platform_safety_checks_on_user_schedule: Option<bool>,
}

fn find_key(store: &Store, name: &str) -> Option<String> {
    store
        .virtual_machines
        .iter()
        .find(|(_, vm)| vm.name.eq_ignore_ascii_case(name))
        .map(|(k, _)| k.clone())
}

/// The VM body a GET with `$expand=instanceView` would return (not an LRO observation).
pub(crate) fn admin_get(state: &State, store: &Store, name: &str) -> Option<Value> {
    let key = find_key(store, name)?;
    store
        .virtual_machines
        .get(&key)
        .map(|vm| vm.render(&state.config.subscription_id, true))
}

pub(crate) fn admin_set(store: &mut Store, name: &str, changes: &VmChanges) -> Result<(), String> {
    let key = find_key(store, name).ok_or_else(|| format!("virtual machine '{name}' not found"))?;
    let vm = store
        .virtual_machines
        .get_mut(&key)
        .ok_or_else(|| format!("virtual machine '{name}' not found"))?;
    let cfg = vm.windows_configuration_mut();
    if let Some(b) = changes.provision_vm_agent {
        cfg.insert("provisionVMAgent".into(), json!(b));
    }
    let ps = obj_entry(cfg, "patchSettings");
    if let Some(v) = &changes.patch_mode {
        ps.insert("patchMode".into(), json!(v));
    }
    if let Some(b) = changes.enable_hotpatching {
        ps.insert("enableHotpatching".into(), json!(b));
    }
    if let Some(v) = &changes.assessment_mode {
        ps.insert("assessmentMode".into(), json!(v));
    }
    if let Some(b) = changes.bypass_platform_safety_checks_on_user_schedule {
        obj_entry(ps, "automaticByPlatformSettings")
            .insert("bypassPlatformSafetyChecksOnUserSchedule".into(), json!(b));
    }
    vm.version += 1;
    Ok(())
}
