//! Microsoft.Maintenance, api-version 2023-04-01: Update Manager schedules
//! (`maintenanceConfigurations` with `maintenanceScope = InGuestPatch`) and the
//! `configurationAssignments` that attach machines (or, with a filter, whole subscriptions) to
//! them. None of these operations are long-running (CONTRACT §4).
//!
//! The service answers errors in its own `MaintenanceError` shape (`{"error":{"code","message"}}`
//! only), which the shared [`super::ErrorDetail`] already parses.
//!
//! The service reads the reboot setting back in another spelling than it accepts
//! (`NeverReboot` for `Never`). The enums here stay open so such spellings survive;
//! [`RebootSetting::canonical`] maps them back. KB ids and classifications are plain strings.

use super::common::{extensible_enum, null_as_default};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The api-version this module models.
pub const API_VERSION: &str = "2023-04-01";

/// Resource type of a maintenance configuration.
pub const CONFIGURATION_TYPE: &str = "Microsoft.Maintenance/maintenanceConfigurations";

/// Resource type of a configuration assignment.
pub const ASSIGNMENT_TYPE: &str = "Microsoft.Maintenance/configurationAssignments";

/// `extensionProperties` key naming who drives an InGuestPatch schedule.
pub const IN_GUEST_PATCH_MODE: &str = "InGuestPatchMode";

/// `InGuestPatchMode` value of customer-defined schedules.
pub const IN_GUEST_PATCH_MODE_USER: &str = "User";

extensible_enum! {
    /// `properties.maintenanceScope`.
    pub enum MaintenanceScope {
        Host => "Host",
        Resource => "Resource",
        OsImage => "OSImage",
        Extension => "Extension",
        InGuestPatch => "InGuestPatch",
        SqlDb => "SQLDB",
        SqlManagedInstance => "SQLManagedInstance",
    }
}

extensible_enum! {
    /// `properties.visibility`.
    pub enum Visibility {
        Custom => "Custom",
        Public => "Public",
    }
}

extensible_enum! {
    /// `installPatches.rebootSetting` (`RebootOptions`).
    pub enum RebootSetting {
        IfRequired => "IfRequired",
        Never => "Never",
        Always => "Always",
    }
}

impl RebootSetting {
    /// Maps the spellings the service reads back (`RebootIfRequired`, `NeverReboot`,
    /// `AlwaysReboot`, any case) to the values it accepts; other values are kept.
    pub fn canonical(&self) -> RebootSetting {
        match self {
            Self::Other(s) => match s.to_ascii_lowercase().as_str() {
                "rebootifrequired" => Self::IfRequired,
                "neverreboot" => Self::Never,
                "alwaysreboot" => Self::Always,
                _ => self.clone(),
            },
            known => known.clone(),
        }
    }
}

extensible_enum! {
    /// `tagSettings.filterOperator` (closed in the spec; kept open so a new value cannot
    /// break reads).
    pub enum TagOperator {
        All => "All",
        Any => "Any",
    }
}

/// A maintenance configuration (request and response).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceConfiguration {
    /// Read-only.
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    /// Read-only.
    #[serde(default, skip_serializing)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<MaintenanceConfigurationProperties>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceConfigurationProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_properties: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_scope: Option<MaintenanceScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window: Option<MaintenanceWindow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_patches: Option<InstallPatches>,
}

/// When the schedule runs; times are wall-clock in `time_zone`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceWindow {
    /// `YYYY-MM-DD hh:mm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date_time: Option<String>,
    /// `hh:mm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Windows time-zone id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recur_every: Option<String>,
}

/// `installPatches` (`InputPatchConfiguration`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallPatches {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reboot_setting: Option<RebootSetting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_parameters: Option<WindowsParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
}

/// `InputWindowsParameters`; ARM sends `null` for empty lists.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowsParameters {
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub kb_numbers_to_include: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub kb_numbers_to_exclude: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub classifications_to_include: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_kbs_requiring_reboot: Option<bool>,
}

/// `InputLinuxParameters`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinuxParameters {
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub package_name_masks_to_include: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub package_name_masks_to_exclude: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub classifications_to_include: Vec<String>,
}

/// A configuration assignment: one resource (path under the resource id) or a dynamic scope
/// (path under a subscription or resource group, with a `filter`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationAssignment {
    /// Read-only.
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    /// Read-only.
    #[serde(default, skip_serializing)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<ConfigurationAssignmentProperties>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationAssignmentProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_configuration_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<ConfigurationAssignmentFilter>,
}

