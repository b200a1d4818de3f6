//! `hotpatch_machine_setting` end to end, for Arc machines and Azure VMs: the acceptance loop
//! (apply, empty re-plan, out-of-band flip planned as an update, import, destroy turning
//! hotpatch off), plan-time rejection of what the services would refuse (with zero ARM writes),
//! `ActionRequired` as an error with state kept, a concurrent VM change (412) reported, and an
//! evaluation wait cut by the resource's `timeouts` recording the state reached with a warning.

use std::time::Duration;

use arm_emulator::{seed, Config, Fault, LroTiming, MachineChanges, VmChanges};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::one_line;
use serde_json::Value;

fn setting(name: &str, machine_id: &str, extra: &str) -> String {
    format!(
        "\nresource \"hotpatch_machine_setting\" \"{name}\" {{\n  machine_id          = \"{machine_id}\"\n  hotpatching_enabled = true\n{extra}}}\n"
    )
}

fn enrollment(name: &str, machine_id: &str) -> String {
    format!(
        "\nresource \"hotpatch_enrollment\" \"{name}\" {{\n  machine_id = \"{machine_id}\"\n}}\n"
    )
}

fn arc_patch_settings(env: &TestEnv, name: &str) -> Value {
    env.emulator.machine(name).expect("machine")["properties"]["osProfile"]["windowsConfiguration"]
        ["patchSettings"]
        .clone()
}

fn vm_patch_settings(env: &TestEnv, name: &str) -> Value {
    env.emulator.virtual_machine(name).expect("vm")["properties"]["osProfile"]
        ["windowsConfiguration"]["patchSettings"]
        .clone()
}

/// Removes one resource from state and imports it again by machine id; the state must come
/// back identical and the plan empty.
fn reimport(tf: &hotpatch_e2e::terraform::Terraform, address: &str, id: &str) {
    let before = tf.state_values(address).expect("in state");
    tf.run(&["state", "rm", "-no-color", address]).success();
    tf.run(&["import", "-no-color", address, id]).success();
    assert_eq!(
        tf.state_values(address).unwrap(),
        before,
        "import reproduces state"
    );
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "plan after import:\n{}", plan.combined());
}

#[test]
fn arc_apply_replan_flip_import_destroy() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_DATACENTER;
    let id = env.emulator.machine_id(machine);
    let tf = env.terraform();
    // Hotpatch on Arc needs the license first; the reference orders the two.
    let hcl = format!(
        "{PROVIDER_HCL}{}{}",
        enrollment("web", &id),
        "\nresource \"hotpatch_machine_setting\" \"web\" {\n  machine_id          = hotpatch_enrollment.web.machine_id\n  hotpatching_enabled = true\n}\n"
    );
    tf.write_config(&hcl);
    tf.apply().success();
    let state = tf.state_values("hotpatch_machine_setting.web").unwrap();
    assert_eq!(state["id"], id.as_str());
    assert_eq!(state["hotpatching_enabled"], true);
    assert_eq!(state["hotpatch_enablement_status"], "Enabled");
    assert_eq!(state["status"], "Enabled", "licensed and switched on");
    assert_eq!(
        state["patch_mode"], "AutomaticByOS",
        "unset mode kept as it was"
    );
    let ps = arc_patch_settings(&env, machine);
    assert_eq!(ps["enableHotpatching"], true);
    // The machine PATCH carried only patchSettings.
    let patch = env
        .arm_writes()
        .into_iter()
        .find(|r| r.method == "PATCH" && r.path.ends_with(machine))
        .expect("machine PATCH");
    assert_eq!(
        patch.json_body().unwrap(),
        serde_json::json!({ "properties": { "osProfile": { "windowsConfiguration": { "patchSettings": { "enableHotpatching": true } } } } })
    );

    let plan = tf.plan();
    assert_eq!(plan.code, 0, "re-plan not empty:\n{}", plan.combined());

    // Turned off outside Terraform: the plan proposes to turn it back on, in place.
    env.emulator
        .set_machine(
            machine,
            &MachineChanges {
                enable_hotpatching: Some(false),
                hotpatch_enablement_status: Some("Disabled".into()),
                ..MachineChanges::default()
            },
        )
        .unwrap();
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "flip not detected:\n{}", plan.combined());
    assert!(
        plan.stdout.contains("will be updated in-place"),
        "{}",
        plan.stdout
    );
    tf.apply().success();
    assert_eq!(arc_patch_settings(&env, machine)["enableHotpatching"], true);

    reimport(&tf, "hotpatch_machine_setting.web", &id);

    tf.destroy().success();
    let ps = arc_patch_settings(&env, machine);
    assert_eq!(ps["enableHotpatching"], false, "destroy turns hotpatch off");
    assert_eq!(ps["status"]["hotpatchEnablementStatus"], "Disabled");
}

