//! Schedules made outside this configuration, brought under Terraform: the
//! `hotpatch_maintenance_schedule` data source reads one (by name or id) with every attribute
//! of the resource; `terraform query` lists schedules and assignments; the generated
//! configuration imports them by identity with an empty plan afterwards; destroy removes them.

use arm_emulator::{seed, Config};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::one_line;

/// "The portal": two schedules, one assigned to an Arc machine and a VM, made by another
/// working directory.
fn portal(env: &TestEnv) {
    let arc = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let vm = env.emulator.vm_id(seed::VM_AZURE_EDITION);
    let rg = seed::RESOURCE_GROUP;
    let tf = env.terraform();
    tf.write_config(&format!(
        r#"{PROVIDER_HCL}
resource "hotpatch_maintenance_schedule" "monthly" {{
  name                = "hotpatch-monthly"
  resource_group_name = "{rg}"
  location            = "eastus"
  start_date_time     = "2030-01-09 22:00"
  time_zone           = "Pacific Standard Time"
  recur_every         = "Month Second Tuesday Offset1"
  reboot_setting      = "Never"
  tags                = {{ owner = "portal" }}

  windows {{
    classifications_to_include   = ["Critical", "Security"]
    kb_numbers_to_exclude        = ["5040000"]
    exclude_kbs_requiring_reboot = true
  }}
}}

resource "hotpatch_maintenance_schedule" "baseline" {{
  name                = "baseline-quarterly"
  resource_group_name = "{rg}"
  location            = "eastus"
  start_date_time     = "2030-01-08 23:00"
  time_zone           = "Pacific Standard Time"
  recur_every         = "3Months Second Tuesday"
  reboot_setting      = "IfRequired"

  windows {{
    classifications_to_include = ["Critical", "Security", "UpdateRollup"]
  }}
}}

resource "hotpatch_schedule_assignment" "arc" {{
  machine_id  = "{arc}"
  schedule_id = hotpatch_maintenance_schedule.monthly.id
}}

resource "hotpatch_schedule_assignment" "vm" {{
  machine_id  = "{vm}"
  schedule_id = hotpatch_maintenance_schedule.monthly.id
  name        = "vm-monthly"
}}
"#
    ));
    tf.apply().success();
}

#[test]
fn the_data_source_reads_a_schedule_by_name_or_id() {
    let env = TestEnv::start(Config::default());
    portal(&env);
    let tf = env.terraform();
    let id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Maintenance/maintenanceConfigurations/hotpatch-monthly",
        env.emulator.subscription_id(),
        seed::RESOURCE_GROUP
    );
    tf.write_config(&format!(
        r#"{PROVIDER_HCL}
data "hotpatch_maintenance_schedule" "by_name" {{
  name                = "hotpatch-monthly"
  resource_group_name = "{rg}"
}}

data "hotpatch_maintenance_schedule" "by_id" {{
  id = "{id}"
}}

output "by_name" {{
  value = data.hotpatch_maintenance_schedule.by_name
}}

output "by_id" {{
  value = data.hotpatch_maintenance_schedule.by_id
}}
"#,
        rg = seed::RESOURCE_GROUP
    ));
    tf.apply().success();
    let outputs = tf.outputs();
    let by_name = &outputs["by_name"]["value"];
    assert_eq!(by_name["id"], id.as_str());
    assert_eq!(by_name["recur_every"], "Month Second Tuesday Offset1");
    assert_eq!(by_name["reboot_setting"], "Never");
    assert_eq!(by_name["time_zone"], "Pacific Standard Time");
    assert_eq!(by_name["duration"], "03:55");
    assert_eq!(by_name["tags"]["owner"], "portal");
    assert_eq!(by_name["windows"]["exclude_kbs_requiring_reboot"], true);
    assert_eq!(by_name["windows"]["kb_numbers_to_exclude"][0], "5040000");
    assert!(by_name["linux"].is_null());
    let by_id = &outputs["by_id"]["value"];
    assert_eq!(by_id["name"], "hotpatch-monthly");
    assert_eq!(by_id["resource_group_name"], seed::RESOURCE_GROUP);
    assert_eq!(by_id["windows"], by_name["windows"]);

    // A schedule that does not exist, and a data source named two ways, are errors.
    tf.write_config(&format!(
        "{PROVIDER_HCL}data \"hotpatch_maintenance_schedule\" \"x\" {{\n  name = \"nope\"\n  resource_group_name = \"{}\"\n}}\n",
        seed::RESOURCE_GROUP
    ));
    let out = tf.plan().failure();
    assert!(
        one_line(&out.stderr).contains("Maintenance schedule not found"),
        "{}",
        out.combined()
    );
    tf.write_config(&format!(
        "{PROVIDER_HCL}data \"hotpatch_maintenance_schedule\" \"x\" {{\n  name = \"nope\"\n  id = \"{id}\"\n}}\n"
    ));
    let out = tf.plan().failure();
    assert!(
        one_line(&out.stderr).contains("Conflicting arguments"),
        "{}",
        out.combined()
    );
}

