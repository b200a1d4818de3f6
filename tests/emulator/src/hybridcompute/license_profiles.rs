//! `licenseProfiles/default`: the hotpatch (and ESU / Software Assurance) license of an Arc
//! machine. Writes are LROs: enabling a product or feature goes `Enabling` → `Enabled` (setting
//! `enrollmentDate`/`billingStartDate`), disabling goes `Disabling` → `Disabled` (setting
//! `disenrollmentDate`/`billingEndDate`).
//!
//! Vocabulary (CONTRACT §2.3): PUT takes state words `Enabled`/`Disabled`; PATCH takes verbs
//! `Enable`/`Disable`. The other vocabulary is rejected with 400 so client bugs surface.
//!
//! PUT semantics (the emulator's choice, standard ARM PUT = full replacement):
//! * `softwareAssurance` and `esuProfile` are replaced by what the body carries; omitting them
//!   removes them. Server-derived ESU fields are recomputed from `assignedLicense`.
//! * `productProfile.productFeatures` is the desired feature list: a feature that was
//!   `Enabled`/`Enabling` and is omitted is disenrolled (`Disabling` → `Disabled`); it stays
//!   listed as `Disabled`. `productType` and the top-level `subscriptionStatus` keep their
//!   current values when omitted (INFERENCE: the contract does not say what omitting them
//!   means; an absent status cannot express a cancellation, and billing must never change by
//!   omission), and the service never fills them in: a feature-only body
//!   (`productFeatures: [{name: Hotpatch, subscriptionStatus: Enabled}]`) on a machine without
//!   a profile creates one with no product-level `subscriptionStatus`/`productType`, and reads
//!   (the profile and the machine's `licenseProfile` mirror) show exactly that. Such a body is
//!   accepted: the contract marks the product-level fields optional and names no rejection.
//!
//! So a client that reads the profile and PUTs it back with only the Hotpatch feature changed
//! keeps ESU and Software Assurance intact, and one that PUTs only `productProfile` loses them.
//! Like every HybridCompute resource the profile has no `etag` and ignores `If-Match`
//! (CONTRACT §1.6: the spec declares neither), so concurrent edits are last-writer-wins.
//!
//! PATCH merges: sections and features it does not mention are unchanged.

use std::collections::BTreeSet;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::machines::{self, Machine};
use super::NAMESPACE;
use crate::errors::ArmError;
use crate::fnv;
use crate::lro::{self, OpKind, Operation};
use crate::reply::Reply;
use crate::router::Req;
use crate::seed;
use crate::state::{machine_key, State, Store};

pub(crate) const PROFILE_TYPE: &str = "Microsoft.HybridCompute/machines/licenseProfiles";
pub(crate) const HOTPATCH: &str = "Hotpatch";

#[derive(Clone, Debug)]
pub(crate) struct LicenseProfile {
    pub location: String,
    pub tags: Option<Value>,
    /// The `properties` object as returned (includes server-derived fields).
    pub properties: Map<String, Value>,
}

