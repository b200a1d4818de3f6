//! `hotpatch_enrollment` end to end: real Terraform, the provider binary and the emulator.
//!
//! The loop is the one terraform-plugin-testing runs for every resource: apply, an empty
//! re-plan, drift made outside Terraform, import (CLI and `import {}` block) reproducing the
//! same state, and destroy cleaning up — plus the failure modes users hit in practice.

use arm_emulator::{seed, Config, Fault};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::one_line;
use serde_json::Value;

fn enrollment_hcl(machine_ids: &[(&str, String)]) -> String {
    let mut hcl = PROVIDER_HCL.to_string();
    for (name, id) in machine_ids {
        hcl.push_str(&format!(
            "\nresource \"hotpatch_enrollment\" \"{name}\" {{\n  machine_id = \"{id}\"\n}}\n"
        ));
    }
    hcl
}

fn hotpatch_feature(profile: &Value) -> Option<Value> {
    profile["properties"]["productProfile"]["productFeatures"]
        .as_array()?
        .iter()
        .find(|f| {
            f["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("Hotpatch"))
        })
        .cloned()
}

fn feature_status(env: &TestEnv, machine: &str) -> Option<String> {
    let profile = env.emulator.license_profile(machine)?;
    hotpatch_feature(&profile)?["subscriptionStatus"]
        .as_str()
        .map(str::to_owned)
}

#[test]
fn apply_replan_drift_import_destroy() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_DATACENTER;
    let id = env.emulator.machine_id(machine);
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&[("web", id.clone())]));

    tf.apply().success();
    let state = tf
        .state_values("hotpatch_enrollment.web")
        .expect("enrollment in state");
    assert_eq!(state["machine_id"], id.as_str());
    assert_eq!(
        state["id"],
        format!("{id}/licenseProfiles/default").as_str()
    );
    assert_eq!(state["subscription_status"], "Enabled");
    assert!(
        state["enrollment_date"].is_string(),
        "enrollment date set: {state}"
    );
    assert!(
        ["Enabled", "Disabled", "Pending"].contains(&state["status"].as_str().unwrap_or_default()),
        "portal status of an enrolled machine: {state}"
    );
    assert_eq!(feature_status(&env, machine).as_deref(), Some("Enabled"));

    // Re-plan after apply must be empty.
    let plan = tf.plan();
    assert_eq!(
        plan.code,
        0,
        "plan after apply is not empty:\n{}",
        plan.combined()
    );

    // A license cancelled outside Terraform reads as gone: the plan proposes to enroll again.
    env.emulator
        .cancel_hotpatch(machine)
        .expect("cancel out of band");
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "drift not detected:\n{}", plan.combined());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
    tf.apply().success();
    assert_eq!(feature_status(&env, machine).as_deref(), Some("Enabled"));
    let applied = tf.state_values("hotpatch_enrollment.web").unwrap();

    // `terraform import` by machine id reproduces the state, and the plan stays empty.
    tf.forget_state();
    tf.run(&["import", "-no-color", "hotpatch_enrollment.web", &id])
        .success();
    assert_eq!(tf.state_values("hotpatch_enrollment.web").unwrap(), applied);
    assert_eq!(tf.plan().code, 0, "plan after CLI import is not empty");

    // An `import {}` block with the license-profile id does the same.
    tf.forget_state();
    let mut hcl = enrollment_hcl(&[("web", id.clone())]);
    hcl.push_str(&format!("\nimport {{\n  to = hotpatch_enrollment.web\n  id = \"{id}/licenseProfiles/default\"\n}}\n"));
    tf.write_config(&hcl);
    let applied_import = tf.apply().success();
    assert!(
        applied_import.stdout.contains("1 imported"),
        "{}",
        applied_import.stdout
    );
    assert_eq!(tf.state_values("hotpatch_enrollment.web").unwrap(), applied);
    tf.write_config(&enrollment_hcl(&[("web", id.clone())]));
    assert_eq!(tf.plan().code, 0, "plan after import block is not empty");

    // Destroy cancels the feature.
    tf.destroy().success();
    assert_eq!(feature_status(&env, machine).as_deref(), Some("Disabled"));
    assert!(tf.state_values("hotpatch_enrollment.web").is_none());
}

#[test]
fn esu_and_software_assurance_survive_create_and_destroy() {
    let env = TestEnv::start_default();
    let machine = seed::WS2025_WITH_ESU;
    let before = env
        .emulator
        .license_profile(machine)
        .expect("seeded ESU profile");
    let esu = before["properties"]["esuProfile"]["assignedLicense"].clone();
    assert!(esu.is_string(), "seed has an ESU license: {before}");
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&[(
        "esu",
        env.emulator.machine_id(machine),
    )]));

    tf.apply().success();
    let during = env.emulator.license_profile(machine).unwrap();
    assert_eq!(during["properties"]["esuProfile"]["assignedLicense"], esu);
    assert_eq!(
        during["properties"]["softwareAssurance"]["softwareAssuranceCustomer"],
        true
    );
    assert_eq!(feature_status(&env, machine).as_deref(), Some("Enabled"));

    tf.destroy().success();
    let after = env.emulator.license_profile(machine).unwrap();
    assert_eq!(after["properties"]["esuProfile"]["assignedLicense"], esu);
    assert_eq!(
        after["properties"]["softwareAssurance"]["softwareAssuranceCustomer"],
        true
    );
    assert_eq!(feature_status(&env, machine).as_deref(), Some("Disabled"));
}

