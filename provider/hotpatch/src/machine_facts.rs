//! One view of a machine's hotpatch facts, whether it is an Arc machine or an Azure VM.
//!
//! The resources, the status data source and the fleet data source all need the same answers
//! (which OS, is it connected, what do the patch settings say, which portal word applies) from
//! bodies that differ per resource provider. Deriving them here, once, keeps the objects
//! consistent and keeps each of them to one ARM read per machine (a GET, or one row of a list
//! page). Whether the machine is eligible at all is the rule in `eligibility`.

use armclient::models::compute::VirtualMachine;
use armclient::models::hybridcompute::{Machine, ProductFeature, HOTPATCH_FEATURE};
use armclient::{ArmClient, ArmError, ResourceId};

use crate::machine_id::MachineKind;
use crate::status::{portal_status, HotpatchSignals, PortalStatus};

/// VM-only facts behind the Compute hotpatch rules.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VmFacts {
    pub provision_vm_agent: Option<bool>,
    pub enable_automatic_updates: Option<bool>,
    pub bypass_platform_safety_checks: Option<bool>,
    /// `publisher/offer/sku` of the image, for messages.
    pub image: Option<String>,
    /// Whether the image is hotpatch-capable; None when the VM has no marketplace reference.
    pub hotpatch_image: Option<bool>,
    pub provisioning_state_terminal: bool,
    pub etag: Option<String>,
}

/// Hotpatch facts of one machine.
#[derive(Clone, Debug, PartialEq)]
pub struct MachineFacts {
    pub kind: MachineKind,
    pub id: Option<String>,
    pub name: Option<String>,
    pub resource_group: Option<String>,
    pub os_type: Option<String>,
    pub os_name: Option<String>,
    pub os_sku: Option<String>,
    /// Arc only: `osEdition` (e.g. `serverdatacenter`).
    pub os_edition: Option<String>,
    pub os_version: Option<String>,
    /// Arc agent status (`Connected`, `Disconnected`, `Error`); VMs have none.
    pub connection_status: Option<String>,
    pub hotpatching_enabled: Option<bool>,
    pub patch_mode: Option<String>,
    pub assessment_mode: Option<String>,
    /// Arc only: `patchSettings.status.hotpatchEnablementStatus`.
    pub enablement_status: Option<String>,
    /// Arc only: the service's reason when the evaluation failed.
    pub enablement_error: Option<String>,
    /// Arc only: the Hotpatch license feature mirrored into the machine body.
    pub feature: Option<ProductFeature>,
    pub vm: Option<VmFacts>,
}

/// Case-insensitive `contains` on a free string (OS facts, image names).
pub(crate) fn contains(haystack: Option<&str>, needle: &str) -> bool {
    haystack.is_some_and(|h| h.to_ascii_lowercase().contains(needle))
}

fn group_of(id: Option<&str>) -> Option<String> {
    ResourceId::parse(id?)
        .ok()?
        .resource_group()
        .map(str::to_owned)
}

impl MachineFacts {
    pub fn from_arc(m: &Machine) -> Self {
        let p = m.properties.as_ref();
        let ps = m.windows_patch_settings();
        let status = ps.and_then(|s| s.status.as_ref());
        MachineFacts {
            kind: MachineKind::Arc,
            id: m.id.clone(),
            name: m.name.clone(),
            resource_group: group_of(m.id.as_deref()),
            os_type: p.and_then(|p| p.os_type.clone()),
            os_name: p.and_then(|p| p.os_name.clone()),
            os_sku: p.and_then(|p| p.os_sku.clone()),
            os_edition: p.and_then(|p| p.os_edition.clone()),
            os_version: p.and_then(|p| p.os_version.clone()),
            connection_status: p
                .and_then(|p| p.status.as_ref())
                .map(|s| s.as_str().to_owned()),
            hotpatching_enabled: ps.and_then(|s| s.enable_hotpatching),
            patch_mode: ps
                .and_then(|s| s.patch_mode.as_ref())
                .map(|v| v.as_str().to_owned()),
            assessment_mode: ps
                .and_then(|s| s.assessment_mode.as_ref())
                .map(|v| v.as_str().to_owned()),
            enablement_status: status
                .and_then(|s| s.hotpatch_enablement_status.as_ref())
                .map(|v| v.as_str().to_owned()),
            enablement_error: status.and_then(|s| s.error.as_ref()).map(|e| e.to_string()),
            feature: p
                .and_then(|p| p.license_profile.as_ref())
                .and_then(|l| l.product_profile.as_ref())
                .and_then(|pp| pp.feature(HOTPATCH_FEATURE))
                .cloned(),
            vm: None,
        }
    }

