//! A fleet at CI size, end to end: 100 Arc machines (106 with the scenario machines, three
//! list pages of 50) with an enrollment and a machine setting each, 200 resources.
//!
//! What is asserted are request counts, never wall times (those are `make bench-scale`'s, see
//! docs/benchmarks.md, "Scale"): the apply that creates the 200 resources costs at most 2 ARM
//! reads and 1 write per resource, plan-time checks included and polls of the writes left
//! out; a plan refreshes them with at most 2 × ⌈machines / page size⌉ + 10 ARM reads, because
//! the provider serves its machine reads from shared list pages; and drift made outside
//! Terraform on one machine among them still shows in the plan, on exactly the resources it
//! concerns. And a list row, which may be a minute old, never makes a create adopt an
//! enrollment made meanwhile.

use std::time::{Duration, Instant};

use arm_emulator::{seed, Config, Fault, LoggedRequest, LroTiming, MachineChanges, ThrottleConfig};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::terraform::{finish, one_line};

const FLEET: usize = 100;
const PAGE: usize = 50;
/// The fleet machines plus the six scenario machines, all in one resource group.
const MACHINES_IN_GROUP: usize = FLEET + 6;

fn fleet_hcl(env: &TestEnv) -> String {
    let prefix = env.emulator.machine_id("");
    format!(
        r#"{PROVIDER_HCL}
locals {{
  machines = toset([for i in range(1, {last}) : format("arc-fleet-%04d", i)])
}}

resource "hotpatch_enrollment" "fleet" {{
  for_each   = local.machines
  machine_id = "{prefix}${{each.key}}"
}}

resource "hotpatch_machine_setting" "fleet" {{
  for_each            = local.machines
  machine_id          = hotpatch_enrollment.fleet[each.key].machine_id
  hotpatching_enabled = true
}}
"#,
        last = FLEET + 1
    )
}

/// ARM reads the emulator answered (token requests and 429s left out).
fn reads(requests: &[LoggedRequest]) -> Vec<&LoggedRequest> {
    requests
        .iter()
        .filter(|r| r.method == "GET" && !r.path.contains("/oauth2/") && r.status != 429)
        .collect()
}

fn is_list_page(r: &LoggedRequest) -> bool {
    r.path
        .to_ascii_lowercase()
        .ends_with("/microsoft.hybridcompute/machines")
}

/// The requests of an apply, counted as `make bench-scale` counts them: writes that ARM
/// accepted, and reads other than polls. A poll is a GET of an operation monitor or of an
/// object this apply has already written (the license profile settling, the machine's hotpatch
/// evaluation); 429s are left out of both.
#[derive(Debug, Default)]
struct ApplyCounts {
    reads: usize,
    writes: usize,
    polls: usize,
    list_pages: usize,
}

fn apply_counts(requests: &[LoggedRequest]) -> ApplyCounts {
    let mut written = std::collections::HashSet::new();
    let mut counts = ApplyCounts::default();
    for r in requests {
        if r.path.contains("/oauth2/") || r.status == 429 {
            continue;
        }
        let path = r.path.trim_end_matches('/').to_ascii_lowercase();
        if r.method != "GET" {
            if (200..300).contains(&r.status) {
                written.insert(path);
                counts.writes += 1;
            }
        } else if path.contains("/operations/")
            || path.contains("operationstatuses")
            || path.contains("operationresults")
            || written.contains(&path)
        {
            counts.polls += 1;
        } else {
            counts.reads += 1;
            counts.list_pages += usize::from(is_list_page(r));
        }
    }
    counts
}

fn plan_read_bound() -> usize {
    2 * MACHINES_IN_GROUP.div_ceil(PAGE) + 10
}

