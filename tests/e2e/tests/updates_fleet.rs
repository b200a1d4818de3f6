//! Available updates and update history of a whole fleet with real Terraform:
//! `hotpatch_available_updates` / `hotpatch_update_history` with `scope` (subscription or
//! resource group) and `machine_ids`, answered by ONE paged Resource Graph query per read.
//! The request log proves the cost: ⌈rows / 1000⌉ queries, not one per machine.

use std::time::Duration;

use arm_emulator::{catalogue, seed, Config, LoggedRequest, MaintenanceRun};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::{one_line, Terraform};
use serde_json::{json, Value};

/// Extra Arc machines; with the Azure Edition VM, 201 assessed Windows machines.
const FLEET: usize = 200;
/// Resource Graph's largest page.
const PAGE: usize = 1000;

fn is_graph_query(r: &LoggedRequest) -> bool {
    r.method == "POST"
        && r.path
            .eq_ignore_ascii_case("/providers/Microsoft.ResourceGraph/resources")
}

/// ARM requests since the last `clear_requests`, token requests excluded.
fn arm_calls(env: &TestEnv) -> Vec<LoggedRequest> {
    env.emulator
        .requests()
        .into_iter()
        .filter(|r| !r.path.contains("/oauth2/"))
        .collect()
}

/// Applies `hcl` and returns the ARM requests the read made.
fn apply_counting(env: &TestEnv, tf: &Terraform, hcl: &str) -> Vec<LoggedRequest> {
    tf.write_config(&format!("{PROVIDER_HCL}\n{hcl}"));
    env.emulator.clear_requests();
    tf.apply().success();
    arm_calls(env)
}

fn fleet_names() -> Vec<String> {
    (1..=FLEET).map(seed::fleet_machine_name).collect()
}

fn assessed_fleet() -> TestEnv {
    let env = TestEnv::start(Config {
        fleet_size: FLEET,
        ..Config::default()
    });
    for name in fleet_names()
        .iter()
        .map(String::as_str)
        .chain([seed::VM_AZURE_EDITION])
    {
        env.emulator.assess_now(name).expect("assess");
    }
    env
}

