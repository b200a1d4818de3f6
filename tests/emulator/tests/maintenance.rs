//! Microsoft.Maintenance surface: schedules (sync CRUD, the service's validation as 400s in the
//! Maintenance error shape, read-back spelling quirks, out-of-band edits), assignments under Arc
//! machines and VMs, subscription-scope dynamic scopes, and api-version enforcement.

mod common;

use arm_emulator::{seed, Config, ScheduleChanges};
use common::Env;
use reqwest::Method;
use serde_json::{json, Value};

const API: &str = "2023-04-01";

fn url(env: &Env, path: &str) -> String {
    format!("{}{path}?api-version={API}", env.emu.base_url())
}

async fn call(env: &Env, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    let (s, _, b) = env.send(method, &url(env, path), body).await;
    (s, b)
}

fn schedule_path(env: &Env, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Maintenance/maintenanceConfigurations/{name}",
        env.emu.subscription_id(),
        seed::RESOURCE_GROUP
    )
}

fn schedule_body(reboot: &str) -> Value {
    json!({
        "location": "eastus",
        "tags": {"team": "ops"},
        "properties": {
            "maintenanceScope": "InGuestPatch",
            "extensionProperties": {"InGuestPatchMode": "User"},
            "maintenanceWindow": {
                "startDateTime": "2030-01-07 02:00", "duration": "03:55",
                "timeZone": "W. Europe Standard Time", "recurEvery": "Month Second Tuesday Offset4"
            },
            "installPatches": {
                "rebootSetting": reboot,
                "windowsParameters": {
                    "kbNumbersToInclude": ["KB5001", "KB5002", "5003"],
                    "classificationsToInclude": ["Critical", "UpdateRollup"],
                    "excludeKbsRequiringReboot": true
                }
            }
        }
    })
}

#[tokio::test]
async fn schedules_crud_quirks_and_validation() {
    let env = common::start(common::fast_config()).await;
    let path = schedule_path(&env, "weekly");

    let (s, b) = call(&env, Method::PUT, &path, Some(&schedule_body("Never"))).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["type"], "Microsoft.Maintenance/maintenanceConfigurations");
    let (s, _) = call(&env, Method::PUT, &path, Some(&schedule_body("Never"))).await;
    assert_eq!(s, 200, "replace answers 200");

    // Read-back spellings differ from what was written.
    let (s, b) = call(
        &env,
        Method::GET,
        &path
            .to_uppercase()
            .replace("/SUBSCRIPTIONS/", "/subscriptions/"),
        None,
    )
    .await;
    assert_eq!(s, 200, "case-insensitive path: {b}");
    let ip = &b["properties"]["installPatches"];
    assert_eq!(ip["rebootSetting"], "NeverReboot");
    assert_eq!(
        ip["windowsParameters"]["kbNumbersToInclude"],
        json!(["5001", "KB5002", "5003"])
    );
    assert_eq!(
        ip["windowsParameters"]["classificationsToInclude"],
        json!(["Critical", "UpdateRollUp"])
    );

    // PATCH merges top-level fields and re-validates.
    let (s, b) = call(
        &env,
        Method::PATCH,
        &path,
        Some(&json!({"tags": {"team": "sec"}})),
    )
    .await;
    assert_eq!((s, &b["tags"]["team"]), (200, &json!("sec")));
    assert_eq!(b["properties"]["maintenanceWindow"]["duration"], "03:55");

    // Lists are single pages.
    let sub_list = format!(
        "/subscriptions/{}/providers/Microsoft.Maintenance/maintenanceConfigurations",
        env.emu.subscription_id()
    );
    let (s, b) = call(&env, Method::GET, &sub_list, None).await;
    assert_eq!((s, b["value"].as_array().map(Vec::len)), (200, Some(1)));
    assert!(b.get("nextLink").is_none());

    // The service's validation, as 400s with only code and message.
    let mut bad = Vec::new();
    for (field, value) in [
        ("duration", json!("04:00")),
        ("duration", json!("1:30")),
        ("recurEvery", json!("Month Last Sunday Offset9")),
        ("timeZone", json!("Europe/Berlin")),
        ("startDateTime", json!("2030-01-07T02:00")),
        ("expirationDateTime", json!("2029-01-01 00:00")),
    ] {
        let mut body = schedule_body("Always");
        body["properties"]["maintenanceWindow"][field] = value.clone();
        let (s, b) = call(&env, Method::PUT, &schedule_path(&env, "bad"), Some(&body)).await;
        assert_eq!(s, 400, "{field}={value}: {b}");
        let keys: Vec<&String> = b["error"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["code", "message"], "Maintenance error shape");
        bad.push(b);
    }
    let (s, _) = call(&env, Method::GET, &schedule_path(&env, "bad"), None).await;
    assert_eq!(s, 404, "rejected schedules are not stored");

    // api-version is enforced for the namespace.
    let wrong = format!(
        "{}{path}?api-version=2023-10-01-preview",
        env.emu.base_url()
    );
    let (s, _, b) = env.send(Method::GET, &wrong, None).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("InvalidApiVersionParameter"))
    );

    // Out-of-band edit through the typed handle shows up on the next GET.
    env.emu
        .change_maintenance_configuration(
            "weekly",
            &ScheduleChanges {
                kb_numbers_to_exclude: Some(vec!["KB5009".into()]),
                ..ScheduleChanges::default()
            },
        )
        .unwrap();
    let (_, b) = call(&env, Method::GET, &path, None).await;
    assert_eq!(
        b["properties"]["installPatches"]["windowsParameters"]["kbNumbersToExclude"],
        json!(["5009"])
    );

    let (s, _) = call(&env, Method::DELETE, &path, None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&env, Method::DELETE, &path, None).await;
    assert_eq!(s, 204);
    let (s, b) = call(&env, Method::GET, &path, None).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("ResourceNotFound"))
    );
}

