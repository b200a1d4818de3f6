//! What the three Maintenance resources send to ARM: the bodies of their PUTs, built from the
//! planned state. The tests at the bottom pin the exact JSON of each, so the wire format can
//! be read (and reviewed when it changes) in one place.
//!
//! Null and empty lists are the same to ARM (it reads empty lists back as `null`), so both are
//! left out of the bodies.

use armclient::models::maintenance::{
    ConfigurationAssignment, ConfigurationAssignmentFilter, ConfigurationAssignmentProperties,
    InstallPatches, LinuxParameters, MaintenanceConfiguration, MaintenanceConfigurationProperties,
    MaintenanceScope, MaintenanceWindow, RebootSetting, TagOperator, TagSettings, Visibility,
    WindowsParameters, IN_GUEST_PATCH_MODE, IN_GUEST_PATCH_MODE_USER,
};

use super::dynamic_scope_resource::DynamicScopeModel;
use super::schedule_resource::MaintenanceScheduleModel;

fn list(items: &Option<Vec<String>>) -> Vec<String> {
    items.clone().unwrap_or_default()
}

/// The schedule PUT: an `InGuestPatch` configuration driven by the user's window
/// (`InGuestPatchMode = User`, visibility `Custom`).
pub fn schedule_body(planned: &MaintenanceScheduleModel) -> MaintenanceConfiguration {
    let windows = planned.windows.as_ref().map(|w| WindowsParameters {
        kb_numbers_to_include: list(&w.kb_numbers_to_include),
        kb_numbers_to_exclude: list(&w.kb_numbers_to_exclude),
        classifications_to_include: list(&w.classifications_to_include),
        exclude_kbs_requiring_reboot: w.exclude_kbs_requiring_reboot,
    });
    let linux = planned.linux.as_ref().map(|l| LinuxParameters {
        package_name_masks_to_include: list(&l.package_names_mask_to_include),
        package_name_masks_to_exclude: list(&l.package_names_mask_to_exclude),
        classifications_to_include: list(&l.classifications_to_include),
    });
    MaintenanceConfiguration {
        location: Some(planned.location.clone()),
        tags: planned.tags.clone(),
        properties: Some(MaintenanceConfigurationProperties {
            extension_properties: Some(
                [(
                    IN_GUEST_PATCH_MODE.to_owned(),
                    IN_GUEST_PATCH_MODE_USER.to_owned(),
                )]
                .into(),
            ),
            maintenance_scope: Some(MaintenanceScope::InGuestPatch),
            visibility: Some(Visibility::Custom),
            maintenance_window: Some(MaintenanceWindow {
                start_date_time: Some(planned.start_date_time.clone()),
                expiration_date_time: planned.expiration_date_time.clone(),
                duration: planned.duration.clone(),
                time_zone: Some(planned.time_zone.clone()),
                recur_every: Some(planned.recur_every.clone()),
            }),
            install_patches: Some(InstallPatches {
                reboot_setting: planned.reboot_setting.as_deref().map(RebootSetting::from),
                windows_parameters: windows,
                linux_parameters: linux,
            }),
            ..MaintenanceConfigurationProperties::default()
        }),
        ..MaintenanceConfiguration::default()
    }
}

/// The schedule assignment PUT: only the schedule; the machine is the path.
pub fn assignment_body(schedule_id: &str) -> ConfigurationAssignment {
    ConfigurationAssignment {
        properties: Some(ConfigurationAssignmentProperties {
            maintenance_configuration_id: Some(schedule_id.to_owned()),
            ..ConfigurationAssignmentProperties::default()
        }),
        ..ConfigurationAssignment::default()
    }
}

