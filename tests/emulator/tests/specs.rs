//! Request validation against the official HybridCompute spec, and the official examples'
//! request bodies accepted by the emulator. Both need the shared ARM folder beside the
//! repository: without it they fail when `CI` is set and otherwise say SKIPPED on stderr
//! (see `common::shared_arm_dir`).

mod common;

use std::path::Path;

use arm_emulator::{seed, SpecSet};
use common::Env;
use reqwest::Method;
use serde_json::{json, Value};

async fn start_with_specs(specs: &Path) -> Env {
    let mut config = common::fast_config();
    config.specs_dir = Some(specs.to_path_buf());
    common::start(config).await
}

#[tokio::test]
async fn spec_validation_rejects_read_only_and_bad_enum() {
    let Some(arm) = common::shared_arm_dir("spec_validation_rejects_read_only_and_bad_enum") else {
        return;
    };
    let specs = SpecSet::load(&arm.join("specs"), true).unwrap();
    assert!(specs.operation_count() > 20);
    let env = start_with_specs(&arm.join("specs")).await;

    // Read-only date in a PUT.
    let lp = env.lp_path(seed::WS2025_DATACENTER);
    let body = json!({ "location": "eastus", "properties": { "productProfile": {
        "enrollmentDate": "2024-01-01T00:00:00Z",
        "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ] } } });
    let (s, _, b) = env.put(&lp, &body).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["code"], "InvalidRequestContent");
    assert_eq!(
        b["error"]["target"],
        "properties.productProfile.enrollmentDate"
    );
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("read-only"));

    // Read-only status in a machine PATCH.
    let m = env.machine_path(seed::WS2025_DATACENTER);
    let body = json!({ "properties": { "osProfile": { "windowsConfiguration": { "patchSettings": {
        "enableHotpatching": true, "status": { "hotpatchEnablementStatus": "Enabled" } } } } } });
    let (s, _, b) = env.patch(&m, &body).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(
        b["error"]["target"],
        "properties.osProfile.windowsConfiguration.patchSettings.status"
    );

    // Unknown enum value.
    let body = json!({ "properties": { "osProfile": { "windowsConfiguration": { "patchSettings": {
        "patchMode": "Sometimes" } } } } });
    let (s, _, b) = env.patch(&m, &body).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(
        b["error"]["target"],
        "properties.osProfile.windowsConfiguration.patchSettings.patchMode"
    );

    // Wrong type.
    let body = json!({ "tags": { "a": 1 } });
    let (s, _, b) = env.patch(&m, &body).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["target"], "tags.a");

    // A valid body still passes.
    let body = json!({ "properties": { "osProfile": { "windowsConfiguration": { "patchSettings": {
        "patchMode": "AutomaticByPlatform", "enableHotpatching": true } } } } });
    assert_eq!(env.patch(&m, &body).await.0, 200);
}

fn example(arm: &Path, name: &str) -> Value {
    let path = arm
        .join("examples")
        .join(format!("Microsoft.HybridCompute__2025-01-13__{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The example's request body, with `location` set to the seeded machine's region (the examples
/// use `eastus2euap`; a license profile must live in its machine's region).
fn request_body(ex: &Value) -> Value {
    let mut body = ex["parameters"]["parameters"].clone();
    if body.get("location").is_some() {
        body["location"] = json!(seed::LOCATION);
    }
    body
}

#[tokio::test]
async fn official_examples_are_accepted() {
    let Some(arm) = common::shared_arm_dir("official_examples_are_accepted") else {
        return;
    };
    let env = start_with_specs(&arm.join("specs")).await;
    let machine = seed::WS2025_DATACENTER;
    let lp = env.lp_path(machine);

    let ex = example(&arm, "LicenseProfile_CreateOrUpdate");
    let (s, _, b) = env.put(&lp, &request_body(&ex)).await;
    assert_eq!(s, 201, "{b}");
    // Same response shape as the example (keys), statuses transitional.
    for key in ["id", "name", "type", "location", "properties"] {
        assert!(b.get(key).is_some(), "missing {key}");
    }
    assert_eq!(
        b["properties"]["productProfile"]["subscriptionStatus"],
        "Enabling"
    );
    env.get(&lp).await;
    let (_, settled) = env.get(&lp).await;
    assert_eq!(
        settled["properties"]["productProfile"]["subscriptionStatus"],
        "Enabled"
    );

    let ex = example(&arm, "LicenseProfile_Update");
    let (s, _, b) = env.patch(&lp, &request_body(&ex)).await;
    assert!(s == 200 || s == 202, "{s} {b}");

    let ex = example(&arm, "LicenseProfile_Get");
    assert_eq!(ex["parameters"]["licenseProfileName"], "default");
    assert_eq!(env.get(&lp).await.0, 200);

    let ex = example(&arm, "Machines_Update");
    let (s, _, b) = env
        .patch(&env.machine_path(machine), &request_body(&ex))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]["status"]
            ["hotpatchEnablementStatus"],
        "PendingEvaluation"
    );

    let ex = example(&arm, "Machines_Get_LicenseProfileInstanceView");
    assert_eq!(ex["parameters"]["$expand"], "instanceView");
    let (s, b) = env
        .get(&format!(
            "{}?$expand=instanceView",
            env.machine_path(machine)
        ))
        .await;
    assert_eq!(s, 200);
    assert!(b["properties"]["licenseProfile"]["productProfile"].is_object());
    let (s, _) = env.get(&env.machine_path(machine)).await;
    assert_eq!(s, 200);

    let _ = example(&arm, "LicenseProfile_Delete");
    let (s, _, _) = env.send(Method::DELETE, &env.url(&lp), None).await;
    assert_eq!(s, 202);
}