#[test]
fn vm_apply_replan_flip_import_destroy() {
    let env = TestEnv::start_default();
    let vm = seed::VM_AZURE_EDITION;
    let id = env.emulator.vm_id(vm);
    let tf = env.terraform();
    tf.write_config(&format!(
        "{PROVIDER_HCL}{}",
        setting(
            "vm",
            &id,
            "  assessment_mode     = \"AutomaticByPlatform\"\n"
        )
    ));
    tf.apply().success();
    let state = tf.state_values("hotpatch_machine_setting.vm").unwrap();
    assert_eq!(state["hotpatching_enabled"], true);
    assert_eq!(state["patch_mode"], "AutomaticByPlatform");
    assert_eq!(state["assessment_mode"], "AutomaticByPlatform");
    assert!(state["hotpatch_enablement_status"].is_null());
    assert_eq!(state["status"], "Enabled");
    let ps = vm_patch_settings(&env, vm);
    assert_eq!(ps["enableHotpatching"], true);
    assert_eq!(ps["assessmentMode"], "AutomaticByPlatform");
    // Written once, as a PATCH guarded by the etag it had just read.
    let patches: Vec<_> = env
        .arm_writes()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path.ends_with(vm))
        .collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(
        patches[0].query_param("api-version").as_deref(),
        Some("2025-04-01")
    );
    assert!(
        patches[0].headers.contains_key("if-match"),
        "{:?}",
        patches[0].headers
    );

    assert_eq!(tf.plan().code, 0, "re-plan not empty");

    env.emulator
        .set_virtual_machine(
            vm,
            &VmChanges {
                enable_hotpatching: Some(false),
                ..VmChanges::default()
            },
        )
        .unwrap();
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "flip not detected:\n{}", plan.combined());
    assert!(
        plan.stdout.contains("will be updated in-place"),
        "{}",
        plan.stdout
    );
    tf.apply().success();
    assert_eq!(vm_patch_settings(&env, vm)["enableHotpatching"], true);

    reimport(&tf, "hotpatch_machine_setting.vm", &id);

    tf.destroy().success();
    assert_eq!(vm_patch_settings(&env, vm)["enableHotpatching"], false);
}

#[test]
fn what_the_services_refuse_fails_at_plan_without_writes() {
    let env = TestEnv::start_default();
    let e = &env.emulator;
    let mut hcl = PROVIDER_HCL.to_string();
    hcl.push_str(&setting("ws2022", &e.machine_id(seed::WS2022), ""));
    hcl.push_str(&setting("linux", &e.machine_id(seed::LINUX), ""));
    hcl.push_str(&setting(
        "offline",
        &e.machine_id(seed::WS2025_DISCONNECTED),
        "",
    ));
    hcl.push_str(&setting(
        "vm_mode",
        &e.vm_id(seed::VM_AZURE_EDITION),
        "  patch_mode          = \"AutomaticByOS\"\n",
    ));
    hcl.push_str(&setting(
        "vm_image",
        &e.vm_id(seed::VM_WS2022),
        "  patch_mode          = \"AutomaticByPlatform\"\n",
    ));
    let tf = env.terraform();
    tf.write_config(&hcl);
    let out = tf.plan().failure();
    let text = one_line(&out.stderr);
    for (resource, expected) in [
        ("ws2022", "Windows Server 2025 Standard or Datacenter"),
        ("linux", "the machine runs linux"),
        ("offline", "the Arc agent is Disconnected"),
        ("vm_mode", "needs patch_mode \"AutomaticByPlatform\""),
        ("vm_image", "Datacenter: Azure Edition image"),
    ] {
        assert!(
            text.contains(expected),
            "{resource}: {expected:?} missing:\n{}",
            out.stderr
        );
        assert!(
            text.contains(&format!("hotpatch_machine_setting.{resource},")),
            "{resource} reported:\n{}",
            out.stderr
        );
    }
    // Each diagnostic points at the attribute to change.
    assert!(
        text.contains("patch_mode = \"AutomaticByOS\""),
        "{}",
        out.stderr
    );
    assert!(
        text.contains("hotpatching_enabled = true"),
        "{}",
        out.stderr
    );
    assert!(
        env.arm_writes().is_empty(),
        "writes: {:?}",
        env.arm_writes()
    );
}

