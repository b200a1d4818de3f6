//! ARM surface of Microsoft.HybridCompute: auth, api-version, case-insensitive paths, machines
//! (GET, paging, PATCH + hotpatch evaluation) and license profiles (PUT/PATCH/DELETE LROs).

mod common;

use arm_emulator::seed;
use common::{header, Env, API};
use reqwest::Method;
use serde_json::{json, Value};

fn enable_body(location: &str) -> Value {
    json!({
        "location": location,
        "properties": {
            "productProfile": {
                "productType": "WindowsServer",
                "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ]
            }
        }
    })
}

#[tokio::test]
async fn auth_and_api_version_are_enforced() {
    let env = common::start(common::fast_config()).await;
    let path = env.machine_path(seed::WS2025_DATACENTER);

    let r = env.http.get(env.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "AuthenticationFailed");

    let r = env
        .http
        .get(env.url(&path))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "InvalidAuthenticationToken");

    let bare = format!("{}{}", env.emu.base_url(), path);
    let (s, _, b) = env.send(Method::GET, &bare, None).await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["code"], "MissingApiVersionParameter");

    let (s, _, b) = env
        .send(Method::GET, &format!("{bare}?api-version=2022-12-27"), None)
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["code"], "InvalidApiVersionParameter");

    let (s, h, b) = env.send(Method::GET, &env.url(&path), None).await;
    assert_eq!(s, 200, "{b}");
    assert!(header(&h, "x-ms-ratelimit-remaining-subscription-reads").is_some());
}

#[tokio::test]
async fn machine_get_is_case_insensitive_and_canonical() {
    let env = common::start(common::fast_config()).await;
    let odd = format!(
        "/SUBSCRIPTIONS/{}/resourcegroups/RG-HOTPATCH/providers/microsoft.hybridcompute/Machines/{}",
        seed::SUBSCRIPTION_ID,
        seed::WS2025_DATACENTER.to_uppercase()
    );
    let (s, b) = env.get(&format!("{odd}?$expand=instanceView")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["id"], env.emu.machine_id(seed::WS2025_DATACENTER));
    assert_eq!(b["name"], seed::WS2025_DATACENTER);
    assert_eq!(b["type"], "Microsoft.HybridCompute/machines");
    assert_eq!(b["properties"]["osName"], "Windows Server 2025 Datacenter");
    assert_eq!(b["properties"]["status"], "Connected");
    assert!(b["properties"]["osVersion"]
        .as_str()
        .unwrap()
        .starts_with("10.0.26100."));

    let (s, b) = env.get(&env.machine_path("does-not-exist")).await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "ResourceNotFound");

    let (s, b) = env.get(&env.lp_path("does-not-exist")).await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "ParentResourceNotFound");

    let (s, b) = env
        .get(&format!(
            "/subscriptions/{}/resourceGroups/nope/providers/Microsoft.HybridCompute/machines/x",
            seed::SUBSCRIPTION_ID
        ))
        .await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "ResourceGroupNotFound");
}

