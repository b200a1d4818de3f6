//! `arm-emulator`: the ARM emulator as a process, for `make demo` and manual poking.
//! Prints one JSON line with the connection facts on stdout once it is ready (and/or writes it to
//! `--ready-file`), logs to stderr, and exits on SIGINT/SIGTERM.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use arm_emulator::{Config, Emulator, ThrottleConfig};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "arm-emulator",
    about = "Azure Resource Manager emulator (Arc hotpatch surface)"
)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Folder of official OpenAPI specs used to validate request bodies.
    #[arg(long)]
    specs: Option<PathBuf>,
    /// Extra eligible machines arc-fleet-0001...
    #[arg(long, default_value_t = 0)]
    fleet: usize,
    /// Where to write the CA certificate (PEM). Default: a file in the temp folder.
    #[arg(long)]
    ca_out: Option<PathBuf>,
    /// Write the ready JSON line to this file as well.
    #[arg(long)]
    ready_file: Option<PathBuf>,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Throttling: `off`, `default`, `scale:FACTOR` (ARM's numbers times FACTOR), or
    /// `READS_CAP:READS_PER_SEC,WRITES_CAP:WRITES_PER_SEC`.
    #[arg(long, default_value = "default")]
    throttle: String,
    /// Page size of list operations.
    #[arg(long, default_value_t = 50)]
    page_size: usize,
    /// Polls after which an LRO completes.
    #[arg(long, default_value_t = 2)]
    lro_polls: u32,
    /// Milliseconds after which an LRO completes regardless of polls.
    #[arg(long, default_value_t = 5000)]
    lro_ms: u64,
    /// Client secret of the registered application.
    #[arg(long, env = "ARM_EMULATOR_CLIENT_SECRET")]
    client_secret: Option<String>,
}

fn parse_throttle(s: &str) -> anyhow::Result<ThrottleConfig> {
    match s {
        "off" => Ok(ThrottleConfig::disabled()),
        "default" => Ok(ThrottleConfig::default()),
        spec if spec.starts_with("scale:") => {
            let factor: f64 = spec["scale:".len()..].trim().parse()?;
            anyhow::ensure!(
                factor.is_finite() && factor > 0.0,
                "scale must be a positive number"
            );
            Ok(ThrottleConfig::scaled(factor))
        }
        spec => {
            let parse_pair = |p: &str| -> anyhow::Result<(f64, f64)> {
                let (a, b) = p.split_once(':').context("expected CAP:RATE")?;
                Ok((a.trim().parse()?, b.trim().parse()?))
            };
            let (r, w) = spec
                .split_once(',')
                .context("expected READS_CAP:READS_PER_SEC,WRITES_CAP:WRITES_PER_SEC")?;
            let (rc, rr) = parse_pair(r)?;
            let (wc, wr) = parse_pair(w)?;
            Ok(ThrottleConfig {
                enabled: true,
                read_capacity: rc,
                read_refill_per_sec: rr,
                write_capacity: wc,
                write_refill_per_sec: wr,
            })
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let mut config = Config {
        port: args.port,
        specs_dir: args.specs.clone(),
        fleet_size: args.fleet,
        latency_ms: args.latency_ms,
        throttle: parse_throttle(&args.throttle)?,
        page_size: args.page_size,
        ..Config::default()
    };
    config.lro.polls = args.lro_polls;
    config.lro.duration = Duration::from_millis(args.lro_ms);
    if let Some(secret) = args.client_secret {
        if let Some(c) = config.clients.first_mut() {
            c.client_secret = secret;
        }
    }
    let handle = Emulator::start(config).await?;

    let ca_path = args.ca_out.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("arm-emulator-{}-ca.pem", handle.addr().port()))
    });
    std::fs::write(&ca_path, handle.ca_pem())
        .with_context(|| format!("writing CA to {}", ca_path.display()))?;
    let ready = serde_json::json!({
        "base_url": handle.base_url(),
        "ca_file": ca_path.display().to_string(),
        "tenant_id": handle.tenant_id(),
        "client_id": handle.client_id(),
        "client_secret": handle.client_secret(),
        "subscription_id": handle.subscription_id(),
        "resource_group": handle.resource_group(),
    });
    if let Some(path) = &args.ready_file {
        std::fs::write(path, format!("{ready}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!("{ready}");

    wait_for_signal().await;
    tracing::info!("shutting down");
    handle.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_flags() {
        assert!(!parse_throttle("off").unwrap().enabled);
        assert_eq!(
            parse_throttle("scale:0.5").unwrap(),
            ThrottleConfig::scaled(0.5)
        );
        assert!(parse_throttle("scale:0").is_err());
        assert!(parse_throttle("scale:x").is_err());
        let t = parse_throttle("10:1,5:0.5").unwrap();
        assert_eq!((t.read_capacity, t.write_refill_per_sec), (10.0, 0.5));
    }
}
