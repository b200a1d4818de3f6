//! What a schedule, an assignment and a dynamic scope leave in state when a write's answer is
//! lost, and that a create never takes over an existing object. Real Terraform, the provider
//! binary and the emulator with faults injected at each step:
//!
//! * the PUT commits but ARM answers 500 (or resets the connection) until the create timeout;
//! * the same, and reading the object back fails too;
//! * a PUT that never commits while the read-back fails (the state holds a phantom that the
//!   next refresh drops);
//! * Ctrl-C (SIGINT to Terraform, which sends StopProvider) while the PUT is being retried.
//!
//! Each time the state must hold the object, and the next `apply` must converge without
//! writing it again (the emulator's write ledger counts every accepted write). Then: creating
//! what already exists fails before any write, naming the import to use.

use std::time::{Duration, Instant};

use arm_emulator::{seed, Config, Fault, MutationTiming, OutOfBand, ScheduleChanges, WriteRecord};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::{one_line, TfOutput};

const SCHEDULE: &str = "hotpatch_maintenance_schedule.s";

/// The schedule under test; `timeout` ("" for none) sets its create and update timeouts.
fn schedule_hcl(name: &str, timeout: &str) -> String {
    let timeouts = if timeout.is_empty() {
        String::new()
    } else {
        format!("timeouts {{\n    create = \"{timeout}\"\n    update = \"{timeout}\"\n  }}")
    };
    format!(
        r#"
resource "hotpatch_maintenance_schedule" "s" {{
  name                = "{name}"
  resource_group_name = "{rg}"
  location            = "eastus"
  start_date_time     = "2030-01-08 22:00"
  time_zone           = "W. Europe Standard Time"
  recur_every         = "Month Second Tuesday Offset2"
  reboot_setting      = "Never"

  windows {{
    classifications_to_include   = ["Critical", "Security"]
    kb_numbers_to_include        = ["5041585", "KB5041586"]
    exclude_kbs_requiring_reboot = true
  }}

  {timeouts}
}}
"#,
        rg = seed::RESOURCE_GROUP
    )
}

fn schedule_id(env: &TestEnv, name: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Maintenance/maintenanceConfigurations/{name}",
        env.emulator.subscription_id(),
        seed::RESOURCE_GROUP
    )
}

/// Accepted writes of one object (PUT, PATCH, DELETE), from the write ledger.
fn writes(env: &TestEnv, id: &str) -> Vec<WriteRecord> {
    env.emulator.writes_for(id)
}

/// Asserts that an apply converges with nothing to write: an empty plan, then no new write.
fn converges_without_writing(env: &TestEnv, tf: &hotpatch_e2e::terraform::Terraform, id: &str) {
    let before = writes(env, id).len();
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "plan after recovery:\n{}", plan.combined());
    tf.apply().success();
    assert_eq!(writes(env, id).len(), before, "the next apply wrote again");
}

#[test]
fn a_schedule_whose_answer_is_lost_until_the_timeout_is_recorded_and_not_written_again() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    let id = schedule_id(&env, "s500");
    // Every PUT commits and is answered 500: the client retries until the 2 s create timeout
    // (rewriting the same body, which changes nothing).
    env.emulator.inject(
        Fault::error_after_commit(500, "InternalServerError", 100)
            .matching(Some("PUT"), Some("maintenanceConfigurations/s500")),
    );
    tf.write_config(&format!("{PROVIDER_HCL}{}", schedule_hcl("s500", "2s")));
    let out = tf.apply().success();
    let text = one_line(&out.combined());
    assert!(
        text.contains("confirmed by reading it back"),
        "the recovery is reported as a warning:\n{}",
        out.combined()
    );
    let state = tf.state_values(SCHEDULE).expect("the schedule is in state");
    assert_eq!(state["id"], id.as_str());
    assert_eq!(state["windows"]["kb_numbers_to_include"][0], "5041585");
    let accepted = writes(&env, &id);
    assert!(
        !accepted.is_empty() && accepted[0].changed(),
        "{accepted:?}"
    );
    env.emulator.clear_faults();
    converges_without_writing(&env, &tf, &id);

    // An update whose connection is reset after it committed: recorded the same way.
    env.emulator.inject(
        Fault::reset_after_commit(100)
            .matching(Some("PUT"), Some("maintenanceConfigurations/s500")),
    );
    tf.write_config(&format!(
        "{PROVIDER_HCL}{}",
        schedule_hcl("s500", "2s").replace("\"Never\"", "\"IfRequired\"")
    ));
    let out = tf.apply().success();
    assert!(
        one_line(&out.combined()).contains("confirmed by reading it back"),
        "{}",
        out.combined()
    );
    assert_eq!(
        tf.state_values(SCHEDULE).unwrap()["reboot_setting"],
        "IfRequired"
    );
    env.emulator.clear_faults();
    converges_without_writing(&env, &tf, &id);
}

