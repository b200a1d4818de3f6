//! `hotpatch_enrollment` when things go wrong after ARM accepted the enrollment, and when the
//! machine is already enrolled.
//!
//! Each fault hits one step (the operation's polls fail, the operation never finishes, Ctrl-C
//! mid-operation, the read-back fails too): the state must hold the enrollment, and the next
//! `apply` must converge without writing the license again (checked on the emulator's write
//! ledger). A machine enrolled outside the configuration must be refused before any write, with
//! the import instructions, and importing it as told must give an empty plan.

use arm_emulator::{seed, Config, Fault, WriteRecord};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::mid_write::{failing, interrupt_after_write};
use hotpatch_e2e::terraform::{finish, one_line, Terraform};

fn enrollment_hcl(machine_id: &str, extra: &str) -> String {
    format!("{PROVIDER_HCL}\nresource \"hotpatch_enrollment\" \"web\" {{\n  machine_id = \"{machine_id}\"\n{extra}}}\n")
}

/// Accepted writes of the machine's license profile.
fn license_writes(env: &TestEnv, machine: &str) -> Vec<WriteRecord> {
    env.emulator.writes_for(&format!(
        "{}/licenseProfiles/default",
        env.emulator.machine_id(machine)
    ))
}

/// The enrollment's `subscription_status` in state.
fn recorded(tf: &Terraform) -> String {
    let state = tf
        .state_values("hotpatch_enrollment.web")
        .expect("the enrollment is in state");
    state["subscription_status"]
        .as_str()
        .unwrap_or("null")
        .to_owned()
}

/// After a faulty apply: the next plan is empty (the enrollment is in state and exists), the next
/// apply records it `Enabled`, and in all the license was written exactly once.
fn converges_with_one_write(env: &TestEnv, tf: &Terraform, machine: &str) {
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "plan after recovery:\n{}", plan.combined());
    tf.apply().success();
    assert_eq!(recorded(tf), "Enabled");
    let writes = license_writes(env, machine);
    assert_eq!(
        writes.len(),
        1,
        "the license was written again: {writes:#?}"
    );
}

#[test]
fn operation_polls_failing_after_the_write_was_accepted() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_STANDARD;
    // The enrollment is accepted; every poll of its operation answers 500.
    env.emulator
        .inject(failing("GET", "/operation", 500, 0, None));
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&env.emulator.machine_id(machine), ""));
    let out = tf.apply().success();
    assert!(
        one_line(&out.stdout).contains("Hotpatch enrollment confirmed by reading it back"),
        "{}",
        out.combined()
    );
    assert_eq!(recorded(&tf), "Enabled", "read from the license profile");
    env.emulator.clear_faults();
    converges_with_one_write(&env, &tf, machine);
}

#[test]
fn operation_that_never_finishes_is_recorded_pending_within_the_timeout() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_STANDARD;
    env.emulator
        .inject(Fault::stuck_lro().matching(None, Some("licenseProfiles")));
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(
        &env.emulator.machine_id(machine),
        "  timeouts {\n    create = \"3s\"\n  }\n",
    ));
    // A warning, not an error: an error would taint the enrollment, and replacing it would
    // cancel the license and enroll it again.
    let out = tf.apply().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch enrollment not finished"),
        "{}",
        out.combined()
    );
    assert!(text.contains("the operation's timeout ran out"), "{text}");
    assert!(text.contains("Raise `timeouts.create`"), "{text}");
    let state = tf.state_values("hotpatch_enrollment.web").unwrap();
    assert_eq!(state["subscription_status"], "Enabling");
    assert_eq!(state["status"], "Pending");
    assert_eq!(state["timeouts"]["create"], "3s");

    // Still Enabling: the refresh keeps it, nothing to do.
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert_eq!(env.emulator.release_stuck_operations(), 1);
    converges_with_one_write(&env, &tf, machine);
}

#[test]
fn ctrl_c_while_the_operation_runs_keeps_the_enrollment_in_state() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_STANDARD;
    env.emulator
        .inject(Fault::stuck_lro().matching(None, Some("licenseProfiles")));
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&env.emulator.machine_id(machine), ""));
    let mut child = tf.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    interrupt_after_write(&env, &mut child, "licenseProfiles");
    let out = finish(child);
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Terraform asked the provider to stop (Ctrl-C)"),
        "{}",
        out.combined()
    );
    assert_eq!(recorded(&tf), "Enabling", "{}", out.combined());

    assert_eq!(env.emulator.release_stuck_operations(), 1);
    converges_with_one_write(&env, &tf, machine);
}

