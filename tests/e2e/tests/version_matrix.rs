//! The core loop on every Terraform people run: 1.15.5 (the target) and older protocol-6
//! releases (1.13.5, 1.12.2, and 1.11.4, which the machine image ships), each installing the
//! provider with `terraform init` from a filesystem mirror (no dev_overrides), then: enroll,
//! machine setting, schedule and assignment, the status data source, an empty re-plan, import,
//! and destroy. Features a release lacks are skipped for it with the reason printed, never
//! silently: resource identity (import by identity) needs 1.12, `terraform query` and actions
//! need 1.14 (PROTOCOL.md section 0).
//!
//! One loop per version, the versions side by side; one line per version is written straight
//! to stderr (past the test harness's capture) saying what passed and what was skipped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use arm_emulator::seed;
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::plugin_client::provider_binary;
use hotpatch_e2e::terraform::{one_line, terraform_cli_version, Terraform};
use hotpatch_release::install::install;
use hotpatch_release::names::Release;
use serde_json::Value;

/// The Terraform releases the loop runs on, newest first.
const VERSIONS: [&str; 4] = ["1.15.5", "1.13.5", "1.12.2", "1.11.4"];

/// A capability some releases lack: the first release that has it.
struct Feature {
    name: &'static str,
    since: (u32, u32),
}

const IDENTITY: Feature = Feature {
    name: "import by identity",
    since: (1, 12),
};
const QUERY: Feature = Feature {
    name: "terraform query (list resources)",
    since: (1, 14),
};
const ACTIONS: Feature = Feature {
    name: "actions (apply -invoke)",
    since: (1, 14),
};

fn minor(version: &str) -> (u32, u32) {
    let mut parts = version
        .split('.')
        .map(|p| p.parse::<u32>().expect("numeric version"));
    (parts.next().expect("major"), parts.next().expect("minor"))
}

/// What one version's loop did, step by step.
#[derive(Default)]
struct Report {
    passed: Vec<String>,
    skipped: Vec<String>,
}

impl Report {
    fn pass(log: &Mutex<Report>, step: &str) {
        log.lock().expect("report").passed.push(step.to_string());
    }

    /// Whether `version` has `feature`; if not, the skip and its reason are recorded.
    fn has(log: &Mutex<Report>, version: &str, feature: &Feature) -> bool {
        if minor(version) >= feature.since {
            return true;
        }
        log.lock().expect("report").skipped.push(format!(
            "{} (needs >= {}.{})",
            feature.name, feature.since.0, feature.since.1
        ));
        false
    }
}

/// A filesystem mirror holding the provider under test, shared by every version.
fn mirror() -> &'static Path {
    static MIRROR: OnceLock<tempfile::TempDir> = OnceLock::new();
    MIRROR
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            install(&Release::current(), &provider_binary(), dir.path()).expect("fill the mirror");
            dir
        })
        .path()
}

fn cli_config(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/seedlabs/hotpatch\"]\n  }}\n}}\n",
        mirror.display()
    )
}

fn core_config(env: &TestEnv) -> String {
    let id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    format!(
        r#"{PROVIDER_HCL}
resource "hotpatch_enrollment" "web" {{
  machine_id = "{id}"
}}

resource "hotpatch_machine_setting" "web" {{
  machine_id          = hotpatch_enrollment.web.machine_id
  hotpatching_enabled = true
}}

resource "hotpatch_maintenance_schedule" "s" {{
  name                = "patch-tuesday"
  resource_group_name = "{rg}"
  location            = "eastus"
  start_date_time     = "2030-01-08 22:00"
  time_zone           = "W. Europe Standard Time"
  recur_every         = "Month Second Tuesday Offset2"
  reboot_setting      = "IfRequired"

  windows {{
    classifications_to_include = ["Critical", "Security"]
  }}
}}

resource "hotpatch_schedule_assignment" "web" {{
  machine_id  = hotpatch_machine_setting.web.machine_id
  schedule_id = hotpatch_maintenance_schedule.s.id
}}

data "hotpatch_status" "web" {{
  machine_id = hotpatch_machine_setting.web.machine_id
}}

output "status" {{
  value = data.hotpatch_status.web.status
}}
"#,
        rg = seed::RESOURCE_GROUP
    )
}

