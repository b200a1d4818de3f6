//! Cold start of the provider process, as Terraform experiences it.
//!
//! Terraform launches a fresh provider process several times per command (schema load, validate,
//! plan, apply), so the time until the process is usable is paid over and over. This benchmark
//! launches the real binary like Terraform 1.15.5 does (see `plugin_client`) and reports, over N
//! runs:
//!
//! * spawn → handshake line on stdout (process start, port bind, server certificate);
//! * spawn → first `GetProviderSchema` response (adds the mTLS handshake and the first RPC);
//! * peak RSS of the provider (`VmHWM`, read just before `Shutdown`);
//! * `GRPCController.Shutdown` → process exit (Terraform waits up to 2 s before SIGKILL).
//!
//! Run it against a release build (see docs/benchmarks.md or `tests/tools/bench-coldstart.sh`):
//!
//! ```text
//! cargo build --release -p terraform-provider-hotpatch
//! HOTPATCH_PROVIDER_DIR=target/release cargo bench -p hotpatch-e2e --bench coldstart
//! ```
//!
//! `HOTPATCH_BENCH_RUNS` sets N (default 20). Without `HOTPATCH_PROVIDER_DIR` the debug build is
//! measured, which is only useful to check that the benchmark itself works.

use std::time::{Duration, Instant};

use hotpatch_e2e::plugin_client::{provider_binary, ClientIdentity, LaunchOptions, PluginClient};

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

/// (min, median, max) of `values`; the median of an even count is the mean of the middle two.
fn summary(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (values[0], median, values[n - 1])
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let runs: usize = std::env::var("HOTPATCH_BENCH_RUNS")
        .ok()
        .map(|v| v.parse().expect("HOTPATCH_BENCH_RUNS is a positive number"))
        .unwrap_or(20);
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
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        samples.push(one_run().await);
    }

    println!("cold start of {} ({runs} runs)", binary.display());
    println!(
        "binary size: {size} bytes ({:.1} MiB)",
        size as f64 / (1024.0 * 1024.0)
    );
    println!("{:<34}{:>12}{:>12}{:>12}", "metric", "min", "median", "max");
    let rows: [(&str, &str, Vec<f64>); 4] = [
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
    ];
    for (name, unit, values) in rows {
        let (min, median, max) = summary(values);
        let cell = |v: f64| format!("{v:.1} {unit}");
        println!(
            "{name:<34}{:>12}{:>12}{:>12}",
            cell(min),
            cell(median),
            cell(max)
        );
    }
}
