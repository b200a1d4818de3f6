//! Maintenance schedules, schedule assignments and dynamic scopes end to end: real Terraform,
//! the provider binary and the emulator, which reads reboot settings back as `NeverReboot`...
//!
//! Proves: apply then an empty re-plan for each reboot setting; an out-of-band KB-list edit
//! shows as an in-place update, an out-of-band respelling does not; KB ids and
//! classifications are sent as written, so apply → import → plan is empty whichever spelling
//! the configuration uses; every invalid input fails at plan naming the attribute with zero
//! ARM writes; hour recurrence from 6 hours; a start in the past warns; assignments to an Arc
//! machine and a VM; assigning a schedule to a VM with hotpatch on fails at plan, a dynamic
//! scope that can match VMs warns; a dynamic scope at resource-group scope; a dynamic scope
//! updated in place; import of all three reproducing state with an empty plan; destroy
//! removing everything.

use arm_emulator::{seed, Config, ScheduleChanges, VmChanges};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::one_line;

fn schedule_hcl(reboot: &str, windows_extra: &str) -> String {
    format!(
        r#"
resource "hotpatch_maintenance_schedule" "s" {{
  name                = "patch-tuesday"
  resource_group_name = "{rg}"
  location            = "eastus"
  start_date_time     = "2030-01-08 22:00"
  time_zone           = "W. Europe Standard Time"
  recur_every         = "Month Second Tuesday Offset2"
  reboot_setting      = "{reboot}"
  tags                = {{ team = "ops" }}

  windows {{
    classifications_to_include = ["Critical", "Security", "UpdateRollup"]
    kb_numbers_to_include      = ["KB5041585", "KB5041586", "KB5041587"]
    kb_numbers_to_exclude      = ["KB5040000"]
    exclude_kbs_requiring_reboot = true
    {windows_extra}
  }}
}}
"#,
        rg = seed::RESOURCE_GROUP
    )
}

#[test]
fn schedule_replans_empty_for_every_reboot_setting_and_shows_real_drift() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    for reboot in ["Never", "Always", "IfRequired"] {
        tf.write_config(&format!("{PROVIDER_HCL}{}", schedule_hcl(reboot, "")));
        tf.apply().success();
        let read = env
            .emulator
            .maintenance_configuration("patch-tuesday")
            .unwrap();
        let ip = &read["properties"]["installPatches"];
        assert_ne!(ip["rebootSetting"], reboot, "quirk active: {ip}");
        assert_eq!(
            ip["windowsParameters"]["kbNumbersToInclude"],
            serde_json::json!(["KB5041585", "KB5041586", "KB5041587"]),
            "sent as written"
        );
        let plan = tf.plan();
        assert_eq!(
            plan.code,
            0,
            "re-plan with {reboot} not empty:\n{}",
            plan.combined()
        );
    }
    let state = tf.state_values("hotpatch_maintenance_schedule.s").unwrap();
    assert_eq!(state["duration"], "03:55");
    assert_eq!(state["windows"]["kb_numbers_to_include"][0], "KB5041585");
    assert_eq!(
        state["windows"]["classifications_to_include"][2],
        "UpdateRollup"
    );

    // A KB added to the exclusions in the portal is drift: an in-place update back.
    env.emulator
        .change_maintenance_configuration(
            "patch-tuesday",
            &ScheduleChanges {
                kb_numbers_to_exclude: Some(vec!["KB5040000".into(), "KB5041586".into()]),
                ..ScheduleChanges::default()
            },
        )
        .unwrap();
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "drift not detected:\n{}", plan.combined());
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("KB5041586"), "{}", plan.stdout);
    tf.apply().success();
    assert_eq!(tf.plan().code, 0);

    // Import by id reproduces the state and an empty plan.
    let id = state["id"].as_str().unwrap().to_owned();
    let before = tf.state_values("hotpatch_maintenance_schedule.s").unwrap();
    tf.forget_state();
    tf.run(&[
        "import",
        "-no-color",
        "hotpatch_maintenance_schedule.s",
        &id,
    ])
    .success();
    assert_eq!(
        tf.state_values("hotpatch_maintenance_schedule.s").unwrap(),
        before
    );
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "plan after import:\n{}", plan.combined());

    tf.destroy().success();
    assert!(env
        .emulator
        .maintenance_configuration("patch-tuesday")
        .is_none());
}

