//! `maintenanceConfigurations`: synchronous PUT (201 create / 200 replace), GET, PATCH (merge
//! of the top-level fields, then the same validation), DELETE (200 with the body, 204 when
//! absent) and single-page lists per subscription and resource group.
//!
//! What was written is stored verbatim and read back verbatim, except `rebootSetting`, which
//! comes back as `RebootIfRequired` / `NeverReboot` / `AlwaysReboot` (an enum the client must
//! map back to stay drift-free). KB ids and classifications are plain strings in the 2023-04-01
//! schema (no enum, no pattern; CONTRACT §4.1), so they read back exactly as sent: that is
//! what lets an import reproduce the spelling a configuration was applied with.

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::{rules, MaintenanceStore};
use crate::errors::ArmError;
use crate::reply::Reply;
use crate::router::Req;
use crate::state::State;

pub(crate) const TYPE: &str = "Microsoft.Maintenance/maintenanceConfigurations";

#[derive(Clone, Debug)]
pub(crate) struct Configuration {
    pub name: String,
    pub resource_group: String,
    pub location: String,
    pub tags: Option<Value>,
    pub properties: Map<String, Value>,
}

/// Store key: case-insensitive resource group + name.
pub(crate) fn key(resource_group: &str, name: &str) -> String {
    format!("{}/{}", resource_group.to_lowercase(), name.to_lowercase())
}

impl Configuration {
    /// The id the service returns (its examples spell `resourcegroups` in lower case).
    pub fn id(&self, subscription: &str) -> String {
        format!(
            "/subscriptions/{subscription}/resourcegroups/{}/providers/Microsoft.Maintenance/maintenanceConfigurations/{}",
            self.resource_group, self.name
        )
    }
}

/// The service's read-back spelling of a reboot setting.
fn reboot_as_read(value: &str) -> String {
    match value.to_ascii_lowercase().as_str() {
        "ifrequired" => "RebootIfRequired".into(),
        "never" => "NeverReboot".into(),
        "always" => "AlwaysReboot".into(),
        _ => value.to_string(),
    }
}

fn properties_as_read(stored: &Map<String, Value>) -> Map<String, Value> {
    let mut p = stored.clone();
    let Some(ip) = p.get_mut("installPatches").and_then(Value::as_object_mut) else {
        return p;
    };
    if let Some(r) = ip.get("rebootSetting").and_then(Value::as_str) {
        let read = reboot_as_read(r);
        ip.insert("rebootSetting".into(), json!(read));
    }
    p
}

/// The body a GET returns.
pub(crate) fn render(state: &State, c: &Configuration) -> Value {
    let mut properties = properties_as_read(&c.properties);
    properties
        .entry("visibility")
        .or_insert_with(|| json!("Custom"));
    json!({
        "id": c.id(&state.config.subscription_id),
        "name": c.name,
        "type": TYPE,
        "location": c.location,
        "tags": c.tags.clone().unwrap_or_else(|| json!({})),
        "systemData": {
            "createdByType": "Application",
            "lastModifiedByType": "Application"
        },
        "properties": properties,
    })
}

fn not_found(name: &str, rg: &str) -> ArmError {
    ArmError::resource_not_found(TYPE, name, rg)
}

/// Splits a request body into a configuration, validating it like the service.
fn from_body(body: &Map<String, Value>, rg: &str, name: &str) -> Result<Configuration, ArmError> {
    let location = body
        .get("location")
        .and_then(Value::as_str)
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| ArmError::bad_request("InvalidParameter", "location is required."))?;
    let properties = body
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    rules::validate(&properties)?;
    Ok(Configuration {
        name: name.to_string(),
        resource_group: rg.to_string(),
        location: location.to_string(),
        tags: body.get("tags").filter(|t| !t.is_null()).cloned(),
        properties,
    })
}

pub(crate) fn get(state: &State, store: &MaintenanceStore, rg: &str, name: &str) -> Reply {
    match store.configurations.get(&key(rg, name)) {
        Some(c) => Reply::ok(render(state, c)),
        None => not_found(name, rg).into(),
    }
}

pub(crate) fn put(
    state: &State,
    store: &mut MaintenanceStore,
    req: &Req,
    rg: &str,
    name: &str,
) -> Reply {
    let body = match req.json_object() {
        Ok(b) => b,
        Err(e) => return e.into(),
    };
    let k = key(rg, name);
    // An existing configuration keeps the name spelling it was created with.
    let (rg, name) = match store.configurations.get(&k) {
        Some(c) => (c.resource_group.clone(), c.name.clone()),
        None => (rg.to_string(), name.to_string()),
    };
    let c = match from_body(&body, &rg, &name) {
        Ok(c) => c,
        Err(e) => return e.into(),
    };
    let status = if store.configurations.contains_key(&k) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let reply = Reply::json(status, render(state, &c));
    store.configurations.insert(k, c);
    reply
}

pub(crate) fn patch(
    state: &State,
    store: &mut MaintenanceStore,
    req: &Req,
    rg: &str,
    name: &str,
) -> Reply {
    let body = match req.json_object() {
        Ok(b) => b,
        Err(e) => return e.into(),
    };
    let k = key(rg, name);
    let Some(existing) = store.configurations.get(&k) else {
        return not_found(name, rg).into();
    };
    let mut merged = Map::new();
    merged.insert("location".into(), json!(existing.location));
    merged.insert("tags".into(), existing.tags.clone().unwrap_or(Value::Null));
    merged.insert(
        "properties".into(),
        Value::Object(existing.properties.clone()),
    );
    for (field, value) in body {
        if ["location", "tags", "properties"].contains(&field.as_str()) {
            merged.insert(field, value);
        }
    }
    match from_body(
        &merged,
        &existing.resource_group.clone(),
        &existing.name.clone(),
    ) {
        Ok(c) => {
            let reply = Reply::ok(render(state, &c));
            store.configurations.insert(k, c);
            reply
        }
        Err(e) => e.into(),
    }
}

pub(crate) fn delete(state: &State, store: &mut MaintenanceStore, rg: &str, name: &str) -> Reply {
    match store.configurations.remove(&key(rg, name)) {
        Some(c) => Reply::ok(render(state, &c)),
        None => Reply::empty(StatusCode::NO_CONTENT),
    }
}

/// Single page (`nextLinkName: null`), optionally limited to one resource group.
pub(crate) fn list(state: &State, store: &MaintenanceStore, rg: Option<&str>) -> Reply {
    let value: Vec<Value> = store
        .configurations
        .values()
        .filter(|c| rg.is_none_or(|rg| c.resource_group.eq_ignore_ascii_case(rg)))
        .map(|c| render(state, c))
        .collect();
    Reply::ok(json!({ "value": value }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_reboot_setting_reads_back_in_another_spelling() {
        let stored = json!({"installPatches": {"rebootSetting": "Never", "windowsParameters": {
            "kbNumbersToInclude": ["KB5001", "5002", "kb5003"],
            "classificationsToInclude": ["Security", "UpdateRollup", "updaterollup"]}}});
        let read = properties_as_read(stored.as_object().unwrap());
        let ip = &read["installPatches"];
        assert_eq!(ip["rebootSetting"], "NeverReboot");
        assert_eq!(
            ip["windowsParameters"],
            stored["installPatches"]["windowsParameters"]
        );
        assert_eq!(reboot_as_read("IfRequired"), "RebootIfRequired");
        assert_eq!(reboot_as_read("Always"), "AlwaysReboot");
    }
}
