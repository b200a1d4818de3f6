//! Out-of-band changes to a license profile, as a portal user or another tool would make them
//! behind a client's back: cancel the Hotpatch feature, or change ESU / Software Assurance
//! (e.g. between a client's GET and its PUT, to test read-modify-write).
//!
//! These changes are instantaneous (no LRO) and, like every HybridCompute change, leave no
//! trace a client could compare: machines and license profiles have no `etag` (CONTRACT §1.6).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::license_profiles::{esu_profile, now, LicenseProfile, HOTPATCH};
use crate::state::Store;

/// Changes to ESU / Software Assurance; absent fields are left alone. A machine without a
/// license profile gets one holding just these sections.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LicenseProfileChanges {
    /// Sets `softwareAssurance.softwareAssuranceCustomer`.
    pub software_assurance_customer: Option<bool>,
    /// Removes `softwareAssurance`.
    pub remove_software_assurance: bool,
    /// Assigns this ESU license (an ARM id of `Microsoft.HybridCompute/licenses/...`).
    pub esu_assigned_license: Option<String>,
    /// Removes `esuProfile`.
    pub remove_esu: bool,
}

/// Applies `changes` to the profile of machine `key`; `Err` when the machine is unknown.
pub(crate) fn apply(
    store: &mut Store,
    key: &str,
    changes: &LicenseProfileChanges,
) -> Result<(), String> {
    let machine = store
        .machines
        .get(key)
        .cloned()
        .ok_or_else(|| format!("machine '{key}' not found"))?;
    let lp = store
        .license_profiles
        .entry(key.to_string())
        .or_insert_with(|| LicenseProfile {
            location: machine.location.clone(),
            tags: None,
            properties: Map::from_iter([("provisioningState".to_string(), json!("Succeeded"))]),
        });
    if changes.remove_software_assurance {
        lp.properties.remove("softwareAssurance");
    }
    if let Some(sa) = changes.software_assurance_customer {
        lp.properties.insert(
            "softwareAssurance".into(),
            json!({ "softwareAssuranceCustomer": sa }),
        );
    }
    if changes.remove_esu {
        lp.properties.remove("esuProfile");
    }
    if let Some(id) = &changes.esu_assigned_license {
        lp.properties
            .insert("esuProfile".into(), esu_profile(&machine, Some(id)));
    }
    Ok(())
}

/// Out-of-band cancellation of the Hotpatch feature (as if canceled in the portal).
pub(crate) fn cancel_hotpatch(store: &mut Store, key: &str) -> bool {
    let Some(lp) = store.license_profiles.get_mut(key) else {
        return false;
    };
    let stamp = now();
    let features = lp
        .properties
        .get_mut("productProfile")
        .and_then(|p| p.get_mut("productFeatures"))
        .and_then(Value::as_array_mut);
    let Some(features) = features else {
        return false;
    };
    let mut found = false;
    for f in features.iter_mut().filter_map(Value::as_object_mut) {
        let is_hp = f
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(HOTPATCH));
        if is_hp {
            found = true;
            f.insert("subscriptionStatus".into(), json!("Disabled"));
            f.insert("disenrollmentDate".into(), json!(stamp));
            f.insert("billingEndDate".into(), json!(stamp));
        }
    }
    found
}