#[test]
fn read_back_failing_too_records_the_planned_enrollment() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_STANDARD;
    // Reads of the machine and its license profile work for the two plans and create's two
    // reads; from the first read after the write on, they are refused.
    env.emulator.inject(failing("GET", machine, 403, 4, None));
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&env.emulator.machine_id(machine), ""));
    let out = tf.apply().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch enrollment not confirmed"),
        "{}",
        out.combined()
    );
    assert!(
        text.contains("reading the machine back failed too"),
        "{text}"
    );
    let state = tf.state_values("hotpatch_enrollment.web").unwrap();
    assert_eq!(
        state["id"],
        format!(
            "{}/licenseProfiles/default",
            env.emulator.machine_id(machine)
        )
        .as_str()
    );
    assert!(state["subscription_status"].is_null(), "{state}");
    assert_eq!(license_writes(&env, machine).len(), 1);

    // The planned object in state makes the next run a refresh, not a create: no "already
    // exists", no second write.
    env.emulator.clear_faults();
    converges_with_one_write(&env, &tf, machine);
}

#[test]
fn a_machine_enrolled_elsewhere_is_refused_with_the_import_instructions() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_DATACENTER;
    let id = env.emulator.machine_id(machine);
    let elsewhere = env.terraform();
    elsewhere.write_config(&enrollment_hcl(&id, ""));
    elsewhere.apply().success();
    let before = env.arm_writes().len();

    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&id, ""));
    let out = tf.apply().failure();
    assert_eq!(env.arm_writes().len(), before, "nothing may be written");
    assert!(tf.state_values("hotpatch_enrollment.web").is_none());
    let profile = format!("{id}/licenseProfiles/default");
    let text = out.stderr.clone();
    for expected in [
        "hotpatch_enrollment already exists".to_owned(),
        format!("A resource with the ID \"{profile}\" already exists - to be managed via Terraform this resource needs to be imported into the State."),
        format!("terraform import 'hotpatch_enrollment.NAME' '{profile}'"),
        format!("to = hotpatch_enrollment.NAME\n    id = \"{profile}\""),
        format!("identity = {{\n      machine_id = \"{id}\"\n    }}"),
    ] {
        assert!(
            one_line(&text).contains(&one_line(&expected)),
            "{expected:?} missing:\n{text}"
        );
    }

    // Doing as told: the import command, then an empty plan.
    tf.run(&["import", "-no-color", "hotpatch_enrollment.web", &profile])
        .success();
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert_eq!(env.arm_writes().len(), before);
}

#[test]
fn replacing_an_enrollment_cancels_before_it_enrolls_again() {
    // A replacement is the one create that meets this configuration's own enrollment: the
    // destroy runs first, so the create finds it cancelled and enrolls again.
    let env = TestEnv::start(Config::default());
    let machine = seed::WS2025_DATACENTER;
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&env.emulator.machine_id(machine), ""));
    tf.apply().success();
    tf.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-replace=hotpatch_enrollment.web",
    ])
    .success();
    assert_eq!(recorded(&tf), "Enabled");
    let verbs: Vec<String> = license_writes(&env, machine)
        .iter()
        .map(|w| {
            let status = &w.body.as_ref().unwrap()["properties"]["productProfile"]
                ["productFeatures"][0]["subscriptionStatus"];
            format!("{} {}", w.method, status.as_str().unwrap_or("?"))
        })
        .collect();
    assert_eq!(verbs, ["PUT Enabled", "PATCH Disable", "PATCH Enable"]);
}

#[test]
fn a_cancellation_outliving_the_delete_timeout_leaves_state_with_a_warning() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_STANDARD;
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(
        &env.emulator.machine_id(machine),
        "  timeouts {\n    delete = \"3s\"\n  }\n",
    ));
    tf.apply().success();
    env.emulator
        .inject(Fault::stuck_lro().matching(Some("PATCH"), Some("licenseProfiles")));
    // The cancellation was accepted (Disabling reads as no enrollment), so destroy succeeds.
    let out = tf.destroy().success();
    let text = one_line(&out.stdout);
    assert!(
        text.contains("Hotpatch cancellation not finished"),
        "{}",
        out.combined()
    );
    assert!(tf.state_values("hotpatch_enrollment.web").is_none());
    assert_eq!(env.emulator.release_stuck_operations(), 1);
    tf.destroy().success();
    let writes = license_writes(&env, machine);
    assert_eq!(writes.len(), 2, "enroll and cancel, once each: {writes:#?}");
}

#[test]
fn a_cancellation_that_cannot_be_confirmed_keeps_the_enrollment_in_state() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_STANDARD;
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&env.emulator.machine_id(machine), ""));
    tf.apply().success();
    // The refresh and the delete's read of the profile work; every read after the
    // cancellation is refused.
    env.emulator.inject(failing("GET", machine, 403, 2, None));
    let out = tf.destroy().failure();
    assert!(
        one_line(&out.stderr).contains("Hotpatch cancellation not confirmed"),
        "{}",
        out.combined()
    );
    assert!(tf.state_values("hotpatch_enrollment.web").is_some());

    // The next run refreshes: the license is cancelled, so there is nothing left to do.
    env.emulator.clear_faults();
    tf.destroy().success();
    assert!(tf.state_values("hotpatch_enrollment.web").is_none());
    let writes = license_writes(&env, machine);
    assert_eq!(writes.len(), 2, "enroll and cancel, once each: {writes:#?}");
}