impl LicenseProfile {
    fn features(&self) -> Vec<&Value> {
        self.properties
            .get("productProfile")
            .and_then(|p| p.get("productFeatures"))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    /// The Hotpatch feature's `subscriptionStatus`.
    pub fn hotpatch_status(&self) -> Option<String> {
        self.features()
            .into_iter()
            .find(|f| {
                f.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(HOTPATCH))
            })
            .and_then(|f| f.get("subscriptionStatus"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    pub fn hotpatch_enabled(&self) -> bool {
        self.hotpatch_status().as_deref() == Some("Enabled")
    }

    fn product_profile_mut(&mut self) -> &mut Map<String, Value> {
        machines::obj_entry(&mut self.properties, "productProfile")
    }
}

pub(crate) struct Target<'a> {
    pub rg: &'a str,
    pub machine: &'a str,
    pub profile: &'a str,
}

pub(super) fn now() -> String {
    lro::rfc3339(time::OffsetDateTime::now_utc())
}

/// Server-derived ESU fields for an assigned license on `machine`.
pub(super) fn esu_profile(machine: &Machine, assigned: Option<&str>) -> Value {
    let server_type = if machine
        .str_prop("osSku")
        .to_lowercase()
        .contains("standard")
    {
        "Standard"
    } else {
        "Datacenter"
    };
    // ESU is for Windows Server 2012/2012 R2.
    let eligible = machine.str_prop("osSku").contains("2012");
    let mut v = json!({
        "serverType": server_type,
        "esuEligibility": if eligible { "Eligible" } else { "Ineligible" },
        "esuKeyState": "Inactive",
        "esuKeys": [],
    });
    if let Some(id) = assigned {
        v["assignedLicense"] = json!(id);
        v["assignedLicenseImmutableId"] = json!(fnv::guid(id));
        v["esuKeys"] = json!([
            { "sku": "skuNumber1", "licenseStatus": 1 },
            { "sku": "skuNumber2", "licenseStatus": 1 }
        ]);
    }
    v
}

/// The ESU + Software Assurance profile of the seeded `WS2025_WITH_ESU` machine.
pub(crate) fn seeded_esu_profile(machine: &Machine) -> LicenseProfile {
    let mut properties = Map::new();
    properties.insert("provisioningState".into(), json!("Succeeded"));
    properties.insert(
        "softwareAssurance".into(),
        json!({ "softwareAssuranceCustomer": true }),
    );
    properties.insert(
        "esuProfile".into(),
        esu_profile(machine, Some(&seed::esu_license_id())),
    );
    LicenseProfile {
        location: machine.location.clone(),
        tags: None,
        properties,
    }
}

pub(crate) fn render_by_key(state: &State, store: &Store, key: &str) -> Option<Value> {
    let lp = store.license_profiles.get(key)?;
    let m = store.machines.get(key)?;
    Some(json!({
        "id": format!("{}/licenseProfiles/default", m.id(&state.config.subscription_id)),
        "name": "default",
        "type": PROFILE_TYPE,
        "location": lp.location,
        "tags": lp.tags.clone().unwrap_or(Value::Null),
        "properties": lp.properties,
    }))
}

/// `properties.licenseProfile` of the machine body: a read-only mirror of the profile.
pub(crate) fn instance_view(state: &State, store: &Store, key: &str, m: &Machine) -> Option<Value> {
    let lp = store.license_profiles.get(key);
    if !m.is_windows() && lp.is_none() {
        return None;
    }
    let mut view = json!({
        "licenseStatus": if m.is_windows() { "Licensed" } else { "Unlicensed" },
        "licenseChannel": "Volume:GVLK",
    });
    let esu = lp.and_then(|p| p.properties.get("esuProfile"));
    let mut esu_view = esu.cloned().unwrap_or_else(|| esu_profile(m, None));
    let assigned = esu_view
        .get("assignedLicense")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(obj) = esu_view.as_object_mut() {
        obj.remove("assignedLicenseImmutableId");
        match &assigned {
            Some(id) => {
                let name = id.rsplit('/').next().unwrap_or("license");
                obj.insert(
                    "assignedLicense".into(),
                    json!({
                        "id": id,
                        "name": name,
                        "type": "Microsoft.HybridCompute/licenses",
                        "location": m.location,
                        "tags": null,
                        "properties": {
                            "tenantId": state.config.tenant_id,
                            "licenseType": "ESU",
                            "licenseDetails": {
                                "state": "Activated",
                                "target": "Windows Server 2012",
                                "edition": "Datacenter",
                                "type": "pCore",
                                "processors": 8,
                                "assignedLicenses": 1,
                                "immutableId": fnv::guid(id)
                            }
                        }
                    }),
                );
                obj.insert("licenseAssignmentState".into(), json!("Assigned"));
            }
            None => {
                obj.insert("licenseAssignmentState".into(), json!("NotAssigned"));
            }
        }
    }
    view["esuProfile"] = esu_view;
    if let Some(lp) = lp {
        if let Some(sa) = lp.properties.get("softwareAssurance") {
            view["softwareAssurance"] = sa.clone();
        }
        if let Some(pp) = lp.properties.get("productProfile") {
            view["productProfile"] = pp.clone();
        }
    }
    Some(view)
}

/// Checks parent machine and profile name; returns the machine key.
fn resolve(store: &Store, t: &Target<'_>) -> Result<String, ArmError> {
    let key = machine_key(t.rg, t.machine);
    if !store.machines.contains_key(&key) {
        return Err(ArmError::parent_not_found(&format!(
            "{}/{}",
            super::MACHINE_TYPE,
            t.machine
        )));
    }
    if !t.profile.eq_ignore_ascii_case("default") {
        return Err(ArmError::bad_request(
            "InvalidLicenseProfileName",
            format!(
                "The license profile name '{}' is invalid. The only supported name is 'default'.",
                t.profile
            ),
        )
        .target("licenseProfileName"));
    }
    Ok(key)
}

fn profile_not_found(t: &Target<'_>) -> ArmError {
    ArmError::resource_not_found(PROFILE_TYPE, &format!("{}/default", t.machine), t.rg)
}

fn busy(t: &Target<'_>) -> Reply {
    ArmError::new(
        StatusCode::CONFLICT,
        "AnotherOperationInProgress",
        format!(
            "Another operation is in progress on license profile 'default' of machine '{}'. Retry after it completes.",
            t.machine
        ),
    )
    .into()
}

pub(crate) fn get(state: &State, store: &mut Store, t: &Target<'_>) -> Reply {
    let key = match resolve(store, t) {
        Ok(k) => k,
        Err(e) => return e.into(),
    };
    if let Some(op) = lro::active_for(store, &key) {
        lro::observe(store, &op);
        store.tick(&state.config);
    }
    match render_by_key(state, store, &key) {
        Some(b) => Reply::ok(b),
        None => profile_not_found(t).into(),
    }
}

pub(crate) fn list(state: &State, store: &mut Store, rg: &str, machine: &str) -> Reply {
    let key = machine_key(rg, machine);
    if !store.machines.contains_key(&key) {
        return machines::machine_not_found(rg, machine).into();
    }
    let value: Vec<Value> = render_by_key(state, store, &key).into_iter().collect();
    Reply::ok(json!({ "value": value }))
}

/// Which vocabulary a write uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Put,
    Patch,
}

/// Maps a requested status to the desired end state (`true` = enabled).
fn desired(verb: Verb, value: &Value, path: &str) -> Result<bool, ArmError> {
    let s = value.as_str().ok_or_else(|| {
        ArmError::invalid_content(format!("'{path}' must be a string.")).target(path.to_string())
    })?;
    let (on, off, other_on, other_off, verb_name) = match verb {
        Verb::Put => ("Enabled", "Disabled", "Enable", "Disable", "PUT"),
        Verb::Patch => ("Enable", "Disable", "Enabled", "Disabled", "PATCH"),
    };
    if s.eq_ignore_ascii_case(on) {
        return Ok(true);
    }
    if s.eq_ignore_ascii_case(off) {
        return Ok(false);
    }
    let hint = if s.eq_ignore_ascii_case(other_on) || s.eq_ignore_ascii_case(other_off) {
        match verb {
            Verb::Put => " 'Enable'/'Disable' are the verbs of a license profile PATCH; a PUT takes the state words 'Enabled'/'Disabled'.",
            Verb::Patch => " 'Enabled'/'Disabled' are the state words of a license profile PUT; a PATCH takes the verbs 'Enable'/'Disable'.",
        }
    } else {
        ""
    };
    Err(ArmError::bad_request(
        "InvalidSubscriptionStatus",
        format!(
            "The value '{s}' of '{path}' is not valid for a license profile {verb_name}. Allowed values: '{on}', '{off}'.{hint}"
        ),
    )
    .target(path.to_string()))
}

/// A requested product-profile change, validated.
struct ProductRequest {
    status: Option<bool>,
    product_type: Option<String>,
    /// (feature name, desired enabled)
    features: Vec<(String, bool)>,
    features_given: bool,
}

fn parse_product(verb: Verb, pp: Option<&Value>) -> Result<ProductRequest, ArmError> {
    let mut req = ProductRequest {
        status: None,
        product_type: None,
        features: Vec::new(),
        features_given: false,
    };
    let Some(pp) = pp.filter(|v| !v.is_null()) else {
        return Ok(req);
    };
    let pp = pp.as_object().ok_or_else(|| {
        ArmError::invalid_content("'properties.productProfile' must be an object.")
            .target("properties.productProfile")
    })?;
    if let Some(v) = pp.get("subscriptionStatus").filter(|v| !v.is_null()) {
        req.status = Some(desired(
            verb,
            v,
            "properties.productProfile.subscriptionStatus",
        )?);
    }
    if let Some(v) = pp.get("productType").filter(|v| !v.is_null()) {
        let s = v.as_str().unwrap_or("");
        let known = ["WindowsServer", "WindowsIoTEnterprise"];
        match known.iter().find(|k| k.eq_ignore_ascii_case(s)) {
            Some(k) => req.product_type = Some(k.to_string()),
            None => {
                return Err(ArmError::bad_request(
                    "InvalidProductType",
                    format!("The product type '{v}' is not valid. Allowed values: 'WindowsServer', 'WindowsIoTEnterprise'."),
                )
                .target("properties.productProfile.productType"))
            }
        }
    }
    if let Some(features) = pp.get("productFeatures").filter(|v| !v.is_null()) {
        req.features_given = true;
        let arr = features.as_array().ok_or_else(|| {
            ArmError::invalid_content(
                "'properties.productProfile.productFeatures' must be an array.",
            )
            .target("properties.productProfile.productFeatures")
        })?;
        let mut seen = BTreeSet::new();
        for (i, f) in arr.iter().enumerate() {
            let path = format!("properties.productProfile.productFeatures[{i}]");
            let name = f.get("name").and_then(Value::as_str).ok_or_else(|| {
                ArmError::bad_request(
                    "InvalidProductFeature",
                    format!("'{path}.name' is required."),
                )
                .target(format!("{path}.name"))
            })?;
            if !name.eq_ignore_ascii_case(HOTPATCH) {
                return Err(ArmError::bad_request(
                    "InvalidProductFeature",
                    format!("The product feature '{name}' is not supported. Supported features: 'Hotpatch'."),
                )
                .target(format!("{path}.name")));
            }
            if !seen.insert(name.to_lowercase()) {
                return Err(ArmError::bad_request(
                    "InvalidProductFeature",
                    format!("The product feature '{name}' is listed more than once."),
                )
                .target(format!("{path}.name")));
            }
            let status = f
                .get("subscriptionStatus")
                .filter(|v| !v.is_null())
                .ok_or_else(|| {
                    ArmError::bad_request(
                        "InvalidSubscriptionStatus",
                        format!("'{path}.subscriptionStatus' is required."),
                    )
                    .target(format!("{path}.subscriptionStatus"))
                })?;
            let on = desired(verb, status, &format!("{path}.subscriptionStatus"))?;
            req.features.push((HOTPATCH.to_string(), on));
        }
    }
    Ok(req)
}

fn check_common(body: &Map<String, Value>) -> Result<(), ArmError> {
    if let Some(tags) = body.get("tags") {
        if !tags.is_null()
            && !tags
                .as_object()
                .is_some_and(|t| t.values().all(Value::is_string))
        {
            return Err(
                ArmError::invalid_content("'tags' must be an object of strings.").target("tags"),
            );
        }
    }
    let props = body.get("properties");
    if let Some(p) = props.filter(|p| !p.is_null() && !p.is_object()) {
        return Err(
            ArmError::invalid_content(format!("'properties' must be an object, got {p}."))
                .target("properties"),
        );
    }
    if let Some(sa) = props
        .and_then(|p| p.get("softwareAssurance"))
        .filter(|v| !v.is_null())
    {
        let ok = sa.as_object().is_some_and(|o| {
            o.get("softwareAssuranceCustomer")
                .is_none_or(|v| v.is_boolean() || v.is_null())
        });
        if !ok {
            return Err(ArmError::invalid_content(
                "'properties.softwareAssurance.softwareAssuranceCustomer' must be a boolean.",
            )
            .target("properties.softwareAssurance.softwareAssuranceCustomer"));
        }
    }
    if let Some(esu) = props
        .and_then(|p| p.get("esuProfile"))
        .filter(|v| !v.is_null())
    {
        let ok = esu.as_object().is_some_and(|o| {
            o.get("assignedLicense")
                .is_none_or(|v| v.is_string() || v.is_null())
        });
        if !ok {
            return Err(ArmError::invalid_content(
                "'properties.esuProfile.assignedLicense' must be a string (an ARM license id).",
            )
            .target("properties.esuProfile.assignedLicense"));
        }
    }
    Ok(())
}

/// Moves one status holder (product profile or feature object) towards `on`.
/// Returns true when an LRO is needed.
fn transition(item: &mut Map<String, Value>, on: bool) -> bool {
    let cur = item
        .get("subscriptionStatus")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let next = match (on, cur.as_str()) {
        (true, "Enabled") => "Enabled",
        (true, _) => "Enabling",
        (false, "Enabled" | "Enabling") => "Disabling",
        (false, _) => "Disabled",
    };
    item.insert("subscriptionStatus".into(), json!(next));
    if next == "Enabling" || next == "Disabling" {
        item.remove("error");
    }
    next == "Enabling" || next == "Disabling"
}

/// Applies a product request; returns whether an LRO is needed.
fn apply_product(lp: &mut LicenseProfile, req: &ProductRequest, verb: Verb) -> bool {
    let touches = req.status.is_some() || req.product_type.is_some() || req.features_given;
    let had_profile = lp.properties.contains_key("productProfile");
    if !(touches || (verb == Verb::Put && had_profile)) {
        return false;
    }
    let pp = lp.product_profile_mut();
    let mut lro = false;
    if let Some(t) = &req.product_type {
        pp.insert("productType".into(), json!(t));
    }
    if let Some(on) = req.status {
        lro |= transition(pp, on);
    }
    let mut features: Vec<Value> = pp
        .get("productFeatures")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut mentioned = BTreeSet::new();
    for (name, on) in &req.features {
        mentioned.insert(name.to_lowercase());
        let pos = features.iter().position(|f| {
            f.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        let idx = match pos {
            Some(i) => i,
            None => {
                features.push(json!({ "name": name }));
                features.len() - 1
            }
        };
        if let Some(obj) = features[idx].as_object_mut() {
            lro |= transition(obj, *on);
        }
    }
    if verb == Verb::Put {
        // Omitted features are disenrolled (PUT is the full desired state).
        for f in features.iter_mut() {
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_lowercase();
            if !mentioned.contains(&name) {
                if let Some(obj) = f.as_object_mut() {
                    lro |= transition(obj, false);
                }
            }
        }
    }
    pp.insert("productFeatures".into(), Value::Array(features));
    lro
}

fn apply_sa_esu(lp: &mut LicenseProfile, machine: &Machine, props: Option<&Value>, verb: Verb) {
    let sa = props
        .and_then(|p| p.get("softwareAssurance"))
        .filter(|v| !v.is_null());
    match (sa, verb) {
        (Some(sa), _) => {
            let entry = lp
                .properties
                .entry("softwareAssurance".to_string())
                .or_insert_with(|| json!({}));
            if verb == Verb::Put {
                *entry = sa.clone();
            } else {
                machines::merge(entry, sa);
            }
        }
        (None, Verb::Put) => {
            lp.properties.remove("softwareAssurance");
        }
        (None, Verb::Patch) => {}
    }
    let esu = props
        .and_then(|p| p.get("esuProfile"))
        .filter(|v| !v.is_null());
    match (esu, verb) {
        (Some(esu), _) => {
            let old = lp
                .properties
                .get("esuProfile")
                .and_then(|e| e.get("assignedLicense"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let assigned = match esu.get("assignedLicense") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => None,
                None if verb == Verb::Patch => old,
                None => None,
            };
            lp.properties.insert(
                "esuProfile".into(),
                esu_profile(machine, assigned.as_deref()),
            );
        }
        (None, Verb::Put) => {
            lp.properties.remove("esuProfile");
        }
        (None, Verb::Patch) => {}
    }
}

fn same_location(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase()
    };
    norm(a) == norm(b)
}

pub(crate) fn put(state: &State, store: &mut Store, req: &Req, t: &Target<'_>) -> Reply {
    let key = match resolve(store, t) {
        Ok(k) => k,
        Err(e) => return e.into(),
    };
    let body = match req.json_object() {
        Ok(b) => b,
        Err(e) => return e.into(),
    };
    let Some(machine) = store.machines.get(&key).cloned() else {
        return ArmError::parent_not_found(t.machine).into();
    };
    let location = match body.get("location") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(other) if !other.is_null() => {
            return ArmError::invalid_content("'location' must be a string.")
                .target("location")
                .into()
        }
        _ => {
            return ArmError::bad_request(
                "LocationRequired",
                "The location property is required for this definition.",
            )
            .target("location")
            .into()
        }
    };
    if !same_location(&location, &machine.location) {
        return ArmError::bad_request(
            "InvalidLocation",
            format!(
                "The license profile location '{location}' must match the location '{}' of machine '{}'.",
                machine.location, machine.name
            ),
        )
        .target("location")
        .into();
    }
    if let Err(e) = check_common(&body) {
        return e.into();
    }
    let props = body.get("properties");
    let product = match parse_product(Verb::Put, props.and_then(|p| p.get("productProfile"))) {
        Ok(p) => p,
        Err(e) => return e.into(),
    };
    if lro::active_for(store, &key).is_some() {
        return busy(t);
    }

    let existed = store.license_profiles.contains_key(&key);
    let mut lp = store
        .license_profiles
        .get(&key)
        .cloned()
        .unwrap_or(LicenseProfile {
            location: machine.location.clone(),
            tags: None,
            properties: Map::new(),
        });
    lp.tags = body.get("tags").filter(|v| !v.is_null()).cloned();
    apply_sa_esu(&mut lp, &machine, props, Verb::Put);
    let needs_lro = apply_product(&mut lp, &product, Verb::Put);
    let state_word = match (needs_lro, existed) {
        (false, _) => "Succeeded",
        (true, false) => "Creating",
        (true, true) => "Updating",
    };
    lp.properties
        .insert("provisioningState".into(), json!(state_word));
    store.license_profiles.insert(key.clone(), lp);

    let op = needs_lro.then(|| {
        lro::start(
            state,
            store,
            req,
            NAMESPACE,
            &machine.location,
            &key,
            OpKind::LicenseProfileWrite,
        )
    });
    let body = render_by_key(state, store, &key).unwrap_or(Value::Null);
    if existed {
        Reply::ok(body)
    } else {
        let reply = Reply::json(StatusCode::CREATED, body);
        match op {
            Some(op) => lro::with_headers(state, reply, store, &op),
            None => reply,
        }
    }
}

pub(crate) fn patch(state: &State, store: &mut Store, req: &Req, t: &Target<'_>) -> Reply {
    let key = match resolve(store, t) {
        Ok(k) => k,
        Err(e) => return e.into(),
    };
    let body = match req.json_object() {
        Ok(b) => b,
        Err(e) => return e.into(),
    };
    if let Err(e) = check_common(&body) {
        return e.into();
    }
    let props = body.get("properties");
    let product = match parse_product(Verb::Patch, props.and_then(|p| p.get("productProfile"))) {
        Ok(p) => p,
        Err(e) => return e.into(),
    };
    let Some(machine) = store.machines.get(&key).cloned() else {
        return ArmError::parent_not_found(t.machine).into();
    };
    let Some(mut lp) = store.license_profiles.get(&key).cloned() else {
        return profile_not_found(t).into();
    };
    if lro::active_for(store, &key).is_some() {
        return busy(t);
    }
    if let Some(tags) = body.get("tags") {
        lp.tags = (!tags.is_null()).then(|| tags.clone());
    }
    apply_sa_esu(&mut lp, &machine, props, Verb::Patch);
    let needs_lro = apply_product(&mut lp, &product, Verb::Patch);
    lp.properties.insert(
        "provisioningState".into(),
        json!(if needs_lro { "Updating" } else { "Succeeded" }),
    );
    store.license_profiles.insert(key.clone(), lp);
    if needs_lro {
        let op = lro::start(
            state,
            store,
            req,
            NAMESPACE,
            &machine.location,
            &key,
            OpKind::LicenseProfileWrite,
        );
        lro::with_headers(state, Reply::empty(StatusCode::ACCEPTED), store, &op)
    } else {
        Reply::ok(render_by_key(state, store, &key).unwrap_or(Value::Null))
    }
}

pub(crate) fn delete(state: &State, store: &mut Store, req: &Req, t: &Target<'_>) -> Reply {
    let key = match resolve(store, t) {
        Ok(k) => k,
        Err(e) => return e.into(),
    };
    let Some(machine) = store.machines.get(&key).cloned() else {
        return ArmError::parent_not_found(t.machine).into();
    };
    if !store.license_profiles.contains_key(&key) {
        return Reply::empty(StatusCode::NO_CONTENT);
    }
    if lro::active_for(store, &key).is_some() {
        return busy(t);
    }
    if let Some(lp) = store.license_profiles.get_mut(&key) {
        lp.properties
            .insert("provisioningState".into(), json!("Deleting"));
        let pp = lp.product_profile_mut();
        if pp
            .get("subscriptionStatus")
            .and_then(Value::as_str)
            .is_some()
        {
            transition(pp, false);
        }
        if let Some(features) = pp.get_mut("productFeatures").and_then(Value::as_array_mut) {
            for f in features.iter_mut().filter_map(Value::as_object_mut) {
                transition(f, false);
            }
        }
        if pp.is_empty() {
            lp.properties.remove("productProfile");
        }
    }
    let op = lro::start(
        state,
        store,
        req,
        NAMESPACE,
        &machine.location,
        &key,
        OpKind::LicenseProfileDelete,
    );
    lro::with_headers(state, Reply::empty(StatusCode::ACCEPTED), store, &op)
}

/// Finishes a transitional status holder.
fn settle(item: &mut Map<String, Value>, stamp: &str, failure: Option<&Value>) {
    let cur = item
        .get("subscriptionStatus")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match (cur.as_str(), failure) {
        ("Enabling" | "Disabling", Some(err)) => {
            item.insert("subscriptionStatus".into(), json!("Failed"));
            item.insert("error".into(), err.clone());
        }
        ("Enabling", None) => {
            item.insert("subscriptionStatus".into(), json!("Enabled"));
            item.insert("enrollmentDate".into(), json!(stamp));
            item.insert("billingStartDate".into(), json!(stamp));
            item.remove("disenrollmentDate");
            item.remove("billingEndDate");
            item.remove("error");
        }
        ("Disabling", None) => {
            item.insert("subscriptionStatus".into(), json!("Disabled"));
            item.insert("disenrollmentDate".into(), json!(stamp));
            item.insert("billingEndDate".into(), json!(stamp));
            item.remove("error");
        }
        _ => {}
    }
}

/// Settles every transitional status in the profile. A failure is reported on what was
/// transitioning: the product level gets an `error` only when its own status was changing.
fn settle_all(lp: &mut LicenseProfile, failure: Option<&Value>) {
    let Some(pp) = lp
        .properties
        .get_mut("productProfile")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let stamp = now();
    let product_changing = matches!(
        pp.get("subscriptionStatus").and_then(Value::as_str),
        Some("Enabling" | "Disabling")
    );
    settle(pp, &stamp, failure);
    if let Some(features) = pp.get_mut("productFeatures").and_then(Value::as_array_mut) {
        for f in features.iter_mut().filter_map(Value::as_object_mut) {
            settle(f, &stamp, failure);
        }
    }
    if let (Some(err), true) = (failure, product_changing) {
        pp.insert("error".into(), err.clone());
    }
}

/// Applies the end of a license-profile operation (called by `lro::tick`).
pub(crate) fn complete(store: &mut Store, op: &Operation) -> Result<(), Value> {
    let failure = op
        .fail_message
        .as_ref()
        .map(|m| json!({ "code": "LicenseProfileOperationFailed", "message": m }));
    let Some(lp) = store.license_profiles.get_mut(&op.resource_key) else {
        return match failure {
            Some(f) => Err(f),
            None => Ok(()),
        };
    };
    match (op.kind, &failure) {
        (OpKind::LicenseProfileDelete, None) => {
            store.license_profiles.remove(&op.resource_key);
            Ok(())
        }
        (_, Some(err)) => {
            settle_all(lp, Some(err));
            lp.properties
                .insert("provisioningState".into(), json!("Failed"));
            Err(err.clone())
        }
        // Only license-profile operations are routed here (see `lro::tick`).
        (_, None) => {
            settle_all(lp, None);
            lp.properties
                .insert("provisioningState".into(), json!("Succeeded"));
            Ok(())
        }
    }
}
