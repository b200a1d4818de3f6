//! Fault injection, token-bucket throttling, failing LROs and the admin API.

mod common;

use std::time::{Duration, Instant};

use arm_emulator::{seed, Fault, MachineChanges, ThrottleConfig};
use common::header;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn injected_429_503_409_and_latency() {
    let env = common::start(common::fast_config()).await;
    let m = env.machine_path(seed::WS2025_DATACENTER);

    env.emu.inject(
        Fault::throttle(2, Some(7)).matching(Some("GET"), Some("/machines/arc-ws2025-dc-01")),
    );
    for _ in 0..2 {
        let (s, h, b) = env.send(Method::GET, &env.url(&m), None).await;
        assert_eq!(s, 429);
        assert_eq!(header(&h, "retry-after").as_deref(), Some("7"));
        assert_eq!(b["error"]["code"], "SubscriptionRequestsThrottled");
    }
    assert_eq!(env.get(&m).await.0, 200);

    env.emu.inject(Fault::throttle(1, None));
    let (s, h, _) = env.send(Method::GET, &env.url(&m), None).await;
    assert_eq!(s, 429);
    assert!(header(&h, "retry-after").is_none());

    env.emu
        .inject(Fault::unavailable(1).matching(Some("PATCH"), None));
    let (s, _, b) = env.patch(&m, &json!({ "tags": { "a": "b" } })).await;
    assert_eq!(s, 503);
    assert_eq!(b["error"]["code"], "ServiceUnavailable");
    env.emu
        .inject(Fault::conflict(1).matching(None, Some("licenseProfiles")));
    let (s, _, b) = env
        .put(
            &env.lp_path(seed::WS2025_DATACENTER),
            &json!({ "location": "eastus" }),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(b["error"]["code"], "AnotherOperationInProgress");
    let (s, _, b) = env.patch(&m, &json!({ "tags": { "a": "b" } })).await;
    assert_eq!(s, 200);
    assert_eq!(b["tags"], json!({ "a": "b" }));

    env.emu.inject(Fault::latency(300).times(1));
    let t = Instant::now();
    env.get(&m).await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert!(env.emu.faults().is_empty());
}

#[tokio::test]
async fn token_bucket_throttles_with_retry_after_and_budget_headers() {
    let env = common::start(common::fast_config()).await;
    env.emu.set_throttle(ThrottleConfig {
        enabled: true,
        read_capacity: 3.0,
        read_refill_per_sec: 0.5,
        write_capacity: 2.0,
        write_refill_per_sec: 0.5,
    });
    let m = env.machine_path(seed::WS2025_DATACENTER);
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let (s, h, _) = env.send(Method::GET, &env.url(&m), None).await;
        assert_eq!(s, 200);
        remaining.push(header(&h, "x-ms-ratelimit-remaining-subscription-reads").unwrap());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let (s, h, b) = env.send(Method::GET, &env.url(&m), None).await;
    assert_eq!(s, 429, "{b}");
    let retry: u64 = header(&h, "retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(
        header(&h, "x-ms-ratelimit-remaining-subscription-reads").as_deref(),
        Some("0")
    );

    // Writes have their own bucket.
    let (s, h, _) = env.patch(&m, &json!({ "tags": {} })).await;
    assert_eq!(s, 200);
    assert_eq!(
        header(&h, "x-ms-ratelimit-remaining-subscription-writes").as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn failing_lro_ends_failed_with_feature_failed() {
    let env = common::start(common::fast_config()).await;
    env.emu.inject(Fault::fail_next_lro(
        "Hotpatch enrollment failed: simulated",
    ));
    let lp = env.lp_path(seed::WS2025_DATACENTER);
    let body = json!({ "location": "eastus", "properties": { "productProfile": {
        "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ] } } });
    let (s, h, _) = env.put(&lp, &body).await;
    assert_eq!(s, 201);
    let async_url = header(&h, "azure-asyncoperation").unwrap();
    let mut op = Value::Null;
    for _ in 0..5 {
        op = env.send(Method::GET, &async_url, None).await.2;
        if op["status"] != "InProgress" {
            break;
        }
    }
    assert_eq!(op["status"], "Failed");
    assert!(op["error"]["message"]
        .as_str()
        .unwrap()
        .contains("simulated"));
    let (_, b) = env.get(&lp).await;
    assert_eq!(b["properties"]["provisioningState"], "Failed");
    let f = &b["properties"]["productProfile"]["productFeatures"][0];
    assert_eq!(f["subscriptionStatus"], "Failed");
    assert!(f["error"]["message"].is_string());

    // A retry succeeds.
    let (s, _, _) = env.put(&lp, &body).await;
    assert_eq!(s, 200);
    env.get(&lp).await;
    let (_, b) = env.get(&lp).await;
    assert_eq!(
        b["properties"]["productProfile"]["productFeatures"][0]["subscriptionStatus"],
        "Enabled"
    );
}

#[tokio::test]
async fn admin_api_and_out_of_band_changes() {
    let env = common::start(common::fast_config()).await;
    let admin = |p: &str| format!("{}/_admin/{p}", env.emu.base_url());
    let m = env.machine_path(seed::WS2025_DATACENTER);

    env.get(&m).await;
    let log: Vec<Value> = env
        .http
        .get(admin("requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let last = log.last().unwrap();
    assert_eq!(last["method"], "GET");
    assert_eq!(last["status"], 200);
    assert!(last["query"].as_str().unwrap().contains("api-version"));
    assert!(last["headers"].get("authorization").is_none());
    assert_eq!(env.emu.requests().len(), log.len());
    let r = env.http.delete(admin("requests")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(env.emu.requests().is_empty());

    // Faults over HTTP.
    let r = env
        .http
        .post(admin("faults"))
        .json(&json!({ "count": 1, "action": { "kind": "error", "status": 500, "code": "InternalServerError" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(env.get(&m).await.0, 500);
    assert_eq!(env.get(&m).await.0, 200);

    // Out-of-band machine change over HTTP and via the handle.
    let r = env
        .http
        .patch(admin(&format!("machines/{}", seed::WS2025_DATACENTER)))
        .json(&json!({ "status": "Disconnected", "osSku": "Windows Server 2025 Datacenter: Azure Edition" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, b) = env.get(&m).await;
    assert_eq!(b["properties"]["status"], "Disconnected");
    env.emu
        .set_machine(
            seed::WS2025_DATACENTER,
            &MachineChanges {
                enable_hotpatching: Some(true),
                hotpatch_enablement_status: Some("Enabled".into()),
                ..MachineChanges::default()
            },
        )
        .unwrap();
    let b = env.emu.machine(seed::WS2025_DATACENTER).unwrap();
    assert_eq!(
        b["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]["status"]
            ["hotpatchEnablementStatus"],
        "Enabled"
    );

    // Cancel the Hotpatch feature out of band.
    let lp = env.lp_path(seed::WS2025_STANDARD);
    env.put(
        &lp,
        &json!({ "location": "eastus", "properties": { "productProfile": {
        "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ] } } }),
    )
    .await;
    env.get(&lp).await;
    env.get(&lp).await;
    let r = env
        .http
        .post(admin(&format!(
            "machines/{}/license-profile/cancel-hotpatch",
            seed::WS2025_STANDARD
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, b) = env.get(&lp).await;
    let f = &b["properties"]["productProfile"]["productFeatures"][0];
    assert_eq!(f["subscriptionStatus"], "Disabled");
    assert!(f["disenrollmentDate"].is_string());
    env.emu
        .delete_license_profile(seed::WS2025_STANDARD)
        .unwrap();
    assert_eq!(env.get(&lp).await.0, 404);

    let info: Value = env
        .http
        .get(admin("info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["subscription_id"], seed::SUBSCRIPTION_ID);
    assert_eq!(info["machines"].as_array().unwrap().len(), 6);
}
