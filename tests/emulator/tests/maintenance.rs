//! Microsoft.Maintenance surface: schedules (sync CRUD, the service's validation as 400s in the
//! Maintenance error shape, read-back spelling quirks, out-of-band edits), assignments under Arc
//! machines and VMs, subscription- and resource-group-scope dynamic scopes and what they select
//! when a schedule fires, hour recurrence, and api-version enforcement.

mod common;

use arm_emulator::{seed, Config, MachineChanges, ScheduleChanges};
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

    // Only the reboot setting reads back in another spelling; KB ids and classifications
    // (plain strings in 2023-04-01) read back as sent.
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
        json!(["KB5001", "KB5002", "5003"])
    );
    assert_eq!(
        ip["windowsParameters"]["classificationsToInclude"],
        json!(["Critical", "UpdateRollup"])
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
        json!(["KB5009"])
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
    // The inventory: every schedule and every assignment, whatever its scope (ids compared
    // case-insensitively: the service lowercases `resourcegroups` in schedule ids).
    let ids = |items: Vec<Value>| -> Vec<String> {
        items
            .iter()
            .map(|v| v["id"].as_str().unwrap_or_default().to_lowercase())
            .collect()
    };
    assert_eq!(
        ids(env.emu.maintenance_configurations()),
        vec![schedule.to_lowercase()]
    );
    assert_eq!(
        ids(env.emu.configuration_assignments()),
        vec![scope.to_lowercase()]
    );
    let (s, _) = call(&env, Method::DELETE, &scope, None).await;
    assert_eq!(s, 200);
    assert!(env.emu.configuration_assignments().is_empty());
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
    // The official resource-group dynamic scope example, pointed at this schedule.
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("examples/Microsoft.Maintenance__2023-04-01__ConfigurationAssignmentsForResourceGroup_CreateOrUpdate.json")).unwrap(),
    )
    .unwrap();
    let mut assignment = example["parameters"]["configurationAssignment"].clone();
    assignment["properties"]["maintenanceConfigurationId"] = json!(schedule_path(&env, "ours"));
    let rg_scope = format!(
        "/subscriptions/{}/resourcegroups/{}/providers/Microsoft.Maintenance/configurationAssignments/workervmConfiguration",
        env.emu.subscription_id(),
        seed::RESOURCE_GROUP
    );
    let (s, b) = call(&env, Method::PUT, &rg_scope, Some(&assignment)).await;
    assert_eq!(s, 201, "official RG dynamic scope accepted: {b}");
    assert_eq!(
        b["properties"]["filter"],
        assignment["properties"]["filter"]
    );
    assert!(
        b["id"].as_str().unwrap().eq_ignore_ascii_case(&rg_scope),
        "{b}"
    );

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

#[tokio::test]
async fn hour_recurrence_needs_at_least_six_hours() {
    let env = common::start(common::fast_config()).await;
    for (i, (recur, status)) in [
        ("6Hours", 201),
        ("12Hours", 201),
        ("4Hours", 400),
        ("Hour", 400),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = schedule_body("IfRequired");
        body["properties"]["maintenanceWindow"]["recurEvery"] = json!(recur);
        let path = schedule_path(&env, &format!("hourly-{i}"));
        let (s, b) = call(&env, Method::PUT, &path, Some(&body)).await;
        assert_eq!(s, status, "{recur}: {b}");
        if s == 400 {
            assert_eq!(b["error"]["code"], "InvalidParameter");
            let message = b["error"]["message"].as_str().unwrap();
            assert!(message.contains("at least 6 hours"), "{message}");
        } else {
            assert_eq!(b["properties"]["maintenanceWindow"]["recurEvery"], recur);
        }
    }
}

