//! `hotpatch_status` and `hotpatch_machines` end to end: the portal word and eligibility of
//! machines in each situation (enabled, ineligible OS, disconnected, not enrolled, cancelled,
//! Azure VMs), at most one ARM read per status lookup, and fleet counts read with paged list
//! calls only.

use arm_emulator::{seed, Config};
use hotpatch_e2e::env::{TestEnv, PROVIDER_HCL};
use serde_json::{json, Value};

fn status_source(name: &str, machine_id: &str) -> String {
    format!("\ndata \"hotpatch_status\" \"{name}\" {{\n  machine_id = \"{machine_id}\"\n}}\n")
}

/// Enrolls `machines` and turns hotpatch on for the first one, in a working dir of its own.
fn enroll(env: &TestEnv, machines: &[&str]) {
    let mut hcl = PROVIDER_HCL.to_string();
    for (i, m) in machines.iter().enumerate() {
        let id = env.emulator.machine_id(m);
        hcl.push_str(&format!(
            "\nresource \"hotpatch_enrollment\" \"m{i}\" {{\n  machine_id = \"{id}\"\n}}\n"
        ));
    }
    hcl.push_str("\nresource \"hotpatch_machine_setting\" \"on\" {\n  machine_id          = hotpatch_enrollment.m0.machine_id\n  hotpatching_enabled = true\n}\n");
    let tf = env.terraform();
    tf.write_config(&hcl);
    tf.apply().success();
}

fn is_machine_get(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    let segs: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
    matches!(
        segs.as_slice(),
        [.., "microsoft.hybridcompute", "machines", _]
            | [.., "microsoft.compute", "virtualmachines", _]
    )
}

#[test]
fn status_of_each_kind_of_machine_from_one_read() {
    let env = TestEnv::start_default();
    enroll(&env, &[seed::WS2025_DATACENTER, seed::WS2025_WITH_ESU]);
    env.emulator
        .cancel_hotpatch(seed::WS2025_WITH_ESU)
        .expect("cancel out of band");

    let e = &env.emulator;
    let cases = [
        ("enabled", e.machine_id(seed::WS2025_DATACENTER)),
        ("ws2022", e.machine_id(seed::WS2022)),
        ("offline", e.machine_id(seed::WS2025_DISCONNECTED)),
        ("fresh", e.machine_id(seed::WS2025_STANDARD)),
        ("cancelled", e.machine_id(seed::WS2025_WITH_ESU)),
        ("linux", e.machine_id(seed::LINUX)),
        ("vm", e.vm_id(seed::VM_AZURE_EDITION)),
        ("vm2022", e.vm_id(seed::VM_WS2022)),
    ];
    let mut hcl = PROVIDER_HCL.to_string();
    for (name, id) in &cases {
        hcl.push_str(&status_source(name, id));
    }
    let tf = env.terraform();
    tf.write_config(&hcl);
    env.emulator.clear_requests();
    tf.apply().success();

    let get = |name: &str| -> Value {
        tf.state_values(&format!("data.hotpatch_status.{name}"))
            .unwrap_or_else(|| panic!("data.hotpatch_status.{name} in state"))
    };
    let enabled = get("enabled");
    assert_eq!(enabled["status"], "Enabled", "{enabled}");
    assert_eq!(enabled["subscription_status"], "Enabled");
    assert_eq!(enabled["hotpatching_enabled"], true);
    assert_eq!(enabled["hotpatch_enablement_status"], "Enabled");
    assert_eq!(enabled["eligible"], true);
    assert_eq!(enabled["eligibility_issues"], json!([]));
    assert_eq!(enabled["connection_status"], "Connected");
    assert!(enabled["enrollment_date"].is_string());
    assert!(enabled["billing_start_date"].is_string());
    assert!(enabled["os_sku"].as_str().unwrap().contains("2025"));

    let ws2022 = get("ws2022");
    assert_eq!(ws2022["status"], "Not enrolled");
    assert_eq!(ws2022["eligible"], false);
    assert!(ws2022["eligibility_issues"][0]
        .as_str()
        .unwrap()
        .contains("Windows Server 2025"));

    let offline = get("offline");
    assert_eq!(offline["connection_status"], "Disconnected");
    assert_eq!(offline["eligible"], false);
    assert!(offline["eligibility_issues"][0]
        .as_str()
        .unwrap()
        .contains("Disconnected"));

    let fresh = get("fresh");
    assert_eq!(fresh["status"], "Not enrolled");
    assert_eq!(fresh["eligible"], true);
    assert!(fresh["subscription_status"].is_null());
    assert!(fresh["enrollment_date"].is_null());

    let cancelled = get("cancelled");
    assert_eq!(cancelled["status"], "Canceled", "{cancelled}");
    assert_eq!(cancelled["subscription_status"], "Disabled");

    let linux = get("linux");
    assert_eq!(linux["eligible"], false);
    assert_eq!(linux["os_name"], "ubuntu");

    let vm = get("vm");
    assert_eq!(vm["status"], "Disabled");
    assert_eq!(vm["eligible"], true);
    assert_eq!(vm["patch_mode"], "AutomaticByPlatform");
    assert!(vm["os_name"].as_str().unwrap().contains("Azure Edition"));
    assert!(vm["connection_status"].is_null());
    let vm2022 = get("vm2022");
    assert_eq!(vm2022["status"], "Not enrolled");
    assert_eq!(vm2022["eligible"], false);

    // At most one read per status lookup, nothing written: the six Arc machines of one
    // resource group share one list page, the two VMs (too few to list) a GET each.
    let reads: Vec<String> = env
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && !r.path.contains("/oauth2/"))
        .map(|r| r.path)
        .collect();
    let gets = reads.iter().filter(|p| is_machine_get(p)).count();
    let arc_pages = reads
        .iter()
        .filter(|p| {
            p.to_ascii_lowercase()
                .ends_with("/microsoft.hybridcompute/machines")
        })
        .count();
    assert_eq!((arc_pages, gets, reads.len()), (1, 2, 3), "{reads:?}");
    assert!(env.arm_writes().is_empty());
}

