//! Resource Graph over a whole fleet, over the wire: the fleet query shapes (type list,
//! resource-group filter, `extend machineId = ...`, `in~` over machine ids), paging at the
//! service's 1,000-row maximum with `$skipToken`, the quota headers on every page, and the
//! ResourceGraph-shaped 400 for a column the query never made.

mod common;

use std::collections::BTreeSet;

use arm_emulator::{catalogue, seed, Config};
use common::{header, start, Env};
use reqwest::Method;
use serde_json::{json, Value};

const FLEET: usize = 200;

const TYPES: &str = "'microsoft.hybridcompute/machines/patchassessmentresults', \
    'microsoft.hybridcompute/machines/patchassessmentresults/softwarepatches', \
    'microsoft.compute/virtualmachines/patchassessmentresults', \
    'microsoft.compute/virtualmachines/patchassessmentresults/softwarepatches'";

fn fleet_query(extra: &str) -> String {
    format!(
        "patchassessmentresources\n\
         | where type in~ ({TYPES})\n{extra}\
         | extend machineId = tolower(substring(id, 0, indexof(tolower(id), '/patchassessmentresults/')))\n\
         | project id, machineId, type, properties\n\
         | order by id asc"
    )
}

async fn graph(env: &Env, query: &str, options: Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let url = format!(
        "{}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        env.emu.base_url()
    );
    let body =
        json!({ "subscriptions": [env.emu.subscription_id()], "query": query, "options": options });
    env.send(Method::POST, &url, Some(&body)).await
}

/// Every row of `query`, following `$skipToken`; also the number of pages.
async fn all_pages(env: &Env, query: &str) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut options = json!({ "$top": 1000, "resultFormat": "objectArray" });
        if let Some(t) = &token {
            options["$skipToken"] = json!(t);
        }
        let (s, h, page) = graph(env, query, options).await;
        assert_eq!(s, 200, "{page}");
        assert!(header(&h, "x-ms-user-quota-remaining").is_some());
        assert!(header(&h, "x-ms-user-quota-resets-after").is_some());
        assert_eq!(page["resultTruncated"], "false");
        assert!(page["data"].as_array().unwrap().len() <= 1000);
        rows.extend(page["data"].as_array().unwrap().iter().cloned());
        pages += 1;
        token = page["$skipToken"].as_str().map(str::to_string);
        if token.is_none() {
            return (rows, pages);
        }
    }
}

#[tokio::test]
async fn a_fleet_query_pages_at_a_thousand_rows_and_names_each_rows_machine() {
    let env = start(Config {
        fleet_size: FLEET,
        ..common::fast_config()
    })
    .await;
    let names: Vec<String> = (1..=FLEET).map(seed::fleet_machine_name).collect();
    for name in names
        .iter()
        .map(String::as_str)
        .chain([seed::VM_AZURE_EDITION])
    {
        env.emu.assess_now(name).unwrap();
    }
    let per_machine = 1 + catalogue::WINDOWS.len();

    // The whole subscription: Arc machines and the VM, 1,000 rows a page.
    let (rows, pages) = all_pages(&env, &fleet_query("")).await;
    assert_eq!(rows.len(), (FLEET + 1) * per_machine);
    assert_eq!(pages, rows.len().div_ceil(1000));
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "pages continue the order");
    assert_eq!(
        ids.iter().collect::<BTreeSet<_>>().len(),
        ids.len(),
        "no row twice"
    );
    for r in &rows {
        let id = r["id"].as_str().unwrap();
        let machine = r["machineId"].as_str().unwrap();
        assert!(
            id.starts_with(&format!("{machine}/patchassessmentresults/")),
            "{r}"
        );
        assert_eq!(machine, machine.to_lowercase());
    }
    let vm = env.emu.vm_id(seed::VM_AZURE_EDITION).to_lowercase();
    assert_eq!(
        rows.iter()
            .filter(|r| r["machineId"] == vm.as_str())
            .count(),
        per_machine
    );

    // A list of machines, any spelling of their ids: only their rows.
    let wanted = [
        env.emu.machine_id(&names[0]).to_uppercase(),
        env.emu.machine_id(&names[199]),
    ];
    let list = wanted
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let by_ids = fleet_query("").replace(
        "| project",
        &format!("| where machineId in~ ({list})\n| project"),
    );
    let (rows, pages) = all_pages(&env, &by_ids).await;
    assert_eq!((rows.len(), pages), (2 * per_machine, 1));

    // A resource group that holds none of them.
    let (rows, _) = all_pages(
        &env,
        &fleet_query("| where resourceGroup =~ 'rg-elsewhere'\n"),
    )
    .await;
    assert!(rows.is_empty());
    let (rows, _) = all_pages(
        &env,
        &fleet_query(&format!(
            "| where resourceGroup =~ '{}'\n",
            seed::RESOURCE_GROUP.to_uppercase()
        )),
    )
    .await;
    assert_eq!(rows.len(), (FLEET + 1) * per_machine);
}

#[tokio::test]
async fn a_column_the_query_never_made_is_a_resource_graph_400() {
    let env = start(common::fast_config()).await;
    let (s, _, e) = graph(
        &env,
        "patchassessmentresources | where machineId in~ ('x') | project id",
        json!({}),
    )
    .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["code"], "BadRequest");
    assert_eq!(e["error"]["details"][0]["code"], "InvalidQuery");
    assert!(
        e["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("machineId"),
        "{e}"
    );
}
