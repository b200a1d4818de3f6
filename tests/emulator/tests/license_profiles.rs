//! Billing-safe license bodies (CONTRACT §2.3): a PUT that carries only the Hotpatch feature
//! creates or changes only that feature, reads never invent product-level fields, the
//! machine's license instance view mirrors exactly that, and the request log keeps the exact
//! body that was sent.

mod common;

use arm_emulator::{seed, Fault, LicenseProfileChanges};
use common::Env;
use serde_json::{json, Value};

fn feature_only(status: &str) -> Value {
    json!({ "location": "eastus", "properties": { "productProfile": {
        "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": status } ] } } })
}

/// GETs the profile until it leaves the transitional states.
async fn settled(env: &Env, lp: &str) -> Value {
    for _ in 0..5 {
        let (s, b) = env.get(lp).await;
        assert_eq!(s, 200, "{b}");
        if b["properties"]["provisioningState"] == "Succeeded"
            || b["properties"]["provisioningState"] == "Failed"
        {
            return b;
        }
    }
    panic!("license profile did not settle");
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn a_feature_only_put_on_a_bare_machine_invents_nothing() {
    let env = common::start(common::fast_config()).await;
    let name = seed::WS2025_DATACENTER;
    let lp = env.lp_path(name);
    // Sent byte for byte as written here; the log must keep exactly this text.
    let raw = r#"{"location":"eastus","properties":{"productProfile":{"productFeatures":[{"name":"Hotpatch","subscriptionStatus":"Enabled"}]}}}"#;
    let resp = env
        .http
        .put(env.url(&lp))
        .bearer_auth(&env.token)
        .header("Content-Type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    let pp = &created["properties"]["productProfile"];
    assert_eq!(
        keys(pp),
        ["productFeatures"],
        "no product-level fields: {pp}"
    );
    assert_eq!(pp["productFeatures"][0]["subscriptionStatus"], "Enabling");
    let logged = env
        .emu
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path == lp)
        .unwrap();
    assert_eq!(logged.body, raw);

    let done = settled(&env, &lp).await;
    let p = &done["properties"];
    assert_eq!(keys(p), ["productProfile", "provisioningState"], "{p}");
    let pp = &p["productProfile"];
    assert_eq!(keys(pp), ["productFeatures"]);
    let f = &pp["productFeatures"][0];
    assert_eq!(f["subscriptionStatus"], "Enabled");
    assert!(f["enrollmentDate"].is_string() && f["billingStartDate"].is_string());

    // The machine's instance view mirrors the profile, on GET and in lists alike.
    let (_, m) = env.get(&env.machine_path(name)).await;
    let view = &m["properties"]["licenseProfile"];
    assert_eq!(view["productProfile"], *pp);
    assert!(view.get("softwareAssurance").is_none());
    assert_eq!(view["esuProfile"]["licenseAssignmentState"], "NotAssigned");
    let (_, list) = env
        .get(&format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.HybridCompute/machines",
            env.emu.subscription_id(),
            seed::RESOURCE_GROUP
        ))
        .await;
    let listed = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap();
    assert_eq!(listed["properties"]["licenseProfile"], *view);

    // Disenrolling the feature leaves the product level alone too.
    assert_eq!(env.put(&lp, &feature_only("Disabled")).await.0, 200);
    let done = settled(&env, &lp).await;
    let pp = &done["properties"]["productProfile"];
    assert_eq!(keys(pp), ["productFeatures"]);
    assert_eq!(pp["productFeatures"][0]["subscriptionStatus"], "Disabled");
    assert!(pp["productFeatures"][0]["disenrollmentDate"].is_string());
}