#[test]
fn wrong_client_secret_is_a_clear_auth_error_without_writes() {
    let env = TestEnv::start_default();
    let tf = env.terraform_with(&[("ARM_CLIENT_SECRET", "not-the-secret")]);
    tf.write_config(&enrollment_hcl(&[(
        "web",
        env.emulator.machine_id(seed::WS2025_STANDARD),
    )]));
    let out = tf.apply().failure();
    assert!(
        out.stderr.contains("AADSTS7000215"),
        "service's sign-in error shown:\n{}",
        out.combined()
    );
    assert!(out.stderr.contains("authentication"), "{}", out.stderr);
    assert!(
        !out.combined().contains("not-the-secret"),
        "secret leaked into output"
    );
    assert!(
        env.arm_writes().is_empty(),
        "ARM writes despite failed auth: {:?}",
        env.arm_writes()
    );
}

#[test]
fn malformed_machine_id_fails_at_plan_without_arm_calls() {
    let env = TestEnv::start_default();
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&[(
        "bad",
        "/subscriptions/x/resourceGroups/rg/machines/nope".to_string(),
    )]));
    let out = tf.plan().failure();
    assert!(
        out.stderr.contains("Invalid Arc machine id"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("machine_id"),
        "diagnostic names the attribute:\n{}",
        out.stderr
    );
    assert!(env.arm_writes().is_empty());
}

#[test]
fn ineligible_machine_fails_at_plan_without_writes() {
    let env = TestEnv::start_default();
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&[(
        "old",
        env.emulator.machine_id(seed::WS2022),
    )]));
    let out = tf.plan().failure();
    assert!(out.stderr.contains("cannot be enrolled"), "{}", out.stderr);
    assert!(out.stderr.contains("machine_id"), "{}", out.stderr);
    assert!(
        env.arm_writes().is_empty(),
        "writes: {:?}",
        env.arm_writes()
    );
}

#[test]
fn failed_enrollment_is_an_error_with_state_kept() {
    let env = TestEnv::start_default();
    env.emulator.inject(Fault::fail_next_lro(
        "Hotpatch licensing is not available for this machine",
    ));
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&[(
        "web",
        env.emulator.machine_id(seed::WS2025_STANDARD),
    )]));
    let out = tf.apply().failure();
    assert!(
        one_line(&out.stderr).contains("Hotpatch licensing is not available for this machine"),
        "service message shown:\n{}",
        out.combined()
    );
    let state = tf
        .state_values("hotpatch_enrollment.web")
        .expect("state kept after failure");
    assert_eq!(state["subscription_status"], "Failed");
}

#[test]
fn twenty_enrollments_survive_throttling_and_transient_faults() {
    let env = TestEnv::start(Config {
        fleet_size: 20,
        ..Config::default()
    });
    // Fewer write tokens than the run needs, so the ARM token bucket throttles for real.
    env.emulator.set_throttle(arm_emulator::ThrottleConfig {
        enabled: true,
        read_capacity: 40.0,
        read_refill_per_sec: 20.0,
        write_capacity: 5.0,
        write_refill_per_sec: 5.0,
    });
    env.emulator
        .inject(Fault::throttle(3, Some(1)).matching(Some("PUT"), Some("licenseProfiles")));
    env.emulator
        .inject(Fault::throttle(2, None).matching(Some("PUT"), Some("licenseProfiles")));
    env.emulator
        .inject(Fault::unavailable(2).matching(Some("GET"), Some("machines")));
    env.emulator
        .inject(Fault::internal_error(1).matching(Some("PUT"), Some("licenseProfiles")));
    env.emulator
        .inject(Fault::conflict(2).matching(Some("PUT"), Some("licenseProfiles")));

    let machines: Vec<(String, String)> = (1..=20)
        .map(|i| {
            (
                format!("m{i}"),
                env.emulator.machine_id(&seed::fleet_machine_name(i)),
            )
        })
        .collect();
    let refs: Vec<(&str, String)> = machines
        .iter()
        .map(|(n, id)| (n.as_str(), id.clone()))
        .collect();
    let tf = env.terraform();
    tf.write_config(&enrollment_hcl(&refs));
    tf.apply().success();

    let requests = env.emulator.requests();
    assert!(
        requests.iter().any(|r| r.status == 429),
        "throttling was exercised"
    );
    for i in 1..=20 {
        let name = seed::fleet_machine_name(i);
        assert_eq!(
            feature_status(&env, &name).as_deref(),
            Some("Enabled"),
            "{name}"
        );
        let landed = requests
            .iter()
            .filter(|r| {
                r.method == "PUT"
                    && r.path.contains(&format!("/{name}/"))
                    && (200..300).contains(&r.status)
            })
            .count();
        assert_eq!(landed, 1, "license PUT for {name} landed {landed} times");
    }
    assert_eq!(
        tf.plan().code,
        0,
        "plan after the throttled apply is not empty"
    );
}
