//! `terraform query` over a seeded fleet with the `hotpatch_machine_setting` list resource:
//! Arc machines and Azure VMs found with list calls only, `-generate-config-out` config that
//! imports every result by identity with an empty plan afterwards, and the resource-group scope.

use arm_emulator::{seed, Config, LoggedRequest, MachineChanges, VmChanges};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};

/// A `list` block over the seeded resource group, or the whole subscription when `rg` is None.
fn list_block(rg: Option<&str>) -> String {
    let config = rg.map_or(String::new(), |rg| {
        format!("    resource_group_name = \"{rg}\"\n")
    });
    format!(
        "list \"hotpatch_machine_setting\" \"fleet\" {{\n  provider = hotpatch\n  limit    = 200\n  config {{\n{config}  }}\n}}\n"
    )
}

/// ARM requests (token requests left out) made since the log was last cleared.
fn arm_requests(env: &TestEnv) -> Vec<LoggedRequest> {
    env.emulator
        .requests()
        .into_iter()
        .filter(|r| !r.path.contains("/oauth2/"))
        .collect()
}

/// Runs `terraform query -json` in a fresh directory over `rg` and returns the found results'
/// lines plus the ARM requests it made.
fn query_json(env: &TestEnv, rg: Option<&str>) -> (Vec<String>, Vec<LoggedRequest>) {
    let tf = env.terraform();
    tf.write_config(PROVIDER_HCL);
    tf.write_file("fleet.tfquery.hcl", &list_block(rg));
    env.emulator.clear_requests();
    let out = tf.run(&["query", "-no-color", "-json"]).success();
    let found = out
        .stdout
        .lines()
        .filter(|l| l.contains("\"list_resource_found\""))
        .map(str::to_owned)
        .collect();
    (found, arm_requests(env))
}

fn assert_list_calls_only(requests: &[LoggedRequest]) {
    assert!(
        requests.iter().all(|r| r.method == "GET"
            && (r.path.ends_with("/machines") || r.path.ends_with("/virtualMachines"))),
        "list calls only: {:#?}",
        requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
}

/// Lines of the generated file that set `name`, whitespace-normalised.
fn settings_of(generated: &str, name: &str) -> Vec<String> {
    generated
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| l.starts_with(&format!("{name} =")))
        .collect()
}

#[test]
fn query_lists_machine_settings_and_generated_config_imports_by_identity() {
    let env = TestEnv::start(Config {
        // 56 Arc machines (two pages of 50), one of them Linux, plus two VMs.
        fleet_size: 50,
        ..Config::default()
    });
    let on = seed::fleet_machine_name(7);
    env.emulator
        .set_machine(
            &on,
            &MachineChanges {
                enable_hotpatching: Some(true),
                hotpatch_enablement_status: Some("Enabled".into()),
                ..MachineChanges::default()
            },
        )
        .expect("turn hotpatch on out of band");
    env.emulator
        .set_virtual_machine(
            seed::VM_AZURE_EDITION,
            &VmChanges {
                enable_hotpatching: Some(true),
                ..VmChanges::default()
            },
        )
        .expect("turn VM hotpatch on out of band");

    let tf = env.terraform();
    tf.write_config(PROVIDER_HCL);
    tf.write_file("fleet.tfquery.hcl", &list_block(Some(seed::RESOURCE_GROUP)));
    env.emulator.clear_requests();
    let out = tf
        .run(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .success();
    let requests = arm_requests(&env);
    assert_list_calls_only(&requests);
    assert_eq!(
        requests.len(),
        3,
        "two pages of Arc machines and one of VMs"
    );
    assert!(
        requests.iter().all(|r| r
            .path
            .contains(&format!("/resourceGroups/{}/", seed::RESOURCE_GROUP))),
        "scoped to the resource group"
    );
    for (name, switch) in [
        (on.as_str(), "on"),
        (seed::VM_AZURE_EDITION, "on"),
        (&seed::fleet_machine_name(8), "off"),
        (seed::VM_WS2022, "off"),
        (seed::WS2022, "off"),
    ] {
        assert!(
            out.stdout
                .contains(&format!("{name} (hotpatching {switch}")),
            "{name} listed with hotpatching {switch}:\n{}",
            out.stdout
        );
    }
    assert!(
        !out.stdout.contains(seed::LINUX),
        "non-Windows machines are not listed:\n{}",
        out.stdout
    );

    // The generated config sets the required switch on every resource and imports by identity.
    let generated = std::fs::read_to_string(tf.dir().join("generated.tf")).expect("generated.tf");
    let resources = generated
        .matches("resource \"hotpatch_machine_setting\"")
        .count();
    assert_eq!(
        resources, 57,
        "55 Windows Arc machines and 2 VMs:\n{generated}"
    );
    assert_eq!(
        generated.matches("identity").count(),
        resources,
        "{generated}"
    );
    let switches = settings_of(&generated, "hotpatching_enabled");
    assert_eq!(switches.len(), resources, "{generated}");
    assert_eq!(
        switches.iter().filter(|l| l.ends_with("true")).count(),
        2,
        "{generated}"
    );

    std::fs::remove_file(tf.dir().join("fleet.tfquery.hcl")).expect("remove the query file");
    env.emulator.clear_requests();
    let applied = tf.apply().success();
    assert!(
        applied
            .stdout
            .contains("57 imported, 0 added, 0 changed, 0 destroyed"),
        "{}",
        applied.stdout
    );
    assert!(env.arm_writes().is_empty(), "importing wrote to ARM");
    let plan = tf.plan();
    assert_eq!(
        plan.code,
        0,
        "plan after importing is not empty:\n{}",
        plan.combined()
    );
    // Generated resources are named by Terraform; find the VM by its id.
    let show = tf.show_json();
    let vm_id = env.emulator.vm_id(seed::VM_AZURE_EDITION);
    let vm = show["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["values"]["machine_id"] == vm_id.as_str())
        })
        .map(|r| r["values"].clone())
        .expect("the Azure Edition VM was imported");
    assert_eq!(vm["hotpatching_enabled"], true, "{vm:#}");
    assert_eq!(vm["patch_mode"], "AutomaticByPlatform", "{vm:#}");
}

#[test]
fn query_scope_is_the_subscription_or_one_resource_group() {
    let env = TestEnv::start_default();

    // Without a resource group: the subscription-wide collections, same fleet.
    let (all, requests) = query_json(&env, None);
    assert_list_calls_only(&requests);
    assert!(
        requests
            .iter()
            .all(|r| !r.path.contains("/resourceGroups/")),
        "subscription-wide list calls"
    );
    let (in_rg, requests) = query_json(&env, Some(seed::RESOURCE_GROUP));
    assert!(requests.iter().all(|r| r.path.contains("/resourceGroups/")));
    assert_eq!(
        all.len(),
        in_rg.len(),
        "every seeded machine is in the group"
    );
    assert_eq!(all.len(), 7, "5 Windows Arc machines and 2 VMs: {all:#?}");

    // Another resource group: the service's own error, on the list block.
    let tf = env.terraform();
    tf.write_config(PROVIDER_HCL);
    tf.write_file("fleet.tfquery.hcl", &list_block(Some("rg-elsewhere")));
    let out = tf.run(&["query", "-no-color"]).failure();
    assert!(
        out.combined().contains("rg-elsewhere"),
        "{}",
        out.combined()
    );
}
