//! Whether a machine can run hotpatch at all: the one eligibility rule of the provider.
//!
//! The enrollment and machine setting resources refuse at plan time what this rule refuses, and
//! `hotpatch_status` / `hotpatch_machines` report it as `eligible`, so a machine the data
//! sources call eligible is one the resources accept, and the other way round. (Two copies of
//! the rule used to give different answers for the same machine.)
//!
//! Eligibility is about what the machine is: its OS, edition and build on Arc (CONTRACT.md
//! §5.1), its image and VM agent on Azure. Whether the Arc agent is connected is a separate
//! condition ([`MachineFacts::connection_issue`]): the license is an ARM record that can be
//! written for a disconnected machine, while a setting change needs the agent to land.
//!
//! OS facts are free strings written by agents and images, so every check is a
//! case-insensitive `contains`, and a missing fact never makes a machine ineligible: only facts
//! that contradict the rule do.

use std::fmt;

use crate::machine_facts::{contains, MachineFacts};
use crate::machine_id::MachineKind;

/// The Windows Server 2025 build number (`osVersion` 10.0.26100.x).
const WS2025_BUILD: &str = "10.0.26100";

/// Why hotpatch cannot run on a machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ineligibility {
    /// The machine reports another OS than Windows.
    NotWindows { os: String },
    /// An Arc machine that reports an OS other than Windows Server 2025 Standard/Datacenter.
    NotServer2025 { reported: String },
    /// An Azure VM whose marketplace image is not a hotpatch-capable (Azure Edition) one.
    NotHotpatchImage { image: String },
    /// An Azure VM created without the VM agent.
    NoVmAgent,
}

impl fmt::Display for Ineligibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ineligibility::NotWindows { os } => {
                write!(f, "hotpatch is for Windows Server, but the machine runs {os}")
            }
            Ineligibility::NotServer2025 { reported } => write!(
                f,
                "hotpatch on Arc needs Windows Server 2025 Standard or Datacenter, but the machine reports {reported:?}"
            ),
            Ineligibility::NotHotpatchImage { image } => write!(
                f,
                "hotpatch on Azure VMs needs a Windows Server Datacenter: Azure Edition image (image SKU containing \"azure-edition\" or \"hotpatch\"), but the VM runs {image}"
            ),
            Ineligibility::NoVmAgent => f.write_str(
                "hotpatch on Azure VMs needs the VM agent (osProfile.windowsConfiguration.provisionVMAgent = true), which this VM was created without",
            ),
        }
    }
}

impl MachineFacts {
    /// Whether the OS is Windows; None when the machine does not say.
    pub(crate) fn is_windows(&self) -> Option<bool> {
        match self.os_type.as_deref() {
            Some(t) => Some(t.eq_ignore_ascii_case("windows")),
            None => self
                .os_name
                .as_deref()
                .map(|n| contains(Some(n), "windows")),
        }
    }

    /// Why hotpatch cannot run on this machine (empty: eligible). Covers what the machine is,
    /// not settings the user can change in the same apply (patch mode) nor its connection.
    pub fn ineligibility(&self) -> Vec<Ineligibility> {
        if self.is_windows() == Some(false) {
            let os = self.os_type.as_deref().or(self.os_name.as_deref());
            return vec![Ineligibility::NotWindows {
                os: os.unwrap_or("another OS").to_owned(),
            }];
        }
        match self.kind {
            MachineKind::Arc => self.arc_os_issue().into_iter().collect(),
            MachineKind::Vm => {
                let vm = self.vm.clone().unwrap_or_default();
                let mut issues = Vec::new();
                if vm.hotpatch_image == Some(false) {
                    issues.push(Ineligibility::NotHotpatchImage {
                        image: vm.image.unwrap_or_else(|| "another image".to_owned()),
                    });
                }
                if vm.provision_vm_agent == Some(false) {
                    issues.push(Ineligibility::NoVmAgent);
                }
                issues
            }
        }
    }

