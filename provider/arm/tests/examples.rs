//! Every official HybridCompute example deserializes into the typed models, and what the
//! provider echoes back (license profiles) loses nothing.
//!
//! The examples live beside the repository (`<repo>/../shared/arm/examples`), not in it, so
//! the check cannot always run. When they are missing, the test fails if the environment
//! variable `CI` is set (to anything but empty, `0` or `false`): CI must check them. Elsewhere
//! it reports the skip on the terminal and passes. The report is written to the process's
//! stderr handle directly, because the test harness swallows `eprintln!` output of passing
//! tests.

use armclient::models::hybridcompute::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

/// The examples folder, or `None` after `test_support::cannot_run` (a failure under CI).
fn examples_dir() -> Option<PathBuf> {
    test_support::shared_arm_dir_or_skip(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        "official_hybridcompute_examples_deserialize",
    )
    .map(|d| d.join("examples"))
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

fn check<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    what: &str,
    v: &Value,
) -> T {
    let t: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    let again: T = serde_json::from_value(serde_json::to_value(&t).unwrap()).unwrap();
    assert_eq!(t, again, "{what}: round trip");
    t
}

fn lossless<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(what: &str, v: &Value) {
    let t: T = check(what, v);
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        strip_nulls(v),
        "{what}: lost data"
    );
}

#[test]
fn official_hybridcompute_examples_deserialize() {
    let Some(dir) = examples_dir() else {
        return;
    };
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut checked = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !file.starts_with("Microsoft.HybridCompute__2025-01-13__") {
            continue;
        }
        let op = file
            .trim_start_matches("Microsoft.HybridCompute__2025-01-13__")
            .trim_end_matches(".json");
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let params = &doc["parameters"];
        let bodies: Vec<(String, &Value)> = doc["responses"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(code, r)| r.get("body").map(|b| (format!("{op} {code}"), b)))
            .collect();
        match op {
            "Machines_Get" | "Machines_Get_LicenseProfileInstanceView" => {
                for (what, b) in &bodies {
                    let m: Machine = check(what, b);
                    assert!(m.windows_patch_settings().is_some(), "{what}");
                }
            }
            "Machines_Update" => {
                let upd: MachineUpdate = check(op, &params["parameters"]);
                let ps = upd.properties.unwrap().os_profile.unwrap();
                let win = ps.windows_configuration.unwrap().patch_settings.unwrap();
                assert_eq!(win.patch_mode, Some(PatchMode::AutomaticByPlatform));
                assert_eq!(win.enable_hotpatching, Some(true));
                for (what, b) in &bodies {
                    let m: Machine = check(what, b);
                    let st = m.windows_patch_settings().unwrap().status.clone().unwrap();
                    assert_eq!(
                        st.hotpatch_enablement_status,
                        Some(HotpatchEnablementStatus::PendingEvaluation)
                    );
                }
            }
            "LicenseProfile_CreateOrUpdate" | "LicenseProfile_Get" => {
                if op == "LicenseProfile_CreateOrUpdate" {
                    lossless::<LicenseProfile>(op, &params["parameters"]);
                }
                for (what, b) in &bodies {
                    lossless::<LicenseProfile>(what, b);
                    let p: LicenseProfile = check(what, b);
                    let f = p.hotpatch_feature().expect("Hotpatch feature");
                    assert!(f.enrollment_date.is_some());
                }
            }
            "LicenseProfile_Update" => {
                let upd: LicenseProfileUpdate = check(op, &params["parameters"]);
                let pp = upd.properties.unwrap().product_profile.unwrap();
                assert_eq!(
                    pp.subscription_status,
                    Some(SubscriptionStatusUpdate::Enable)
                );
                assert_eq!(
                    serde_json::to_value(&pp.product_features).unwrap()[0]["subscriptionStatus"],
                    "Enable"
                );
                for (what, b) in &bodies {
                    lossless::<LicenseProfile>(what, b);
                }
            }
            "LicenseProfile_Delete" => assert!(bodies.is_empty()),
            "Machine_AssessPatches" => {
                for (what, b) in &bodies {
                    let r: MachineAssessPatchesResult = check(what, b);
                    assert_eq!(r.status, Some(PatchOperationStatus::Succeeded));
                }
            }
            "Machine_InstallPatches" => {
                let p: MachineInstallPatchesParameters = check(op, &params["installPatchesInput"]);
                assert_eq!(p.reboot_setting, RebootSetting::IfRequired);
                for (what, b) in &bodies {
                    let r: MachineInstallPatchesResult = check(what, b);
                    assert_eq!(r.installed_patch_count, Some(3));
                }
            }
            other => panic!("no model mapped for example {other}"),
        }
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} examples checked");
}

#[test]
fn unknown_values_and_fields_survive_read_modify_write() {
    let body = serde_json::json!({
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m/licenseProfiles/default",
        "name": "default",
        "type": "Microsoft.HybridCompute/machines/licenseProfiles",
        "location": "eastus",
        "tags": null,
        "properties": {
            "provisioningState": "Migrating",
            "futureTopLevel": {"x": [1, 2]},
            "softwareAssurance": {"softwareAssuranceCustomer": true, "saNew": "v"},
            "esuProfile": {"assignedLicense": "/subscriptions/s/x", "esuKeyState": "Suspended", "newEsu": 1},
            "productProfile": {
                "subscriptionStatus": "Enabled",
                "productType": "WindowsServerNext",
                "productFeatures": [
                    {"name": "hotpatch", "subscriptionStatus": "Suspending", "enrollmentDate": "2024-01-01T00:00:00Z", "featureNew": true},
                    {"name": "SomethingElse", "subscriptionStatus": "Enabled"}
                ]
            }
        }
    });
    let p: LicenseProfile = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(
        p.properties.as_ref().unwrap().provisioning_state,
        Some(armclient::models::ProvisioningState::Other(
            "Migrating".into()
        ))
    );
    let f = p.hotpatch_feature().unwrap();
    assert_eq!(
        f.subscription_status,
        Some(SubscriptionStatus::Other("Suspending".into()))
    );
    assert!(f.subscription_status.as_ref().unwrap().is_transitional());
    assert_eq!(serde_json::to_value(&p).unwrap(), strip_nulls(&body));

    // The PUT body keeps writable and unknown data but drops read-only fields.
    let put = serde_json::to_value(p.into_put_body()).unwrap();
    assert!(put.get("id").is_none());
    let props = &put["properties"];
    assert!(props.get("provisioningState").is_none());
    assert_eq!(props["futureTopLevel"]["x"][1], 2);
    assert_eq!(props["softwareAssurance"]["saNew"], "v");
    assert_eq!(props["esuProfile"]["newEsu"], 1);
    assert!(props["esuProfile"].get("esuKeyState").is_none());
    assert_eq!(props["productProfile"]["productType"], "WindowsServerNext");
    let feats = &props["productProfile"]["productFeatures"];
    assert_eq!(feats[0]["subscriptionStatus"], "Suspending");
    assert_eq!(feats[0]["featureNew"], true);
    assert!(feats[0].get("enrollmentDate").is_none());
    assert_eq!(feats[1]["name"], "SomethingElse");
}

#[test]
fn machine_update_sends_only_what_is_set() {
    let body = MachineUpdate::windows_patch_settings(PatchSettingsUpdate {
        enable_hotpatching: Some(true),
        ..Default::default()
    });
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        serde_json::json!({"properties": {"osProfile": {"windowsConfiguration": {"patchSettings": {"enableHotpatching": true}}}}})
    );
}