#[test]
fn invalid_schedules_fail_at_plan_naming_the_attribute_without_writes() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    let base = schedule_hcl("Never", "");
    let cases: Vec<(String, &str)> = vec![
        (
            base.replace("KB5041587", "KB50415x7"),
            "kb_numbers_to_include",
        ),
        (
            base.replace("[\"KB5040000\"]", "[\"5041586\"]"),
            "kb_numbers_to_exclude",
        ),
        (
            base.replace("\"UpdateRollup\"", "\"Hotfixes\""),
            "classifications_to_include",
        ),
        (
            base.replace(
                "Month Second Tuesday Offset2",
                "Month Second Tuesday Offset9",
            ),
            "recur_every",
        ),
        (
            base.replace("Month Second Tuesday Offset2", "Fortnight"),
            "recur_every",
        ),
        (
            base.replace("2030-01-08 22:00", "2030-01-08T22:00"),
            "start_date_time",
        ),
        // 2030-03-31 is the last Sunday of March: 02:00-02:59 does not exist in Central Europe.
        (
            base.replace("2030-01-08 22:00", "2030-03-31 02:30"),
            "start_date_time",
        ),
        (
            base.replace("W. Europe Standard Time", "Europe/Berlin"),
            "time_zone",
        ),
        (
            base.replace("reboot_setting", "duration = \"04:00\"\n  reboot_setting"),
            "duration",
        ),
        (
            base.replace("reboot_setting", "duration = \"3:00\"\n  reboot_setting"),
            "duration",
        ),
        (
            base.replace(
                "reboot_setting",
                "expiration_date_time = \"2029-12-31 00:00\"\n  reboot_setting",
            ),
            "expiration_date_time",
        ),
        (
            base.replace("\"Never\"", "\"NeverReboot\""),
            "reboot_setting",
        ),
    ];
    for (hcl, attribute) in cases {
        tf.write_config(&format!("{PROVIDER_HCL}{hcl}"));
        let out = tf.plan().failure();
        let text = one_line(&out.stderr);
        assert!(
            text.contains(attribute),
            "expected an error naming {attribute}:\n{}",
            out.combined()
        );
    }
    assert!(
        env.arm_writes().is_empty(),
        "ARM writes: {:?}",
        env.arm_writes()
    );

    // Unknown values are not errors: a start time known only after apply still plans.
    let unknown = base.replace("\"2030-01-08 22:00\"", "terraform_data.t.output").replace(
        "resource \"hotpatch_maintenance_schedule\"",
        "resource \"terraform_data\" \"t\" {\n  input = \"2030-01-08 22:00\"\n}\nresource \"hotpatch_maintenance_schedule\"",
    );
    tf.write_config(&format!("{PROVIDER_HCL}{unknown}"));
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{}", plan.combined());
}