/// Which machines a dynamic scope attaches.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationAssignmentFilter {
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resource_types: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resource_groups: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub os_types: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub locations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_settings: Option<TagSettings>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagSettings {
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_operator: Option<TagOperator>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::parse_error_body;

    #[test]
    fn parses_the_official_windows_schedule_shape() {
        let body = r#"{
          "id": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/c1",
          "name": "c1", "type": "Microsoft.Maintenance/maintenanceConfigurations", "location": "westus2",
          "tags": null,
          "properties": {
            "namespace": null, "extensionProperties": {"InGuestPatchMode": "User"},
            "maintenanceScope": "InGuestPatch", "visibility": "Custom",
            "maintenanceWindow": {"startDateTime": "2025-04-30 08:00", "duration": "03:00",
              "timeZone": "Pacific Standard Time", "recurEvery": "Month Third Tuesday Offset2"},
            "installPatches": {"rebootSetting": "NeverReboot",
              "windowsParameters": {"kbNumbersToInclude": ["KB123456", "789"], "kbNumbersToExclude": null,
                "classificationsToInclude": ["Security", "UpdateRollUp"], "excludeKbsRequiringReboot": true},
              "linuxParameters": null}
          }
        }"#;
        let c: MaintenanceConfiguration = serde_json::from_str(body).unwrap();
        let p = c.properties.unwrap();
        assert_eq!(p.maintenance_scope, Some(MaintenanceScope::InGuestPatch));
        let ip = p.install_patches.unwrap();
        assert_eq!(
            ip.reboot_setting.as_ref().map(RebootSetting::canonical),
            Some(RebootSetting::Never)
        );
        let w = ip.windows_parameters.unwrap();
        assert!(w.kb_numbers_to_exclude.is_empty());
        assert_eq!(w.exclude_kbs_requiring_reboot, Some(true));
        assert!(ip.linux_parameters.is_none());
    }

    #[test]
    fn reboot_spellings_map_back_and_unknown_values_survive() {
        for (wire, want) in [
            ("RebootIfRequired", RebootSetting::IfRequired),
            ("alwaysreboot", RebootSetting::Always),
            ("never", RebootSetting::Never),
        ] {
            assert_eq!(RebootSetting::from(wire).canonical(), want, "{wire}");
        }
        let odd = RebootSetting::from("RebootOnSundays");
        assert_eq!(odd.canonical(), odd);
        assert_eq!(serde_json::to_string(&odd).unwrap(), "\"RebootOnSundays\"");
    }

    #[test]
    fn request_bodies_leave_out_read_only_and_empty_fields() {
        let c = MaintenanceConfiguration {
            id: Some("x".into()),
            name: Some("n".into()),
            location: Some("eastus".into()),
            properties: Some(MaintenanceConfigurationProperties {
                install_patches: Some(InstallPatches {
                    windows_parameters: Some(WindowsParameters::default()),
                    ..InstallPatches::default()
                }),
                ..MaintenanceConfigurationProperties::default()
            }),
            ..MaintenanceConfiguration::default()
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"location": "eastus", "properties": {"installPatches": {"windowsParameters": {}}}})
        );
    }

    #[test]
    fn dynamic_scope_filter_round_trips() {
        let body = r#"{"properties": {"maintenanceConfigurationId": "/x", "filter": {
            "resourceTypes": ["Microsoft.HybridCompute/machines"], "locations": ["Japan East"],
            "tagSettings": {"tags": {"env": ["prod", "dev"]}, "filterOperator": "Any"}}}}"#;
        let a: ConfigurationAssignment = serde_json::from_str(body).unwrap();
        let f = a.properties.as_ref().unwrap().filter.as_ref().unwrap();
        let tags = f.tag_settings.as_ref().unwrap();
        assert_eq!(tags.filter_operator, Some(TagOperator::Any));
        assert_eq!(tags.tags["env"], vec!["prod", "dev"]);
        let back: ConfigurationAssignment =
            serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
        assert_eq!(back.properties, a.properties);
    }

    #[test]
    fn maintenance_error_shape_parses() {
        let e = parse_error_body(
            br#"{"error":{"code":"InvalidParameter","message":"Duration must be between 01:30 and 03:55."}}"#,
        );
        assert_eq!(e.code.as_deref(), Some("InvalidParameter"));
        assert!(e.target.is_none() && e.details.is_empty());
    }
}
