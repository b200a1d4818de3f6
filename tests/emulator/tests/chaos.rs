//! Seeded chaos over the wire: the same seed and requests give the same faults, counters add
//! up with what the request log shows, and chaos can be switched off for a clean run.

mod common;

use arm_emulator::{seed, ChaosConfig, ChaosRates, Config, FaultClass, RequestKind};
use common::Env;
use reqwest::Method;
use serde_json::{json, Value};

fn rates() -> ChaosRates {
    ChaosRates {
        throttle_with_retry_after: 0.08,
        throttle_without_retry_after: 0.05,
        read_error: 0.15,
        write_error_before_commit: 0.08,
        write_error_after_commit: 0.1,
        conflict: 0.08,
        reset: 0.05,
        reset_after_commit: 0.05,
        slow_lro: 0.1,
        failing_lro: 0.1,
    }
}

fn config() -> Config {
    Config {
        fleet_size: 12,
        ..common::fast_config()
    }
}

/// A fixed mix of reads and writes; the outcome of each (status, or 0 for a reset).
async fn workload(env: &Env) -> Vec<u16> {
    let mut out = Vec::new();
    for round in 0..3 {
        for i in 1..=12 {
            let name = seed::fleet_machine_name(i);
            let m = env.machine_path(&name);
            let steps: [(Method, String, Option<Value>); 3] = [
                (Method::GET, m.clone(), None),
                (
                    Method::PATCH,
                    m.clone(),
                    Some(json!({ "tags": { "round": round.to_string() } })),
                ),
                (
                    Method::PUT,
                    env.lp_path(&name),
                    Some(
                        json!({ "location": "eastus", "properties": { "productProfile": {
                        "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ] } } }),
                    ),
                ),
            ];
            for (method, path, body) in steps {
                let r = env.try_send(method, &env.url(&path), body.as_ref()).await;
                let monitor = r
                    .as_ref()
                    .ok()
                    .and_then(|(_, h, _)| common::header(h, "azure-asyncoperation"));
                out.push(r.map_or(0, |(s, _, _)| s));
                // One poll of each started operation: monitor URLs are reproducible too.
                if let Some(url) = monitor {
                    let r = env.try_send(Method::GET, &url, None).await;
                    out.push(r.map_or(0, |(s, _, _)| s));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn chaos_is_deterministic_counted_and_switchable() {
    let a = common::start(config()).await;
    let b = common::start(config()).await;
    let chaos = ChaosConfig {
        retry_after: vec!["1e20".into(), "3".into()],
        // Slow operations must not finish during the run, or timing would decide outcomes.
        slow_lro_ms: 600_000,
        ..ChaosConfig::new(42, rates())
    };
    a.emu.set_chaos(chaos.clone()).unwrap();
    b.emu.set_chaos(chaos).unwrap();
    let run_a = workload(&a).await;
    let run_b = workload(&b).await;
    assert_eq!(run_a, run_b, "same seed, same requests, same faults");

    let report = a.emu.chaos().unwrap();
    let stats = &report.stats;
    assert_eq!(stats.requests.get(&RequestKind::Read), Some(&36));
    assert_eq!(stats.requests.get(&RequestKind::Patch), Some(&36));
    assert_eq!(stats.requests.get(&RequestKind::Put), Some(&36));
    assert!(stats
        .requests
        .get(&RequestKind::Poll)
        .is_some_and(|n| *n > 0));
    for class in [
        FaultClass::ReadError,
        FaultClass::WriteErrorAfterCommit,
        FaultClass::Conflict,
    ] {
        assert!(stats.injected(class) > 0, "{class:?} drawn in 108 requests");
    }
    assert_eq!(stats, &b.emu.chaos().unwrap().stats);
    // Every answer-changing fault is in the request log with its class; LRO faults change the
    // operation, not the answer.
    let logged = a
        .emu
        .requests()
        .iter()
        .filter(|r| r.fault.as_deref().is_some_and(|f| f.starts_with("chaos:")))
        .count() as u64;
    let lro = stats.injected(FaultClass::SlowLro) + stats.injected(FaultClass::FailingLro);
    assert_eq!(logged + lro, stats.total_injected());
    assert_eq!(
        run_a.iter().filter(|s| **s == 0).count() as u64,
        stats.injected(FaultClass::Reset) + stats.injected(FaultClass::ResetAfterCommit)
    );
    let per_kind: u64 = stats.by_kind.values().flat_map(|m| m.values()).sum();
    assert_eq!(per_kind, stats.total_injected());

    // A different seed gives a different run.
    let c = common::start(config()).await;
    c.emu
        .set_chaos(ChaosConfig {
            slow_lro_ms: 600_000,
            ..ChaosConfig::new(43, rates())
        })
        .unwrap();
    assert_ne!(workload(&c).await, run_a);

    // Off for the final clean run: nothing injected, counters kept; on again over HTTP.
    a.emu.set_chaos_enabled(false).unwrap();
    let before = a.emu.chaos().unwrap().stats;
    for i in 1..=12 {
        let (s, _) = a.get(&a.machine_path(&seed::fleet_machine_name(i))).await;
        assert_eq!(s, 200);
    }
    assert_eq!(a.emu.chaos().unwrap().stats, before);
    let admin = |p: &str| format!("{}/_admin/{p}", a.emu.base_url());
    let r = a
        .http
        .put(admin("chaos/enabled"))
        .json(&json!({ "enabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let report: Value = a
        .http
        .get(admin("chaos"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["config"]["enabled"], true);
    assert_eq!(report["config"]["seed"], 42);
    assert_eq!(report["stats"]["requests"]["read"], 36);

    // Rates are checked.
    let r = a
        .http
        .put(admin("chaos"))
        .json(&json!({ "seed": 1, "rates": { "read_error": 0.8, "reset": 0.5 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = a.http.delete(admin("chaos")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(a.emu.chaos().is_none());
}

#[tokio::test]
async fn chaos_follows_its_filter() {
    let env = common::start(common::fast_config()).await;
    env.emu
        .set_chaos(
            ChaosConfig::new(
                7,
                ChaosRates {
                    read_error: 1.0,
                    ..ChaosRates::default()
                },
            )
            .matching(Some("GET"), Some(seed::WS2025_DATACENTER)),
        )
        .unwrap();
    let (s, _) = env.get(&env.machine_path(seed::WS2025_DATACENTER)).await;
    assert!(s == 500 || s == 503, "{s}");
    let (s, _) = env.get(&env.machine_path(seed::WS2025_STANDARD)).await;
    assert_eq!(s, 200, "outside the filter");
    let (s, _, _) = env
        .patch(
            &env.machine_path(seed::WS2025_DATACENTER),
            &json!({ "tags": {} }),
        )
        .await;
    assert_eq!(s, 200, "other methods are left alone");
    let stats = env.emu.chaos().unwrap().stats;
    assert_eq!(stats.total_injected(), 1);
    assert_eq!(stats.by_kind[&RequestKind::Read][&FaultClass::ReadError], 1);
}