async fn installation_rows(env: &Env) -> Vec<Value> {
    let url = format!(
        "{}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        env.emu.base_url()
    );
    let body = json!({ "subscriptions": [env.emu.subscription_id()],
        "query": "patchinstallationresources | project id, type, properties" });
    let (s, _, b) = env.send(Method::POST, &url, Some(&body)).await;
    assert_eq!(s, 200, "{b}");
    b["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn resource_group_dynamic_scopes_are_served_and_applied_when_the_schedule_fires() {
    let env = common::start(common::fast_config()).await;
    let schedule = schedule_path(&env, "monthly");
    let mut body = schedule_body("IfRequired");
    // Hotpatches only: the baseline (always reboots) and the .NET rollup are excluded.
    body["properties"]["installPatches"]["windowsParameters"] = json!({
        "classificationsToInclude": ["Security", "Critical", "UpdateRollup"],
        "excludeKbsRequiringReboot": true
    });
    assert_eq!(call(&env, Method::PUT, &schedule, Some(&body)).await.0, 201);
    let tag = |name: &str, tags: Value| {
        env.emu
            .set_machine(
                name,
                &MachineChanges {
                    tags: Some(tags),
                    ..MachineChanges::default()
                },
            )
            .unwrap()
    };
    tag(
        seed::WS2025_DATACENTER,
        json!({ "env": "prod", "ring": "1" }),
    );
    tag(seed::WS2025_STANDARD, json!({ "env": "prod" }));
    tag(seed::WS2025_DISCONNECTED, json!({ "env": "prod" }));
    tag(seed::LINUX, json!({ "env": "prod" }));
    tag(seed::WS2022, json!({ "env": "dev" }));

    // The RG-scope dynamic scope: PUT, GET (resourceId is the group, as in the example), PATCH.
    let rg_scope = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Maintenance/configurationAssignments/rg-prod",
        env.emu.subscription_id(),
        seed::RESOURCE_GROUP
    );
    let dynamic = json!({ "properties": { "maintenanceConfigurationId": schedule, "filter": {
        "resourceTypes": ["Microsoft.HybridCompute/machines"], "osTypes": ["Windows"],
        "locations": ["East US"],
        "tagSettings": { "tags": { "env": ["prod"] }, "filterOperator": "Any" } } } });
    let (s, b) = call(&env, Method::PUT, &rg_scope, Some(&dynamic)).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = call(&env, Method::GET, &rg_scope.to_lowercase(), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["type"], "Microsoft.Maintenance/configurationAssignments");
    assert!(b["properties"]["resourceId"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case(&rg_scope[..rg_scope.find("/providers").unwrap()]));
    assert_eq!(b["properties"]["filter"], dynamic["properties"]["filter"]);

    // A resource-level assignment of a VM that is not on customer-managed schedules.
    let vm_assignment = format!(
        "{}/providers/Microsoft.Maintenance/configurationAssignments/monthly",
        env.emu.vm_id(seed::VM_AZURE_EDITION)
    );
    let direct = json!({ "properties": { "maintenanceConfigurationId": schedule } });
    assert_eq!(
        call(&env, Method::PUT, &vm_assignment, Some(&direct))
            .await
            .0,
        201
    );

    let firing = env.emu.fire_schedule("monthly").unwrap();
    let ran: Vec<&str> = firing.runs.iter().map(|r| r.resource_id.as_str()).collect();
    let dc = env.emu.machine_id(seed::WS2025_DATACENTER);
    let std = env.emu.machine_id(seed::WS2025_STANDARD);
    assert_eq!(
        ran,
        [dc.as_str(), std.as_str()],
        "prod Windows Arc machines, connected"
    );
    assert!(firing.runs[0].assignments[0].eq_ignore_ascii_case(&rg_scope));
    let skipped: Vec<(&str, &str)> = firing
        .skipped
        .iter()
        .map(|s| (s.resource_id.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, env.emu.machine_id(seed::WS2025_DISCONNECTED));
    assert!(skipped[0].1.contains("Disconnected"));
    assert_eq!(skipped[1].0, env.emu.vm_id(seed::VM_AZURE_EDITION));
    assert!(skipped[1]
        .1
        .contains("bypassPlatformSafetyChecksOnUserSchedule"));

    // The runs are in history with the schedule's run id and its patch selection.
    let rows = installation_rows(&env).await;
    let summaries: Vec<&Value> = rows
        .iter()
        .filter(|r| r["type"] == "microsoft.hybridcompute/machines/patchinstallationresults")
        .collect();
    assert_eq!(summaries.len(), 2);
    for r in &summaries {
        let p = &r["properties"];
        assert_eq!(p["maintenanceRunId"], firing.maintenance_run_id.as_str());
        assert_eq!(p["startedBy"], "Platform");
        assert_eq!(p["installedPatchCount"], 2, "the two hotpatches: {p}");
        assert_eq!(p["rebootStatus"], "NotNeeded");
    }

    // `All` needs every tag; the VM joins once it is on customer-managed schedules.
    let all = json!({ "properties": { "filter": { "tagSettings": {
        "tags": { "env": ["prod"], "ring": [] }, "filterOperator": "All" } } } });
    assert_eq!(
        call(&env, Method::PATCH, &rg_scope, Some(&all)).await.0,
        200
    );
    env.emu
        .set_virtual_machine(
            seed::VM_AZURE_EDITION,
            &arm_emulator::VmChanges {
                bypass_platform_safety_checks_on_user_schedule: Some(true),
                ..arm_emulator::VmChanges::default()
            },
        )
        .unwrap();
    let r = env
        .http
        .post(format!(
            "{}/_admin/maintenance-configurations/monthly/fire",
            env.emu.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let firing: Value = r.json().await.unwrap();
    let ran: Vec<&str> = firing["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["resourceId"].as_str().unwrap())
        .collect();
    let vm = env.emu.vm_id(seed::VM_AZURE_EDITION);
    assert_eq!(ran, [dc.as_str(), vm.as_str()]);
    assert!(firing["skipped"].as_array().unwrap().is_empty());

    assert!(env.emu.fire_schedule("no-such-schedule").is_err());
    let (s, _) = call(&env, Method::DELETE, &rg_scope, None).await;
    assert_eq!(s, 200);
    let after = env.emu.fire_schedule("monthly").unwrap();
    assert_eq!(after.runs.len(), 1, "only the VM's own assignment is left");
}