#[tokio::test]
async fn assignments_under_machines_vms_and_subscriptions() {
    let env = common::start(common::fast_config()).await;
    let schedule = schedule_path(&env, "nightly");
    let (s, _) = call(
        &env,
        Method::PUT,
        &schedule,
        Some(&schedule_body("IfRequired")),
    )
    .await;
    assert_eq!(s, 201);
    let body =
        json!({"location": "eastus", "properties": {"maintenanceConfigurationId": schedule}});
    let suffix = "/providers/Microsoft.Maintenance/configurationAssignments/nightly";

    for machine in [
        env.emu.machine_id(seed::WS2025_DATACENTER),
        env.emu.vm_id(seed::VM_AZURE_EDITION),
    ] {
        let a = format!("{machine}{suffix}");
        let (s, b) = call(&env, Method::PUT, &a, Some(&body)).await;
        assert_eq!(s, 201, "{a}: {b}");
        assert_eq!(b["properties"]["resourceId"], machine.as_str());
        assert_eq!(b["id"], a.as_str());
        let (s, b) = call(
            &env,
            Method::GET,
            &format!("{machine}/providers/Microsoft.Maintenance/configurationAssignments"),
            None,
        )
        .await;
        assert_eq!((s, b["value"].as_array().map(Vec::len)), (200, Some(1)));
        let (s, _) = call(&env, Method::PATCH, &a, Some(&body)).await;
        assert_eq!(s, 405, "resource-level assignments have no PATCH");
        let (s, _) = call(&env, Method::DELETE, &a, None).await;
        assert_eq!(s, 200);
        let (s, _) = call(&env, Method::GET, &a, None).await;
        assert_eq!(s, 404);
    }

    // A machine that does not exist, and a schedule that does not exist.
    let ghost = format!("{}{suffix}", env.emu.machine_id("no-such-machine"));
    let (s, _) = call(&env, Method::PUT, &ghost, Some(&body)).await;
    assert_eq!(s, 404);
    let missing =
        json!({"properties": {"maintenanceConfigurationId": schedule_path(&env, "nope")}});
    let a = format!("{}{suffix}", env.emu.machine_id(seed::WS2025_STANDARD));
    let (s, b) = call(&env, Method::PUT, &a, Some(&missing)).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("MaintenanceConfigurationNotFound"))
    );

    // Subscription-scope dynamic scope: PUT, PATCH in place, GET, list, DELETE.
    let scope = format!(
        "/subscriptions/{}{}",
        env.emu.subscription_id(),
        suffix.replace("nightly", "prod-windows")
    );
    let dynamic = json!({"properties": {"maintenanceConfigurationId": schedule, "filter": {
        "resourceTypes": ["Microsoft.HybridCompute/machines"], "osTypes": ["Windows"],
        "tagSettings": {"tags": {"env": ["prod"]}, "filterOperator": "Any"}}}});
    let (s, b) = call(&env, Method::PUT, &scope, Some(&dynamic)).await;
    assert_eq!(s, 201, "{b}");
    let patch = json!({"properties": {"filter": {"locations": ["Japan East"]}}});
    let (s, b) = call(&env, Method::PATCH, &scope, Some(&patch)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["properties"]["filter"],
        json!({"locations": ["Japan East"]})
    );
    assert_eq!(
        b["properties"]["maintenanceConfigurationId"],
        schedule.as_str()
    );
    let list = format!(
        "/subscriptions/{}/providers/Microsoft.Maintenance/configurationAssignments",
        env.emu.subscription_id()
    );
    let (s, b) = call(&env, Method::GET, &list, None).await;
    assert_eq!((s, b["value"].as_array().map(Vec::len)), (200, Some(1)));
    assert!(env
        .emu
        .configuration_assignment(&scope.to_lowercase())
        .is_some());
    let (s, _) = call(&env, Method::DELETE, &scope, None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn official_example_and_our_bodies_pass_the_spec() {
    let Some(dir) = common::shared_arm_dir("official_example_and_our_bodies_pass_the_spec") else {
        return;
    };
    let env = common::start(Config {
        specs_dir: Some(dir.join("specs")),
        ..common::fast_config()
    })
    .await;
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("examples/Microsoft.Maintenance__2023-04-01__MaintenanceConfigurations_CreateOrUpdateForResource.json")).unwrap(),
    )
    .unwrap();
    let (s, b) = call(
        &env,
        Method::PUT,
        &schedule_path(&env, "configuration1"),
        Some(&example["parameters"]["configuration"]),
    )
    .await;
    assert_eq!(s, 201, "official example accepted: {b}");
    let (s, b) = call(
        &env,
        Method::PUT,
        &schedule_path(&env, "ours"),
        Some(&schedule_body("Always")),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let mut closed = schedule_body("Always");
    closed["properties"]["installPatches"]["rebootSetting"] = json!("Sometimes");
    let (s, _) = call(
        &env,
        Method::PUT,
        &schedule_path(&env, "odd"),
        Some(&closed),
    )
    .await;
    assert_eq!(s, 400, "unknown reboot values are rejected");
}
