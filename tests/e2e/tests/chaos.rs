//! The chaos run: real Terraform 1.15.5 applies a fleet of all five resource kinds (enrollments,
//! machine settings, schedules, schedule assignments, dynamic scopes) against the emulator with
//! seeded random faults, and must end with state that matches what exists.
//!
//! Phases:
//! 1. `apply` with chaos on (throttling with and without `Retry-After`, including a zero, a
//!    malformed and a past-date value; 5xx on reads and polls; 5xx on writes before and after
//!    they commit; transient 409s; resets before and after commit; slow and failing LROs), one
//!    enrollment whose operation never finishes (a stuck LRO, with a short `timeouts.create`),
//!    and exactly one Ctrl-C (SIGINT to Terraform, which sends StopProvider) once a share of the
//!    objects has been written, so operations are cut off mid-flight; afterwards the service
//!    finishes the stuck operation, as Azure eventually does;
//! 2. `apply` again with chaos on, run to its end, as a user would re-run it;
//! 3. chaos off: a clean `apply`, then `plan -detailed-exitcode`.
//!
//! It passes when the final plan is empty, the clean apply succeeds, after every apply each
//! object that exists in the emulator (and did not before the run) is in state (no orphans;
//! ids compared case-insensitively), after the clean apply every object in state exists (no
//! phantoms), and no object was written again once it already was what Terraform wanted (the
//! emulator's write ledger; a repeat right after a write whose answer was lost is the one
//! allowed exception, see `hotpatch_e2e::rewrites` for the exact rule). A first apply that
//! fails is expected: the assertions are about convergence and state truth, not about chaos
//! being survived without a diagnostic.
//!
//! It prints its figures on stderr, past the harness's capture, phase by phase and at the end:
//! faults injected per class, operations retried (client request ids seen more than once in the
//! request log), objects recovered (in state after an apply although their write met a lost
//! answer or the resource got a diagnostic), each apply's outcome and time.
//!
//! Knobs (environment): `HOTPATCH_CHAOS_SEEDS` (comma-separated, default `8`; each seed is a
//! fresh emulator and run, one after the other), `HOTPATCH_CHAOS_RESOURCES` (default 100, the
//! issue's minimum; `make chaos` runs more, with several seeds), `HOTPATCH_CHAOS_OUT` (a folder
//! to keep each apply's Terraform output and request log in, per seed).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use arm_emulator::{
    seed, ChaosConfig, ChaosRates, ChaosReport, Config, Fault, LoggedRequest, ThrottleConfig,
};
use hotpatch_e2e::apply_json::ApplyEvents;
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use hotpatch_e2e::inventory::{self, ObjectKind, Objects, StateObject};
use hotpatch_e2e::retries::{retry_figures, RetryFigures};
use hotpatch_e2e::rewrites::{answer_lost, rewrites};
use hotpatch_e2e::terraform::Terraform;
use hotpatch_e2e::watched::{self, Watched};

const DEFAULT_SEEDS: &str = "8";
const DEFAULT_RESOURCES: usize = 100;
/// Ctrl-C is sent once this share of the resources' objects has been written.
const INTERRUPT_AT: f64 = 0.4;
/// Added latency on every request: enough for operations to overlap, cheap on a 2-core runner.
const LATENCY_MS: u64 = 10;
/// The fleet machine whose enrollment operation never finishes in the first apply.
const STUCK_MACHINE: usize = 1;
/// `timeouts.create` of that enrollment: long enough for its reads and PUT to get through
/// when the client holds every request of the process after another request's 429 (polite
/// pacing), short enough to leave most of apply 1 for after it.
const STUCK_CREATE_TIMEOUT_S: u64 = 15;

/// Writes a line to the process's stderr, which `cargo test` does not capture.
fn say(text: impl AsRef<str>) {
    let _ = writeln!(std::io::stderr().lock(), "{}", text.as_ref());
}

fn env_text(name: &str, default: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => default.to_string(),
    }
}