    pub fn from_vm(vm: &VirtualMachine) -> Self {
        let cfg = vm.windows_configuration();
        let ps = vm.windows_patch_settings();
        let image = vm.image_reference();
        let sku = image.and_then(|i| i.sku.as_deref());
        let offer = image.and_then(|i| i.offer.as_deref());
        let hotpatch_image = (sku.is_some() || offer.is_some()).then(|| {
            [sku, offer]
                .into_iter()
                .any(|s| contains(s, "azure-edition") || contains(s, "hotpatch"))
        });
        let props = vm.properties.as_ref();
        let view = props.and_then(|p| p.instance_view.as_ref());
        let os_type = vm.os_type().map(str::to_owned).or_else(|| {
            props
                .and_then(|p| p.os_profile.as_ref())
                .and_then(|o| {
                    if o.windows_configuration.is_some() {
                        Some("Windows")
                    } else if o.linux_configuration.is_some() {
                        Some("Linux")
                    } else {
                        None
                    }
                })
                .map(str::to_owned)
        });
        MachineFacts {
            kind: MachineKind::Vm,
            id: vm.id.clone(),
            name: vm.name.clone(),
            resource_group: group_of(vm.id.as_deref()),
            os_type,
            os_name: view.and_then(|v| v.os_name.clone()),
            os_sku: sku.map(str::to_owned),
            os_edition: None,
            os_version: view.and_then(|v| v.os_version.clone()),
            connection_status: None,
            hotpatching_enabled: ps.and_then(|s| s.enable_hotpatching),
            patch_mode: ps
                .and_then(|s| s.patch_mode.as_ref())
                .map(|v| v.as_str().to_owned()),
            assessment_mode: ps
                .and_then(|s| s.assessment_mode.as_ref())
                .map(|v| v.as_str().to_owned()),
            enablement_status: None,
            enablement_error: None,
            feature: None,
            vm: Some(VmFacts {
                provision_vm_agent: cfg.and_then(|c| c.provision_vm_agent),
                enable_automatic_updates: cfg.and_then(|c| c.enable_automatic_updates),
                bypass_platform_safety_checks: ps
                    .and_then(|s| s.automatic_by_platform_settings.as_ref())
                    .and_then(|a| a.bypass_platform_safety_checks_on_user_schedule),
                image: image.map(|i| {
                    [&i.publisher, &i.offer, &i.sku]
                        .iter()
                        .map(|s| s.as_deref().unwrap_or("?"))
                        .collect::<Vec<_>>()
                        .join("/")
                }),
                hotpatch_image,
                provisioning_state_terminal: props
                    .and_then(|p| p.provisioning_state.as_ref())
                    .is_none_or(|s| s.is_terminal()),
                etag: vm.etag.clone(),
            }),
        }
    }

    /// The portal word. Arc machines follow CONTRACT.md §5 (license feature plus patch
    /// settings); Azure VMs have no hotpatch license, so their word comes from the switch alone.
    pub fn status(&self) -> PortalStatus {
        match self.kind {
            MachineKind::Arc => {
                let feature = self.feature.as_ref();
                portal_status(&HotpatchSignals {
                    feature_status: feature
                        .and_then(|f| f.subscription_status.as_ref())
                        .map(|s| s.as_str().to_owned()),
                    feature_ended: feature.is_some_and(|f| {
                        f.disenrollment_date.is_some() || f.billing_end_date.is_some()
                    }),
                    enable_hotpatching: self.hotpatching_enabled,
                    enablement_status: self.enablement_status.clone(),
                })
            }
            MachineKind::Vm => {
                let vm = self.vm.clone().unwrap_or_default();
                match self.hotpatching_enabled {
                    Some(true) if !vm.provisioning_state_terminal => PortalStatus::Pending,
                    Some(true) => PortalStatus::Enabled,
                    _ if vm.hotpatch_image == Some(false) => PortalStatus::NotEnrolled,
                    _ => PortalStatus::Disabled,
                }
            }
        }
    }
}

/// Reads one machine with one GET, now (`None` when it does not exist): for polls and reads
/// right after a write. Reads that may share a list page go through
/// `HotpatchData::machine_facts`.
pub async fn read(
    arm: &ArmClient,
    id: &str,
    kind: MachineKind,
) -> Result<Option<MachineFacts>, ArmError> {
    Ok(crate::fleet_reads::fetch(arm, id, kind)
        .await?
        .map(|b| b.facts()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vm_status_comes_from_the_switch_and_the_image() {
        let vm = |sku: &str, hotpatch: bool| {
            let v: VirtualMachine = serde_json::from_value(json!({ "properties": {
                "provisioningState": "Succeeded",
                "storageProfile": { "imageReference": { "sku": sku }, "osDisk": { "osType": "Windows" } },
                "osProfile": { "windowsConfiguration": { "provisionVMAgent": true,
                    "patchSettings": { "enableHotpatching": hotpatch, "patchMode": "AutomaticByPlatform" } } }
            }}))
            .unwrap();
            MachineFacts::from_vm(&v)
        };
        assert_eq!(
            vm("2025-Datacenter-Azure-Edition", true).status(),
            PortalStatus::Enabled
        );
        assert_eq!(
            vm("2025-datacenter-azure-edition", false).status(),
            PortalStatus::Disabled
        );
        assert_eq!(
            vm("2022-datacenter", false).status(),
            PortalStatus::NotEnrolled
        );
    }
}
