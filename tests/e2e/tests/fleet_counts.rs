//! `hotpatch_machines.counts` and `total_in_scope` with real Terraform: `counts` counts the
//! machines returned after every filter (scope, resource type, status), so it always adds up
//! to `machines`; `total_in_scope` counts the scope and resource type before the status filter.

use arm_emulator::{seed, Config};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use serde_json::{json, Value};

/// Enrolls `enabled` and switches hotpatching on (portal `Enabled`), enrolls `disabled` only
/// (portal `Disabled`, like the seeded Azure Edition VM whose hotpatching is off).
fn enable_and_enroll(env: &TestEnv, enabled: &str, disabled: &str) {
    let tf = env.terraform();
    tf.write_config(&format!(
        r#"{PROVIDER_HCL}
resource "hotpatch_enrollment" "on" {{
  machine_id = "{on}"
}}

resource "hotpatch_machine_setting" "on" {{
  machine_id          = hotpatch_enrollment.on.machine_id
  hotpatching_enabled = true
}}

resource "hotpatch_enrollment" "licensed_only" {{
  machine_id = "{off}"
}}
"#,
        on = env.emulator.machine_id(enabled),
        off = env.emulator.machine_id(disabled),
    ));
    tf.apply().success();
}

/// The sum of a `counts` map.
fn total(counts: &Value) -> i64 {
    counts
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum()
}

#[test]
fn counts_add_up_to_the_machines_returned_and_total_in_scope_ignores_the_status_filter() {
    let env = TestEnv::start(Config {
        fleet_size: 3,
        ..Config::default()
    });
    enable_and_enroll(&env, seed::WS2025_DATACENTER, seed::WS2025_STANDARD);

    let tf = env.terraform();
    tf.write_config(&format!(
        r#"{PROVIDER_HCL}
data "hotpatch_machines" "all" {{}}

data "hotpatch_machines" "not_enrolled" {{
  status = "Not enrolled"
}}

data "hotpatch_machines" "arc_enabled" {{
  resource_group_name = "{rg}"
  resource_type       = "arc"
  status              = "Enabled"
}}

data "hotpatch_machines" "vm_disabled" {{
  resource_type = "vm"
  status        = "Disabled"
}}

data "hotpatch_machines" "canceled" {{
  status = "Canceled"
}}
"#,
        rg = seed::RESOURCE_GROUP
    ));
    tf.apply().success();
    let read = |name: &str| {
        tf.state_values(&format!("data.hotpatch_machines.{name}"))
            .unwrap()
    };

    // 6 scenario Arc machines + 3 fleet machines + 2 VMs.
    let all = read("all");
    assert_eq!(all["total_in_scope"], 11);
    assert_eq!(
        all["counts"],
        json!({ "Enabled": 1, "Disabled": 2, "Pending": 0, "Canceled": 0, "Not enrolled": 8 })
    );

    let not_enrolled = read("not_enrolled");
    assert_eq!(not_enrolled["machines"].as_array().unwrap().len(), 8);
    assert_eq!(
        not_enrolled["counts"],
        json!({ "Enabled": 0, "Disabled": 0, "Pending": 0, "Canceled": 0, "Not enrolled": 8 })
    );
    assert_eq!(
        not_enrolled["total_in_scope"], 11,
        "before the status filter"
    );

    let arc_enabled = read("arc_enabled");
    let names: Vec<&str> = arc_enabled["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [seed::WS2025_DATACENTER]);
    assert_eq!(arc_enabled["counts"]["Enabled"], 1);
    assert_eq!(
        arc_enabled["total_in_scope"], 9,
        "the resource type narrows the scope"
    );

    let vm_disabled = read("vm_disabled");
    let names: Vec<&str> = vm_disabled["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [seed::VM_AZURE_EDITION]);
    assert_eq!(
        vm_disabled["counts"],
        json!({ "Enabled": 0, "Disabled": 1, "Pending": 0, "Canceled": 0, "Not enrolled": 0 })
    );
    assert_eq!(vm_disabled["total_in_scope"], 2);

    // A filter that matches nothing: zeros everywhere, the scope still counted.
    let canceled = read("canceled");
    assert_eq!(canceled["machines"], json!([]));
    assert_eq!(total(&canceled["counts"]), 0);
    assert_eq!(canceled["total_in_scope"], 11);

    for name in [
        "all",
        "not_enrolled",
        "arc_enabled",
        "vm_disabled",
        "canceled",
    ] {
        let d = read(name);
        assert_eq!(
            total(&d["counts"]),
            d["machines"].as_array().unwrap().len() as i64,
            "{name}: counts add up to the machines returned"
        );
    }
}