fn number(name: &str, text: &str) -> u64 {
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{name} must hold non-negative integers, got {text:?}"))
}

/// How many objects of each kind: one enrollment, machine setting and assignment per machine,
/// and one dynamic scope per schedule.
#[derive(Clone, Copy, Debug)]
struct Size {
    machines: usize,
    schedules: usize,
}

impl Size {
    /// The smallest fleet with at least `resources` resources, a schedule per 20 of them.
    fn for_resources(resources: usize) -> Self {
        let schedules = (resources / 20).max(1);
        let machines = resources.saturating_sub(2 * schedules).div_ceil(3).max(1);
        Size {
            machines,
            schedules,
        }
    }

    fn resources(self) -> usize {
        3 * self.machines + 2 * self.schedules
    }
}

fn rates() -> ChaosRates {
    // Reads draw 15% faults, writes 30%: every class shows up at 100 resources, and retries
    // (1-2 s backoff doubling, or the Retry-After) keep the run to a couple of minutes.
    ChaosRates {
        throttle_with_retry_after: 0.04,
        throttle_without_retry_after: 0.03,
        read_error: 0.05,
        write_error_before_commit: 0.04,
        write_error_after_commit: 0.05,
        conflict: 0.04,
        reset: 0.03,
        reset_after_commit: 0.03,
        slow_lro: 0.04,
        failing_lro: 0.04,
    }
}

fn chaos_config(seed: u64) -> ChaosConfig {
    ChaosConfig {
        // Plain seconds, zero (no spin), malformed (ignored: backoff instead) and an HTTP-date
        // in the past (no wait). Huge values are clamped by the client, but to minutes: they
        // belong in the unit tests of the parser, not in a run with a time budget.
        retry_after: vec![
            "1".into(),
            "2".into(),
            "0".into(),
            "soon".into(),
            "Wed, 21 Oct 2015 07:28:00 GMT".into(),
        ],
        slow_lro_ms: 4_000,
        ..ChaosConfig::new(seed, rates())
    }
}

/// One block per object rather than `for_each`: Terraform orders resources by block, so with
/// `for_each` one failed enrollment would hold back every machine setting; with a block per
/// machine, each setting waits for its own machine's license only, as in a real rollout.
fn configuration(env: &TestEnv, size: Size) -> String {
    let rg = seed::RESOURCE_GROUP;
    let mut hcl = String::from(PROVIDER_HCL);
    for k in 0..size.schedules {
        hcl.push_str(&format!(
            r#"
resource "hotpatch_maintenance_schedule" "s{k:02}" {{
  name                = "chaos-{k:02}"
  resource_group_name = "{rg}"
  location            = "eastus"
  start_date_time     = "2030-01-08 22:00"
  time_zone           = "W. Europe Standard Time"
  recur_every         = "Month Second Tuesday Offset2"
  reboot_setting      = "Never"
  windows {{
    classifications_to_include = ["Critical", "Security"]
  }}
  depends_on = [hotpatch_enrollment.m{STUCK_MACHINE:04}]
}}

resource "hotpatch_dynamic_scope" "s{k:02}" {{
  name        = "chaos-{k:02}-scope"
  schedule_id = hotpatch_maintenance_schedule.s{k:02}.id
  filter {{
    resource_types = ["Microsoft.HybridCompute/machines"]
    tags = {{
      ring = ["chaos-{k:02}"]
    }}
  }}
}}
"#
        ));
    }
    for i in 1..=size.machines {
        let machine_id = env.emulator.machine_id(&seed::fleet_machine_name(i));
        let schedule = i % size.schedules;
        let timeouts = if i == STUCK_MACHINE {
            format!("\n  timeouts {{\n    create = \"{STUCK_CREATE_TIMEOUT_S}s\"\n  }}")
        } else {
            String::new()
        };
        // The license first: hotpatch on an Arc machine needs it. Schedules and machine
        // settings also wait for the stuck enrollment, so that it starts early and most of the
        // apply (every schedule, scope, assignment and setting) is still to come when its
        // timeout has run out and the Ctrl-C is due, however fast the machine.
        hcl.push_str(&format!(
            r#"
resource "hotpatch_enrollment" "m{i:04}" {{
  machine_id = "{machine_id}"{timeouts}
}}

resource "hotpatch_machine_setting" "m{i:04}" {{
  machine_id          = hotpatch_enrollment.m{i:04}.machine_id
  hotpatching_enabled = true
  depends_on          = [hotpatch_enrollment.m{STUCK_MACHINE:04}]
}}

resource "hotpatch_schedule_assignment" "m{i:04}" {{
  machine_id  = "{machine_id}"
  schedule_id = hotpatch_maintenance_schedule.s{schedule:02}.id
}}
"#
        ));
    }
    hcl
}

