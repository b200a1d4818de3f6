//! Check for updates, install now and update history, end to end with real Terraform:
//! `hotpatch_assess` / `hotpatch_install` actions invoked with `terraform apply -invoke`, and
//! `hotpatch_available_updates` / `hotpatch_update_history` read through Resource Graph.

use std::time::Instant;

use arm_emulator::{catalogue, seed, Fault, MaintenanceRun};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::one_line;
use serde_json::Value;

fn actions_hcl(id: &str, install_args: &str) -> String {
    format!(
        r#"{PROVIDER_HCL}
action "hotpatch_assess" "check" {{
  config {{
    machine_id = "{id}"
  }}
}}

action "hotpatch_install" "now" {{
  config {{
    machine_id = "{id}"
{install_args}
  }}
}}

data "hotpatch_available_updates" "web" {{
  machine_id = "{id}"
}}

data "hotpatch_update_history" "web" {{
  machine_id = "{id}"
}}

output "available" {{
  value = data.hotpatch_available_updates.web
}}

output "history" {{
  value = data.hotpatch_update_history.web.runs
}}
"#
    )
}

fn invoke(
    tf: &hotpatch_e2e::terraform::Terraform,
    action: &str,
) -> hotpatch_e2e::terraform::TfOutput {
    tf.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        &format!("-invoke=action.{action}"),
    ])
}

#[test]
fn assess_read_updates_install_an_include_list_and_see_it_in_history() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_DATACENTER;
    let id = env.emulator.machine_id(machine);
    let tf = env.terraform();
    let kb = format!("KB{}", catalogue::HOTPATCH_SECURITY);
    tf.write_config(&actions_hcl(
        &id,
        &format!("    kb_numbers_to_include = [\"{kb}\"]\n    maximum_duration = \"PT1H\""),
    ));

    // Before any assessment the data source reads empty, not an error.
    tf.apply().success();
    assert_eq!(
        tf.outputs()["available"]["value"]["updates"],
        Value::Array(vec![])
    );

    let assessed = invoke(&tf, "hotpatch_assess.check").success();
    assert!(
        one_line(&assessed.stdout).contains("5 updates available"),
        "summary of the assessment:\n{}",
        assessed.stdout
    );
    tf.apply().success();
    let available = tf.outputs()["available"]["value"].clone();
    assert_eq!(available["assessment_status"], "Succeeded");
    let updates = available["updates"].as_array().unwrap();
    assert_eq!(updates.len(), catalogue::WINDOWS.len());
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
    let cu = updates
        .iter()
        .find(|u| u["kb_id"] == catalogue::BASELINE_CU)
        .unwrap();
    assert_eq!(cu["reboot_required"], true);
    assert_eq!(cu["reboot_behavior"], "AlwaysRequiresReboot");

    // Install with an include list: exactly that KB, per the request sent and the history.
    env.emulator.clear_requests();
    let installed = invoke(&tf, "hotpatch_install.now").success();
    let text = one_line(&installed.stdout);
    assert!(
        text.contains("1 installed, 0 failed"),
        "{}",
        installed.stdout
    );
    assert!(
        text.contains("reboot status NotNeeded"),
        "{}",
        installed.stdout
    );
    let posts: Vec<_> = env
        .arm_writes()
        .into_iter()
        .filter(|r| r.path.ends_with("/installPatches"))
        .collect();
    assert_eq!(posts.len(), 1, "one install request");
    let body = posts[0].json_body().unwrap();
    assert_eq!(
        body["windowsParameters"]["kbNumbersToInclude"],
        serde_json::json!([kb])
    );
    assert_eq!(body["maximumDuration"], "PT1H");
    assert_eq!(body["rebootSetting"], "IfRequired");

    tf.apply().success();
    let runs = tf.outputs()["history"]["value"].clone();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "Succeeded");
    assert_eq!(runs[0]["machine_id"], id.as_str(), "as configured");
    assert_eq!(runs[0]["started_by"], "User");
    assert_eq!(runs[0]["installed_count"], 1);
    let installed_kbs: Vec<&str> = runs[0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["installation_state"] == "Installed")
        .map(|p| p["kb_id"].as_str().unwrap())
        .collect();
    assert_eq!(installed_kbs, [catalogue::HOTPATCH_SECURITY]);

    // A failing run fails the action with the service's message.
    env.emulator.inject(Fault::fail_next_install(
        "Windows Update agent stopped responding (0x80244022)",
    ));
    let failed = invoke(&tf, "hotpatch_install.now").failure();
    let text = one_line(&failed.combined());
    assert!(text.contains("Update installation failed"), "{text}");
    assert!(
        text.contains("Windows Update agent stopped responding (0x80244022)"),
        "{text}"
    );
}

