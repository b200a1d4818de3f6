//! What the three Maintenance resources send to ARM: the bodies of their PUTs, built from the
//! planned state, so the wire format can be read in one place.
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