#[test]
fn a_fleet_plan_reads_list_pages_and_still_sees_drift_on_one_machine() {
    let instant = LroTiming {
        polls: 1,
        duration: Duration::ZERO,
    };
    let env = TestEnv::start(Config {
        fleet_size: FLEET,
        page_size: PAGE,
        lro: instant,
        lro_retry_after_secs: 0,
        hotpatch_evaluation: instant,
        throttle: ThrottleConfig::default(),
        ..Config::default()
    });
    let tf = env.terraform();
    tf.write_config(&fleet_hcl(&env));
    env.emulator.clear_requests();
    tf.apply().success();

    // The apply (its plan walk and its apply walk, two provider processes): at most 2 reads and
    // 1 write per resource.
    let resources = 2 * FLEET;
    let counts = apply_counts(&env.emulator.requests());
    eprintln!("apply of {resources} resources: {counts:?}");
    assert!(
        counts.reads <= 2 * resources,
        "{} reads (not counting polls) for {resources} resources: {counts:?}",
        counts.reads
    );
    assert_eq!(
        counts.writes, resources,
        "one write per resource: {counts:?}"
    );
    assert!(
        counts.list_pages >= MACHINES_IN_GROUP.div_ceil(PAGE),
        "plan-time checks read through list pages: {counts:?}"
    );

    // An empty plan: 200 refreshes from the group's list pages.
    env.emulator.clear_requests();
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "plan after apply:\n{}", plan.combined());
    let requests = env.emulator.requests();
    let read = reads(&requests);
    let pages = read.iter().filter(|r| is_list_page(r)).count();
    let paths: Vec<&str> = read.iter().map(|r| r.path.as_str()).collect();
    assert!(
        read.len() <= plan_read_bound(),
        "{} reads for 200 resources (bound {}): {paths:?}",
        read.len(),
        plan_read_bound()
    );
    assert!(
        pages >= MACHINES_IN_GROUP.div_ceil(PAGE),
        "read through list pages: {paths:?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" || r.path.contains("/oauth2/")),
        "a plan writes nothing"
    );
    eprintln!(
        "plan of 200 resources: {} ARM reads, {pages} of them list pages",
        read.len()
    );

    // Drift on one machine's switch and another's license, made outside Terraform.
    let switched_off = seed::fleet_machine_name(42);
    let cancelled = seed::fleet_machine_name(77);
    env.emulator
        .set_machine(
            &switched_off,
            &MachineChanges {
                enable_hotpatching: Some(false),
                hotpatch_enablement_status: Some("Disabled".into()),
                ..MachineChanges::default()
            },
        )
        .unwrap();
    env.emulator.cancel_hotpatch(&cancelled).unwrap();
    env.emulator.clear_requests();
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "drift not detected:\n{}", plan.combined());
    let out = one_line(&plan.stdout);
    assert!(
        out.contains(&format!(
            "hotpatch_machine_setting.fleet[\"{switched_off}\"] will be updated in-place"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        out.contains(&format!(
            "hotpatch_enrollment.fleet[\"{cancelled}\"] will be created"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        out.contains("Plan: 1 to add, 1 to change, 0 to destroy."),
        "only the two machines changed: {}",
        plan.stdout
    );
    let requests = env.emulator.requests();
    let read = reads(&requests);
    eprintln!("plan with drift: {} ARM reads", read.len());
    assert!(
        read.len() <= plan_read_bound(),
        "{} reads with drift (bound {})",
        read.len(),
        plan_read_bound()
    );
}

/// A row of a list page may be up to a minute old, so whether a machine is already enrolled is
/// never taken from one: a machine enrolled elsewhere after the apply's provider listed its
/// resource group, and before the enrollment's create looked, is refused, not adopted.
#[test]
fn a_machine_enrolled_after_the_group_was_listed_is_refused_not_adopted() {
    let instant = LroTiming {
        polls: 1,
        duration: Duration::ZERO,
    };
    let env = TestEnv::start(Config {
        fleet_size: 4,
        page_size: PAGE,
        lro: instant,
        lro_retry_after_secs: 0,
        hotpatch_evaluation: instant,
        ..Config::default()
    });
    let late = seed::fleet_machine_name(4);
    let late_id = env.emulator.machine_id(&late);
    let profile = format!("{late_id}/licenseProfiles/default");
    // The create's look at the license profile of that machine is held for 15 s, long enough
    // for another Terraform to enroll it meanwhile (the hold is over after that one request).
    env.emulator.inject(Fault {
        count: Some(1),
        ..Fault::latency(15_000).matching(Some("GET"), Some(&format!("{late}/licenseProfiles")))
    });
    let prefix = env.emulator.machine_id("");
    let tf = env.terraform();
    tf.write_config(&format!(
        r#"{PROVIDER_HCL}
resource "hotpatch_enrollment" "fleet" {{
  for_each   = toset([for i in range(1, 5) : format("arc-fleet-%04d", i)])
  machine_id = "{prefix}${{each.key}}"
}}
"#
    ));
    let elsewhere = env.terraform();
    elsewhere.write_config(&format!(
        "{PROVIDER_HCL}\nresource \"hotpatch_enrollment\" \"other\" {{\n  machine_id = \"{late_id}\"\n}}\n"
    ));

    let apply = tf.spawn(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    // The plan walk lists the group once, the apply walk (a new provider process) once more;
    // then the creates start, and the one of `late` waits on its license profile.
    let deadline = Instant::now() + Duration::from_secs(120);
    while env
        .emulator
        .requests()
        .iter()
        .filter(|r| is_list_page(r))
        .count()
        < 2
    {
        assert!(
            Instant::now() < deadline,
            "the apply never listed the group twice"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(1));
    elsewhere.apply().success();
    let out = finish(apply).failure();

    // The apply's rows of the group predate the enrollment made elsewhere...
    let requests = env.emulator.requests();
    let enrolled_at = requests
        .iter()
        .position(|r| r.method == "PUT" && r.path.eq_ignore_ascii_case(&profile))
        .expect("enrolled elsewhere");
    let listed = requests[..enrolled_at]
        .iter()
        .filter(|r| is_list_page(r))
        .count();
    assert_eq!(listed, 2, "both walks listed before the enrollment");
    // ...yet the create refused to take it over, and wrote nothing to it.
    let text = one_line(&out.stderr);
    assert!(
        text.contains("hotpatch_enrollment already exists") && text.contains(&profile),
        "{}",
        out.combined()
    );
    let writes: Vec<&LoggedRequest> = requests
        .iter()
        .filter(|r| r.method != "GET" && r.path.eq_ignore_ascii_case(&profile))
        .collect();
    assert_eq!(
        writes.len(),
        1,
        "only the other enrollment's PUT: {writes:?}"
    );
    assert!(tf
        .state_values(&format!("hotpatch_enrollment.fleet[\"{late}\"]"))
        .is_none());
    for n in 1..=3 {
        let name = seed::fleet_machine_name(n);
        assert!(
            tf.state_values(&format!("hotpatch_enrollment.fleet[\"{name}\"]"))
                .is_some(),
            "{name} enrolled"
        );
    }
}