/// The attribute values of the root-module resource `address` in `terraform show -json`.
fn values(show: &Value, address: &str) -> Value {
    show["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["address"] == address))
        .map(|r| r["values"].clone())
        .unwrap_or_else(|| panic!("{address} not in state: {show}"))
}

/// The loop on one Terraform release; steps that pass are logged as they pass.
fn core_loop(version: &str, log: &Mutex<Report>) {
    let cli: PathBuf = terraform_cli_version(version);
    let env = TestEnv::start_default();
    let id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let tf = Terraform::with_cli_config(&cli, &cli_config(mirror()), env.provider_env());
    let config = core_config(&env);
    tf.write_config(&config);

    tf.run(&["init", "-input=false", "-no-color"]).success();
    assert!(
        tf.dir().join(".terraform.lock.hcl").exists(),
        "lock file written"
    );
    Report::pass(log, "init from mirror");

    tf.apply().success();
    // One `show -json` (each one starts the provider) for every resource and the output.
    let show = tf.show_json();
    let enrollment = values(&show, "hotpatch_enrollment.web");
    assert_eq!(enrollment["subscription_status"], "Enabled");
    assert_eq!(
        values(&show, "hotpatch_machine_setting.web")["hotpatching_enabled"],
        true
    );
    let assignment_id = values(&show, "hotpatch_schedule_assignment.web")["id"]
        .as_str()
        .expect("assignment id")
        .to_string();
    assert!(
        env.emulator
            .configuration_assignment(&assignment_id)
            .is_some(),
        "assignment created in ARM"
    );
    let status = &show["values"]["outputs"]["status"]["value"];
    assert!(
        ["Enabled", "Pending", "Disabled"].contains(&status.as_str().unwrap_or_default()),
        "status of an enrolled machine: {status}"
    );
    Report::pass(
        log,
        "enroll + machine setting + schedule + assignment + status",
    );

    let plan = tf.plan();
    assert_eq!(plan.code, 0, "re-plan not empty:\n{}", plan.combined());
    Report::pass(log, "empty plan");

    tf.run(&["state", "rm", "-no-color", "hotpatch_enrollment.web"])
        .success();
    tf.run(&["import", "-no-color", "hotpatch_enrollment.web", &id])
        .success();
    let imported = values(&tf.show_json(), "hotpatch_enrollment.web");
    // `status` is read live (hotpatch was switched on after the enrollment was first read).
    for key in ["id", "machine_id", "subscription_status", "enrollment_date"] {
        assert_eq!(imported[key], enrollment[key], "{key} after import");
    }
    assert_eq!(tf.plan().code, 0, "plan after import is not empty");
    Report::pass(log, "import");

    if Report::has(log, version, &IDENTITY) {
        tf.run(&["state", "rm", "-no-color", "hotpatch_enrollment.web"])
            .success();
        tf.write_config(&format!(
            "{config}\nimport {{\n  to       = hotpatch_enrollment.web\n  identity = {{\n    machine_id = \"{id}\"\n  }}\n}}\n"
        ));
        let out = tf.apply().success();
        assert!(out.stdout.contains("1 imported"), "{}", out.stdout);
        tf.write_config(&config);
        assert_eq!(tf.plan().code, 0, "plan after identity import is not empty");
        Report::pass(log, IDENTITY.name);
    }

    if Report::has(log, version, &QUERY) {
        let query = tf.dir().join("fleet.tfquery.hcl");
        std::fs::write(
            &query,
            format!(
                "list \"hotpatch_enrollment\" \"fleet\" {{\n  provider = hotpatch\n  config {{\n    resource_group_name = \"{}\"\n  }}\n}}\n",
                seed::RESOURCE_GROUP
            ),
        )
        .unwrap();
        let out = tf.run(&["query", "-no-color"]).success();
        assert!(
            out.stdout.contains(seed::WS2025_DATACENTER),
            "{}",
            out.stdout
        );
        std::fs::remove_file(query).unwrap();
        Report::pass(log, QUERY.name);
    }

    if Report::has(log, version, &ACTIONS) {
        tf.write_file(
            "actions.tf",
            &format!("action \"hotpatch_assess\" \"check\" {{\n  config {{\n    machine_id = \"{id}\"\n  }}\n}}\n"),
        );
        let out = tf
            .run(&[
                "apply",
                "-auto-approve",
                "-input=false",
                "-no-color",
                "-invoke=action.hotpatch_assess.check",
            ])
            .success();
        assert!(
            one_line(&out.stdout).contains("updates available"),
            "{}",
            out.stdout
        );
        std::fs::remove_file(tf.dir().join("actions.tf")).unwrap();
        Report::pass(log, ACTIONS.name);
    }

    tf.destroy().success();
    let show = tf.show_json();
    assert!(
        show["values"]["root_module"]["resources"]
            .as_array()
            .is_none_or(|r| r.is_empty()),
        "state empty after destroy: {show}"
    );
    assert!(env
        .emulator
        .configuration_assignment(&assignment_id)
        .is_none());
    Report::pass(log, "destroy");
}

#[test]
fn the_core_loop_on_every_supported_terraform() {
    let runs: Vec<_> = VERSIONS
        .iter()
        .map(|&version| {
            let log = Arc::new(Mutex::new(Report::default()));
            let thread_log = Arc::clone(&log);
            let handle = std::thread::spawn(move || core_loop(version, &thread_log));
            (version, log, handle)
        })
        .collect();

    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for (version, log, handle) in runs {
        let outcome = handle.join();
        let report = log.lock().unwrap_or_else(|e| e.into_inner());
        let mut line = format!("Terraform {version}: passed {}", report.passed.join(", "));
        if !report.skipped.is_empty() {
            line.push_str(&format!("; skipped {}", report.skipped.join(", ")));
        }
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            line.push_str("; FAILED after that");
            failures.push(format!("Terraform {version}: {message}"));
        }
        lines.push(line);
    }
    // Straight to the process's stderr: the one summary `make test` shows even on success.
    let mut stderr = std::io::stderr().lock();
    for line in &lines {
        let _ = writeln!(stderr, "version matrix: {line}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