#[test]
fn assignments_and_dynamic_scope_apply_import_destroy() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    let arc = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let vm = env.emulator.vm_id(seed::VM_AZURE_EDITION);
    let hcl = |locations: &str| {
        format!(
            r#"{PROVIDER_HCL}{schedule}
resource "hotpatch_schedule_assignment" "arc" {{
  machine_id  = "{arc}"
  schedule_id = hotpatch_maintenance_schedule.s.id
}}

resource "hotpatch_schedule_assignment" "vm" {{
  machine_id  = "{vm}"
  schedule_id = hotpatch_maintenance_schedule.s.id
  name        = "vm-patching"
}}

resource "hotpatch_dynamic_scope" "prod" {{
  name        = "prod-windows"
  schedule_id = hotpatch_maintenance_schedule.s.id

  filter {{
    resource_types = ["Microsoft.HybridCompute/machines", "Microsoft.Compute/virtualMachines"]
    os_types       = ["Windows"]
    locations      = [{locations}]
    tags           = {{ env = ["prod", "staging"] }}
    tag_operator   = "All"
  }}
}}
"#,
            schedule = schedule_hcl("IfRequired", "")
        )
    };
    tf.write_config(&hcl("\"eastus\""));
    tf.apply().success();
    let arc_state = tf.state_values("hotpatch_schedule_assignment.arc").unwrap();
    let arc_id =
        format!("{arc}/providers/Microsoft.Maintenance/configurationAssignments/patch-tuesday");
    assert_eq!(arc_state["id"], arc_id.as_str());
    assert_eq!(arc_state["name"], "patch-tuesday");
    assert!(env.emulator.configuration_assignment(&arc_id).is_some());
    let vm_id =
        format!("{vm}/providers/Microsoft.Maintenance/configurationAssignments/vm-patching");
    assert!(env.emulator.configuration_assignment(&vm_id).is_some());
    let scope_state = tf.state_values("hotpatch_dynamic_scope.prod").unwrap();
    let scope_id = format!(
        "/subscriptions/{}/providers/Microsoft.Maintenance/configurationAssignments/prod-windows",
        env.emulator.subscription_id()
    );
    assert_eq!(scope_state["id"], scope_id.as_str());
    assert_eq!(
        scope_state["scope"],
        format!("/subscriptions/{}", env.emulator.subscription_id())
    );
    assert_eq!(tf.plan().code, 0, "re-plan not empty");

    // The filter updates in place.
    tf.write_config(&hcl("\"eastus\", \"Japan East\""));
    let plan = tf.plan();
    assert_eq!(plan.code, 2);
    assert!(
        plan.stdout.contains("1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    tf.apply().success();
    let read = env.emulator.configuration_assignment(&scope_id).unwrap();
    assert_eq!(read["properties"]["filter"]["locations"][1], "Japan East");
    assert_eq!(tf.plan().code, 0);

    // Import of all of them reproduces the state.
    let addresses = [
        "hotpatch_maintenance_schedule.s",
        "hotpatch_schedule_assignment.arc",
        "hotpatch_schedule_assignment.vm",
        "hotpatch_dynamic_scope.prod",
    ];
    let before: Vec<_> = addresses
        .iter()
        .map(|a| tf.state_values(a).unwrap())
        .collect();
    tf.forget_state();
    for (address, state) in addresses.iter().zip(&before) {
        let id = state["id"].as_str().unwrap();
        tf.run(&["import", "-no-color", address, id]).success();
    }
    for (address, state) in addresses.iter().zip(&before) {
        assert_eq!(&tf.state_values(address).unwrap(), state, "{address}");
    }
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "plan after import:\n{}", plan.combined());

    tf.destroy().success();
    assert!(env.emulator.configuration_assignment(&arc_id).is_none());
    assert!(env.emulator.configuration_assignment(&vm_id).is_none());
    assert!(env.emulator.configuration_assignment(&scope_id).is_none());
    assert!(env
        .emulator
        .maintenance_configuration("patch-tuesday")
        .is_none());
}

#[test]
fn assignment_to_a_missing_machine_fails_without_state() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    let ghost = env.emulator.machine_id("no-such-machine");
    tf.write_config(&format!(
        "{PROVIDER_HCL}{}\nresource \"hotpatch_schedule_assignment\" \"x\" {{\n  machine_id = \"{ghost}\"\n  schedule_id = hotpatch_maintenance_schedule.s.id\n}}\n",
        schedule_hcl("Never", "")
    ));
    let out = tf.apply().failure();
    assert!(
        one_line(&out.stderr).contains("ResourceNotFound"),
        "{}",
        out.combined()
    );
    assert!(tf.state_values("hotpatch_schedule_assignment.x").is_none());
    // Bad ids never reach ARM.
    env.emulator.clear_requests();
    tf.write_config(&format!(
        "{PROVIDER_HCL}resource \"hotpatch_schedule_assignment\" \"y\" {{\n  machine_id = \"vm1\"\n  schedule_id = \"/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v\"\n}}\n"
    ));
    let out = tf.plan().failure();
    let text = one_line(&out.stderr);
    assert!(
        text.contains("machine_id") && text.contains("schedule_id"),
        "{}",
        out.combined()
    );
    assert!(env.arm_writes().is_empty());
}