#[test]
fn query_generates_config_that_imports_schedules_and_assignments_with_an_empty_plan() {
    let env = TestEnv::start(Config::default());
    portal(&env);
    let schedule_id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Maintenance/maintenanceConfigurations/hotpatch-monthly",
        env.emulator.subscription_id(),
        seed::RESOURCE_GROUP
    );
    let arc = env.emulator.machine_id(seed::WS2025_DATACENTER);

    let tf = env.terraform();
    tf.write_config(PROVIDER_HCL);
    tf.write_file(
        "brownfield.tfquery.hcl",
        &format!(
            r#"
list "hotpatch_maintenance_schedule" "all" {{
  provider = hotpatch
  config {{
    resource_group_name = "{rg}"
  }}
}}

list "hotpatch_schedule_assignment" "monthly" {{
  provider = hotpatch
  config {{
    schedule_id = "{schedule_id}"
  }}
}}
"#,
            rg = seed::RESOURCE_GROUP
        ),
    );
    env.emulator.clear_requests();
    let out = tf
        .run(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .success();
    for expected in [
        "hotpatch-monthly",
        "baseline-quarterly",
        "arc-ws2025-dc-01",
        "vm-ws2025-azure-01",
    ] {
        assert!(
            out.stdout.contains(expected),
            "{expected} listed:\n{}",
            out.stdout
        );
    }
    // One list call for the schedules, one Resource Graph query for the assignments.
    let calls: Vec<_> = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| !r.path.contains("/oauth2/"))
        .collect();
    assert_eq!(
        calls.len(),
        2,
        "{:?}",
        calls
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );

    let generated = std::fs::read_to_string(tf.dir().join("generated.tf")).expect("generated.tf");
    assert!(generated.contains("identity"), "{generated}");
    std::fs::remove_file(tf.dir().join("brownfield.tfquery.hcl")).unwrap();
    let applied = tf.apply().success();
    assert!(
        applied
            .stdout
            .contains("4 imported, 0 added, 0 changed, 0 destroyed"),
        "{}\n{generated}",
        applied.stdout
    );
    let plan = tf.plan();
    assert_eq!(
        plan.code,
        0,
        "plan after importing is not empty:\n{}\n{generated}",
        plan.combined()
    );

    // By machine: the Arc machine's one assignment.
    let by_machine = env.terraform();
    by_machine.write_config(PROVIDER_HCL);
    by_machine.write_file(
        "m.tfquery.hcl",
        &format!(
            "list \"hotpatch_schedule_assignment\" \"arc\" {{\n  provider = hotpatch\n  config {{\n    machine_id = \"{arc}\"\n  }}\n}}\n"
        ),
    );
    let out = by_machine.run(&["query", "-no-color"]).success();
    assert!(out.stdout.contains("hotpatch-monthly"), "{}", out.stdout);
    assert!(!out.stdout.contains("vm-ws2025"), "{}", out.stdout);

    // Imported objects are managed like any other: destroy removes them.
    tf.destroy().success();
    assert!(env
        .emulator
        .maintenance_configuration("hotpatch-monthly")
        .is_none());
    assert!(env
        .emulator
        .configuration_assignment(&format!(
            "{arc}/providers/Microsoft.Maintenance/configurationAssignments/hotpatch-monthly"
        ))
        .is_none());
}
