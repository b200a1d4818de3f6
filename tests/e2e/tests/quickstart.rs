//! The quickstart (`examples/quickstart`, what `make demo` applies) against the emulator's
//! seeded fleet: hotpatching ends `Enabled` on each machine it names, the other Arc machines
//! show their portal status and why hotpatch is not on, and the re-plan is empty.

use arm_emulator::seed;
use hotpatch_e2e::env::TestEnv;
use hotpatch_e2e::paths::repo_root;
use serde_json::{json, Value};

#[test]
fn quickstart_enables_hotpatching_and_replans_empty() {
    let env = TestEnv::start_default();
    let tf = env.terraform();
    let quickstart = std::fs::read_to_string(repo_root().join("examples/quickstart/main.tf"))
        .expect("examples/quickstart/main.tf");
    tf.write_config(&quickstart);
    tf.apply().success();

    let outputs = tf.outputs();
    let rows = &outputs["hotpatch_status"]["value"];
    for machine in [
        seed::WS2025_DATACENTER,
        seed::WS2025_STANDARD,
        seed::WS2025_WITH_ESU,
    ] {
        assert_eq!(
            rows[machine],
            json!({ "status": "Enabled", "license": "Enabled", "issues": [] }),
            "{machine}: {rows:#}"
        );
    }
    for (machine, why) in [
        (seed::WS2022, "Windows Server 2025"),
        (seed::LINUX, "linux"),
        (seed::WS2025_DISCONNECTED, "Disconnected"),
    ] {
        let row = &rows[machine];
        assert_eq!(row["status"], "Not enrolled", "{machine}: {row}");
        let issues = row["issues"].as_array().cloned().unwrap_or_default();
        assert!(
            issues
                .iter()
                .filter_map(Value::as_str)
                .any(|i| i.contains(why)),
            "{machine}: no reason mentioning {why:?}: {row}"
        );
    }
    assert_eq!(
        outputs["fleet_status"]["value"]["Enabled"], 3,
        "{:#}",
        outputs["fleet_status"]
    );

    // The ESU machine kept its ESU license and Software Assurance.
    let esu = env.emulator.license_profile(seed::WS2025_WITH_ESU).unwrap();
    assert_eq!(
        esu["properties"]["esuProfile"]["assignedLicense"],
        seed::esu_license_id().as_str()
    );
    assert_eq!(
        esu["properties"]["softwareAssurance"]["softwareAssuranceCustomer"],
        true
    );

    let plan = tf.plan();
    assert_eq!(
        plan.code,
        0,
        "re-plan after the quickstart:\n{}",
        plan.combined()
    );
    assert!(
        !plan.stdout.contains("changed outside of Terraform"),
        "{}",
        plan.stdout
    );
}
