//! `hotpatch_machine_setting` when things go wrong after ARM accepted the switch.
//!
//! Each fault hits one step: the polls of the Arc evaluation fail, the read-back fails too,
//! Ctrl-C while the service evaluates, a VM operation that never finishes, and a retried VM
//! PATCH answered 412 (its first attempt landed, its answer was lost). The state must hold the
//! setting, and the next `apply` must converge without writing the machine again (checked on
//! the emulator's write ledger).

use std::time::Duration;

use arm_emulator::{seed, Config, Fault, LroTiming, WriteRecord};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::mid_write::{failing, interrupt_after_write};
use hotpatch_e2e::terraform::{finish, one_line, Terraform};
use serde_json::Value;

const ADDRESS: &str = "hotpatch_machine_setting.web";

fn setting_hcl(machine_id: &str, extra: &str) -> String {
    format!("{PROVIDER_HCL}\nresource \"hotpatch_machine_setting\" \"web\" {{\n  machine_id          = \"{machine_id}\"\n  hotpatching_enabled = true\n{extra}}}\n")
}

/// An emulator whose Arc machine `WS2025_DATACENTER` is already enrolled in the hotpatch
/// license (by another configuration), so its switch can be evaluated `Enabled`.
fn enrolled_arc_env(config: Config) -> (TestEnv, Terraform) {
    let env = TestEnv::start(config);
    let enroller = env.terraform();
    enroller.write_config(&format!(
        "{PROVIDER_HCL}\nresource \"hotpatch_enrollment\" \"web\" {{\n  machine_id = \"{}\"\n}}\n",
        env.emulator.machine_id(seed::WS2025_DATACENTER)
    ));
    enroller.apply().success();
    // The tests look at what the setting does.
    env.emulator.clear_requests();
    (env, enroller)
}

const NEVER: LroTiming = LroTiming {
    polls: u32::MAX,
    duration: Duration::from_secs(3600),
};

fn writes(env: &TestEnv, machine_id: &str) -> Vec<WriteRecord> {
    env.emulator.writes_for(machine_id)
}

fn state(tf: &Terraform) -> Value {
    tf.state_values(ADDRESS).expect("the setting is in state")
}

/// After a faulty apply: the next plan is empty and the next apply writes nothing, so the
/// machine was written exactly once.
fn converges_with_one_write(env: &TestEnv, tf: &Terraform, machine_id: &str) {
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "plan after recovery:\n{}", plan.combined());
    tf.apply().success();
    assert_eq!(state(tf)["hotpatching_enabled"], true);
    let w = writes(env, machine_id);
    assert_eq!(w.len(), 1, "the machine was written again: {w:#?}");
}

#[test]
fn arc_evaluation_polls_failing_record_the_setting_read_back() {
    let (env, _enroller) = enrolled_arc_env(Config::default());
    let id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    // The two plans read the machine; then every attempt of the first evaluation poll fails.
    env.emulator
        .inject(failing("GET", seed::WS2025_DATACENTER, 500, 2, Some(8)));
    let tf = env.terraform();
    tf.write_config(&setting_hcl(&id, ""));
    let out = tf.apply().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch setting confirmed by reading it back"),
        "{}",
        out.combined()
    );
    assert!(text.contains("reading the Arc machine failed"), "{text}");
    let s = state(&tf);
    assert_eq!(s["hotpatching_enabled"], true);
    assert!(s["hotpatch_enablement_status"].is_string(), "{s}");
    converges_with_one_write(&env, &tf, &id);
    assert_eq!(state(&tf)["status"], "Enabled");
}

#[test]
fn arc_read_back_failing_too_records_the_planned_setting() {
    let (env, _enroller) = enrolled_arc_env(Config::default());
    let id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    // Reads work for the two plans, then are refused: the evaluation cannot be watched and the
    // machine cannot be read back.
    env.emulator
        .inject(failing("GET", seed::WS2025_DATACENTER, 403, 2, None));
    let tf = env.terraform();
    tf.write_config(&setting_hcl(&id, ""));
    let out = tf.apply().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch setting not confirmed"),
        "{}",
        out.combined()
    );
    assert!(
        text.contains("reading the machine back failed too"),
        "{text}"
    );
    let s = state(&tf);
    assert_eq!(s["id"], id.as_str());
    assert_eq!(s["hotpatching_enabled"], true);
    assert!(s["status"].is_null(), "{s}");
    env.emulator.clear_faults();
    converges_with_one_write(&env, &tf, &id);
}