#[test]
fn a_failed_read_back_records_the_planned_schedule_and_the_next_refresh_settles_it() {
    let env = TestEnv::start(Config::default());

    // The write landed; the read-back (the second GET: the first checks for an existing
    // schedule) is refused.
    let tf = env.terraform();
    let id = schedule_id(&env, "landed");
    env.emulator.inject(
        Fault::error_after_commit(500, "InternalServerError", 100)
            .matching(Some("PUT"), Some("maintenanceConfigurations/landed")),
    );
    env.emulator.inject(
        Fault::error(403, "AuthorizationFailed", 1)
            .matching(Some("GET"), Some("maintenanceConfigurations/landed"))
            .skip(1),
    );
    tf.write_config(&format!("{PROVIDER_HCL}{}", schedule_hcl("landed", "2s")));
    let out = tf.apply().success();
    assert!(
        one_line(&out.combined()).contains("not confirmed"),
        "{}",
        out.combined()
    );
    assert_eq!(tf.state_values(SCHEDULE).unwrap()["id"], id.as_str());
    env.emulator.clear_faults();
    converges_without_writing(&env, &tf, &id);

    // The write never landed (500 before handling); the read-back fails too. The state holds
    // the planned schedule; the next refresh finds nothing and the apply writes it once.
    let tf = env.terraform();
    let id = schedule_id(&env, "lost");
    env.emulator.inject(
        Fault::internal_error(100).matching(Some("PUT"), Some("maintenanceConfigurations/lost")),
    );
    env.emulator.inject(
        Fault::error(403, "AuthorizationFailed", 1)
            .matching(Some("GET"), Some("maintenanceConfigurations/lost"))
            .skip(1),
    );
    tf.write_config(&format!("{PROVIDER_HCL}{}", schedule_hcl("lost", "2s")));
    tf.apply().success();
    assert!(tf.state_values(SCHEDULE).is_some());
    assert!(env.emulator.maintenance_configuration("lost").is_none());
    env.emulator.clear_faults();
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(
        plan.stdout.contains("will be created"),
        "{}",
        plan.combined()
    );
    tf.apply().success();
    assert_eq!(writes(&env, &id).len(), 1, "{:?}", writes(&env, &id));
    converges_without_writing(&env, &tf, &id);
}

#[test]
fn assignment_and_dynamic_scope_writes_answered_500_are_recorded() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    let machine = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let assignment_id =
        format!("{machine}/providers/Microsoft.Maintenance/configurationAssignments/s-arc");
    let scope_id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Maintenance/configurationAssignments/s-scope",
        env.emulator.subscription_id(),
        seed::RESOURCE_GROUP
    );
    env.emulator.inject(
        Fault::error_after_commit(500, "InternalServerError", 100)
            .matching(Some("PUT"), Some("configurationAssignments/")),
    );
    tf.write_config(&format!(
        r#"{PROVIDER_HCL}{schedule}
resource "hotpatch_schedule_assignment" "arc" {{
  machine_id  = "{machine}"
  schedule_id = hotpatch_maintenance_schedule.s.id
  name        = "s-arc"
  timeouts {{
    create = "2s"
  }}
}}

resource "hotpatch_dynamic_scope" "rg" {{
  name        = "s-scope"
  schedule_id = hotpatch_maintenance_schedule.s.id
  scope       = "/subscriptions/{sub}/resourceGroups/{rg}"
  filter {{
    resource_types = ["Microsoft.HybridCompute/machines"]
  }}
  timeouts {{
    create = "2s"
  }}
}}
"#,
        schedule = schedule_hcl("s-assign", ""),
        sub = env.emulator.subscription_id(),
        rg = seed::RESOURCE_GROUP,
    ));
    let out = tf.apply().success();
    assert_eq!(
        one_line(&out.combined())
            .matches("confirmed by reading it back")
            .count(),
        2,
        "{}",
        out.combined()
    );
    assert_eq!(
        tf.state_values("hotpatch_schedule_assignment.arc").unwrap()["id"],
        assignment_id.as_str()
    );
    assert_eq!(
        tf.state_values("hotpatch_dynamic_scope.rg").unwrap()["id"],
        scope_id.as_str()
    );
    env.emulator.clear_faults();
    converges_without_writing(&env, &tf, &assignment_id);
    converges_without_writing(&env, &tf, &scope_id);
}

