//! Cold start of the provider process, as Terraform experiences it.
//!
//! Terraform launches a fresh provider process several times per command (schema load, validate,
//! plan, apply), so the time until the process is usable is paid over and over. This benchmark
//! launches the real binary like Terraform 1.15.5 does (see `plugin_client`) and reports, over N
//! runs (min, median, 95th percentile, max):
//!
//! * spawn → handshake line on stdout (process start, port bind, server certificate);
//! * spawn → first `GetProviderSchema` response (adds the mTLS handshake and the first RPC);
//! * peak RSS of the provider (`VmHWM`, read just before `Shutdown`);
//! * `GRPCController.Shutdown` → process exit (Terraform waits up to 2 s before SIGKILL);
//! * spawn → first line of a `--debug` launch, which serves without a client certificate and
//!   without TLS: the same start-up minus the server key and certificate, so the difference
//!   to the first row is what TLS (key generation, and the random generator's seeding) costs.
//!
//! Run it against a release build (see docs/benchmarks.md or `tests/tools/bench-coldstart.sh`):
//!
//! ```text
//! cargo build --release -p terraform-provider-hotpatch
//! HOTPATCH_PROVIDER_DIR=target/release cargo bench -p hotpatch-e2e --bench coldstart
//! ```
//!
//! `HOTPATCH_BENCH_RUNS` sets N (default 50). Without `HOTPATCH_PROVIDER_DIR` the debug build is
//! measured, which is only useful to check that the benchmark itself works.

use std::time::{Duration, Instant};

use hotpatch_e2e::plugin_client::{
    provider_binary, ClientIdentity, LaunchOptions, PluginClient, PluginProcess,
};

/// How long one launch may take in total before the benchmark gives up.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

struct Sample {
    handshake: Duration,
    first_schema: Duration,
    peak_rss_kib: u64,
    shutdown_to_exit: Duration,
}

async fn one_run() -> Sample {
    // The certificate is the client's cost (Terraform makes it before spawning), so it is not timed.
    let identity = ClientIdentity::generate();
    let options = LaunchOptions::terraform(&identity);
    let mut client = PluginClient::launch_with(&provider_binary(), identity, options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let spawned = client.process.spawned_at();
    let handshake = client.handshake_at - spawned;
    let schema = client.get_provider_schema().await;
    let first_schema = spawned.elapsed();
    if let Err(status) = schema {
        panic!("GetProviderSchema failed: {status}\n{}", client.describe());
    }
    let peak_rss_kib = client.process.peak_rss_kib().unwrap_or(0);
    let shutdown_started = Instant::now();
    let (_, status, mut process) = client.shutdown(EXIT_TIMEOUT).await;
    let shutdown_to_exit = shutdown_started.elapsed();
    assert!(
        status.is_some(),
        "provider did not exit within {EXIT_TIMEOUT:?} of Shutdown\n{}",
        process.describe()
    );
    Sample {
        handshake,
        first_schema,
        peak_rss_kib,
        shutdown_to_exit,
    }
}

/// A launch with `--debug` and no go-plugin environment: no client certificate, no TLS. Returns
/// spawn → first stdout line (the reattach banner, written in one piece once the socket listens).
async fn one_debug_run() -> Duration {
    let mut options = LaunchOptions::bare();
    options.args.push("--debug".to_string());
    let mut process =
        PluginProcess::spawn(&provider_binary(), &options).unwrap_or_else(|e| panic!("{e}"));
    let Some((at, _)) = process.next_stdout_line(EXIT_TIMEOUT).await else {
        panic!("no reattach line from --debug\n{}", process.describe());
    };
    let started = at - process.spawned_at();
    // Debug mode serves until interrupted, like a developer's Ctrl-C.
    process
        .signal(libc::SIGINT)
        .unwrap_or_else(|e| panic!("SIGINT: {e}"));
    assert!(
        process.wait_exit(EXIT_TIMEOUT).await.is_some(),
        "--debug provider did not exit on SIGINT\n{}",
        process.describe()
    );
    started
}

/// (min, median, 95th percentile, max) of `values`. The median of an even count is the mean of
/// the middle two; the 95th percentile is the nearest-rank one (the value at rank ⌈0.95·n⌉).
fn summary(mut values: Vec<f64>) -> [f64; 4] {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    let p95 = values[(n * 95).div_ceil(100) - 1];
    [values[0], median, p95, values[n - 1]]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = std::env::var("HOTPATCH_BENCH_RUNS")
        .ok()
        .map(|v| v.parse().expect("HOTPATCH_BENCH_RUNS is a positive number"))
        .unwrap_or(50);
    assert!(runs > 0, "HOTPATCH_BENCH_RUNS must be at least 1");

    let binary = provider_binary();
    let size = std::fs::metadata(&binary)
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()))
        .len();
    if std::env::var_os("HOTPATCH_PROVIDER_DIR").is_none() {
        eprintln!("note: HOTPATCH_PROVIDER_DIR is unset, so this measures the debug build");
    }

    // One unmeasured launch warms the page cache, as any real second launch would find it.
    let _ = one_run().await;
    let _ = one_debug_run().await;
    let mut samples = Vec::with_capacity(runs);
    let mut debug_samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        samples.push(one_run().await);
        debug_samples.push(millis(one_debug_run().await));
    }

    println!("cold start of {} ({runs} runs)", binary.display());
    println!(
        "binary size: {size} bytes ({:.1} MiB)",
        size as f64 / (1024.0 * 1024.0)
    );
    println!(
        "{:<40}{:>11}{:>11}{:>11}{:>11}",
        "metric", "min", "median", "p95", "max"
    );
    let rows: [(&str, &str, Vec<f64>); 5] = [
        (
            "spawn -> handshake line",
            "ms",
            samples.iter().map(|s| millis(s.handshake)).collect(),
        ),
        (
            "spawn -> GetProviderSchema reply",
            "ms",
            samples.iter().map(|s| millis(s.first_schema)).collect(),
        ),
        (
            "peak RSS (VmHWM)",
            "MiB",
            samples
                .iter()
                .map(|s| s.peak_rss_kib as f64 / 1024.0)
                .collect(),
        ),
        (
            "Shutdown -> exit",
            "ms",
            samples.iter().map(|s| millis(s.shutdown_to_exit)).collect(),
        ),
        (
            "no client cert (--debug) -> first line",
            "ms",
            debug_samples,
        ),
    ];
    for (name, unit, values) in rows {
        let cells = summary(values).map(|v| format!("{v:.1} {unit}"));
        let [min, median, p95, max] = &cells;
        println!("{name:<40}{min:>11}{median:>11}{p95:>11}{max:>11}");
    }
}