    /// Windows Server 2025 by name or build, Standard or Datacenter by name, SKU or edition.
    fn arc_os_issue(&self) -> Option<Ineligibility> {
        // Name and SKU, once each (agents often report the same text in both).
        let mut facts: Vec<&str> = Vec::new();
        for fact in [&self.os_name, &self.os_sku].into_iter().flatten() {
            if !facts.iter().any(|f| f.eq_ignore_ascii_case(fact)) {
                facts.push(fact);
            }
        }
        let os = facts.join(" ");
        if os.is_empty() && self.os_version.is_none() {
            return None;
        }
        let is_2025 =
            contains(Some(&os), "2025") || contains(self.os_version.as_deref(), WS2025_BUILD);
        let described = format!("{os} {}", self.os_edition.as_deref().unwrap_or_default());
        let edition_ok = described.trim().is_empty()
            || contains(Some(&described), "datacenter")
            || contains(Some(&described), "standard");
        if is_2025 && edition_ok {
            return None;
        }
        let reported = if os.is_empty() {
            self.os_version.clone().unwrap_or_default()
        } else {
            os
        };
        Some(Ineligibility::NotServer2025 { reported })
    }

    /// Why a setting change cannot land on this machine now: an Arc agent that is not
    /// connected (the service evaluates the change when it reconnects). VMs have none.
    pub fn connection_issue(&self) -> Option<String> {
        let status = self.connection_status.as_deref()?;
        (!status.eq_ignore_ascii_case("Connected")).then(|| {
            format!("the Arc agent is {status}; the machine must be Connected for hotpatch settings to take effect")
        })
    }

    /// Everything that stands between this machine and working hotpatch, in plain words: its
    /// ineligibility, a disconnected agent, and what the service itself reported (an
    /// `ActionRequired` evaluation, a `Failed` license feature) with the service's reasons.
    pub fn issues(&self) -> Vec<String> {
        let mut issues: Vec<String> = self
            .ineligibility()
            .iter()
            .map(ToString::to_string)
            .collect();
        issues.extend(self.connection_issue());
        if self
            .enablement_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("ActionRequired"))
        {
            issues.push(format!(
                "the service evaluated the hotpatch setting as ActionRequired: {}",
                self.enablement_error
                    .as_deref()
                    .unwrap_or("no reason given")
            ));
        }
        if let Some(f) = &self.feature {
            if f.subscription_status
                .as_ref()
                .is_some_and(|s| s.as_str().eq_ignore_ascii_case("Failed"))
            {
                issues.push(format!(
                    "the Hotpatch license feature is Failed: {}",
                    f.error
                        .as_ref()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "no reason given".into())
                ));
            }
        }
        issues
    }
}

#[cfg(test)]
mod tests {
    use armclient::models::compute::VirtualMachine;
    use armclient::models::hybridcompute::Machine;
    use serde_json::json;

    use super::*;

    fn arc(props: serde_json::Value) -> MachineFacts {
        let m: Machine = serde_json::from_value(json!({ "properties": props })).unwrap();
        MachineFacts::from_arc(&m)
    }

    fn vm(sku: Option<&str>, agent: bool, os_type: &str) -> MachineFacts {
        let image = sku.map_or(json!(null), |s| json!({ "publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": s }));
        let v: VirtualMachine = serde_json::from_value(json!({ "properties": {
            "provisioningState": "Succeeded",
            "storageProfile": { "imageReference": image, "osDisk": { "osType": os_type } },
            "osProfile": { "windowsConfiguration": { "provisionVMAgent": agent } }
        }}))
        .unwrap();
        MachineFacts::from_vm(&v)
    }

    fn verdict(f: &MachineFacts) -> Vec<Ineligibility> {
        f.ineligibility()
    }

    fn not_2025(reported: &str) -> Vec<Ineligibility> {
        vec![Ineligibility::NotServer2025 {
            reported: reported.to_owned(),
        }]
    }

    #[test]
    fn arc_windows_server_2025_standard_and_datacenter_are_eligible_in_any_spelling() {
        for props in [
            json!({ "osType": "windows", "osName": "Windows Server 2025 Datacenter", "osSku": "Windows Server 2025 Datacenter" }),
            json!({ "osType": "WINDOWS", "osSku": "windows server 2025 standard" }),
            json!({ "osType": "windows", "osName": "Windows Server 2025 Datacenter: Azure Edition" }),
            // Arc often reports osName "windows": the build and the edition decide.
            json!({ "osType": "windows", "osName": "windows", "osVersion": "10.0.26100.4061", "osEdition": "serverdatacenter" }),
            json!({ "osType": "windows", "osVersion": "10.0.26100.4061" }),
        ] {
            assert_eq!(verdict(&arc(props.clone())), vec![], "{props}");
        }
    }

    #[test]
    fn missing_facts_give_no_verdict() {
        assert_eq!(verdict(&arc(json!({}))), vec![]);
        assert_eq!(verdict(&arc(json!({ "osType": "windows" }))), vec![]);
        assert_eq!(verdict(&vm(None, true, "Windows")), vec![]);
    }

