//! ARM throttling as a shared budget: one read and one write bucket per subscription for every
//! client, the remaining budget on every answer of that kind, 429 + Retry-After when empty,
//! counters per client; Resource Graph on its own per-user quota.

mod common;

use std::time::Duration;

use arm_emulator::{seed, BucketStats, Fault, ThrottleConfig, ThrottleStats};
use common::header;
use reqwest::Method;
use serde_json::{json, Value};

const READS: &str = "x-ms-ratelimit-remaining-subscription-reads";
const WRITES: &str = "x-ms-ratelimit-remaining-subscription-writes";

#[tokio::test]
async fn one_budget_for_every_client_with_headers_and_counts_per_client() {
    let env = common::start(common::fast_config()).await;
    env.emu.set_throttle(ThrottleConfig {
        enabled: true,
        read_capacity: 4.0,
        read_refill_per_sec: 0.01,
        write_capacity: 50.0,
        write_refill_per_sec: 0.01,
    });
    let m = env.machine_path(seed::WS2025_DATACENTER);
    let get_as = |agent: &'static str| {
        let env = &env;
        let url = env.url(&m);
        async move {
            let r = env
                .http
                .get(url)
                .bearer_auth(&env.token)
                .header("User-Agent", agent)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                header(r.headers(), READS),
                header(r.headers(), "retry-after"),
            )
        }
    };
    let mut budget = Vec::new();
    for agent in ["terraform-a", "terraform-b", "terraform-a", "terraform-b"] {
        let (s, remaining, _) = get_as(agent).await;
        assert_eq!(s, 200);
        budget.push(remaining.unwrap());
    }
    assert_eq!(
        budget,
        ["3", "2", "1", "0"],
        "both clients drain one bucket"
    );
    let (s, remaining, retry) = get_as("terraform-a").await;
    assert_eq!((s, remaining.as_deref()), (429, Some("0")));
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);

    // Every write answer carries the write budget: success, the service's 404, an injected 503.
    let (s, h, _) = env.patch(&m, &json!({ "tags": {} })).await;
    assert_eq!((s, header(&h, WRITES).as_deref()), (200, Some("49")));
    let ghost = env.machine_path("no-such-machine");
    let (s, h, _) = env.patch(&ghost, &json!({ "tags": {} })).await;
    assert_eq!((s, header(&h, WRITES).as_deref()), (404, Some("48")));
    env.emu
        .inject(Fault::unavailable(1).matching(Some("PATCH"), None));
    let (s, h, _) = env.patch(&m, &json!({ "tags": {} })).await;
    assert_eq!((s, header(&h, WRITES).as_deref()), (503, Some("47")));
    assert!(
        header(&h, READS).is_none(),
        "a write reports the write budget only"
    );

    let stats = env.emu.throttle_stats();
    assert_eq!(
        stats.reads,
        BucketStats {
            charged: 4,
            throttled: 1
        }
    );
    assert_eq!(stats.writes.charged, 3);
    assert_eq!(
        stats.by_client["terraform-a"],
        BucketStats {
            charged: 2,
            throttled: 1
        }
    );
    assert_eq!(stats.by_client["terraform-b"].throttled, 0);
    assert_eq!(stats.throttled(), 1);
    let over_http: ThrottleStats = env
        .http
        .get(format!("{}/_admin/throttle/stats", env.emu.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http, stats);
    env.emu.reset_throttle_stats();
    assert_eq!(env.emu.throttle_stats(), ThrottleStats::default());
}

#[tokio::test]
async fn resource_graph_has_its_own_quota_and_costs_no_subscription_budget() {
    let env = common::start(common::fast_config()).await;
    env.emu.set_throttle(ThrottleConfig {
        enabled: true,
        read_capacity: 1.0,
        read_refill_per_sec: 0.01,
        write_capacity: 1.0,
        write_refill_per_sec: 0.01,
    });
    env.emu.set_resource_graph_quota(2, Duration::from_secs(60));
    let url = format!(
        "{}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        env.emu.base_url()
    );
    let body = json!({ "subscriptions": [env.emu.subscription_id()],
        "query": "patchinstallationresources | project id, properties" });
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let (s, h, b): (u16, _, Value) = env.send(Method::POST, &url, Some(&body)).await;
        assert!(
            header(&h, WRITES).is_none(),
            "tenant-level: no subscription budget"
        );
        assert!(header(&h, "x-ms-user-quota-resets-after").is_some());
        remaining.push((s, header(&h, "x-ms-user-quota-remaining").unwrap()));
        if s == 429 {
            assert_eq!(b["error"]["code"], "RateLimiting");
        }
    }
    assert_eq!(
        remaining,
        [(200, "1".into()), (200, "0".into()), (429, "0".into())]
    );
    // The single write token is still there.
    let (s, _, _) = env
        .patch(
            &env.machine_path(seed::WS2025_DATACENTER),
            &json!({ "tags": {} }),
        )
        .await;
    assert_eq!(s, 200);
    let stats = env.emu.throttle_stats();
    assert_eq!(
        stats.resource_graph,
        BucketStats {
            charged: 2,
            throttled: 1
        }
    );
    assert_eq!(
        stats.writes,
        BucketStats {
            charged: 1,
            throttled: 0
        }
    );
}

#[test]
fn scaled_buckets_keep_arm_proportions() {
    let t = ThrottleConfig::scaled(0.1);
    assert!(t.enabled);
    assert_eq!(
        (
            t.read_capacity,
            t.read_refill_per_sec,
            t.write_capacity,
            t.write_refill_per_sec
        ),
        (25.0, 2.5, 20.0, 1.0)
    );
    assert_eq!(
        ThrottleConfig::scaled(f64::NAN),
        ThrottleConfig::scaled(1.0)
    );
    assert_eq!(
        ThrottleConfig::scaled(1.0).read_capacity,
        ThrottleConfig::default().read_capacity
    );
}
