//! Arc assessPatches / installPatches and the Resource Graph tables they feed, over the wire.

mod common;

use arm_emulator::{catalogue, seed, Fault, MaintenanceRun};
use common::{fast_config, header, start, Env};
use reqwest::Method;
use serde_json::{json, Value};

const RG_API: &str = "2024-04-01";

async fn post_lro(env: &Env, path: &str, body: &Value) -> Value {
    let (status, headers, _) = env.send(Method::POST, &env.url(path), Some(body)).await;
    assert_eq!(status, 202, "{path}");
    assert!(
        header(&headers, "azure-asyncoperation").is_none(),
        "Arc patch LROs are Location-only"
    );
    let location = header(&headers, "location").expect("Location");
    for _ in 0..10 {
        let (s, _, b) = env.send(Method::GET, &location, None).await;
        if s == 200 {
            return b;
        }
        assert_eq!(s, 202);
    }
    panic!("operation did not finish");
}

async fn graph(env: &Env, query: &str, options: Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let url = format!(
        "{}/providers/Microsoft.ResourceGraph/resources?api-version={RG_API}",
        env.emu.base_url()
    );
    let body =
        json!({ "subscriptions": [env.emu.subscription_id()], "query": query, "options": options });
    env.send(Method::POST, &url, Some(&body)).await
}

fn history_query(machine_id: &str, days: u32) -> String {
    format!(
        "patchinstallationresources\n| where id startswith '{}/patchinstallationresults/'\n| where todatetime(properties.lastModifiedDateTime) > ago({days}d)\n| project id, type, properties\n| order by id asc",
        machine_id.to_lowercase()
    )
}

#[tokio::test]
async fn assess_then_install_an_include_list_and_read_it_back_from_resource_graph() {
    let mut config = fast_config();
    config.specs_dir = common::shared_arm_dir(
        "assess_then_install_an_include_list_and_read_it_back_from_resource_graph",
    )
    .map(|d| d.join("specs"));
    let env = start(config).await;
    let machine = env.machine_path(seed::WS2025_DATACENTER);

    let assessed = post_lro(&env, &format!("{machine}/assessPatches"), &json!({})).await;
    assert_eq!(assessed["status"], "Succeeded");
    assert_eq!(
        assessed["availablePatchCountByClassification"]["security"],
        2
    );
    assert!(
        assessed.get("availablePatches").is_none(),
        "Arc results have no per-patch list"
    );

    // Arc installPatches requires maximumDuration.
    let (s, _, b) = env
        .send(
            Method::POST,
            &env.url(&format!("{machine}/installPatches")),
            Some(&json!({"rebootSetting": "IfRequired"})),
        )
        .await;
    assert_eq!(s, 400, "{b}");

    let body = json!({
        "maximumDuration": "PT2H",
        "rebootSetting": "IfRequired",
        "windowsParameters": { "kbNumbersToInclude": [format!("KB{}", catalogue::HOTPATCH_SECURITY)] }
    });
    let result = post_lro(&env, &format!("{machine}/installPatches"), &body).await;
    assert_eq!(result["status"], "Succeeded");
    assert_eq!(result["installedPatchCount"], 1);
    assert_eq!(result["notSelectedPatchCount"], 4);
    assert_eq!(
        result["rebootStatus"], "NotNeeded",
        "a hotpatch never reboots"
    );

    let (s, headers, page) = graph(&env, &history_query(&machine, 30), json!({})).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["resultTruncated"], "false");
    assert!(header(&headers, "x-ms-user-quota-remaining").is_some());
    assert!(header(&headers, "x-ms-user-quota-resets-after").is_some_and(|v| v.len() == 8));
    let installed: Vec<&Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["installationState"] == "Installed")
        .collect();
    assert_eq!(installed.len(), 1);
    assert_eq!(
        installed[0]["properties"]["kbId"],
        catalogue::HOTPATCH_SECURITY
    );

    // A fired schedule shows up with its maintenanceRunId; one 40 days old is past retention,
    // one 10 days old is outside a 7-day window but inside 30.
    env.emu
        .fire_maintenance_run(
            seed::WS2025_DATACENTER,
            &MaintenanceRun {
                days_ago: 40,
                ..Default::default()
            },
        )
        .unwrap();
    let (_, mrid) = env
        .emu
        .fire_maintenance_run(
            seed::WS2025_DATACENTER,
            &MaintenanceRun {
                days_ago: 10,
                ..Default::default()
            },
        )
        .unwrap();
    let summaries = |page: &Value| -> Vec<Value> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["type"] == "microsoft.hybridcompute/machines/patchinstallationresults")
            .cloned()
            .collect()
    };
    let (_, _, all) = graph(&env, &history_query(&machine, 30), json!({})).await;
    let runs = summaries(&all);
    assert_eq!(runs.len(), 2, "{all}");
    assert!(runs
        .iter()
        .any(|r| r["properties"]["maintenanceRunId"] == mrid.as_str()));
    let (_, _, week) = graph(&env, &history_query(&machine, 7), json!({})).await;
    assert_eq!(summaries(&week).len(), 1);

    // A failing run: the operation succeeds, the run reports Failed with the message.
    env.emu.inject(Fault::fail_next_install(
        "Windows Update service is not running",
    ));
    let failed = post_lro(
        &env,
        &format!("{machine}/installPatches"),
        &json!({"maximumDuration": "PT1H", "rebootSetting": "Never"}),
    )
    .await;
    assert_eq!(failed["status"], "Failed");
    assert_eq!(
        failed["errorDetails"]["message"],
        "Windows Update service is not running"
    );
}

#[tokio::test]
async fn resource_graph_pages_rejects_other_queries_and_enforces_the_quota() {
    let env = start(fast_config()).await;
    let machine = env.machine_path(seed::WS2025_STANDARD);
    post_lro(
        &env,
        &format!("{machine}/installPatches"),
        &json!({"maximumDuration": "PT2H", "rebootSetting": "Never"}),
    )
    .await;

    // 1 summary + 5 patch rows, pages of 2, to the end.
    let query = history_query(&machine, 30);
    let mut token: Option<String> = None;
    let mut rows = 0;
    let mut pages = 0;
    loop {
        let mut options = json!({ "$top": 2 });
        if let Some(t) = &token {
            options["$skipToken"] = json!(t);
        }
        let (s, _, page) = graph(&env, &query, options).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["totalRecords"], 6);
        rows += page["data"].as_array().unwrap().len();
        pages += 1;
        token = page["$skipToken"].as_str().map(str::to_string);
        if token.is_none() {
            break;
        }
        let (s, _, other) = graph(
            &env,
            &history_query(&machine, 7),
            json!({"$skipToken": token}),
        )
        .await;
        assert_eq!(s, 400, "a skip token belongs to its query: {other}");
    }
    assert_eq!((rows, pages), (6, 3));

    let (s, _, e) = graph(
        &env,
        "patchinstallationresources | summarize count()",
        json!({}),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(e["error"]["code"], "BadRequest");
    assert_eq!(e["error"]["details"][0]["code"], "InvalidQuery");

    env.emu
        .set_resource_graph_quota(1, std::time::Duration::from_secs(60));
    let (s, h, _) = graph(&env, &query, json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(
        header(&h, "x-ms-user-quota-remaining").as_deref(),
        Some("0")
    );
    let (s, h, _) = graph(&env, &query, json!({})).await;
    assert_eq!(s, 429);
    assert_eq!(
        header(&h, "x-ms-user-quota-remaining").as_deref(),
        Some("0")
    );
    assert!(header(&h, "x-ms-user-quota-resets-after").is_some_and(|v| v.starts_with("00:0")));
}