#[test]
fn available_updates_of_a_subscription_a_resource_group_and_a_list_in_one_paged_query_each() {
    let env = assessed_fleet();
    let sub = env.emulator.subscription_id().to_string();
    let tf = env.terraform();
    let rows_per_machine = 1 + catalogue::WINDOWS.len();
    let machines = FLEET + 1;
    let expected_pages = (machines * rows_per_machine).div_ceil(PAGE);

    // A subscription: every assessed machine, Arc and VM.
    let calls = apply_counting(
        &env,
        &tf,
        &format!(
            r#"data "hotpatch_available_updates" "fleet" {{
  scope = "/subscriptions/{sub}"
}}

output "fleet" {{
  value = data.hotpatch_available_updates.fleet
}}
"#
        ),
    );
    eprintln!(
        "measurement: available updates of a subscription of {machines} assessed machines ({} rows): {} ARM call(s): {:?}",
        machines * rows_per_machine,
        calls.len(),
        calls.iter().map(|r| format!("{} {}", r.method, r.path)).collect::<Vec<_>>()
    );
    assert_eq!(expected_pages, 2);
    assert_eq!(calls.len(), expected_pages, "only the pages of one query");
    assert!(calls.iter().all(is_graph_query));
    let first = calls[0].json_body().unwrap();
    let second = calls[1].json_body().unwrap();
    assert_eq!(first["subscriptions"], json!([sub]));
    assert_eq!(first["options"]["$top"], PAGE);
    assert!(first["options"].get("$skipToken").is_none());
    assert_eq!(second["query"], first["query"], "the same query, re-sent");
    assert!(second["options"]["$skipToken"].is_string());
    let query = first["query"].as_str().unwrap();
    assert!(query.starts_with("patchassessmentresources"), "{query}");
    assert!(
        !query.contains("machineId in~"),
        "a scope lists no machines: {query}"
    );

    let fleet = tf.outputs()["fleet"]["value"].clone();
    assert_eq!(
        fleet["updates"],
        Value::Null,
        "many machines: results are in `machines`"
    );
    let listed = fleet["machines"].as_array().unwrap();
    assert_eq!(listed.len(), machines);
    let vm = env.emulator.vm_id(seed::VM_AZURE_EDITION);
    for m in listed {
        assert_eq!(m["assessment_status"], "Succeeded", "{m}");
        let updates = m["updates"].as_array().unwrap();
        assert_eq!(updates.len(), catalogue::WINDOWS.len(), "{m}");
        let hot: Vec<&str> = updates
            .iter()
            .filter(|u| u["hotpatch"] == true)
            .map(|u| u["kb_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            hot,
            [
                catalogue::HOTPATCH_SECURITY,
                catalogue::HOTPATCH_CRITICAL,
                catalogue::DEFINITION
            ]
        );
    }
    let ids: Vec<String> = listed
        .iter()
        .map(|m| m["machine_id"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "by machine id");
    assert!(ids.contains(&vm.to_lowercase()));
    for name in fleet_names() {
        assert!(
            ids.contains(&env.emulator.machine_id(&name).to_lowercase()),
            "{name}"
        );
    }

    // A resource group (any spelling) and a list of machines, in one plan.
    let first_machine = env.emulator.machine_id(&fleet_names()[0]);
    let never_assessed = env.emulator.machine_id(seed::WS2022);
    let calls = apply_counting(
        &env,
        &tf,
        &format!(
            r#"data "hotpatch_available_updates" "rg" {{
  scope = "/subscriptions/{sub}/resourcegroups/{rg}"
}}

data "hotpatch_available_updates" "some" {{
  machine_ids = ["{upper}", "{vm}", "{never_assessed}", "{first_machine}"]
}}

output "rg" {{
  value = data.hotpatch_available_updates.rg.machines
}}

output "some" {{
  value = data.hotpatch_available_updates.some.machines
}}
"#,
            rg = seed::RESOURCE_GROUP.to_uppercase(),
            upper = first_machine.to_uppercase(),
        ),
    );
    assert!(calls.iter().all(is_graph_query), "{calls:?}");
    assert_eq!(
        calls.len(),
        expected_pages + 1,
        "two pages for the group, one for the list"
    );
    let list_query = calls
        .iter()
        .filter_map(LoggedRequest::json_body)
        .find(|b| b["query"].as_str().unwrap().contains("machineId in~"))
        .expect("the list's query");
    assert_eq!(list_query["subscriptions"], json!([sub]));
    assert!(
        calls
            .iter()
            .filter_map(LoggedRequest::json_body)
            .any(|b| b["query"].as_str().unwrap().contains(&format!(
                "| where resourceGroup =~ '{}'",
                seed::RESOURCE_GROUP.to_uppercase()
            ))),
        "the group is a filter of the query"
    );

    let outputs = tf.outputs();
    assert_eq!(outputs["rg"]["value"].as_array().unwrap().len(), machines);
    let some = outputs["some"]["value"].as_array().unwrap();
    let some_ids: Vec<&str> = some
        .iter()
        .map(|m| m["machine_id"].as_str().unwrap())
        .collect();
    let upper = first_machine.to_uppercase();
    assert_eq!(
        some_ids,
        [upper.as_str(), vm.as_str(), never_assessed.as_str()],
        "configured order and spelling, each machine once"
    );
    assert_eq!(
        some[0]["updates"].as_array().unwrap().len(),
        catalogue::WINDOWS.len()
    );
    assert_eq!(some[1]["assessment_status"], "Succeeded");
    assert_eq!(some[2]["assessment_status"], Value::Null, "never assessed");
    assert_eq!(some[2]["updates"], json!([]));
}

#[test]
fn update_history_of_a_fleet_in_one_paged_query_with_each_runs_machine() {
    let env = TestEnv::start(Config {
        fleet_size: FLEET,
        ..Config::default()
    });
    let names = fleet_names();
    let fire = |name: &str, days_ago| {
        env.emulator
            .fire_maintenance_run(
                name,
                &MaintenanceRun {
                    days_ago,
                    ..Default::default()
                },
            )
            .expect("fire")
            .1
    };
    for name in &names {
        fire(name, 1);
    }
    let older = fire(&names[0], 12);
    let sub = env.emulator.subscription_id().to_string();
    let tf = env.terraform();

    let calls = apply_counting(
        &env,
        &tf,
        &format!(
            r#"data "hotpatch_update_history" "week" {{
  scope = "/subscriptions/{sub}"
  days  = 7
}}

output "week" {{
  value = data.hotpatch_update_history.week.runs
}}
"#
        ),
    );
    let rows = FLEET * (1 + catalogue::WINDOWS.len());
    eprintln!(
        "measurement: 7-day history of a subscription with {FLEET} machines ({rows} rows): {} ARM call(s)",
        calls.len()
    );
    assert!(calls.iter().all(is_graph_query), "{calls:?}");
    assert_eq!(calls.len(), rows.div_ceil(PAGE));
    let query = calls[0].json_body().unwrap()["query"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(query.starts_with("patchinstallationresources"), "{query}");
    assert!(query.contains("> ago(7d)"), "{query}");

    let week = tf.outputs()["week"]["value"].clone();
    let runs = week.as_array().unwrap();
    assert_eq!(
        runs.len(),
        FLEET,
        "one recent run each; the 12-day-old run is outside 7 days"
    );
    for r in runs {
        assert_eq!(r["status"], "Succeeded");
        assert_eq!(r["started_by"], "Platform");
        assert_eq!(
            r["patches"].as_array().unwrap().len(),
            catalogue::WINDOWS.len()
        );
    }
    let mut machines: Vec<String> = runs
        .iter()
        .map(|r| r["machine_id"].as_str().unwrap().to_lowercase())
        .collect();
    machines.sort();
    machines.dedup();
    assert_eq!(machines.len(), FLEET, "every run names its machine");
    let starts: Vec<&str> = runs
        .iter()
        .map(|r| r["start_time"].as_str().unwrap())
        .collect();
    let mut newest_first = starts.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(starts, newest_first);

    // Two machines, 30 days: both recent runs, then the older one; the user's spelling.
    let a = env.emulator.machine_id(&names[0]);
    let b = env.emulator.machine_id(&names[1]).to_uppercase();
    let calls = apply_counting(
        &env,
        &tf,
        &format!(
            r#"data "hotpatch_update_history" "two" {{
  machine_ids = ["{a}", "{b}"]
}}

output "two" {{
  value = data.hotpatch_update_history.two.runs
}}
"#
        ),
    );
    assert_eq!(calls.len(), 1, "{calls:?}");
    let two = tf.outputs()["two"]["value"].clone();
    let got: Vec<(&str, &str)> = two
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["machine_id"].as_str().unwrap(),
                r["maintenance_run_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[2], (a.as_str(), older.as_str()), "oldest last");
    let recent: Vec<&str> = got[..2].iter().map(|(m, _)| *m).collect();
    assert!(
        recent.contains(&a.as_str()) && recent.contains(&b.as_str()),
        "{got:?}"
    );
}

