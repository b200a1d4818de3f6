//! `configurationAssignments`, which attach machines to a schedule. Two kinds share one store:
//!
//! * under a resource (`<machine id>/providers/Microsoft.Maintenance/configurationAssignments/<n>`):
//!   PUT (201/200), GET, DELETE (200 body / 204), list for the resource. Arc machines and VMs
//!   must exist (404 otherwise); other resource types (scale sets, nested resources) are
//!   accepted as they are, since the emulator does not model them.
//! * dynamic scopes under a subscription or resource group: PUT, GET, PATCH, DELETE, with a
//!   `filter`; plus the subscription-wide list.
//!
//! Either way the referenced `maintenanceConfigurationId` must name an existing schedule of
//! this subscription (INFERENCE: the service's exact code for a missing one is undocumented).

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{configurations, MaintenanceStore};
use crate::errors::ArmError;
use crate::reply::Reply;
use crate::router::{ArmPath, Req};
use crate::state::{machine_key, State, Store};

pub(crate) const TYPE: &str = "Microsoft.Maintenance/configurationAssignments";

#[derive(Clone, Debug)]
pub(crate) struct Assignment {
    /// The scope as the client spelled it: a resource id, `/subscriptions/<s>` or a group.
    pub scope: String,
    pub name: String,
    pub location: Option<Value>,
    pub properties: Map<String, Value>,
}

impl Assignment {
    pub fn id(&self) -> String {
        format!(
            "{}/providers/Microsoft.Maintenance/configurationAssignments/{}",
            self.scope, self.name
        )
    }
}

/// The scope of a request: everything before the last `providers/Microsoft.Maintenance`.
pub(crate) fn scope_of(path: &ArmPath) -> String {
    let mut s = String::new();
    if let Some(sub) = &path.subscription {
        s.push_str(&format!("/subscriptions/{sub}"));
    }
    if let Some(rg) = &path.resource_group {
        s.push_str(&format!("/resourceGroups/{rg}"));
    }
    for seg in &path.parent {
        s.push('/');
        s.push_str(seg);
    }
    s
}

/// Store key: the lower-cased assignment id with `resourcegroups` spelled one way.
pub(crate) fn key(scope: &str, name: &str) -> String {
    format!("{scope}/{name}").to_lowercase()
}

/// The body a GET returns. `resourceId` is the scope for every kind, dynamic scopes included,
/// as the official subscription and resource-group examples show.
pub(crate) fn render(a: &Assignment) -> Value {
    let mut properties = a.properties.clone();
    properties.insert("resourceId".into(), json!(a.scope));
    json!({
        "id": a.id(),
        "name": a.name,
        "type": TYPE,
        "location": a.location.clone().unwrap_or(Value::Null),
        "systemData": {
            "createdByType": "Application",
            "lastModifiedByType": "Application"
        },
        "properties": properties,
    })
}

fn not_found(scope: &str, name: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("Configuration assignment '{name}' was not found under '{scope}'."),
    )
}

/// Checks the parent resource of a resource-level assignment: Arc machines must exist.
fn check_parent(store: &Store, path: &ArmPath) -> Result<(), ArmError> {
    let p: Vec<String> = path.parent.iter().map(|s| s.to_lowercase()).collect();
    let rg = path.resource_group.as_deref().unwrap_or_default();
    match p.as_slice() {
        [prov, ns, ty, name]
            if prov == "providers" && ns == "microsoft.hybridcompute" && ty == "machines" =>
        {
            if store.machines.contains_key(&machine_key(rg, name)) {
                Ok(())
            } else {
                Err(ArmError::resource_not_found(
                    crate::hybridcompute::MACHINE_TYPE,
                    &path.parent[3],
                    rg,
                ))
            }
        }
        [prov, ns, ty, name]
            if prov == "providers" && ns == "microsoft.compute" && ty == "virtualmachines" =>
        {
            let key = crate::compute::virtual_machines::vm_key(rg, name);
            if store.virtual_machines.contains_key(&key) {
                Ok(())
            } else {
                Err(ArmError::resource_not_found(
                    "Microsoft.Compute/virtualMachines",
                    &path.parent[3],
                    rg,
                ))
            }
        }
        // Other resource types (scale sets, nested resources) are not modelled here.
        [prov, _, _, _] | [prov, _, _, _, _, _] if prov == "providers" => Ok(()),
        _ => Err(ArmError::no_route("PUT", &scope_of(path))),
    }
}

