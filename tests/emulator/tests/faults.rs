//! Fault injection (before and after commit, resets, hostile Retry-After, failing, stuck and
//! slow LROs, out-of-band mutations on a given request), token-bucket throttling and the admin
//! API.

mod common;

use std::time::{Duration, Instant};

use arm_emulator::{
    seed, Fault, LicenseProfileChanges, MachineChanges, MutationTiming, OutOfBand, ThrottleConfig,
};
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

fn log_of(env: &common::Env, method: &str, path: &str) -> Vec<arm_emulator::LoggedRequest> {
    env.emu
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.eq_ignore_ascii_case(path))
        .collect()
}

#[tokio::test]
async fn writes_can_be_applied_and_then_fail_or_reset() {
    let env = common::start(common::fast_config()).await;
    let m = env.machine_path(seed::WS2025_DATACENTER);
    let tags = |b: &Value| b["tags"].clone();

    // Applied, then answered 500.
    env.emu.inject(
        Fault::error_after_commit(500, "InternalServerError", 1)
            .matching(Some("PATCH"), Some(seed::WS2025_DATACENTER)),
    );
    let (s, h, b) = env.patch(&m, &json!({ "tags": { "step": "1" } })).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (500, Some("InternalServerError"))
    );
    assert!(
        header(&h, "x-ms-ratelimit-remaining-subscription-writes").is_some(),
        "an injected answer still carries the budget"
    );
    assert_eq!(
        tags(&env.get(&m).await.1),
        json!({ "step": "1" }),
        "applied"
    );

    // Applied, then the connection is reset without an answer.
    env.emu
        .inject(Fault::reset_after_commit(1).matching(Some("PATCH"), None));
    let r = env
        .try_send(
            Method::PATCH,
            &env.url(&m),
            Some(&json!({ "tags": { "step": "2" } })),
        )
        .await;
    assert!(r.is_err(), "no answer: {r:?}");
    assert_eq!(
        tags(&env.get(&m).await.1),
        json!({ "step": "2" }),
        "applied"
    );

    // Reset before handling: nothing is applied. (Over HTTP/1.1 this time: the connection is
    // closed, where HTTP/2 above reset the stream.)
    env.emu
        .inject(Fault::reset(1).matching(Some("PATCH"), None));
    let ca = reqwest::Certificate::from_pem(env.emu.ca_pem().as_bytes()).unwrap();
    let h1 = reqwest::Client::builder()
        .tls_certs_only([ca])
        .http1_only()
        .build()
        .unwrap();
    let r = h1
        .patch(env.url(&m))
        .bearer_auth(&env.token)
        .json(&json!({ "tags": { "step": "3" } }))
        .send()
        .await;
    assert!(r.is_err(), "no answer: {r:?}");
    assert_eq!(
        tags(&env.get(&m).await.1),
        json!({ "step": "2" }),
        "not applied"
    );

    // An after-commit fault waits for a write that succeeds.
    env.emu.inject(
        Fault::error_after_commit(503, "ServiceUnavailable", 1).matching(Some("PATCH"), None),
    );
    let (s, _, _) = env.patch(&m, &json!({ "tags": { "bad": 1 } })).await;
    assert_eq!(s, 400, "a rejected write is answered as such");
    assert_eq!(env.emu.faults().len(), 1, "and does not use up the fault");
    let (s, _, _) = env.patch(&m, &json!({ "tags": { "step": "4" } })).await;
    assert_eq!(s, 503);
    assert!(env.emu.faults().is_empty());

    let log = log_of(&env, "PATCH", &m);
    let seen: Vec<(u16, Option<&str>)> =
        log.iter().map(|r| (r.status, r.fault.as_deref())).collect();
    assert_eq!(
        seen,
        [
            (500, Some("rule:error_after_commit 500 InternalServerError")),
            (0, Some("rule:reset_after_commit")),
            (0, Some("rule:reset")),
            (400, None),
            (503, Some("rule:error_after_commit 503 ServiceUnavailable")),
        ]
    );
    // The ledger holds the three applied writes, with the fault that hid each answer.
    let writes = env.emu.writes_for(&m);
    let faults: Vec<Option<&str>> = writes.iter().map(|w| w.fault.as_deref()).collect();
    assert_eq!(
        faults,
        [
            Some("rule:error_after_commit 500 InternalServerError"),
            Some("rule:reset_after_commit"),
            Some("rule:error_after_commit 503 ServiceUnavailable"),
        ]
    );
    assert!(writes.iter().all(|w| w.status == 200 && w.changed()));
}

