//! Microsoft.Compute virtual machines in the emulator: api-version, GET / list paging, PATCH as
//! an LRO with etag preconditions, and the service's hotpatch rules as 400s.

mod common;

use arm_emulator::{seed, Config, VmChanges};
use common::{fast_config, header, start, Env};
use reqwest::Method;
use serde_json::{json, Value};

const COMPUTE_API: &str = "2025-04-01";

fn url(env: &Env, path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{}{path}{sep}api-version={COMPUTE_API}", env.emu.base_url())
}

fn hotpatch_body(enable: bool, mode: Option<&str>) -> Value {
    let mut ps = json!({ "enableHotpatching": enable });
    if let Some(m) = mode {
        ps["patchMode"] = json!(m);
    }
    json!({ "properties": { "osProfile": { "windowsConfiguration": { "patchSettings": ps } } } })
}

async fn patch(
    env: &Env,
    name: &str,
    body: &Value,
    if_match: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut rb = env
        .http
        .request(Method::PATCH, url(env, &env.emu.vm_id(name)))
        .bearer_auth(&env.token)
        .json(body);
    if let Some(tag) = if_match {
        rb = rb.header("If-Match", tag);
    }
    let resp = rb.send().await.expect("patch");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

async fn get_vm(env: &Env, name: &str, expand: bool) -> (u16, Value) {
    let path = if expand {
        format!("{}?$expand=instanceView", env.emu.vm_id(name))
    } else {
        env.emu.vm_id(name)
    };
    let (s, _, b) = env.send(Method::GET, &url(env, &path), None).await;
    (s, b)
}

#[tokio::test]
async fn compute_requires_its_own_api_version() {
    let env = start(fast_config()).await;
    let (status, body) = env.get(&env.emu.vm_id(seed::VM_AZURE_EDITION)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "InvalidApiVersionParameter");
    let (status, body) = get_vm(&env, seed::VM_AZURE_EDITION, false).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["etag"].is_string());
    assert!(body["properties"]["instanceView"].is_null());
    let (_, body) = get_vm(&env, seed::VM_AZURE_EDITION, true).await;
    assert!(body["properties"]["instanceView"]["osName"]
        .as_str()
        .unwrap()
        .contains("Azure Edition"));
}

#[tokio::test]
async fn list_pages_with_next_link() {
    let env = start(Config {
        page_size: 1,
        ..fast_config()
    })
    .await;
    let sub = env.emu.subscription_id().to_string();
    let mut next = Some(url(
        &env,
        &format!("/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines"),
    ));
    let mut names = Vec::new();
    let mut pages = 0;
    while let Some(u) = next {
        let (status, _, body) = env.send(Method::GET, &u, None).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        for vm in body["value"].as_array().unwrap() {
            names.push(vm["name"].as_str().unwrap().to_string());
        }
        next = body["nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(pages, 2);
    assert_eq!(names.len(), 2);
    assert!(names.contains(&seed::VM_AZURE_EDITION.to_string()));
}

#[tokio::test]
async fn patch_is_an_lro_guarded_by_the_etag() {
    let env = start(fast_config()).await;
    let (_, before) = get_vm(&env, seed::VM_AZURE_EDITION, false).await;
    let etag = before["etag"].as_str().unwrap().to_string();

    let (status, _, body) = patch(
        &env,
        seed::VM_AZURE_EDITION,
        &hotpatch_body(true, None),
        Some("\"999\""),
    )
    .await;
    assert_eq!(status, 412, "{body}");
    assert_eq!(body["error"]["code"], "PreconditionFailed");

    let (status, headers, body) = patch(
        &env,
        seed::VM_AZURE_EDITION,
        &hotpatch_body(true, None),
        Some(&etag),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["properties"]["provisioningState"], "Updating");
    assert_ne!(
        body["etag"].as_str().unwrap(),
        etag,
        "etag changes on write"
    );
    let monitor = header(&headers, "azure-asyncoperation").expect("monitor header");
    assert!(
        monitor.contains("/providers/Microsoft.Compute/locations/"),
        "{monitor}"
    );
    let mut done = false;
    for _ in 0..3 {
        let (_, _, op) = env.send(Method::GET, &monitor, None).await;
        if op["status"] == "Succeeded" {
            done = true;
            break;
        }
    }
    assert!(done, "operation completes after a few polls");
    let (_, after) = get_vm(&env, seed::VM_AZURE_EDITION, false).await;
    assert_eq!(after["properties"]["provisioningState"], "Succeeded");
    let ps = &after["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"];
    assert_eq!(ps["enableHotpatching"], true);
    assert_eq!(ps["patchMode"], "AutomaticByPlatform", "unsent fields kept");

    // An out-of-band change bumps the etag, so the old one no longer matches.
    let (_, seen) = get_vm(&env, seed::VM_AZURE_EDITION, false).await;
    env.emu
        .set_virtual_machine(
            seed::VM_AZURE_EDITION,
            &VmChanges {
                enable_hotpatching: Some(false),
                ..VmChanges::default()
            },
        )
        .unwrap();
    let stale = seen["etag"].as_str().unwrap();
    let (status, _, _) = patch(
        &env,
        seed::VM_AZURE_EDITION,
        &hotpatch_body(true, None),
        Some(stale),
    )
    .await;
    assert_eq!(status, 412);
}

#[tokio::test]
async fn hotpatch_rules_are_400s_that_change_nothing() {
    let env = start(fast_config()).await;
    // Not an Azure Edition image.
    let (status, _, body) = patch(
        &env,
        seed::VM_WS2022,
        &hotpatch_body(true, Some("AutomaticByPlatform")),
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "OperationNotAllowed");
    // Wrong patch mode.
    let (status, _, body) = patch(
        &env,
        seed::VM_AZURE_EDITION,
        &hotpatch_body(true, Some("AutomaticByOS")),
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "InvalidParameter");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("AutomaticByPlatform"));
    // ImageDefault is not a Windows VM patch mode.
    let (status, _, _) = patch(
        &env,
        seed::VM_AZURE_EDITION,
        &hotpatch_body(false, Some("ImageDefault")),
        None,
    )
    .await;
    assert_eq!(status, 400);
    // VM agent not provisioned.
    env.emu
        .set_virtual_machine(
            seed::VM_AZURE_EDITION,
            &VmChanges {
                provision_vm_agent: Some(false),
                ..VmChanges::default()
            },
        )
        .unwrap();
    let (status, _, body) = patch(
        &env,
        seed::VM_AZURE_EDITION,
        &hotpatch_body(true, None),
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let vm = env.emu.virtual_machine(seed::VM_AZURE_EDITION).unwrap();
    let ps = &vm["properties"]["osProfile"]["windowsConfiguration"]["patchSettings"];
    assert_eq!(ps["enableHotpatching"], false);
    assert_eq!(ps["patchMode"], "AutomaticByPlatform");
}