#[test]
fn ctrl_c_while_the_service_evaluates_keeps_the_setting_in_state() {
    let (env, _enroller) = enrolled_arc_env(Config {
        hotpatch_evaluation: NEVER,
        ..Config::default()
    });
    let id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let tf = env.terraform();
    tf.write_config(&setting_hcl(&id, ""));
    let mut child = tf.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    interrupt_after_write(&env, &mut child, seed::WS2025_DATACENTER);
    let out = finish(child);
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch setting not finished"),
        "{}",
        out.combined()
    );
    assert!(
        text.contains("Terraform asked the provider to stop (Ctrl-C)"),
        "{text}"
    );
    let s = state(&tf);
    assert_eq!(s["hotpatch_enablement_status"], "PendingEvaluation");
    assert_eq!(s["status"], "Pending");
    converges_with_one_write(&env, &tf, &id);
}

#[test]
fn vm_operation_that_never_finishes_is_recorded_pending_within_the_timeout() {
    let env = TestEnv::start(Config {
        lro: NEVER,
        ..Config::default()
    });
    let id = env.emulator.vm_id(seed::VM_AZURE_EDITION);
    let tf = env.terraform();
    tf.write_config(&setting_hcl(
        &id,
        "  timeouts {\n    create = \"3s\"\n  }\n",
    ));
    let out = tf.apply().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch setting not finished"),
        "{}",
        out.combined()
    );
    assert!(text.contains("the operation's timeout ran out"), "{text}");
    let s = state(&tf);
    assert_eq!(s["hotpatching_enabled"], true);
    assert_eq!(s["status"], "Pending", "the VM is still Updating: {s}");
    converges_with_one_write(&env, &tf, &id);
}

#[test]
fn vm_412_on_a_retried_patch_is_read_back_not_reported_as_nothing_written() {
    let env = TestEnv::start_default();
    let id = env.emulator.vm_id(seed::VM_AZURE_EDITION);
    // The PATCH lands, its answer is lost; the retry carries the etag read before it, so ARM
    // answers 412 because of the first attempt itself.
    env.emulator
        .inject(Fault::reset_after_commit(1).matching(Some("PATCH"), Some("virtualMachines")));
    let tf = env.terraform();
    tf.write_config(&setting_hcl(&id, ""));
    let out = tf.apply().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch setting confirmed by reading it back"),
        "{}",
        out.combined()
    );
    assert!(text.contains("412"), "{text}");
    assert!(!text.contains("nothing was written"), "{text}");
    let patches: Vec<_> = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path.ends_with(seed::VM_AZURE_EDITION))
        .map(|r| r.status)
        .collect();
    assert_eq!(patches, [0, 412], "a reset, then the retry's 412");
    assert_eq!(state(&tf)["hotpatching_enabled"], true);
    converges_with_one_write(&env, &tf, &id);
}

#[test]
fn turning_hotpatch_off_outliving_the_delete_timeout_leaves_state_with_a_warning() {
    let (env, _enroller) = enrolled_arc_env(Config {
        hotpatch_evaluation: NEVER,
        ..Config::default()
    });
    let id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let tf = env.terraform();
    tf.write_config(&setting_hcl(
        &id,
        "  timeouts {\n    create = \"3s\"\n    delete = \"3s\"\n  }\n",
    ));
    tf.apply().success();
    // Switched off (accepted), still being evaluated: destroy warns and forgets the setting.
    let out = tf.destroy().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch setting not finished"),
        "{}",
        out.combined()
    );
    assert!(text.contains("Raise `timeouts.delete`"), "{text}");
    assert!(tf.state_values(ADDRESS).is_none());
    let w = writes(&env, &id);
    assert_eq!(w.len(), 2, "on and off, once each: {w:#?}");
}