#[tokio::test]
async fn list_pages_with_next_link() {
    let mut config = common::fast_config();
    config.fleet_size = 7;
    config.page_size = 5;
    let env = common::start(config).await;
    for scope in [
        format!("/subscriptions/{}", seed::SUBSCRIPTION_ID),
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            seed::SUBSCRIPTION_ID,
            seed::RESOURCE_GROUP
        ),
    ] {
        let mut url = env.url(&format!(
            "{scope}/providers/Microsoft.HybridCompute/machines"
        ));
        let mut names = Vec::new();
        let mut pages = 0;
        loop {
            let (s, _, b) = env.send(Method::GET, &url, None).await;
            assert_eq!(s, 200, "{b}");
            pages += 1;
            for m in b["value"].as_array().unwrap() {
                names.push(m["name"].as_str().unwrap().to_string());
            }
            match b["nextLink"].as_str() {
                Some(next) => {
                    assert!(next.starts_with(env.emu.base_url()));
                    assert!(next.contains(&format!("api-version={API}")));
                    url = next.to_string();
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(names.len(), 13);
        assert!(names.contains(&seed::fleet_machine_name(7)));
        assert_eq!(names, env.emu.machine_names());
    }
}

#[tokio::test]
async fn patch_hotpatch_goes_pending_then_enabled_or_action_required() {
    let env = common::start(common::fast_config()).await;
    let body = json!({ "properties": { "osProfile": { "windowsConfiguration": {
        "patchSettings": { "patchMode": "AutomaticByPlatform", "enableHotpatching": true } } } } });

    // Eligible machine with the Hotpatch license: PendingEvaluation -> Enabled.
    let lp = env.lp_path(seed::WS2025_DATACENTER);
    let (s, _, _) = env.put(&lp, &enable_body("eastus")).await;
    assert_eq!(s, 201);
    while env.get(&lp).await.1["properties"]["provisioningState"] != "Succeeded" {}

    let m = env.machine_path(seed::WS2025_DATACENTER);
    let (s, _, b) = env.patch(&m, &body).await;
    assert_eq!(s, 200, "{b}");
    let ps = &b["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"];
    assert_eq!(ps["enableHotpatching"], true);
    assert_eq!(ps["patchMode"], "AutomaticByPlatform");
    assert_eq!(
        ps["status"]["hotpatchEnablementStatus"],
        "PendingEvaluation"
    );
    let (_, b1) = env.get(&m).await;
    assert_eq!(
        b1["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]["status"]
            ["hotpatchEnablementStatus"],
        "PendingEvaluation"
    );
    let (_, b2) = env.get(&m).await;
    assert_eq!(
        b2["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]["status"]
            ["hotpatchEnablementStatus"],
        "Enabled"
    );
    // The machine mirrors the license profile.
    assert_eq!(
        b2["properties"]["licenseProfile"]["productProfile"]["productFeatures"][0]
            ["subscriptionStatus"],
        "Enabled"
    );

    // Ineligible OS: ActionRequired with an error.
    let m = env.machine_path(seed::WS2022);
    let (s, _, _) = env.patch(&m, &body).await;
    assert_eq!(s, 200);
    env.get(&m).await;
    let (_, b) = env.get(&m).await;
    let st = &b["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]["status"];
    assert_eq!(st["hotpatchEnablementStatus"], "ActionRequired");
    assert_eq!(st["error"]["code"], "HotpatchNotSupported");

    // Eligible OS without the license: ActionRequired.
    let m = env.machine_path(seed::WS2025_STANDARD);
    env.patch(&m, &body).await;
    env.get(&m).await;
    let (_, b) = env.get(&m).await;
    let st = &b["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]["status"];
    assert_eq!(st["hotpatchEnablementStatus"], "ActionRequired");
    assert_eq!(st["error"]["code"], "HotpatchLicenseNotEnabled");

    // Disconnected: stays pending until the agent reconnects.
    let m = env.machine_path(seed::WS2025_DISCONNECTED);
    env.patch(&m, &body).await;
    for _ in 0..4 {
        let (_, b) = env.get(&m).await;
        assert_eq!(
            b["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]["status"]
                ["hotpatchEnablementStatus"],
            "PendingEvaluation"
        );
    }

    // Wrong type is rejected without spec validation.
    let bad = json!({ "properties": { "osProfile": { "windowsConfiguration": {
        "patchSettings": { "enableHotpatching": "yes" } } } } });
    let (s, _, b) = env
        .patch(&env.machine_path(seed::WS2025_DATACENTER), &bad)
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["code"], "InvalidRequestContent");
}

async fn poll_async(env: &Env, url: &str) -> Value {
    for _ in 0..10 {
        let (s, _, b) = env.send(Method::GET, url, None).await;
        assert_eq!(s, 200, "{b}");
        if b["status"] != "InProgress" {
            return b;
        }
    }
    panic!("operation did not finish");
}

#[tokio::test]
async fn license_profile_put_lro_enables_with_dates() {
    let env = common::start(common::fast_config()).await;
    let lp = env.lp_path(seed::WS2025_STANDARD);

    let (s, b) = env.get(&lp).await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "ResourceNotFound");

    let (s, h, b) = env.put(&lp, &enable_body("eastus")).await;
    assert_eq!(s, 201, "{b}");
    let async_url = header(&h, "azure-asyncoperation").expect("Azure-AsyncOperation");
    let location = header(&h, "location").expect("Location");
    assert!(header(&h, "retry-after").is_some());
    assert_eq!(b["id"], lp);
    assert_eq!(
        b["properties"]["productProfile"]["productFeatures"][0]["subscriptionStatus"],
        "Enabling"
    );

    // Location monitor: 202 while running.
    let (s, _, _) = env.send(Method::GET, &location, None).await;
    assert_eq!(s, 202);
    let op = poll_async(&env, &async_url).await;
    assert_eq!(op["status"], "Succeeded");
    assert!(op["startTime"].is_string() && op["endTime"].is_string());
    let (s, _, b) = env.send(Method::GET, &location, None).await;
    assert_eq!(s, 200);
    let f = &b["properties"]["productProfile"]["productFeatures"][0];
    assert_eq!(f["subscriptionStatus"], "Enabled");
    assert!(f["enrollmentDate"].is_string() && f["billingStartDate"].is_string());

    // PUT again on an existing profile: 200.
    let (s, _, b) = env.put(&lp, &enable_body("eastus")).await;
    assert_eq!(s, 200);
    assert_eq!(
        b["properties"]["productProfile"]["productFeatures"][0]["subscriptionStatus"],
        "Enabled"
    );

    // PATCH Disable: 202 + headers, then Disabled with disenrollment dates.
    let (s, h, _) = env
        .patch(
            &lp,
            &json!({ "properties": { "productProfile": { "productFeatures": [
                { "name": "Hotpatch", "subscriptionStatus": "Disable" } ] } } }),
        )
        .await;
    assert_eq!(s, 202);
    let async_url = header(&h, "azure-asyncoperation").unwrap();
    assert!(header(&h, "location").is_some() && header(&h, "retry-after").is_some());
    assert_eq!(poll_async(&env, &async_url).await["status"], "Succeeded");
    let (_, b) = env.get(&lp).await;
    let f = &b["properties"]["productProfile"]["productFeatures"][0];
    assert_eq!(f["subscriptionStatus"], "Disabled");
    assert!(f["disenrollmentDate"].is_string() && f["billingEndDate"].is_string());

    // List.
    let (s, b) = env
        .get(&format!(
            "{}/licenseProfiles",
            env.machine_path(seed::WS2025_STANDARD)
        ))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["value"].as_array().unwrap().len(), 1);

    // DELETE: 202, then gone; a second DELETE is 204.
    let (s, h, _) = env.send(Method::DELETE, &env.url(&lp), None).await;
    assert_eq!(s, 202);
    let location = header(&h, "location").unwrap();
    let (s, _, _) = env.send(Method::GET, &location, None).await;
    assert_eq!(s, 202);
    let (s, _, _) = env.send(Method::GET, &location, None).await;
    assert_eq!(s, 204);
    assert_eq!(env.get(&lp).await.0, 404);
    let (s, _, _) = env.send(Method::DELETE, &env.url(&lp), None).await;
    assert_eq!(s, 204);
}

#[tokio::test]
async fn put_and_patch_vocabularies_and_location() {
    let env = common::start(common::fast_config()).await;
    let lp = env.lp_path(seed::WS2025_DATACENTER);

    let mut verb_in_put = enable_body("eastus");
    verb_in_put["properties"]["productProfile"]["productFeatures"][0]["subscriptionStatus"] =
        json!("Enable");
    let (s, _, b) = env.put(&lp, &verb_in_put).await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["code"], "InvalidSubscriptionStatus");
    assert!(b["error"]["message"].as_str().unwrap().contains("PATCH"));

    let mut no_location = enable_body("eastus");
    no_location.as_object_mut().unwrap().remove("location");
    let (s, _, b) = env.put(&lp, &no_location).await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["code"], "LocationRequired");

    let (s, _, _) = env.put(&lp, &enable_body("eastus")).await;
    assert_eq!(s, 201);
    // A second write while the LRO runs conflicts.
    let (s, _, b) = env.put(&lp, &enable_body("eastus")).await;
    assert_eq!(s, 409, "{b}");
    env.get(&lp).await;
    env.get(&lp).await;

    let (s, _, b) = env
        .patch(
            &lp,
            &json!({ "properties": { "productProfile": { "productFeatures": [
                { "name": "Hotpatch", "subscriptionStatus": "Disabled" } ] } } }),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["code"], "InvalidSubscriptionStatus");
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'Enable'/'Disable'"));

    // PATCH on a machine without a profile: 404.
    let (s, _, b) = env
        .patch(&env.lp_path(seed::WS2022), &json!({ "properties": {} }))
        .await;
    assert_eq!(s, 404);
    assert_eq!(b["error"]["code"], "ResourceNotFound");
}

#[tokio::test]
async fn put_back_what_was_read_keeps_esu_and_software_assurance() {
    let env = common::start(common::fast_config()).await;
    let lp = env.lp_path(seed::WS2025_WITH_ESU);
    let (s, current) = env.get(&lp).await;
    assert_eq!(s, 200);
    assert_eq!(
        current["properties"]["softwareAssurance"]["softwareAssuranceCustomer"],
        true
    );
    let license = current["properties"]["esuProfile"]["assignedLicense"].clone();
    assert_eq!(license, json!(seed::esu_license_id()));

    // The machine mirrors the profile with the full license object.
    let (_, m) = env.get(&env.machine_path(seed::WS2025_WITH_ESU)).await;
    assert_eq!(
        m["properties"]["licenseProfile"]["esuProfile"]["licenseAssignmentState"],
        "Assigned"
    );
    assert_eq!(
        m["properties"]["licenseProfile"]["esuProfile"]["assignedLicense"]["id"],
        license
    );

    let body = json!({
        "location": current["location"],
        "properties": {
            "softwareAssurance": { "softwareAssuranceCustomer": true },
            "esuProfile": { "assignedLicense": license },
            "productProfile": { "productType": "WindowsServer", "productFeatures": [
                { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ] }
        }
    });
    let (s, h, b) = env.put(&lp, &body).await;
    assert_eq!(s, 200, "{b}");
    assert!(header(&h, "azure-asyncoperation").is_none());
    assert_eq!(b["properties"]["provisioningState"], "Updating");
    // Poll the resource until it settles (the 200 response has no monitor).
    let mut last = Value::Null;
    for _ in 0..5 {
        last = env.get(&lp).await.1;
        if last["properties"]["provisioningState"] == "Succeeded" {
            break;
        }
    }
    assert_eq!(last["properties"]["provisioningState"], "Succeeded");
    assert_eq!(last["properties"]["esuProfile"]["assignedLicense"], license);
    assert_eq!(
        last["properties"]["softwareAssurance"]["softwareAssuranceCustomer"],
        true
    );
    assert_eq!(
        last["properties"]["productProfile"]["productFeatures"][0]["subscriptionStatus"],
        "Enabled"
    );

    // A PUT that omits ESU/SA replaces them (documented PUT semantics).
    let (s, _, b) = env.put(&lp, &enable_body("eastus")).await;
    assert_eq!(s, 200);
    assert!(b["properties"].get("esuProfile").is_none());
    assert!(b["properties"].get("softwareAssurance").is_none());
}