/// The highest write-ledger sequence number so far (writes after it belong to what follows).
fn ledger_seq(env: &TestEnv) -> u64 {
    env.emulator
        .writes()
        .iter()
        .flat_map(|o| o.writes.iter().map(|w| w.seq))
        .max()
        .unwrap_or(0)
}

/// Lower-cased ids (request paths) of the objects whose write answer was lost after `since`.
fn lost_answers_since(env: &TestEnv, since: u64) -> BTreeSet<String> {
    env.emulator
        .writes()
        .iter()
        .flat_map(|o| o.writes.iter())
        .filter(|w| w.seq > since && answer_lost(w))
        .map(|w| w.path.trim_end_matches('/').to_lowercase())
        .collect()
}

fn by_kind<'a>(kinds: impl IntoIterator<Item = &'a ObjectKind>) -> String {
    let mut counts: BTreeMap<ObjectKind, usize> = BTreeMap::new();
    for k in kinds {
        *counts.entry(*k).or_default() += 1;
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{} {n}", k.resource_type()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One apply and what it left.
struct Phase {
    watched: Watched,
    events: ApplyEvents,
    retries: RetryFigures,
    log_len: usize,
    lost_answers: usize,
    state: BTreeMap<String, StateObject>,
    recovered: Vec<ObjectKind>,
}

/// With `HOTPATCH_CHAOS_OUT` set, writes `<phase>.stdout`, `<phase>.stderr` and
/// `<phase>.requests.json` into its `seed-<seed>` folder, for looking into a run.
fn keep(seed: u64, phase: &str, w: &Watched, log: &[LoggedRequest]) {
    let Some(dir) = std::env::var_os("HOTPATCH_CHAOS_OUT").map(PathBuf::from) else {
        return;
    };
    let dir = dir.join(format!("seed-{seed}"));
    std::fs::create_dir_all(&dir).expect("create HOTPATCH_CHAOS_OUT");
    let write = |name: String, text: &[u8]| {
        std::fs::write(dir.join(&name), text).unwrap_or_else(|e| panic!("writing {name}: {e}"));
    };
    write(format!("{phase}.stdout"), w.output.stdout.as_bytes());
    write(format!("{phase}.stderr"), w.output.stderr.as_bytes());
    write(
        format!("{phase}.requests.json"),
        &serde_json::to_vec_pretty(log).expect("log as JSON"),
    );
}

fn apply(
    env: &TestEnv,
    tf: &Terraform,
    seed: u64,
    phase: &str,
    deadline: Duration,
    interrupt: Option<watched::InterruptWhen<'_>>,
) -> Phase {
    let since = ledger_seq(env);
    env.emulator.clear_requests();
    let watched = watched::run(
        tf,
        &["apply", "-auto-approve", "-input=false", "-json"],
        deadline,
        interrupt,
    );
    let log = env.emulator.requests();
    keep(seed, phase, &watched, &log);
    let events = ApplyEvents::parse(&watched.output.stdout);
    let state = inventory::state_objects(&tf.show_json());
    let lost = lost_answers_since(env, since);
    let diagnosed = events.diagnosed();
    let recovered = state
        .iter()
        .filter(|(id, o)| lost.contains(*id) || diagnosed.contains(o.address.as_str()))
        .map(|(_, o)| o.kind)
        .collect();
    Phase {
        retries: retry_figures(&log),
        log_len: log.len(),
        lost_answers: lost.len(),
        watched,
        events,
        state,
        recovered,
    }
}

fn report_phase(name: &str, p: &Phase, resources: usize) {
    let w = &p.watched;
    let interrupted = w.interrupted_after.map_or(String::new(), |d| {
        format!(", Ctrl-C after {:.1} s", d.as_secs_f64())
    });
    say(format!(
        "  {name}: exit {} after {:.1} s{interrupted}; {} resource operations completed, {} failed; {} of {resources} resources in state ({})",
        w.output.code,
        w.elapsed.as_secs_f64(),
        p.events.completed.len(),
        p.events.errored.len(),
        p.state.len(),
        by_kind(p.state.values().map(|o| &o.kind)),
    ));
    let r = &p.retries;
    say(format!(
        "    ARM requests {} ({} operations): {} retried with {} extra attempts (at most {} attempts), {} answers faulted, {} bucket 429s",
        r.attempts, r.operations, r.retried, r.extra_attempts, r.most_attempts, r.faulted, r.bucket_throttled
    ));
    say(format!(
        "    write answers lost {}; objects recovered (in state despite a lost answer or a diagnostic) {}: {}",
        p.lost_answers,
        p.recovered.len(),
        by_kind(&p.recovered)
    ));
    for severity in ["error", "warning"] {
        for (summary, n) in p.events.summaries(severity).into_iter().take(6) {
            say(format!("    {severity} x{n}: {summary}"));
        }
    }
    if p.log_len >= 18_000 {
        say("    (the emulator keeps the latest 20,000 requests: these counts may be low)");
    }
}

fn report_chaos(report: &ChaosReport) {
    let s = &report.stats;
    let considered = s
        .requests
        .iter()
        .map(|(k, n)| format!("{k:?} {n}").to_lowercase())
        .collect::<Vec<_>>()
        .join(", ");
    say(format!(
        "  faults injected: {} over {} requests considered ({considered})",
        s.total_injected(),
        s.requests.values().sum::<u64>()
    ));
    for (class, n) in &s.injected {
        say(format!("    {:<30} {n}", class.as_str()));
    }
}

/// Orphans after an apply, as violation lines.
fn check_orphans(env: &TestEnv, baseline: &Objects, phase: &str, p: &Phase) -> Vec<String> {
    let now = inventory::emulator_objects(&env.emulator);
    inventory::orphans(&now, baseline, &p.state)
        .into_iter()
        .map(|(id, kind)| {
            format!(
                "after {phase}: {} {id} exists but is not in state",
                kind.resource_type()
            )
        })
        .collect()
}

fn errors_of(p: &Phase) -> String {
    p.events
        .diagnostics
        .iter()
        .filter(|d| d.severity == "error")
        .take(10)
        .map(|d| {
            format!(
                "{}: {} {}",
                d.address.as_deref().unwrap_or("-"),
                d.summary,
                d.detail
            )
        })
        .collect::<Vec<_>>()
        .join("\n      ")
}

/// Objects in state that do not exist in the emulator (checked once the run is clean).
fn check_phantoms(env: &TestEnv, p: &Phase) -> Vec<String> {
    let now = inventory::emulator_objects(&env.emulator);
    p.state
        .iter()
        .filter(|(id, _)| !now.contains_key(*id))
        .map(|(id, o)| {
            format!(
                "after the clean apply: {} ({id}) is in state but does not exist",
                o.address
            )
        })
        .collect()
}

/// The enrollment whose operation never finished: its timeout ended the wait with a warning,
/// and it is in state (ARM accepted it), with its transitional status.
fn check_stuck(p: &Phase, profile_id: &str) -> Vec<String> {
    let address = format!("hotpatch_enrollment.m{STUCK_MACHINE:04}");
    let mut out = Vec::new();
    match p
        .events
        .diagnostics
        .iter()
        .find(|d| d.address.as_deref() == Some(&address))
    {
        Some(d) => say(format!(
            "  the stuck enrollment ended apply 1 with a {}: {} ({})",
            d.severity,
            d.summary,
            if d.detail.contains("timeout") {
                "its timeout ran out"
            } else {
                "not its timeout"
            }
        )),
        None => out.push(format!(
            "apply 1: {address}, whose operation never finished, got no diagnostic"
        )),
    }
    if !p.state.contains_key(&profile_id.to_lowercase()) {
        out.push(format!(
            "apply 1: {address} was accepted by ARM but is not in state"
        ));
    }
    out
}

/// One seed's run on a fresh emulator: its violations (empty when it passed).
fn run_seed(seed: u64, size: Size) -> Vec<String> {
    let resources = size.resources();
    let started = Instant::now();
    // Generous: it only guards against a hang.
    let deadline = Duration::from_secs(600 + 3 * resources as u64);

    let env = TestEnv::start(Config {
        fleet_size: size.machines,
        latency_ms: LATENCY_MS,
        throttle: ThrottleConfig::default(),
        ..Config::default()
    });
    let baseline = inventory::emulator_objects(&env.emulator);
    let tf = env.terraform();
    tf.write_config(&configuration(&env, size));
    say(format!(
        "\nchaos run: seed {seed} (HOTPATCH_CHAOS_SEEDS={seed}), {resources} resources: {m} hotpatch_enrollment, {m} hotpatch_machine_setting, {m} hotpatch_schedule_assignment, {s} hotpatch_maintenance_schedule, {s} hotpatch_dynamic_scope",
        m = size.machines,
        s = size.schedules
    ));
    // This enrollment's operation never finishes (an explicit rule). Chaos leaves that one
    // machine alone, so its PUT is always accepted and the run always has its stuck operation:
    // a fault drawn on its reads or PUT would end the create before any write, a different
    // scenario (covered by the other 29 machines).
    let stuck_machine = env
        .emulator
        .machine_id(&seed::fleet_machine_name(STUCK_MACHINE));
    env.emulator
        .set_chaos(chaos_config(seed).excluding(&stuck_machine))
        .expect("valid chaos configuration");
    env.emulator.inject(Fault::stuck_lro().matching(
        Some("PUT"),
        Some(&format!("{stuck_machine}/licenseProfiles/")),
    ));
    let mut violations = Vec::new();

    // 1. Chaos, and one Ctrl-C once a share of the objects has been written and the stuck
    // enrollment's timeout has run out (so that it ends on its timeout, not on the Ctrl-C).
    let threshold = ((resources as f64) * INTERRUPT_AT).ceil() as usize;
    let stuck_profile = format!("{stuck_machine}/licenseProfiles/default");
    let mut stuck_written: Option<Instant> = None;
    let mut ready = || {
        if stuck_written.is_none() && !env.emulator.writes_for(&stuck_profile).is_empty() {
            stuck_written = Some(Instant::now());
        }
        stuck_written.is_some_and(|t| t.elapsed() > Duration::from_secs(STUCK_CREATE_TIMEOUT_S + 3))
            && env.emulator.writes().len() >= threshold
    };
    let first = apply(&env, &tf, seed, "apply-1", deadline, Some(&mut ready));
    report_phase("apply 1 (chaos, stuck LRO, Ctrl-C)", &first, resources);
    if first.watched.interrupted_after.is_none() {
        violations.push(format!(
            "apply 1 ended (exit {}) before {threshold} objects were written: no Ctrl-C was sent",
            first.watched.output.code
        ));
    }
    violations.extend(check_stuck(&first, &stuck_profile));
    violations.extend(check_orphans(&env, &baseline, "apply 1", &first));
    // The service finishes what it accepted, later.
    let released = env.emulator.release_stuck_operations();
    say(format!(
        "  stuck operations the service finished after apply 1: {released}"
    ));

    // 2. Chaos, run to its end.
    let second = apply(&env, &tf, seed, "apply-2", deadline, None);
    report_phase("apply 2 (chaos)", &second, resources);
    violations.extend(check_orphans(&env, &baseline, "apply 2", &second));
    let chaos = env.emulator.chaos().expect("chaos report");
    report_chaos(&chaos);
    if chaos.stats.total_injected() == 0 {
        violations.push("chaos injected no fault".into());
    }

    // 3. Chaos off: a clean apply and an empty plan.
    env.emulator
        .set_chaos_enabled(false)
        .expect("chaos switched off");
    let clean = apply(&env, &tf, seed, "apply-3", deadline, None);
    report_phase("apply 3 (clean)", &clean, resources);
    if clean.watched.output.code != 0 {
        violations.push(format!(
            "the clean apply failed (exit {}):\n      {}",
            clean.watched.output.code,
            errors_of(&clean)
        ));
    }
    violations.extend(check_orphans(&env, &baseline, "apply 3", &clean));
    violations.extend(check_phantoms(&env, &clean));
    if clean.state.len() != resources {
        violations.push(format!(
            "after the clean apply {} of {resources} resources are in state",
            clean.state.len()
        ));
    }
    let plan_started = Instant::now();
    let plan = tf.plan();
    say(format!(
        "  plan -detailed-exitcode: exit {} after {:.1} s",
        plan.code,
        plan_started.elapsed().as_secs_f64()
    ));
    if plan.code != 0 {
        let lines: Vec<&str> = plan
            .stdout
            .lines()
            .filter(|l| l.contains(" will be ") || l.contains(" must be ") || l.contains("Error"))
            .take(20)
            .collect();
        violations.push(format!(
            "the final plan is not empty (exit {}):\n      {}\n      {}",
            plan.code,
            lines.join("\n      "),
            plan.stderr.trim()
        ));
    }

    // The write ledger over the whole run.
    let ledger = env.emulator.writes();
    let rw = rewrites(&ledger);
    let most = ledger.iter().map(|o| o.writes.len()).max().unwrap_or(0);
    say(format!(
        "  write ledger: {} objects written, {} accepted writes (at most {most} to one object), {} repeats right after a lost answer (allowed), {} rewrites of objects already as wanted",
        ledger.len(),
        ledger.iter().map(|o| o.writes.len()).sum::<usize>(),
        rw.excused,
        rw.violations.len()
    ));
    violations.extend(rw.violations.into_iter().map(|v| format!("rewrite: {v}")));
    say(format!(
        "  chaos run (seed {seed}, {resources} resources) took {:.1} s; {} violations",
        started.elapsed().as_secs_f64(),
        violations.len()
    ));
    for v in &violations {
        say(format!("  VIOLATION {v}"));
    }
    violations
}

#[test]
fn chaos_run_converges_without_orphans_or_rewrites() {
    let seeds: Vec<u64> = env_text("HOTPATCH_CHAOS_SEEDS", DEFAULT_SEEDS)
        .split(',')
        .map(|s| number("HOTPATCH_CHAOS_SEEDS", s))
        .collect();
    let wanted = env_text("HOTPATCH_CHAOS_RESOURCES", &DEFAULT_RESOURCES.to_string());
    let wanted = usize::try_from(number("HOTPATCH_CHAOS_RESOURCES", &wanted))
        .expect("HOTPATCH_CHAOS_RESOURCES fits in usize");
    let size = Size::for_resources(wanted);
    let failed: Vec<String> = seeds
        .iter()
        .filter_map(|&seed| {
            let v = run_seed(seed, size);
            (!v.is_empty()).then(|| {
                format!(
                    "seed {seed} (HOTPATCH_CHAOS_SEEDS={seed} HOTPATCH_CHAOS_RESOURCES={wanted} reproduces it), {} problems:\n{}",
                    v.len(),
                    v.join("\n")
                )
            })
        })
        .collect();
    assert!(
        failed.is_empty(),
        "chaos run failed:\n{}",
        failed.join("\n\n")
    );
}
