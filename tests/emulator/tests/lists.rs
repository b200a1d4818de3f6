//! Machine and VM lists: paged with `nextLink` at subscription and resource-group scope, each
//! item the body a single GET returns (license instance view and patch settings with their
//! status included for Arc; `instanceView` only with `$expand=instanceView` for VMs).

mod common;

use arm_emulator::{seed, Config};
use common::Env;
use reqwest::Method;
use serde_json::{json, Value};

/// Every item of a paged list, and how many pages it took.
async fn all_pages(env: &Env, first: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut next = Some(first.to_string());
    while let Some(url) = next {
        let (s, _, b) = env.send(Method::GET, &url, None).await;
        assert_eq!(s, 200, "{b}");
        pages += 1;
        items.extend(b["value"].as_array().cloned().unwrap_or_default());
        next = b["nextLink"].as_str().map(str::to_string);
        assert!(pages < 50, "paging must end");
    }
    (items, pages)
}

#[tokio::test]
async fn arc_machine_lists_carry_what_a_get_carries() {
    let mut config = Config {
        fleet_size: 3,
        page_size: 2,
        ..common::fast_config()
    };
    // Nothing may settle between the list and the GETs compared with it.
    config.hotpatch_evaluation.polls = 1_000;
    let env = common::start(config).await;
    // One enrolled machine (license view with a product profile), one with a pending
    // hotpatch evaluation (patch settings with a status).
    let lp = env.lp_path(seed::WS2025_DATACENTER);
    let enroll = json!({ "location": "eastus", "properties": { "productProfile": {
        "productFeatures": [ { "name": "Hotpatch", "subscriptionStatus": "Enabled" } ] } } });
    assert_eq!(env.put(&lp, &enroll).await.0, 201);
    env.get(&lp).await;
    env.get(&lp).await;
    let (s, _, _) = env
        .patch(
            &env.machine_path(seed::WS2025_STANDARD),
            &json!({ "properties": { "osProfile": { "windowsConfiguration": {
                "patchSettings": { "enableHotpatching": true } } } } }),
        )
        .await;
    assert_eq!(s, 200);

    let sub = env.url(&format!(
        "/subscriptions/{}/providers/Microsoft.HybridCompute/machines",
        env.emu.subscription_id()
    ));
    let rg = env.url(&format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.HybridCompute/machines",
        env.emu.subscription_id(),
        seed::RESOURCE_GROUP
    ));
    let total = env.emu.machine_names().len();
    for first in [sub, format!("{rg}&$expand=instanceView")] {
        let (items, pages) = all_pages(&env, &first).await;
        assert_eq!(items.len(), total);
        assert_eq!(pages, total.div_ceil(2));
        for item in &items {
            let name = item["name"].as_str().unwrap();
            let (_, single) = env.get(&env.machine_path(name)).await;
            assert_eq!(item, &single, "{name}");
        }
        let dc = items
            .iter()
            .find(|i| i["name"] == seed::WS2025_DATACENTER)
            .unwrap();
        assert_eq!(
            dc["properties"]["licenseProfile"]["productProfile"]["productFeatures"][0]
                ["subscriptionStatus"],
            "Enabled"
        );
        let std = items
            .iter()
            .find(|i| i["name"] == seed::WS2025_STANDARD)
            .unwrap();
        assert_eq!(
            std["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]["status"]
                ["hotpatchEnablementStatus"],
            "PendingEvaluation"
        );
    }
}

#[tokio::test]
async fn vm_lists_add_the_instance_view_only_when_expanded() {
    let env = common::start(Config {
        page_size: 1,
        ..common::fast_config()
    })
    .await;
    let api = "2025-04-01";
    let base = format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines?api-version={api}",
        env.emu.base_url(),
        env.emu.subscription_id(),
        seed::RESOURCE_GROUP
    );
    let get = |name: &str, expand: bool| {
        let url = format!(
            "{}{}?api-version={api}{}",
            env.emu.base_url(),
            env.emu.vm_id(name),
            if expand { "&$expand=instanceView" } else { "" }
        );
        let env = &env;
        async move { env.send(Method::GET, &url, None).await.2 }
    };
    for expand in [false, true] {
        let first = if expand {
            format!("{base}&$expand=instanceView")
        } else {
            base.clone()
        };
        let (items, pages) = all_pages(&env, &first).await;
        assert_eq!(
            (items.len(), pages),
            (2, 2),
            "page size 1, expand kept across pages"
        );
        for item in &items {
            assert_eq!(item["properties"].get("instanceView").is_some(), expand);
            assert_eq!(item, &get(item["name"].as_str().unwrap(), expand).await);
            assert!(
                item["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"]
                    .get("status")
                    .is_none(),
                "VM patch settings have no status object"
            );
        }
    }
}