async fn poll_status(env: &common::Env, url: &str) -> (u16, String) {
    let (s, _, b) = env.send(Method::GET, url, None).await;
    (s, b["status"].as_str().unwrap_or_default().to_string())
}

fn enable_hotpatch() -> Value {
    json!({ "location": "eastus", "properties": { "productProfile": {
        "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ] } } })
}

#[tokio::test]
async fn lro_polls_can_fail_and_operations_can_be_stuck_or_slow() {
    let env = common::start(arm_emulator::Config {
        fleet_size: 3,
        ..common::fast_config()
    })
    .await;
    let lp = |i: usize| env.lp_path(&seed::fleet_machine_name(i));

    // Two failing polls, then the monitor answers again.
    env.emu.inject(Fault::poll_errors(Some(2)));
    let (s, h, _) = env.put(&lp(1), &enable_hotpatch()).await;
    assert_eq!(s, 201);
    let monitor = header(&h, "azure-asyncoperation").unwrap();
    assert_eq!(poll_status(&env, &monitor).await.0, 500);
    assert_eq!(poll_status(&env, &monitor).await.0, 500);
    let mut last = poll_status(&env, &monitor).await;
    while last.1 == "InProgress" {
        last = poll_status(&env, &monitor).await;
    }
    assert_eq!(last, (200, "Succeeded".to_string()));

    // A stuck operation stays InProgress (the feature stays Enabling) until released.
    env.emu
        .inject(Fault::stuck_lro().matching(Some("PUT"), Some("licenseProfiles")));
    let (_, h, _) = env.put(&lp(2), &enable_hotpatch()).await;
    let monitor = header(&h, "azure-asyncoperation").unwrap();
    for _ in 0..6 {
        assert_eq!(poll_status(&env, &monitor).await.1, "InProgress");
    }
    let (_, b) = env.get(&lp(2)).await;
    assert_eq!(
        b["properties"]["productProfile"]["productFeatures"][0]["subscriptionStatus"],
        "Enabling"
    );
    assert_eq!(env.emu.release_stuck_operations(), 1);
    poll_status(&env, &monitor).await;
    assert_eq!(poll_status(&env, &monitor).await.1, "Succeeded");

    // A slow operation ignores polls until its time has come.
    env.emu.inject(
        Fault::slow_lro(Duration::from_millis(500)).matching(None, Some("licenseProfiles")),
    );
    let (_, h, _) = env.put(&lp(3), &enable_hotpatch()).await;
    let monitor = header(&h, "azure-asyncoperation").unwrap();
    for _ in 0..4 {
        assert_eq!(poll_status(&env, &monitor).await.1, "InProgress");
    }
    tokio::time::sleep(Duration::from_millis(550)).await;
    assert_eq!(poll_status(&env, &monitor).await.1, "Succeeded");
}

#[tokio::test]
async fn hostile_retry_after_values_are_sent_verbatim() {
    let env = common::start(common::fast_config()).await;
    let m = env.machine_path(seed::WS2025_DATACENTER);
    for raw in [
        "1e20",
        "12345678901234567890123",
        "-5",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "soon, maybe",
    ] {
        env.emu.inject(Fault::throttle_with(1, Some(raw)));
        let (s, h, b) = env.send(Method::GET, &env.url(&m), None).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (429, Some("SubscriptionRequestsThrottled"))
        );
        assert_eq!(header(&h, "retry-after").as_deref(), Some(raw));
    }
    // The admin API takes the raw text too (and the old numeric field).
    for (field, value, expect) in [
        ("retry_after", json!("1e20"), "1e20"),
        ("retry_after_secs", json!(9), "9"),
    ] {
        let mut action =
            json!({ "kind": "error", "status": 429, "code": "SubscriptionRequestsThrottled" });
        action[field] = value;
        let r = env
            .http
            .post(format!("{}/_admin/faults", env.emu.base_url()))
            .json(&json!({ "count": 1, "action": action }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let (s, h, _) = env.send(Method::GET, &env.url(&m), None).await;
        assert_eq!(
            (s, header(&h, "retry-after")),
            (429, Some(expect.to_string()))
        );
    }
}

#[tokio::test]
async fn an_out_of_band_change_can_land_between_a_get_and_a_put() {
    let env = common::start(common::fast_config()).await;
    let lp = env.lp_path(seed::WS2025_WITH_ESU);
    let other_license = seed::esu_license_id().replace("esu-license-01", "esu-license-02");
    // After the first GET of the profile is answered, ESU and SA change in the portal.
    env.emu.inject(
        Fault::mutate(
            OutOfBand::LicenseProfile {
                machine: seed::WS2025_WITH_ESU.into(),
                changes: LicenseProfileChanges {
                    software_assurance_customer: Some(false),
                    esu_assigned_license: Some(other_license.clone()),
                    ..LicenseProfileChanges::default()
                },
            },
            MutationTiming::AfterHandling,
        )
        .matching(Some("GET"), Some("/licenseProfiles/default"))
        .nth(1),
    );
    let (_, read) = env.get(&lp).await;
    assert_eq!(
        read["properties"]["softwareAssurance"]["softwareAssuranceCustomer"], true,
        "the GET predates the change"
    );
    let (_, now) = env.get(&lp).await;
    assert_eq!(
        now["properties"]["softwareAssurance"]["softwareAssuranceCustomer"],
        false
    );
    assert_eq!(
        now["properties"]["esuProfile"]["assignedLicense"],
        json!(other_license)
    );
    assert!(
        read.get("etag").is_none() && now.get("etag").is_none(),
        "no etag (CONTRACT 1.6)"
    );
    let (_, machine) = env.get(&env.machine_path(seed::WS2025_WITH_ESU)).await;
    assert!(machine.get("etag").is_none());
    assert_eq!(
        machine["properties"]["licenseProfile"]["softwareAssurance"]["softwareAssuranceCustomer"],
        false,
        "the machine's mirror shows the change"
    );

    // A PUT built from the stale read wins (If-Match is not a HybridCompute parameter).
    let mut stale = json!({ "location": read["location"], "properties": {
        "softwareAssurance": read["properties"]["softwareAssurance"],
        "esuProfile": { "assignedLicense": read["properties"]["esuProfile"]["assignedLicense"] },
        "productProfile": { "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ] } } });
    let resp = env
        .http
        .put(env.url(&lp))
        .bearer_auth(&env.token)
        .header("If-Match", "\"not-an-etag\"")
        .json(&stale)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, after) = env.get(&lp).await;
    assert_eq!(
        after["properties"]["softwareAssurance"]["softwareAssuranceCustomer"],
        true
    );
    stale["properties"]["esuProfile"]["assignedLicense"] = json!(seed::esu_license_id());
    assert_eq!(
        after["properties"]["esuProfile"]["assignedLicense"],
        stale["properties"]["esuProfile"]["assignedLicense"]
    );
    // VMs, unlike Arc machines, do have an etag.
    let vm = env.emu.virtual_machine(seed::VM_AZURE_EDITION).unwrap();
    assert!(vm["etag"].is_string());

    // Before-handling mutations are seen by the request that triggers them, also over HTTP.
    let r = env
        .http
        .post(format!("{}/_admin/faults", env.emu.base_url()))
        .json(
            &json!({ "method": "GET", "path_contains": seed::WS2025_STANDARD, "count": 1,
            "action": { "kind": "mutate", "timing": "before_handling",
                "change": { "kind": "machine", "machine": seed::WS2025_STANDARD,
                            "changes": { "status": "Disconnected" } } } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, b) = env.get(&env.machine_path(seed::WS2025_STANDARD)).await;
    assert_eq!(b["properties"]["status"], "Disconnected");
}