#[test]
fn action_required_is_an_error_with_state_kept() {
    let env = TestEnv::start_default();
    // Not enrolled in the hotpatch license: the service evaluates the intent as ActionRequired.
    let machine = seed::WS2025_STANDARD;
    let tf = env.terraform();
    tf.write_config(&format!(
        "{PROVIDER_HCL}{}",
        setting("std", &env.emulator.machine_id(machine), "")
    ));
    let out = tf.apply().failure();
    let text = one_line(&out.stderr);
    assert!(text.contains("ActionRequired"), "{}", out.stderr);
    assert!(
        text.contains("Hotpatch is not enabled in the license profile"),
        "service reason shown:\n{}",
        out.stderr
    );
    let state = tf
        .state_values("hotpatch_machine_setting.std")
        .expect("state kept after ActionRequired");
    assert_eq!(state["hotpatch_enablement_status"], "ActionRequired");
}

#[test]
fn concurrent_vm_change_is_reported_and_nothing_recorded() {
    let env = TestEnv::start(Config::default());
    env.emulator.inject(
        Fault::error(412, "PreconditionFailed", 1).matching(Some("PATCH"), Some("virtualMachines")),
    );
    let tf = env.terraform();
    tf.write_config(&format!(
        "{PROVIDER_HCL}{}",
        setting("vm", &env.emulator.vm_id(seed::VM_AZURE_EDITION), "")
    ));
    let out = tf.apply().failure();
    assert!(
        one_line(&out.stderr).contains("changed while hotpatch settings were being written"),
        "{}",
        out.stderr
    );
    assert!(tf.state_values("hotpatch_machine_setting.vm").is_none());
    assert_eq!(
        vm_patch_settings(&env, seed::VM_AZURE_EDITION)["enableHotpatching"],
        false
    );
}

#[test]
fn evaluation_timeout_ends_the_wait_and_records_the_setting_reached() {
    // The service never finishes evaluating the switch: it stays `PendingEvaluation`.
    let env = TestEnv::start(Config {
        hotpatch_evaluation: LroTiming {
            polls: u32::MAX,
            duration: Duration::from_secs(3600),
        },
        ..Config::default()
    });
    let machine = seed::WS2025_DATACENTER;
    let tf = env.terraform();
    tf.write_config(&format!(
        "{PROVIDER_HCL}{}",
        setting(
            "web",
            &env.emulator.machine_id(machine),
            "  timeouts {\n    create = \"3s\"\n  }\n"
        )
    ));
    // A warning with the state reached, not an error: an error would taint the setting, and
    // replacing it would switch hotpatching off and on again.
    let out = tf.apply().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch setting not finished"),
        "{}",
        out.combined()
    );
    assert!(text.contains("the operation's timeout ran out"), "{text}");
    assert!(text.contains("Raise `timeouts.create`"), "{text}");
    let state = tf
        .state_values("hotpatch_machine_setting.web")
        .expect("state kept after the timeout");
    assert_eq!(state["hotpatching_enabled"], true);
    assert_eq!(state["hotpatch_enablement_status"], "PendingEvaluation");
    // No hotpatch license on this machine: the portal word says so, whatever the switch.
    assert_eq!(state["status"], "Not enrolled");
    assert_eq!(state["timeouts"]["create"], "3s");
    assert_eq!(arc_patch_settings(&env, machine)["enableHotpatching"], true);
    // The next run has nothing to do: the switch is as configured.
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let writes = env.emulator.writes_for(&env.emulator.machine_id(machine));
    assert_eq!(writes.len(), 1, "{writes:#?}");
}
