//! The Windows updates every seeded Windows machine starts with, public so tests can name them.
//!
//! Two kinds matter for hotpatching: hotpatch KBs (`NeverReboots`, installed without a
//! restart) and baseline cumulative updates (`AlwaysRequiresReboot`). A definition update and a
//! .NET rollup (`CanRequestReboot`) round out the classifications so include/exclude filters
//! have something to leave out.

use serde::Serialize;

/// One update in a machine's catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Update {
    /// KB number without the `KB` prefix.
    pub kb_id: &'static str,
    pub name: &'static str,
    /// Classification as assessments report it (`UpdateRollup` in result rows; installPatches
    /// filters compare case-insensitively with the enum spelling `UpdateRollUp`).
    pub classification: &'static str,
    /// `NeverReboots`, `AlwaysRequiresReboot` or `CanRequestReboot`.
    pub reboot_behavior: &'static str,
    pub published: &'static str,
}

impl Update {
    pub fn reboot_required(&self) -> bool {
        self.reboot_behavior != "NeverReboots"
    }
}

/// Hotpatch: security fix, never reboots.
pub const HOTPATCH_SECURITY: &str = "5061001";
/// Hotpatch: critical fix, never reboots.
pub const HOTPATCH_CRITICAL: &str = "5061002";
/// Quarterly baseline cumulative update: always reboots.
pub const BASELINE_CU: &str = "5061003";
/// Defender definition update: never reboots.
pub const DEFINITION: &str = "5061004";
/// .NET rollup: may ask for a reboot.
pub const DOTNET_ROLLUP: &str = "5061005";

/// Every update a Windows machine can install, in KB order.
pub const WINDOWS: &[Update] = &[
    Update {
        kb_id: HOTPATCH_SECURITY,
        name: "2025-06 Hotpatch Security Update for Windows Server 2025 (KB5061001)",
        classification: "Security",
        reboot_behavior: "NeverReboots",
        published: "2025-06-10T17:00:00Z",
    },
    Update {
        kb_id: HOTPATCH_CRITICAL,
        name: "2025-06 Hotpatch Critical Update for Windows Server 2025 (KB5061002)",
        classification: "Critical",
        reboot_behavior: "NeverReboots",
        published: "2025-06-10T17:00:00Z",
    },
    Update {
        kb_id: BASELINE_CU,
        name: "2025-07 Cumulative Update (baseline) for Windows Server 2025 (KB5061003)",
        classification: "Security",
        reboot_behavior: "AlwaysRequiresReboot",
        published: "2025-07-08T17:00:00Z",
    },
    Update {
        kb_id: DEFINITION,
        name: "Security Intelligence Update for Microsoft Defender Antivirus (KB5061004)",
        classification: "Definition",
        reboot_behavior: "NeverReboots",
        published: "2025-07-09T05:00:00Z",
    },
    Update {
        kb_id: DOTNET_ROLLUP,
        name: "2025-07 Cumulative Update for .NET Framework 3.5 and 4.8.1 (KB5061005)",
        classification: "UpdateRollup",
        reboot_behavior: "CanRequestReboot",
        published: "2025-07-08T17:00:00Z",
    },
];