    #[test]
    fn arc_other_windows_versions_and_editions_are_not_eligible() {
        let ws2022 = arc(
            json!({ "osType": "windows", "osName": "Windows Server 2022 Datacenter", "osSku": "windows server 2022 datacenter", "osVersion": "10.0.20348.3692" }),
        );
        // Named once, though name and SKU both say it.
        assert_eq!(verdict(&ws2022), not_2025("Windows Server 2022 Datacenter"));
        let essentials =
            arc(json!({ "osType": "windows", "osSku": "Windows Server 2025 Essentials" }));
        assert_eq!(
            verdict(&essentials),
            not_2025("Windows Server 2025 Essentials")
        );
        // Windows 11 24H2 shares the 2025 build number; its edition gives it away.
        let client = arc(
            json!({ "osType": "windows", "osName": "Windows 11 Enterprise", "osVersion": "10.0.26100.1", "osEdition": "enterprise" }),
        );
        assert_eq!(verdict(&client), not_2025("Windows 11 Enterprise"));
        let old_build = arc(json!({ "osType": "windows", "osVersion": "10.0.20348.1" }));
        assert_eq!(verdict(&old_build), not_2025("10.0.20348.1"));
    }

    #[test]
    fn other_operating_systems_are_not_eligible() {
        let linux = arc(json!({ "osType": "linux", "osName": "ubuntu", "osSku": "Ubuntu 22.04" }));
        let want = vec![Ineligibility::NotWindows { os: "linux".into() }];
        assert_eq!(verdict(&linux), want);
        assert!(linux.issues()[0].contains("the machine runs linux"));
        // Without osType the name decides.
        let named = arc(json!({ "osName": "Ubuntu 24.04" }));
        let want = vec![Ineligibility::NotWindows {
            os: "Ubuntu 24.04".into(),
        }];
        assert_eq!(verdict(&named), want);
        let linux_vm = vm(Some("22_04-lts"), true, "Linux");
        let want = vec![Ineligibility::NotWindows { os: "Linux".into() }];
        assert_eq!(verdict(&linux_vm), want);
    }

    #[test]
    fn vms_need_a_hotpatch_image_and_the_agent() {
        assert_eq!(
            verdict(&vm(Some("2025-datacenter-azure-edition"), true, "Windows")),
            vec![]
        );
        assert_eq!(
            verdict(&vm(
                Some("2022-datacenter-azure-edition-hotpatch"),
                true,
                "Windows"
            )),
            vec![]
        );
        assert_eq!(
            verdict(&vm(Some("2022-datacenter"), true, "Windows")),
            vec![Ineligibility::NotHotpatchImage {
                image: "MicrosoftWindowsServer/WindowsServer/2022-datacenter".into()
            }]
        );
        assert_eq!(
            verdict(&vm(Some("2025-datacenter-azure-edition"), false, "Windows")),
            vec![Ineligibility::NoVmAgent]
        );
    }

    #[test]
    fn a_disconnected_agent_is_an_issue_but_not_ineligibility() {
        let offline = arc(
            json!({ "osType": "windows", "osSku": "Windows Server 2025 Standard", "status": "Disconnected" }),
        );
        assert_eq!(verdict(&offline), vec![]);
        assert!(offline.connection_issue().unwrap().contains("Disconnected"));
        assert_eq!(offline.issues().len(), 1);
        let online = arc(
            json!({ "osType": "windows", "osSku": "Windows Server 2025 Standard", "status": "Connected" }),
        );
        assert_eq!(online.connection_issue(), None);
        assert!(online.issues().is_empty());
    }

    #[test]
    fn issues_add_what_the_service_reported() {
        let m = arc(json!({
            "osType": "windows", "osSku": "Windows Server 2025 Datacenter", "status": "Connected",
            "osProfile": { "windowsConfiguration": { "patchSettings": {
                "enableHotpatching": true,
                "status": { "hotpatchEnablementStatus": "ActionRequired", "error": { "code": "VbsNotEnabled", "message": "Enable VBS." } }
            } } },
            "licenseProfile": { "productProfile": { "productFeatures": [
                { "name": "Hotpatch", "subscriptionStatus": "Failed" }
            ] } }
        }));
        assert_eq!(verdict(&m), vec![]);
        let issues = m.issues();
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert!(issues[0].contains("ActionRequired") && issues[0].contains("Enable VBS"));
        assert!(issues[1].contains("license feature is Failed: no reason given"));
    }
}