#[test]
fn fleet_counts_read_with_paged_lists_only() {
    let env = TestEnv::start(Config {
        fleet_size: 12,
        page_size: 5,
        ..Config::default()
    });
    enroll(&env, &[seed::WS2025_DATACENTER]);
    let hcl = format!(
        "{PROVIDER_HCL}
data \"hotpatch_machines\" \"all\" {{}}

data \"hotpatch_machines\" \"enabled\" {{
  resource_group_name = \"{rg}\"
  status              = \"Enabled\"
}}

data \"hotpatch_machines\" \"vms\" {{
  resource_type = \"vm\"
}}
",
        rg = seed::RESOURCE_GROUP
    );
    let tf = env.terraform();
    tf.write_config(&hcl);
    env.emulator.clear_requests();
    tf.apply().success();

    let all = tf.state_values("data.hotpatch_machines.all").unwrap();
    // 6 scenario Arc machines + 12 fleet machines + 2 VMs.
    assert_eq!(all["machines"].as_array().unwrap().len(), 20);
    assert_eq!(
        all["counts"],
        json!({ "Enabled": 1, "Disabled": 1, "Pending": 0, "Canceled": 0, "Not enrolled": 18 })
    );
    let dc = all["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == seed::WS2025_DATACENTER)
        .unwrap();
    assert_eq!(
        *dc,
        json!({
            "id": env.emulator.machine_id(seed::WS2025_DATACENTER),
            "name": seed::WS2025_DATACENTER,
            "resource_group_name": seed::RESOURCE_GROUP,
            "resource_type": "arc",
            "status": "Enabled",
            "hotpatching_enabled": true,
            "eligible": true,
        })
    );

    let enabled = tf.state_values("data.hotpatch_machines.enabled").unwrap();
    let names: Vec<&str> = enabled["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [seed::WS2025_DATACENTER]);
    assert_eq!(
        enabled["counts"],
        json!({ "Enabled": 1, "Disabled": 0, "Pending": 0, "Canceled": 0, "Not enrolled": 0 }),
        "counts follow the status filter"
    );
    assert_eq!(enabled["total_in_scope"], 20, "before the status filter");

    let vms = tf.state_values("data.hotpatch_machines.vms").unwrap();
    let types: Vec<&str> = vms["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["resource_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["vm", "vm"]);

    let requests = env.emulator.requests();
    let arc_pages = requests
        .iter()
        .filter(|r| {
            r.method == "GET"
                && r.path
                    .to_ascii_lowercase()
                    .ends_with("/microsoft.hybridcompute/machines")
        })
        .count();
    // Two Arc reads (all, enabled) of 18 machines in pages of 5.
    assert_eq!(arc_pages, 2 * 4, "pages followed via nextLink");
    assert!(requests
        .iter()
        .any(|r| r.query_param("$skiptoken").is_some()));
    let per_machine: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "GET" && is_machine_get(&r.path))
        .map(|r| r.path.clone())
        .collect();
    assert!(per_machine.is_empty(), "per-machine GETs: {per_machine:?}");
}