#[tokio::test]
async fn esu_software_assurance_and_a_product_subscription_are_left_as_they_were() {
    let env = common::start(common::fast_config()).await;
    // A machine whose profile has ESU + SA: read, add the feature, write back.
    let lp = env.lp_path(seed::WS2025_WITH_ESU);
    let (_, read) = env.get(&lp).await;
    let mut body = feature_only("Enabled");
    body["properties"]["softwareAssurance"] = read["properties"]["softwareAssurance"].clone();
    body["properties"]["esuProfile"] =
        json!({ "assignedLicense": read["properties"]["esuProfile"]["assignedLicense"] });
    assert_eq!(env.put(&lp, &body).await.0, 200);
    let done = settled(&env, &lp).await;
    assert_eq!(
        done["properties"]["esuProfile"],
        read["properties"]["esuProfile"]
    );
    assert_eq!(
        done["properties"]["softwareAssurance"],
        read["properties"]["softwareAssurance"]
    );
    assert_eq!(
        keys(&done["properties"]["productProfile"]),
        ["productFeatures"]
    );

    // A machine already on a product-level subscription keeps it when a PUT omits it.
    let lp = env.lp_path(seed::WS2025_STANDARD);
    let product = json!({ "location": "eastus", "properties": { "productProfile": {
        "subscriptionStatus": "Enabled", "productType": "WindowsServer" } } });
    assert_eq!(env.put(&lp, &product).await.0, 201);
    let before = settled(&env, &lp).await["properties"]["productProfile"].clone();
    assert_eq!(before["subscriptionStatus"], "Enabled");
    assert_eq!(env.put(&lp, &feature_only("Enabled")).await.0, 200);
    let after = settled(&env, &lp).await["properties"]["productProfile"].clone();
    for field in [
        "subscriptionStatus",
        "productType",
        "enrollmentDate",
        "billingStartDate",
    ] {
        assert_eq!(after[field], before[field], "{field}");
    }
    assert_eq!(after["productFeatures"][0]["subscriptionStatus"], "Enabled");
}

#[tokio::test]
async fn a_failed_feature_only_operation_reports_on_the_feature() {
    let env = common::start(common::fast_config()).await;
    env.emu.inject(Fault::fail_next_lro(
        "Hotpatch enrollment failed: simulated",
    ));
    let lp = env.lp_path(seed::WS2025_DATACENTER);
    assert_eq!(env.put(&lp, &feature_only("Enabled")).await.0, 201);
    let done = settled(&env, &lp).await;
    let pp = &done["properties"]["productProfile"];
    assert_eq!(
        keys(pp),
        ["productFeatures"],
        "no product-level error: {pp}"
    );
    assert_eq!(pp["productFeatures"][0]["subscriptionStatus"], "Failed");
    assert!(pp["productFeatures"][0]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("simulated"));
}

#[tokio::test]
async fn esu_and_software_assurance_change_out_of_band() {
    let env = common::start(common::fast_config()).await;
    let license = seed::esu_license_id();
    // A machine without a profile gets one holding just what changed.
    env.emu
        .change_license_profile(
            seed::WS2025_STANDARD,
            &LicenseProfileChanges {
                software_assurance_customer: Some(true),
                ..LicenseProfileChanges::default()
            },
        )
        .unwrap();
    let (s, b) = env.get(&env.lp_path(seed::WS2025_STANDARD)).await;
    assert_eq!(s, 200);
    assert_eq!(
        keys(&b["properties"]),
        ["provisioningState", "softwareAssurance"]
    );

    let r = env
        .http
        .patch(format!(
            "{}/_admin/machines/{}/license-profile",
            env.emu.base_url(),
            seed::WS2025_STANDARD
        ))
        .json(&json!({ "esuAssignedLicense": license, "removeSoftwareAssurance": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (_, b) = env.get(&env.lp_path(seed::WS2025_STANDARD)).await;
    assert!(b["properties"].get("softwareAssurance").is_none());
    assert_eq!(
        b["properties"]["esuProfile"]["assignedLicense"],
        json!(license)
    );
    assert!(env
        .emu
        .change_license_profile("no-such-machine", &LicenseProfileChanges::default())
        .is_err());
}