/// The subscription and store key of a maintenance configuration id, if it is one.
pub(crate) fn configuration_ref(id: &str) -> Option<(String, String)> {
    let segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        [s, sub, r, rg, p, ns, t, name]
            if s.eq_ignore_ascii_case("subscriptions")
                && r.eq_ignore_ascii_case("resourcegroups")
                && p.eq_ignore_ascii_case("providers")
                && ns.eq_ignore_ascii_case("Microsoft.Maintenance")
                && t.eq_ignore_ascii_case("maintenanceConfigurations") =>
        {
            Some((sub.to_string(), configurations::key(rg, name)))
        }
        _ => None,
    }
}

/// Validates `properties.maintenanceConfigurationId` against the stored schedules.
fn check_configuration(
    state: &State,
    store: &MaintenanceStore,
    properties: &Map<String, Value>,
) -> Result<(), ArmError> {
    let id = properties
        .get("maintenanceConfigurationId")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ArmError::bad_request(
                "InvalidParameter",
                "maintenanceConfigurationId is required.",
            )
        })?;
    let found = match configuration_ref(id) {
        Some((sub, k)) => {
            sub.eq_ignore_ascii_case(&state.config.subscription_id)
                && store.configurations.contains_key(&k)
        }
        None => {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                format!("maintenanceConfigurationId '{id}' is not a maintenance configuration id."),
            ))
        }
    };
    if found {
        Ok(())
    } else {
        Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "MaintenanceConfigurationNotFound",
            format!("Maintenance configuration '{id}' was not found."),
        ))
    }
}

/// Handles `.../configurationAssignments/<name>` at any scope.
pub(crate) fn one(
    state: &State,
    store: &mut Store,
    req: &Req,
    path: &ArmPath,
    name: &str,
) -> Reply {
    let scope = scope_of(path);
    let resource_level = !path.parent.is_empty();
    let k = key(&scope, name);
    let m = &req.method;
    if resource_level && *m == http::Method::PATCH {
        return ArmError::method_not_allowed(m.as_str()).into();
    }
    if resource_level && *m != http::Method::GET {
        if let Err(e) = check_parent(store, path) {
            return e.into();
        }
    }
    let ms = &mut store.maintenance;
    match *m {
        http::Method::GET => match ms.assignments.get(&k) {
            Some(a) => Reply::ok(render(a)),
            None => not_found(&scope, name).into(),
        },
        http::Method::DELETE => match ms.assignments.remove(&k) {
            Some(a) => Reply::ok(render(&a)),
            None => Reply::empty(StatusCode::NO_CONTENT),
        },
        http::Method::PUT | http::Method::PATCH => {
            let body = match req.json_object() {
                Ok(b) => b,
                Err(e) => return e.into(),
            };
            let existing = ms.assignments.get(&k).cloned();
            if *m == http::Method::PATCH && existing.is_none() {
                return not_found(&scope, name).into();
            }
            let mut properties = body
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if *m == http::Method::PATCH {
                let mut merged = existing
                    .as_ref()
                    .map(|a| a.properties.clone())
                    .unwrap_or_default();
                merged.extend(properties);
                properties = merged;
            }
            properties.remove("resourceId");
            if resource_level {
                properties.remove("filter");
            }
            if let Err(e) = check_configuration(state, ms, &properties) {
                return e.into();
            }
            let a = Assignment {
                scope: existing.as_ref().map_or(scope.clone(), |a| a.scope.clone()),
                name: existing
                    .as_ref()
                    .map_or(name.to_string(), |a| a.name.clone()),
                location: body
                    .get("location")
                    .cloned()
                    .or_else(|| existing.as_ref().and_then(|a| a.location.clone())),
                properties,
            };
            let status = if existing.is_some() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            let reply = Reply::json(status, render(&a));
            ms.assignments.insert(k, a);
            reply
        }
        _ => ArmError::method_not_allowed(m.as_str()).into(),
    }
}

/// Resource Graph table `maintenanceresources` (CONTRACT §6.3): one row per assignment, with
/// the type lower-cased as Resource Graph spells types.
pub(crate) const GRAPH_TABLE: &str = "maintenanceresources";

/// The `maintenanceresources` rows of every assignment (dynamic scopes included).
pub(crate) fn graph_rows(store: &MaintenanceStore, subscription: &str) -> Vec<Value> {
    store
        .assignments
        .values()
        .map(|a| {
            let mut row = render(a);
            row["type"] = json!(TYPE.to_lowercase());
            row["subscriptionId"] = json!(subscription);
            row
        })
        .collect()
}

/// GET `.../configurationAssignments` at a scope: the assignments made directly there.
pub(crate) fn list(store: &MaintenanceStore, path: &ArmPath) -> Reply {
    let scope = scope_of(path).to_lowercase();
    let value: Vec<Value> = store
        .assignments
        .values()
        .filter(|a| a.scope.to_lowercase() == scope)
        .map(render)
        .collect();
    Reply::ok(json!({ "value": value }))
}
