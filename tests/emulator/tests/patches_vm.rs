//! VM assessPatches / installPatches over the wire. There is no Compute spec in `specs/` to
//! validate against, so the result shapes are checked here field by field against CONTRACT §3.

mod common;

use arm_emulator::{catalogue, seed, Fault};
use common::{fast_config, header, start, Env};
use reqwest::Method;
use serde_json::{json, Value};

const COMPUTE_API: &str = "2025-04-01";

fn url(env: &Env, path: &str) -> String {
    format!("{}{path}?api-version={COMPUTE_API}", env.emu.base_url())
}

/// POSTs and follows the Location header to the final body; asserts final-state-via location.
async fn post_lro(env: &Env, path: &str, body: &Value) -> Value {
    let (status, headers, _) = env.send(Method::POST, &url(env, path), Some(body)).await;
    assert_eq!(status, 202, "{path}");
    assert!(header(&headers, "azure-asyncoperation").is_none());
    let location = header(&headers, "location").expect("Location");
    assert!(
        location.contains("/providers/Microsoft.Compute/locations/")
            && location.contains(COMPUTE_API),
        "{location}"
    );
    for _ in 0..10 {
        let (s, _, b) = env.send(Method::GET, &location, None).await;
        if s == 200 {
            return b;
        }
        assert_eq!(s, 202);
    }
    panic!("operation did not finish");
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn vm_assess_and_install_return_per_patch_results_and_feed_resource_graph() {
    let env = start(fast_config()).await;
    let vm = env.emu.vm_id(seed::VM_AZURE_EDITION);

    let a = post_lro(&env, &format!("{vm}/assessPatches"), &json!({})).await;
    assert_eq!(
        keys(&a),
        [
            "assessmentActivityId",
            "availablePatches",
            "criticalAndSecurityPatchCount",
            "otherPatchCount",
            "rebootPending",
            "startDateTime",
            "status"
        ],
        "VMResult fields of CONTRACT §3, no Arc-only ones"
    );
    assert_eq!(a["status"], "Succeeded");
    assert_eq!(a["criticalAndSecurityPatchCount"], 3);
    assert_eq!(a["otherPatchCount"], 2);
    let patches = a["availablePatches"].as_array().unwrap();
    assert_eq!(patches.len(), catalogue::WINDOWS.len());
    assert_eq!(
        keys(&patches[0]),
        [
            "activityId",
            "assessmentState",
            "classifications",
            "kbId",
            "lastModifiedDateTime",
            "name",
            "patchId",
            "publishedDate",
            "rebootBehavior",
            "version"
        ]
    );
    assert_eq!(patches[0]["kbId"], catalogue::HOTPATCH_SECURITY);
    assert_eq!(patches[0]["rebootBehavior"], "NeverReboots");

    // maximumDuration is optional for VMs; rebootSetting is not; masks must be well-formed.
    let install = format!("{vm}/installPatches");
    for bad in [
        json!({}),
        json!({ "rebootSetting": "IfRequired", "windowsParameters": { "patchNameMasksToInclude": ["Hot patch"] } }),
        json!({ "rebootSetting": "IfRequired", "maximumDuration": "2 hours" }),
    ] {
        let (s, _, b) = env
            .send(Method::POST, &url(&env, &install), Some(&bad))
            .await;
        assert_eq!(s, 400, "{bad} -> {b}");
    }
    let body = json!({
        "rebootSetting": "IfRequired",
        "windowsParameters": { "kbNumbersToInclude": [format!("KB{}", catalogue::HOTPATCH_SECURITY)] }
    });
    let r = post_lro(&env, &install, &body).await;
    assert_eq!(
        keys(&r),
        [
            "excludedPatchCount",
            "failedPatchCount",
            "installationActivityId",
            "installedPatchCount",
            "maintenanceWindowExceeded",
            "notSelectedPatchCount",
            "patches",
            "pendingPatchCount",
            "rebootStatus",
            "startDateTime",
            "status"
        ]
    );
    assert_eq!(r["installedPatchCount"], 1);
    assert_eq!(r["notSelectedPatchCount"], 4);
    assert_eq!(r["rebootStatus"], "NotNeeded");
    let installed: Vec<&Value> = r["patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["installationState"] == "Installed")
        .collect();
    assert_eq!(installed.len(), 1);
    assert_eq!(installed[0]["kbId"], catalogue::HOTPATCH_SECURITY);
    assert_eq!(
        keys(installed[0]),
        [
            "classifications",
            "installationState",
            "kbId",
            "name",
            "patchId",
            "version"
        ]
    );

    // Name masks select by title; the injected install failure applies to VMs too.
    env.emu.inject(Fault::fail_next_install("disk full"));
    let masked = json!({
        "rebootSetting": "Never",
        "windowsParameters": { "patchNameMasksToInclude": ["*Hotpatch*"] }
    });
    let failed = post_lro(&env, &install, &masked).await;
    assert_eq!(failed["status"], "Failed");
    assert_eq!(failed["failedPatchCount"], 1, "only the remaining hotpatch");
    assert_eq!(failed["error"]["code"], "PatchInstallationFailed");
    assert_eq!(failed["error"]["message"], "disk full");

    // Resource Graph rows carry the VM types.
    let query = format!(
        "patchinstallationresources\n| where type =~ 'microsoft.compute/virtualmachines/patchinstallationresults'\n| where id startswith '{}/patchinstallationresults/'\n| project id, type, properties\n| order by id asc",
        vm.to_lowercase()
    );
    let graph = format!(
        "{}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01",
        env.emu.base_url()
    );
    let request = json!({ "subscriptions": [env.emu.subscription_id()], "query": query });
    let (s, _, page) = env.send(Method::POST, &graph, Some(&request)).await;
    assert_eq!(s, 200, "{page}");
    let statuses: Vec<&Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["properties"]["status"])
        .collect();
    assert_eq!(statuses.len(), 2, "{page}");
    assert!(statuses.contains(&&json!("Succeeded")) && statuses.contains(&&json!("Failed")));
}

#[tokio::test]
async fn vm_patch_operations_404_for_unknown_vms() {
    let env = start(fast_config()).await;
    let missing = env.emu.vm_id("no-such-vm");
    let (s, _, b) = env
        .send(
            Method::POST,
            &url(&env, &format!("{missing}/assessPatches")),
            Some(&json!({})),
        )
        .await;
    assert_eq!(s, 404, "{b}");
    assert_eq!(b["error"]["code"], "ResourceNotFound");
}