/// The dynamic scope PUT: the schedule and the filter; the subscription is the path. Tag
/// settings are sent only with tags (the operator alone filters nothing).
pub fn scope_body(planned: &DynamicScopeModel) -> ConfigurationAssignment {
    let filter = planned.filter.as_ref().map(|f| {
        let tags = f.tags.clone().unwrap_or_default();
        ConfigurationAssignmentFilter {
            resource_types: list(&f.resource_types),
            resource_groups: list(&f.resource_groups),
            os_types: list(&f.os_types),
            locations: list(&f.locations),
            tag_settings: (!tags.is_empty()).then(|| TagSettings {
                tags,
                filter_operator: f.tag_operator.as_deref().map(TagOperator::from),
            }),
        }
    });
    ConfigurationAssignment {
        properties: Some(ConfigurationAssignmentProperties {
            maintenance_configuration_id: Some(planned.schedule_id.clone()),
            filter,
            ..ConfigurationAssignmentProperties::default()
        }),
        ..ConfigurationAssignment::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::maintenance::dynamic_scope_resource::FilterModel;
    use crate::maintenance::schedule_resource::{LinuxModel, WindowsModel};

    const SCHEDULE: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/patch-tuesday";

    fn strings(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
    }

    fn wire<T: serde::Serialize>(body: &T) -> serde_json::Value {
        serde_json::to_value(body).unwrap()
    }

    fn schedule() -> MaintenanceScheduleModel {
        MaintenanceScheduleModel {
            name: "patch-tuesday".into(),
            resource_group_name: "rg".into(),
            location: "eastus".into(),
            start_date_time: "2030-01-08 22:00".into(),
            expiration_date_time: None,
            duration: Some("03:55".into()),
            time_zone: "W. Europe Standard Time".into(),
            recur_every: "Month Second Tuesday Offset2".into(),
            reboot_setting: Some("Never".into()),
            tags: Some([("team".to_owned(), "ops".to_owned())].into()),
            id: Some(SCHEDULE.into()),
            windows: Some(WindowsModel {
                classifications_to_include: strings(&["Critical", "Security"]),
                kb_numbers_to_include: strings(&["KB5041585", "5041586"]),
                kb_numbers_to_exclude: None,
                exclude_kbs_requiring_reboot: Some(true),
            }),
            linux: None,
        }
    }

    #[test]
    fn schedule_put() {
        assert_eq!(
            wire(&schedule_body(&schedule())),
            json!({
                "location": "eastus",
                "tags": {"team": "ops"},
                "properties": {
                    "extensionProperties": {"InGuestPatchMode": "User"},
                    "maintenanceScope": "InGuestPatch",
                    "visibility": "Custom",
                    "maintenanceWindow": {
                        "startDateTime": "2030-01-08 22:00",
                        "duration": "03:55",
                        "timeZone": "W. Europe Standard Time",
                        "recurEvery": "Month Second Tuesday Offset2"
                    },
                    "installPatches": {
                        "rebootSetting": "Never",
                        "windowsParameters": {
                            "kbNumbersToInclude": ["KB5041585", "5041586"],
                            "classificationsToInclude": ["Critical", "Security"],
                            "excludeKbsRequiringReboot": true
                        }
                    }
                }
            })
        );
    }

    #[test]
    fn schedule_put_with_expiration_and_linux_only() {
        let planned = MaintenanceScheduleModel {
            expiration_date_time: Some("2031-01-01 00:00".into()),
            reboot_setting: Some("IfRequired".into()),
            tags: None,
            windows: None,
            linux: Some(LinuxModel {
                classifications_to_include: strings(&["Security"]),
                package_names_mask_to_include: strings(&["kernel*"]),
                package_names_mask_to_exclude: Some(vec![]),
            }),
            ..schedule()
        };
        assert_eq!(
            wire(&schedule_body(&planned)),
            json!({
                "location": "eastus",
                "properties": {
                    "extensionProperties": {"InGuestPatchMode": "User"},
                    "maintenanceScope": "InGuestPatch",
                    "visibility": "Custom",
                    "maintenanceWindow": {
                        "startDateTime": "2030-01-08 22:00",
                        "expirationDateTime": "2031-01-01 00:00",
                        "duration": "03:55",
                        "timeZone": "W. Europe Standard Time",
                        "recurEvery": "Month Second Tuesday Offset2"
                    },
                    "installPatches": {
                        "rebootSetting": "IfRequired",
                        "linuxParameters": {
                            "packageNameMasksToInclude": ["kernel*"],
                            "classificationsToInclude": ["Security"]
                        }
                    }
                }
            })
        );
    }

    #[test]
    fn assignment_put() {
        assert_eq!(
            wire(&assignment_body(SCHEDULE)),
            json!({"properties": {"maintenanceConfigurationId": SCHEDULE}})
        );
    }

    fn scope(filter: Option<FilterModel>) -> DynamicScopeModel {
        DynamicScopeModel {
            name: "prod-windows".into(),
            schedule_id: SCHEDULE.into(),
            scope: Some("/subscriptions/s".into()),
            id: Some("/subscriptions/s/providers/Microsoft.Maintenance/configurationAssignments/prod-windows".into()),
            filter,
        }
    }

    #[test]
    fn dynamic_scope_put() {
        let filter = FilterModel {
            resource_types: strings(&[
                "Microsoft.HybridCompute/machines",
                "Microsoft.Compute/virtualMachines",
            ]),
            resource_groups: None,
            os_types: strings(&["Windows"]),
            locations: strings(&["eastus", "Japan East"]),
            tags: Some(
                [(
                    "env".to_owned(),
                    vec!["prod".to_owned(), "staging".to_owned()],
                )]
                .into(),
            ),
            tag_operator: Some("All".into()),
        };
        assert_eq!(
            wire(&scope_body(&scope(Some(filter)))),
            json!({
                "properties": {
                    "maintenanceConfigurationId": SCHEDULE,
                    "filter": {
                        "resourceTypes": [
                            "Microsoft.HybridCompute/machines",
                            "Microsoft.Compute/virtualMachines"
                        ],
                        "osTypes": ["Windows"],
                        "locations": ["eastus", "Japan East"],
                        "tagSettings": {
                            "tags": {"env": ["prod", "staging"]},
                            "filterOperator": "All"
                        }
                    }
                }
            })
        );
    }

    #[test]
    fn dynamic_scope_put_without_tags_or_filter() {
        let no_tags = FilterModel {
            resource_types: None,
            resource_groups: strings(&["rg1"]),
            os_types: None,
            locations: None,
            tags: Some(BTreeMap::new()),
            tag_operator: Some("Any".into()),
        };
        assert_eq!(
            wire(&scope_body(&scope(Some(no_tags)))),
            json!({"properties": {
                "maintenanceConfigurationId": SCHEDULE,
                "filter": {"resourceGroups": ["rg1"]}
            }})
        );
        assert_eq!(
            wire(&scope_body(&scope(None))),
            json!({"properties": {"maintenanceConfigurationId": SCHEDULE}})
        );
    }
}
