//! `terraform query` over a seeded fleet with the `hotpatch_enrollment` list resource, then
//! importing its results by identity (`-generate-config-out`) with an empty plan afterwards.

use std::time::Instant;

use arm_emulator::{seed, Config};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};

fn list_block(extra: &str) -> String {
    format!(
        "list \"hotpatch_enrollment\" \"fleet\" {{\n  provider = hotpatch\n  config {{\n    resource_group_name = \"{}\"\n{extra}  }}\n}}\n",
        seed::RESOURCE_GROUP
    )
}

#[test]
fn query_lists_enrollments_and_generated_config_imports_by_identity() {
    let env = TestEnv::start(Config {
        fleet_size: 120,
        ..Config::default()
    });
    let enrolled = [seed::fleet_machine_name(7), seed::fleet_machine_name(101)];

    // Enroll two fleet machines.
    let setup = env.terraform();
    let mut hcl = PROVIDER_HCL.to_string();
    for (i, name) in enrolled.iter().enumerate() {
        hcl.push_str(&format!(
            "resource \"hotpatch_enrollment\" \"m{i}\" {{\n  machine_id = \"{}\"\n}}\n",
            env.emulator.machine_id(name)
        ));
    }
    setup.write_config(&hcl);
    setup.apply().success();

    // A fresh working directory discovers them (the machine list pages, never a GET each).
    let tf = env.terraform();
    tf.write_config(PROVIDER_HCL);
    tf.write_file("fleet.tfquery.hcl", &list_block(""));
    env.emulator.clear_requests();
    let out = tf
        .run(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .success();
    for name in &enrolled {
        assert!(
            out.stdout.contains(name.as_str()),
            "{name} listed:\n{}",
            out.stdout
        );
    }
    assert!(
        !out.stdout.contains(&seed::fleet_machine_name(8)),
        "only enrollments by default"
    );
    let arm: Vec<_> = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| !r.path.contains("/oauth2/"))
        .collect();
    assert!(
        arm.iter()
            .all(|r| r.method == "GET" && r.path.ends_with("/machines")),
        "list calls only"
    );
    assert_eq!(arm.len(), 3, "126 machines in pages of 50");

    // The generated config imports by identity and applies cleanly; the plan is then empty.
    let generated = std::fs::read_to_string(tf.dir().join("generated.tf")).expect("generated.tf");
    assert!(generated.contains("identity"), "{generated}");
    std::fs::remove_file(tf.dir().join("fleet.tfquery.hcl")).unwrap();
    let applied = tf.apply().success();
    assert!(applied.stdout.contains("2 imported"), "{}", applied.stdout);
    assert_eq!(tf.plan().code, 0, "plan after importing is not empty");

    // Everything, with statuses, when asked.
    let all = env.terraform();
    all.write_config(PROVIDER_HCL);
    all.write_file(
        "fleet.tfquery.hcl",
        &list_block("    include_not_enrolled = true\n").replace(
            "provider = hotpatch\n",
            "provider = hotpatch\n  limit    = 200\n",
        ),
    );
    let out = all.run(&["query", "-no-color"]).success();
    assert!(out.stdout.contains("Not enrolled"), "{}", out.stdout);
    assert!(out.stdout.contains(seed::LINUX), "{}", out.stdout);
}

#[test]
fn query_of_a_thousand_machines() {
    let env = TestEnv::start(Config {
        fleet_size: 1000 - 6,
        ..Config::default()
    });
    let tf = env.terraform();
    tf.write_config(PROVIDER_HCL);
    tf.write_file(
        "fleet.tfquery.hcl",
        "list \"hotpatch_enrollment\" \"fleet\" {\n  provider = hotpatch\n  limit = 1000\n  config {\n    include_not_enrolled = true\n  }\n}\n",
    );
    env.emulator.clear_requests();
    let started = Instant::now();
    let out = tf.run(&["query", "-no-color", "-json"]).success();
    let elapsed = started.elapsed();
    let results = out
        .stdout
        .lines()
        .filter(|l| l.contains("\"list_resource_found\""))
        .count();
    let calls = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| !r.path.contains("/oauth2/"))
        .count();
    eprintln!(
        "measurement: terraform query of 1,000 machines: {results} results, {calls} ARM calls, {:.2}s",
        elapsed.as_secs_f64()
    );
    assert_eq!(calls, 20, "1,000 machines in pages of 50");
}
