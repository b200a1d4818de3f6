//! Check for updates, install now and update history on an Azure VM, end to end with real
//! Terraform: the same actions and data sources as for Arc machines, dispatched to
//! `Microsoft.Compute` and to the VM row types in Resource Graph.

use arm_emulator::{catalogue, seed};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::one_line;
use serde_json::json;

/// Between the June hotpatches and the July baseline in `catalogue::WINDOWS`, with an offset.
const JUNE_END: &str = "2025-06-30T00:00:00+02:00";

fn config(id: &str, kb: &str) -> String {
    format!(
        r#"{PROVIDER_HCL}
action "hotpatch_assess" "check" {{
  config {{
    machine_id = "{id}"
  }}
}}

action "hotpatch_install" "now" {{
  config {{
    machine_id            = "{id}"
    kb_numbers_to_include = ["{kb}"]
  }}
}}

action "hotpatch_install" "up_to_june" {{
  config {{
    machine_id             = "{id}"
    max_patch_publish_date = "{JUNE_END}"
  }}
}}

data "hotpatch_available_updates" "vm" {{
  machine_id = "{id}"
}}

data "hotpatch_update_history" "vm" {{
  machine_id = "{id}"
  days       = 7
}}

output "available" {{
  value = data.hotpatch_available_updates.vm
}}

output "history" {{
  value = data.hotpatch_update_history.vm.runs
}}
"#
    )
}

fn invoke(tf: &hotpatch_e2e::terraform::Terraform, action: &str) -> String {
    let out = tf
        .run(&[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            &format!("-invoke=action.{action}"),
        ])
        .success();
    one_line(&out.stdout)
}

#[test]
fn assess_a_vm_read_its_updates_install_an_include_list_and_see_it_in_history() {
    let env = TestEnv::start_default();
    let id = env.emulator.vm_id(seed::VM_AZURE_EDITION);
    let tf = env.terraform();
    let kb = format!("KB{}", catalogue::HOTPATCH_SECURITY);
    tf.write_config(&config(&id, &kb));

    let assessed = invoke(&tf, "hotpatch_assess.check");
    assert!(
        assessed.contains("5 updates available (critical and security 3, other 2)"),
        "{assessed}"
    );
    assert!(
        assessed.contains("3 never reboot"),
        "the VM result's per-patch list names the hotpatches: {assessed}"
    );
    tf.apply().success();
    let available = tf.outputs()["available"]["value"].clone();
    assert_eq!(available["assessment_status"], "Succeeded");
    let hot: Vec<&str> = available["updates"]
        .as_array()
        .unwrap()
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

    env.emulator.clear_requests();
    let installed = invoke(&tf, "hotpatch_install.now");
    assert!(
        installed.contains(&format!(
            "1 installed, 0 failed, 0 pending, 0 excluded, 4 not selected (installed KB {})",
            catalogue::HOTPATCH_SECURITY
        )),
        "{installed}"
    );
    let posts: Vec<_> = env
        .arm_writes()
        .into_iter()
        .filter(|r| r.path.ends_with("/installPatches"))
        .collect();
    assert_eq!(posts.len(), 1, "one install request");
    assert!(
        posts[0]
            .path
            .contains("/Microsoft.Compute/virtualMachines/"),
        "{}",
        posts[0].path
    );
    let body = posts[0].json_body().unwrap();
    assert_eq!(body["windowsParameters"]["kbNumbersToInclude"], json!([kb]));
    assert_eq!(
        body["maximumDuration"], "PT2H",
        "the default is sent to VMs too"
    );
    assert_eq!(body["rebootSetting"], "IfRequired");

    tf.apply().success();
    let runs = tf.outputs()["history"]["value"].clone();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "Succeeded");
    assert_eq!(runs[0]["installed_count"], 1);
    let installed_kbs: Vec<&str> = runs[0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["installation_state"] == "Installed")
        .map(|p| p["kb_id"].as_str().unwrap())
        .collect();
    assert_eq!(installed_kbs, [catalogue::HOTPATCH_SECURITY]);

    // Up to a publish date: the other June hotpatch installs, the July updates are not
    // selected; the date is sent as written.
    env.emulator.clear_requests();
    let installed = invoke(&tf, "hotpatch_install.up_to_june");
    assert!(
        installed.contains(&format!(
            "1 installed, 0 failed, 0 pending, 0 excluded, 3 not selected (installed KB {})",
            catalogue::HOTPATCH_CRITICAL
        )),
        "{installed}"
    );
    let body = env
        .arm_writes()
        .into_iter()
        .find(|r| r.path.ends_with("/installPatches"))
        .and_then(|r| r.json_body())
        .expect("install request");
    assert_eq!(body["windowsParameters"]["maxPatchPublishDate"], JUNE_END);
    assert_eq!(body["windowsParameters"].get("kbNumbersToInclude"), None);
    tf.apply().success();
    let runs = tf.outputs()["history"]["value"].clone();
    assert_eq!(runs.as_array().unwrap().len(), 2);
    assert_eq!(
        runs[0]["machine_id"],
        id.as_str(),
        "each run names its machine"
    );
    assert_eq!(runs[0]["not_selected_count"], 3);
}
