//! The deterministic fleet every emulator starts with. Tests refer to machines by the names
//! below instead of discovering them, so each scenario (eligible, ineligible OS, Linux,
//! disconnected, ESU already licensed) has exactly one well-known machine.

use serde::Serialize;

pub const TENANT_ID: &str = "00000000-0000-0000-0000-0000000000aa";
pub const CLIENT_ID: &str = "00000000-0000-0000-0000-0000000000c1";
pub const CLIENT_SECRET: &str = "emulator-secret";
pub const SUBSCRIPTION_ID: &str = "00000000-0000-0000-0000-000000000001";
pub const RESOURCE_GROUP: &str = "rg-hotpatch";
pub const LOCATION: &str = "eastus";

/// Eligible: Windows Server 2025 Datacenter, connected.
pub const WS2025_DATACENTER: &str = "arc-ws2025-dc-01";
/// Eligible: Windows Server 2025 Standard, connected.
pub const WS2025_STANDARD: &str = "arc-ws2025-std-01";
/// Ineligible: Windows Server 2022 (hotpatch for Arc needs 2025).
pub const WS2022: &str = "arc-ws2022-dc-01";
/// Ineligible: Linux.
pub const LINUX: &str = "arc-ubuntu-01";
/// Windows Server 2025 whose agent is disconnected: hotpatch evaluation never completes.
pub const WS2025_DISCONNECTED: &str = "arc-ws2025-offline-01";
/// Windows Server 2025 whose license profile already has ESU + Software Assurance, no hotpatch.
pub const WS2025_WITH_ESU: &str = "arc-ws2025-esu-01";

/// Azure VM on a Windows Server 2025 Datacenter: Azure Edition image (hotpatch-capable),
/// patch mode `AutomaticByPlatform`, hotpatching off.
pub const VM_AZURE_EDITION: &str = "vm-ws2025-azure-01";
/// Azure VM on a Windows Server 2022 Datacenter image (not hotpatch-capable), `AutomaticByOS`.
pub const VM_WS2022: &str = "vm-ws2022-dc-01";

/// The ESU license assigned to [`WS2025_WITH_ESU`].
pub fn esu_license_id() -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.HybridCompute/licenses/esu-license-01"
    )
}

/// Name of the `i`-th (1-based) extra fleet machine.
pub fn fleet_machine_name(i: usize) -> String {
    format!("arc-fleet-{i:04}")
}

/// Canonical ARM id of an Arc machine.
pub fn machine_id(subscription: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.HybridCompute/machines/{name}"
    )
}

/// Canonical ARM id of an Azure VM.
pub fn vm_id(subscription: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.Compute/virtualMachines/{name}"
    )
}

/// Canonical ARM id of a seeded machine in the default subscription and resource group.
pub fn seeded_machine_id(name: &str) -> String {
    machine_id(SUBSCRIPTION_ID, RESOURCE_GROUP, name)
}

/// What one seeded machine looks like.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedMachine {
    pub name: String,
    pub os_name: String,
    pub os_sku: String,
    pub os_version: String,
    pub os_type: String,
    pub os_edition: String,
    pub status: String,
    /// Whether hotpatch enrollment can succeed on this machine.
    pub hotpatch_eligible: bool,
    /// Has a license profile with ESU + Software Assurance at start.
    pub has_esu_license: bool,
}

fn windows(name: &str, year: &str, edition: &str, build: &str, status: &str) -> SeedMachine {
    SeedMachine {
        name: name.to_string(),
        os_name: format!("Windows Server {year} {edition}"),
        os_sku: format!("Windows Server {year} {edition}"),
        os_version: build.to_string(),
        os_type: "windows".to_string(),
        os_edition: edition.to_lowercase(),
        status: status.to_string(),
        hotpatch_eligible: year == "2025" && status == "Connected",
        has_esu_license: false,
    }
}

/// The fleet in a stable order: the six scenario machines, then `fleet_size` eligible ones.
pub fn fleet(fleet_size: usize) -> Vec<SeedMachine> {
    let mut v = vec![
        windows(
            WS2025_DATACENTER,
            "2025",
            "Datacenter",
            "10.0.26100.4061",
            "Connected",
        ),
        windows(
            WS2025_STANDARD,
            "2025",
            "Standard",
            "10.0.26100.4061",
            "Connected",
        ),
        windows(WS2022, "2022", "Datacenter", "10.0.20348.3692", "Connected"),
        SeedMachine {
            name: LINUX.to_string(),
            os_name: "ubuntu".to_string(),
            os_sku: "Ubuntu 22.04.5 LTS".to_string(),
            os_version: "5.15.0-139-generic".to_string(),
            os_type: "linux".to_string(),
            os_edition: String::new(),
            status: "Connected".to_string(),
            hotpatch_eligible: false,
            has_esu_license: false,
        },
        windows(
            WS2025_DISCONNECTED,
            "2025",
            "Datacenter",
            "10.0.26100.3775",
            "Disconnected",
        ),
        SeedMachine {
            has_esu_license: true,
            ..windows(
                WS2025_WITH_ESU,
                "2025",
                "Datacenter",
                "10.0.26100.4061",
                "Connected",
            )
        },
    ];
    for i in 1..=fleet_size {
        v.push(windows(
            &fleet_machine_name(i),
            "2025",
            "Datacenter",
            "10.0.26100.4061",
            "Connected",
        ));
    }
    v
}