#[test]
fn kb_ids_and_classifications_keep_the_spelling_written_through_import() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    let hcl = format!(
        r#"{PROVIDER_HCL}
resource "hotpatch_maintenance_schedule" "s" {{
  name                = "spelling"
  resource_group_name = "{rg}"
  location            = "eastus"
  start_date_time     = "2030-01-08 22:00"
  time_zone           = "UTC"
  recur_every         = "Month Second Tuesday"

  windows {{
    classifications_to_include = ["security", "UpdateRollUp"]
    kb_numbers_to_include      = ["5050001", "KB5050002", "kb5050003"]
    kb_numbers_to_exclude      = ["5040000"]
  }}
}}
"#,
        rg = seed::RESOURCE_GROUP
    );
    tf.write_config(&hcl);
    tf.apply().success();
    let put = env
        .emulator
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path.ends_with("/spelling"))
        .expect("the schedule PUT");
    let body: serde_json::Value = serde_json::from_str(&put.body).unwrap();
    let windows = &body["properties"]["installPatches"]["windowsParameters"];
    assert_eq!(
        windows["kbNumbersToInclude"],
        serde_json::json!(["5050001", "KB5050002", "kb5050003"]),
        "sent as written"
    );
    assert_eq!(
        windows["classificationsToInclude"],
        serde_json::json!(["security", "UpdateRollUp"])
    );
    assert_eq!(tf.plan().code, 0);

    // Import rebuilds the state from the service: the plan is empty, spellings and all.
    let id = tf.state_values("hotpatch_maintenance_schedule.s").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    tf.forget_state();
    tf.run(&[
        "import",
        "-no-color",
        "hotpatch_maintenance_schedule.s",
        &id,
    ])
    .success();
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "plan after import:\n{}", plan.combined());

    // The same KBs respelled outside Terraform are no change; another KB is.
    env.emulator
        .change_maintenance_configuration(
            "spelling",
            &ScheduleChanges {
                kb_numbers_to_include: Some(vec![
                    "KB5050001".into(),
                    "5050002".into(),
                    "KB5050003".into(),
                ]),
                classifications_to_include: Some(vec!["Security".into(), "UpdateRollup".into()]),
                ..ScheduleChanges::default()
            },
        )
        .unwrap();
    let plan = tf.plan();
    assert_eq!(
        plan.code,
        0,
        "a respelling is not drift:\n{}",
        plan.combined()
    );
    env.emulator
        .change_maintenance_configuration(
            "spelling",
            &ScheduleChanges {
                kb_numbers_to_include: Some(vec!["KB5050001".into(), "KB5059999".into()]),
                ..ScheduleChanges::default()
            },
        )
        .unwrap();
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(plan.stdout.contains("KB5059999"), "{}", plan.stdout);
}

#[test]
fn hour_recurrence_from_six_hours_and_a_past_start_warns() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    let hcl = |recur: &str, start: &str| {
        schedule_hcl("Never", "")
            .replace("Month Second Tuesday Offset2", recur)
            .replace("2030-01-08 22:00", start)
    };
    for recur in ["6Hours", "12Hours"] {
        tf.write_config(&format!("{PROVIDER_HCL}{}", hcl(recur, "2030-01-08 22:00")));
        let out = tf.apply().success();
        assert!(
            !out.combined().contains("Start time in the past"),
            "{}",
            out.stdout
        );
        assert_eq!(
            env.emulator
                .maintenance_configuration("patch-tuesday")
                .unwrap()["properties"]["maintenanceWindow"]["recurEvery"],
            recur
        );
        assert_eq!(tf.plan().code, 0, "re-plan with {recur}");
    }
    tf.destroy().success();
    env.emulator.clear_requests();
    for recur in ["4Hours", "Hour"] {
        tf.write_config(&format!("{PROVIDER_HCL}{}", hcl(recur, "2030-01-08 22:00")));
        let out = tf.plan().failure();
        let text = one_line(&out.stderr);
        assert!(
            text.contains("recur_every") && text.contains("at least every 6 hours"),
            "{recur}:\n{}",
            out.combined()
        );
    }
    assert!(env.arm_writes().is_empty());

    // A first window that has already gone by is a warning on create, not an error.
    tf.write_config(&format!(
        "{PROVIDER_HCL}{}",
        hcl("6Hours", "2021-01-08 22:00")
    ));
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = one_line(&plan.combined());
    assert!(
        text.contains("Start time in the past") && text.contains("start_date_time"),
        "{}",
        plan.combined()
    );
}