#[test]
fn bad_install_arguments_fail_at_plan_naming_the_attribute_before_any_write() {
    let env = TestEnv::start_default();
    let id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let cases = [
        ("    maximum_duration = \"2 hours\"", "maximum_duration"),
        ("    reboot_setting = \"NeverReboot\"", "reboot_setting"),
        ("    kb_numbers_to_include = [\"KB50x\"]", "kb_numbers_to_include"),
        ("    classifications_to_include = [\"Drivers\"]", "classifications_to_include"),
        ("    kb_numbers_to_include = [\"KB5061001\"]\n    kb_numbers_to_exclude = [\"5061001\"]", "kb_numbers_to_exclude"),
        ("    max_patch_publish_date = \"2025-06-30\"", "max_patch_publish_date"),
        ("    max_patch_publish_date = \"2025-06-30T00:00:00\"", "max_patch_publish_date"),
    ];
    for (args, attribute) in cases {
        let tf = env.terraform();
        tf.write_config(&actions_hcl(&id, args));
        let out = invoke(&tf, "hotpatch_install.now").failure();
        assert!(
            out.stderr.contains(attribute),
            "{attribute}:\n{}",
            out.combined()
        );
    }
    assert!(
        env.arm_writes()
            .iter()
            .all(|r| !r.path.ends_with("/installPatches")),
        "nothing was installed"
    );
}

#[test]
fn history_days_filter_and_scheduled_runs() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_STANDARD;
    let id = env.emulator.machine_id(machine);
    let fire = |days_ago| {
        env.emulator
            .fire_maintenance_run(
                machine,
                &MaintenanceRun {
                    days_ago,
                    ..Default::default()
                },
            )
            .expect("fire schedule")
            .1
    };
    let recent = fire(2);
    let older = fire(12);
    fire(45); // past the 30-day retention

    let tf = env.terraform();
    let hcl = |days: &str| {
        format!(
            "{PROVIDER_HCL}\ndata \"hotpatch_update_history\" \"h\" {{\n  machine_id = \"{id}\"\n{days}}}\noutput \"runs\" {{\n  value = data.hotpatch_update_history.h.runs\n}}\n"
        )
    };
    tf.write_config(&hcl(""));
    tf.apply().success();
    let runs = tf.outputs()["runs"]["value"].clone();
    let ids: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["maintenance_run_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [recent.as_str(), older.as_str()],
        "30 days by default, newest first"
    );
    assert_eq!(runs[0]["started_by"], "Platform");
    assert_eq!(
        runs[0]["reboot_status"], "Completed",
        "the baseline CU needed a restart"
    );

    tf.write_config(&hcl("  days = 7\n"));
    tf.apply().success();
    let runs = tf.outputs()["runs"]["value"].clone();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(runs[0]["maintenance_run_id"], recent.as_str());

    // One history read: time and ARM calls (token requests excluded).
    env.emulator.clear_requests();
    let started = Instant::now();
    tf.run(&["plan", "-input=false", "-no-color"]).success();
    let elapsed = started.elapsed();
    let calls: Vec<_> = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| !r.path.contains("/oauth2/"))
        .collect();
    eprintln!(
        "measurement: history read of one machine via `terraform plan`: {} ARM call(s) ({:?}), {:.2}s",
        calls.len(),
        calls.iter().map(|r| format!("{} {}", r.method, r.path)).collect::<Vec<_>>(),
        elapsed.as_secs_f64()
    );
    assert_eq!(calls.len(), 1, "a history read is one Resource Graph query");

    tf.write_config(&hcl("  days = 31\n"));
    let out = tf.plan().failure();
    assert!(
        one_line(&out.stderr).contains("days must be a whole number between 1 and 30"),
        "{}",
        out.stderr
    );
}

#[test]
fn install_up_to_a_publish_date_leaves_later_updates_unselected() {
    let env = TestEnv::start_default();
    let id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let tf = env.terraform();
    // After the June hotpatches, before the July baseline and .NET rollup.
    let june_end = "2025-06-30T00:00:00Z";
    tf.write_config(&actions_hcl(
        &id,
        &format!("    max_patch_publish_date = \"{june_end}\""),
    ));
    let installed = invoke(&tf, "hotpatch_install.now").success();
    let text = one_line(&installed.stdout);
    assert!(
        text.contains("2 installed, 0 failed, 0 pending, 0 excluded, 3 not selected"),
        "{}",
        installed.stdout
    );
    let body = env
        .arm_writes()
        .into_iter()
        .find(|r| r.path.ends_with("/installPatches"))
        .and_then(|r| r.json_body())
        .expect("install request");
    assert_eq!(
        body["windowsParameters"],
        serde_json::json!({ "maxPatchPublishDate": june_end }),
        "sent as written, nothing else selected"
    );

    tf.apply().success();
    let runs = tf.outputs()["history"]["value"].clone();
    let installed_kbs: Vec<&str> = runs[0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["installation_state"] == "Installed")
        .map(|p| p["kb_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        installed_kbs,
        [catalogue::HOTPATCH_SECURITY, catalogue::HOTPATCH_CRITICAL]
    );
}
