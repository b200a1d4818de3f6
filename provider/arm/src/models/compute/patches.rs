//! VM `assessPatches` / `installPatches` bodies, api-version 2025-04-01 (CONTRACT.md §3).
//!
//! They differ from the Arc ones in ways that matter to a caller: VM results carry the
//! per-patch arrays (`availablePatches`, `patches`) that Arc results leave to Resource Graph,
//! `maximumDuration` is optional, Windows parameters take patch-name masks and Linux
//! parameters a `maintenanceRunId`. Where both specs use the same vocabulary (operation status,
//! reboot setting and status, classifications) the Arc enums are reused, so the provider can
//! treat both results with one code path.

use serde::{Deserialize, Serialize};

use crate::models::common::extensible_enum;
pub use crate::models::hybridcompute::{
    LinuxClassification, PatchOperationStatus, RebootSetting, RebootStatus, WindowsClassification,
};
use crate::models::ErrorDetail;

/// Compute's `ApiError` (`code`, `target`, `message`, `details[]`, `innererror`): the same
/// shape [`ErrorDetail`] already reads.
pub type ApiError = ErrorDetail;

extensible_enum! {
    /// `availablePatches[].rebootBehavior`.
    pub enum PatchRebootBehavior {
        Unknown => "Unknown",
        NeverReboots => "NeverReboots",
        AlwaysRequiresReboot => "AlwaysRequiresReboot",
        CanRequestReboot => "CanRequestReboot",
    }
}

extensible_enum! {
    /// `availablePatches[].assessmentState`.
    pub enum PatchAssessmentState {
        Unknown => "Unknown",
        Available => "Available",
    }
}

extensible_enum! {
    /// `patches[].installationState` of an install result.
    pub enum PatchInstallationState {
        Unknown => "Unknown",
        Installed => "Installed",
        Failed => "Failed",
        Excluded => "Excluded",
        NotSelected => "NotSelected",
        Pending => "Pending",
    }
}

/// Result of `POST {VM}/assessPatches` (final body of the Location poll).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineAssessPatchesResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PatchOperationStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_activity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_pending: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_and_security_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_patches: Option<Vec<VirtualMachineSoftwarePatchProperties>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

/// One `availablePatches[]` entry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineSoftwarePatchProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifications: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_behavior: Option<PatchRebootBehavior>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_state: Option<PatchAssessmentState>,
}

/// Body of `POST {VM}/installPatches`: only `rebootSetting` is required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineInstallPatchesParameters {
    /// ISO 8601 duration, e.g. `PT4H` (optional for VMs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_duration: Option<String>,
    pub reboot_setting: RebootSetting,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_parameters: Option<VmWindowsParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<VmLinuxParameters>,
}

/// `windowsParameters` of a VM install (Arc's plus patch-name masks).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmWindowsParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifications_to_include: Option<Vec<WindowsClassification>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb_numbers_to_include: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb_numbers_to_exclude: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_kbs_requiring_reboot: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_patch_publish_date: Option<String>,
    /// Alphanumerics plus `*` / `?` wildcards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_name_masks_to_include: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_name_masks_to_exclude: Option<Vec<String>>,
}

/// `linuxParameters` of a VM install (Arc's plus `maintenanceRunId`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmLinuxParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifications_to_include: Option<Vec<LinuxClassification>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name_masks_to_include: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name_masks_to_exclude: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_run_id: Option<String>,
}

/// Result of `POST {VM}/installPatches`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineInstallPatchesResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PatchOperationStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_activity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_status: Option<RebootStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window_exceeded: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_selected_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_patch_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patches: Option<Vec<PatchInstallationDetail>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

/// One `patches[]` entry of an install result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchInstallationDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifications: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_state: Option<PatchInstallationState>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn install_body_leaves_out_unset_duration_and_carries_masks() {
        let body = VirtualMachineInstallPatchesParameters {
            maximum_duration: None,
            reboot_setting: RebootSetting::Never,
            windows_parameters: Some(VmWindowsParameters {
                kb_numbers_to_include: Some(vec!["5061001".into()]),
                patch_name_masks_to_exclude: Some(vec!["*Preview*".into()]),
                ..Default::default()
            }),
            linux_parameters: None,
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({ "rebootSetting": "Never", "windowsParameters": {
                "kbNumbersToInclude": ["5061001"], "patchNameMasksToExclude": ["*Preview*"] } })
        );
    }

    #[test]
    fn results_read_per_patch_arrays_errors_and_new_values() {
        let a: VirtualMachineAssessPatchesResult = serde_json::from_value(json!({
            "status": "Succeeded", "criticalAndSecurityPatchCount": 1, "otherPatchCount": 0,
            "availablePatches": [ { "kbId": "5061001", "rebootBehavior": "NeverReboots",
                "assessmentState": "Available", "classifications": ["Security"] } ],
            "error": null
        }))
        .unwrap();
        let p = &a.available_patches.unwrap()[0];
        assert_eq!(p.reboot_behavior, Some(PatchRebootBehavior::NeverReboots));
        let i: VirtualMachineInstallPatchesResult = serde_json::from_value(json!({
            "status": "Failed", "rebootStatus": "NotNeeded",
            "patches": [ { "kbId": "5061003", "installationState": "SomethingNew" } ],
            "error": { "code": "PatchInstallationFailed", "message": "boom",
                "details": [ { "code": "x" } ], "innererror": { "exceptiontype": "E" } }
        }))
        .unwrap();
        assert_eq!(
            i.patches.unwrap()[0].installation_state,
            Some(PatchInstallationState::Other("SomethingNew".into()))
        );
        assert_eq!(i.error.unwrap().summary(), "PatchInstallationFailed: boom");
    }
}