#[test]
fn a_vm_with_hotpatch_on_cannot_get_a_schedule_and_dynamic_scopes_that_can_match_it_warn() {
    let env = TestEnv::start(Config::default());
    env.emulator
        .set_virtual_machine(
            seed::VM_AZURE_EDITION,
            &VmChanges {
                enable_hotpatching: Some(true),
                ..VmChanges::default()
            },
        )
        .unwrap();
    let vm = env.emulator.vm_id(seed::VM_AZURE_EDITION);
    let tf = env.terraform();
    env.emulator.clear_requests();
    tf.write_config(&format!(
        "{PROVIDER_HCL}{}\nresource \"hotpatch_schedule_assignment\" \"vm\" {{\n  machine_id  = \"{vm}\"\n  schedule_id = hotpatch_maintenance_schedule.s.id\n}}\n",
        schedule_hcl("Never", "")
    ));
    let out = tf.plan().failure();
    let text = one_line(&out.stderr);
    for expected in [
        "A schedule cannot patch an Azure VM with hotpatch on",
        "machine_id",
        "bypassPlatformSafetyChecksOnUserSchedule",
        "Alternatives",
        "inferred",
    ] {
        assert!(text.contains(expected), "{expected}:\n{}", out.combined());
    }
    assert!(env.arm_writes().is_empty());

    // A dynamic scope, here at resource-group scope, that can match VMs warns; one limited to
    // Arc machines does not.
    let sub = env.emulator.subscription_id().to_owned();
    let scope = |types: &str| {
        format!(
            "{PROVIDER_HCL}{}\nresource \"hotpatch_dynamic_scope\" \"rg\" {{\n  name        = \"rg-windows\"\n  schedule_id = hotpatch_maintenance_schedule.s.id\n  scope       = \"/subscriptions/{sub}/resourceGroups/{rg}\"\n  filter {{\n    os_types = [\"Windows\"]\n    {types}\n  }}\n}}\n",
            schedule_hcl("Never", ""),
            rg = seed::RESOURCE_GROUP
        )
    };
    tf.write_config(&scope(""));
    let out = tf.apply().success();
    assert!(
        one_line(&out.combined()).contains("can match Azure VMs with hotpatch on"),
        "{}",
        out.combined()
    );
    let id = format!(
        "/subscriptions/{sub}/resourceGroups/{}/providers/Microsoft.Maintenance/configurationAssignments/rg-windows",
        seed::RESOURCE_GROUP
    );
    assert!(env.emulator.configuration_assignment(&id).is_some());
    assert_eq!(tf.plan().code, 0);
    tf.write_config(&scope(
        "resource_types = [\"Microsoft.HybridCompute/machines\"]",
    ));
    let out = tf.apply().success();
    assert!(
        !out.combined().contains("can match Azure VMs"),
        "{}",
        out.combined()
    );
    // The resource-group dynamic scope imports by its id.
    let before = tf.state_values("hotpatch_dynamic_scope.rg").unwrap();
    assert_eq!(before["id"], id.as_str());
    tf.forget_state();
    tf.run(&["import", "-no-color", "hotpatch_dynamic_scope.rg", &id])
        .success();
    assert_eq!(
        tf.state_values("hotpatch_dynamic_scope.rg").unwrap(),
        before
    );
}