#[test]
fn ctrl_c_while_the_put_is_retried_keeps_the_schedule_in_state() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    let id = schedule_id(&env, "stopped");
    env.emulator.inject(
        Fault::error_after_commit(500, "InternalServerError", 100)
            .matching(Some("PUT"), Some("maintenanceConfigurations/stopped")),
    );
    tf.write_config(&format!("{PROVIDER_HCL}{}", schedule_hcl("stopped", "")));
    let child = tf.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    // Wait for the first PUT (committed, answered 500); the client then backs off 1-2 s
    // before retrying, which is when Ctrl-C arrives.
    let deadline = Instant::now() + Duration::from_secs(60);
    while writes(&env, &id).is_empty() {
        assert!(Instant::now() < deadline, "the PUT never reached ARM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: signalling our own child process.
    let rc = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(rc, 0, "kill(SIGINT)");
    let out = TfOutput::from_output(child.wait_with_output().expect("terraform exits"));
    let state = tf.state_values(SCHEDULE);
    assert!(
        state.is_some(),
        "the schedule ARM accepted is missing from state:\n{}",
        out.combined()
    );
    assert_eq!(writes(&env, &id).len(), 1, "written once");
    env.emulator.clear_faults();
    converges_without_writing(&env, &tf, &id);
}

#[test]
fn creating_what_already_exists_fails_before_any_write_naming_the_import() {
    let env = TestEnv::start(Config::default());
    let machine = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let sub = env.emulator.subscription_id().to_owned();
    let id = schedule_id(&env, "portal");
    // The schedule id is written out, so that the second configuration tries all three
    // creates at once; the first orders them after the schedule.
    let objects = |after: &str| {
        format!(
            r#"
resource "hotpatch_schedule_assignment" "a" {{
  machine_id  = "{machine}"
  schedule_id = "{id}"
  {after}
}}

resource "hotpatch_dynamic_scope" "d" {{
  name        = "portal-scope"
  schedule_id = "{id}"
  filter {{
    os_types = ["Windows"]
  }}
  {after}
}}
"#
        )
    };
    // "The portal": another working directory made them.
    let portal = env.terraform();
    portal.write_config(&format!(
        "{PROVIDER_HCL}{}{}",
        schedule_hcl("portal", ""),
        objects("depends_on = [hotpatch_maintenance_schedule.s]")
    ));
    portal.apply().success();

    let tf = env.terraform();
    env.emulator.clear_requests();
    tf.write_config(&format!(
        "{PROVIDER_HCL}{}{}",
        schedule_hcl("portal", ""),
        objects("")
    ));
    let out = tf.apply().failure();
    let text = one_line(&out.stderr);
    let assignment =
        format!("{machine}/providers/Microsoft.Maintenance/configurationAssignments/portal");
    let scope = format!("/subscriptions/{sub}/providers/Microsoft.Maintenance/configurationAssignments/portal-scope");
    for (type_name, object_id) in [
        ("hotpatch_maintenance_schedule", id.as_str()),
        ("hotpatch_schedule_assignment", assignment.as_str()),
        ("hotpatch_dynamic_scope", scope.as_str()),
    ] {
        let expected = format!(
            "A resource with the ID \"{object_id}\" already exists - to be managed via Terraform this resource needs to be imported into the State."
        );
        assert!(text.contains(&expected), "{type_name}:\n{}", out.combined());
        assert!(
            text.contains(&format!(
                "terraform import '{type_name}.NAME' '{object_id}'"
            )),
            "{type_name}:\n{}",
            out.combined()
        );
        assert!(
            text.contains(&format!(
                "import {{ to = {type_name}.NAME id = \"{object_id}\" }}"
            )),
            "{type_name}:\n{}",
            out.combined()
        );
    }
    assert!(
        env.arm_writes().is_empty(),
        "nothing may be written: {:?}",
        env.arm_writes()
    );
    assert!(tf.state_values(SCHEDULE).is_none());

    // The import the error names works, and the plan is then empty.
    for (address, object_id) in [
        ("hotpatch_maintenance_schedule.s", id.as_str()),
        ("hotpatch_schedule_assignment.a", assignment.as_str()),
        ("hotpatch_dynamic_scope.d", scope.as_str()),
    ] {
        tf.run(&["import", "-no-color", address, object_id])
            .success();
    }
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "{}", plan.combined());
}

#[test]
fn a_schedule_changed_by_someone_else_before_the_read_back_is_recorded_as_read_with_an_error() {
    let env = TestEnv::start(Config::default());
    let tf = env.terraform();
    // The PUT commits, the portal changes the window right after it, and ARM answers 500.
    env.emulator.inject(
        Fault::mutate(
            OutOfBand::Schedule {
                name: "raced".into(),
                changes: ScheduleChanges {
                    duration: Some("02:00".into()),
                    ..ScheduleChanges::default()
                },
            },
            MutationTiming::AfterHandling,
        )
        .matching(Some("PUT"), Some("maintenanceConfigurations/raced")),
    );
    env.emulator.inject(
        Fault::error_after_commit(500, "InternalServerError", 100)
            .matching(Some("PUT"), Some("maintenanceConfigurations/raced")),
    );
    // A 1 s timeout leaves no room for a retry (the first backoff is 1-2 s), which would
    // write the planned schedule over the portal's change.
    tf.write_config(&format!("{PROVIDER_HCL}{}", schedule_hcl("raced", "1s")));
    let out = tf.apply().failure();
    assert!(
        one_line(&out.stderr).contains("values other than the planned ones"),
        "{}",
        out.combined()
    );
    let state = tf.state_values(SCHEDULE).expect("recorded as read");
    assert_eq!(state["duration"], "02:00");
}
