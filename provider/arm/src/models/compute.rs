//! Microsoft.Compute virtual machines, api-version 2025-04-01 (CONTRACT.md §3).
//!
//! Only what the hotpatch provider reads (OS facts, image, VM agent, patch settings, `etag`) or
//! writes (`patchSettings`) is modelled. The PATCH body is a separate, minimal type so a write can
//! never carry other VM properties back to the service: a concurrent change to disks or size made
//! by someone else must not be reverted by a hotpatch toggle. Optimistic concurrency for the patch
//! settings themselves uses the read-only `etag` with `If-Match` (412 on mismatch).
//!
//! `assessPatches` / `installPatches` bodies live in `compute/patches.rs`.

use super::common::{extensible_enum, ProvisioningState};
use serde::{Deserialize, Serialize};

mod patches;
pub use patches::*;

/// The api-version this module models.
pub const API_VERSION: &str = "2025-04-01";

/// Full resource type of a VM.
pub const VIRTUAL_MACHINE_TYPE: &str = "Microsoft.Compute/virtualMachines";

extensible_enum! {
    /// Windows `patchSettings.patchMode` of a VM (no `ImageDefault` for Windows VMs).
    pub enum VmPatchMode {
        Manual => "Manual",
        AutomaticByOS => "AutomaticByOS",
        AutomaticByPlatform => "AutomaticByPlatform",
        ImageDefault => "ImageDefault",
    }
}

extensible_enum! {
    /// `patchSettings.assessmentMode` of a VM.
    pub enum VmAssessmentMode {
        ImageDefault => "ImageDefault",
        AutomaticByPlatform => "AutomaticByPlatform",
    }
}

extensible_enum! {
    /// `automaticByPlatformSettings.rebootSetting`.
    pub enum VmRebootSetting {
        Unknown => "Unknown",
        IfRequired => "IfRequired",
        Never => "Never",
        Always => "Always",
    }
}

/// A virtual machine as GET / list / PATCH return it (the subset the provider uses).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Read-only; send it back as `If-Match` to write only what was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<VirtualMachineProperties>,
}

impl VirtualMachine {
    /// `properties.osProfile.windowsConfiguration`, if present.
    pub fn windows_configuration(&self) -> Option<&WindowsConfiguration> {
        self.properties
            .as_ref()?
            .os_profile
            .as_ref()?
            .windows_configuration
            .as_ref()
    }

    /// `windowsConfiguration.patchSettings`, if present.
    pub fn windows_patch_settings(&self) -> Option<&VmPatchSettings> {
        self.windows_configuration()?.patch_settings.as_ref()
    }

    /// `storageProfile.imageReference`, if present.
    pub fn image_reference(&self) -> Option<&ImageReference> {
        self.properties
            .as_ref()?
            .storage_profile
            .as_ref()?
            .image_reference
            .as_ref()
    }

    /// `storageProfile.osDisk.osType` (`Windows` / `Linux`), if present.
    pub fn os_type(&self) -> Option<&str> {
        self.properties
            .as_ref()?
            .storage_profile
            .as_ref()?
            .os_disk
            .as_ref()?
            .os_type
            .as_deref()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<ProvisioningState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_profile: Option<VmOsProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_profile: Option<StorageProfile>,
    /// Only with `$expand=instanceView`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_view: Option<VmInstanceView>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmOsProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_configuration: Option<WindowsConfiguration>,
    /// Present on Linux VMs; kept raw (the provider only needs to know it is there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_configuration: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowsConfiguration {
    #[serde(
        default,
        rename = "provisionVMAgent",
        skip_serializing_if = "Option::is_none"
    )]
    pub provision_vm_agent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_automatic_updates: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_settings: Option<VmPatchSettings>,
}

/// `windowsConfiguration.patchSettings` of a VM (no `status` object, unlike Arc).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmPatchSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_mode: Option<VmPatchMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_hotpatching: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_mode: Option<VmAssessmentMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatic_by_platform_settings: Option<AutomaticByPlatformSettings>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomaticByPlatformSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_setting: Option<VmRebootSetting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass_platform_safety_checks_on_user_schedule: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_reference: Option<ImageReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_disk: Option<OsDisk>,
}

/// The marketplace image a VM was created from (free strings).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OsDisk {
    /// `Windows` / `Linux` (free string here; compare case-insensitively).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_type: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmInstanceView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
}

/// `PATCH {VM}` body that changes only `windowsConfiguration.patchSettings`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VirtualMachinePatchSettingsUpdate {
    properties: UpdateProperties,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateProperties {
    os_profile: UpdateOsProfile,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateOsProfile {
    windows_configuration: UpdateWindowsConfiguration,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateWindowsConfiguration {
    patch_settings: VmPatchSettingsUpdate,
}

/// The writable patch settings; unset fields are not sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VmPatchSettingsUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_mode: Option<VmPatchMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_hotpatching: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment_mode: Option<VmAssessmentMode>,
}

impl VirtualMachinePatchSettingsUpdate {
    pub fn new(settings: VmPatchSettingsUpdate) -> Self {
        VirtualMachinePatchSettingsUpdate {
            properties: UpdateProperties {
                os_profile: UpdateOsProfile {
                    windows_configuration: UpdateWindowsConfiguration {
                        patch_settings: settings,
                    },
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_the_provider_needs_and_tolerates_new_values() {
        let vm: VirtualMachine = serde_json::from_value(serde_json::json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
            "etag": "W/\"3\"",
            "properties": {
                "provisioningState": "Succeeded",
                "storageProfile": {
                    "imageReference": { "publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2025-datacenter-azure-edition" },
                    "osDisk": { "osType": "Windows" }
                },
                "osProfile": { "windowsConfiguration": {
                    "provisionVMAgent": true,
                    "patchSettings": { "patchMode": "SomethingNew", "enableHotpatching": true,
                        "automaticByPlatformSettings": { "bypassPlatformSafetyChecksOnUserSchedule": false } }
                } },
                "unmodelled": { "x": 1 }
            }
        }))
        .unwrap();
        assert_eq!(vm.etag.as_deref(), Some("W/\"3\""));
        assert_eq!(vm.os_type(), Some("Windows"));
        let ps = vm.windows_patch_settings().unwrap();
        assert_eq!(
            ps.patch_mode,
            Some(VmPatchMode::Other("SomethingNew".into()))
        );
        assert_eq!(
            vm.windows_configuration().unwrap().provision_vm_agent,
            Some(true)
        );
        assert!(vm
            .image_reference()
            .unwrap()
            .sku
            .as_deref()
            .unwrap()
            .contains("azure-edition"));
    }

    #[test]
    fn update_body_carries_only_patch_settings() {
        let body = VirtualMachinePatchSettingsUpdate::new(VmPatchSettingsUpdate {
            enable_hotpatching: Some(true),
            patch_mode: Some(VmPatchMode::AutomaticByPlatform),
            assessment_mode: None,
        });
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({ "properties": { "osProfile": { "windowsConfiguration": {
                "patchSettings": { "patchMode": "AutomaticByPlatform", "enableHotpatching": true }
            } } } })
        );
    }
}