#[test]
fn a_spent_resource_graph_quota_is_waited_out_between_pages() {
    let env = assessed_fleet();
    let sub = env.emulator.subscription_id().to_string();
    let tf = env.terraform();
    // One query per 3-second window: the second page must wait for the reset.
    env.emulator
        .set_resource_graph_quota(1, Duration::from_secs(3));
    env.emulator.reset_throttle_stats();
    let calls = apply_counting(
        &env,
        &tf,
        &format!(
            "data \"hotpatch_available_updates\" \"fleet\" {{\n  scope = \"/subscriptions/{sub}\"\n}}\n"
        ),
    );
    let statuses: Vec<u16> = calls.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200], "both pages answered, none throttled");
    assert_eq!(env.emulator.throttle_stats().resource_graph.throttled, 0);
}

#[test]
fn exactly_one_selection_is_a_plan_time_error_naming_the_attributes() {
    let env = TestEnv::start_default();
    let sub = env.emulator.subscription_id().to_string();
    let id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let cases = [
        (
            "",
            vec![
                "Missing machine selection",
                "machine_id",
                "machine_ids",
                "scope",
            ],
        ),
        (
            &*format!("machine_id = \"{id}\"\n  scope = \"/subscriptions/{sub}\""),
            vec![
                "Conflicting machine selection",
                "machine_id and scope are both set",
            ],
        ),
        (
            &*format!("scope = \"{id}\""),
            vec!["Invalid scope", "resource group id"],
        ),
        (
            "scope = \"/subscriptions/not-a-guid\"",
            vec!["subscription GUID"],
        ),
        (
            "machine_ids = [\"arc-01\"]",
            vec!["Invalid machine id", "machine_ids[0]"],
        ),
    ];
    for data_source in ["hotpatch_available_updates", "hotpatch_update_history"] {
        for (args, expected) in &cases {
            let tf = env.terraform();
            tf.write_config(&format!(
                "{PROVIDER_HCL}\ndata \"{data_source}\" \"x\" {{\n  {args}\n}}\n"
            ));
            let out = tf.plan().failure();
            let text = one_line(&out.stderr);
            for e in expected {
                assert!(
                    text.contains(e),
                    "{data_source} {args:?}: {e:?} in\n{}",
                    out.stderr
                );
            }
        }
    }
    // An empty list (a `for` over no machines) reads nothing, without a query.
    let tf = env.terraform();
    tf.write_config(&format!(
        "{PROVIDER_HCL}\ndata \"hotpatch_available_updates\" \"none\" {{\n  machine_ids = []\n}}\n\
         data \"hotpatch_update_history\" \"none\" {{\n  machine_ids = []\n}}\n"
    ));
    tf.apply().success();
    assert_eq!(
        tf.state_values("data.hotpatch_available_updates.none")
            .unwrap()["machines"],
        json!([])
    );
    assert_eq!(
        tf.state_values("data.hotpatch_update_history.none")
            .unwrap()["runs"],
        json!([])
    );
    assert!(
        env.emulator.requests().iter().all(|r| !is_graph_query(r)),
        "nothing was queried"
    );
}
