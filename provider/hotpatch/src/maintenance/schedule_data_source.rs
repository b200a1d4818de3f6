//! The `hotpatch_maintenance_schedule` data source: one existing schedule (made in the portal,
//! by another configuration or by this one), read-only, with every attribute of the resource
//! of the same name, so its id can feed assignments and its settings can be checked without
//! taking it over.
//!
//! It reads the schedule with one GET and builds the resource's own state from it
//! (`read_back::schedule_state`), so both objects always show the same values.

use armclient::models::maintenance::MaintenanceConfiguration;
use async_trait::async_trait;
use std::collections::BTreeMap;
use tfframework::{AttributePath, Context, DataSource, Diagnostic, Diagnostics, Known, Model};

use super::arm_calls;
use super::ids::{parse_schedule_id, schedule_id};
use super::read_back::schedule_state;
use super::schedule_resource::{LinuxModel, MaintenanceScheduleModel, WindowsModel};
use crate::arm_diag::arm_error;
use crate::provider_data::HotpatchData;

/// Reads one Azure Update Manager schedule (a maintenance configuration): give `name` and
/// `resource_group_name` (in the provider's subscription), or `id`.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct MaintenanceScheduleDataModel {
    /// Name of the schedule (with `resource_group_name`).
    #[tf(optional, computed)]
    pub name: Option<String>,
    /// Resource group of the schedule (with `name`), in the provider's subscription.
    #[tf(optional, computed)]
    pub resource_group_name: Option<String>,
    /// ARM id of the schedule, instead of `name` and `resource_group_name`.
    #[tf(optional, computed)]
    pub id: Option<String>,
    /// Azure region of the schedule resource.
    #[tf(computed)]
    pub location: Option<String>,
    /// First window start, `YYYY-MM-DD hh:mm`, wall-clock time in `time_zone`.
    #[tf(computed)]
    pub start_date_time: Option<String>,
    /// When the schedule stops, `YYYY-MM-DD hh:mm`; null for never.
    #[tf(computed)]
    pub expiration_date_time: Option<String>,
    /// Window length `hh:mm`.
    #[tf(computed)]
    pub duration: Option<String>,
    /// Windows time-zone id.
    #[tf(computed)]
    pub time_zone: Option<String>,
    /// Recurrence, e.g. `Month Second Tuesday Offset2` or `6Hours`.
    #[tf(computed)]
    pub recur_every: Option<String>,
    /// `IfRequired`, `Never` or `Always`.
    #[tf(computed)]
    pub reboot_setting: Option<String>,
    /// Tags of the schedule resource.
    #[tf(computed)]
    pub tags: Option<BTreeMap<String, String>>,
    /// Windows patch selection; null when the schedule has none.
    #[tf(computed, nested)]
    pub windows: Option<WindowsData>,
    /// Linux patch selection; null when the schedule has none.
    #[tf(computed, nested)]
    pub linux: Option<LinuxData>,
}

/// Windows patch selection.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct WindowsData {
    /// Update classifications installed.
    #[tf(computed)]
    pub classifications_to_include: Option<Vec<String>>,
    /// KB ids installed even when their classification is not selected, as stored.
    #[tf(computed)]
    pub kb_numbers_to_include: Option<Vec<String>>,
    /// KB ids never installed, as stored.
    #[tf(computed)]
    pub kb_numbers_to_exclude: Option<Vec<String>>,
    /// Whether updates that need a reboot are skipped (hotpatch-only schedule).
    #[tf(computed)]
    pub exclude_kbs_requiring_reboot: Option<bool>,
}

/// Linux patch selection.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct LinuxData {
    /// Classifications installed.
    #[tf(computed)]
    pub classifications_to_include: Option<Vec<String>>,
    /// Package name masks installed.
    #[tf(computed)]
    pub package_names_mask_to_include: Option<Vec<String>>,
    /// Package name masks never installed.
    #[tf(computed)]
    pub package_names_mask_to_exclude: Option<Vec<String>>,
}

impl From<MaintenanceScheduleModel> for MaintenanceScheduleDataModel {
    fn from(s: MaintenanceScheduleModel) -> Self {
        MaintenanceScheduleDataModel {
            name: Some(s.name),
            resource_group_name: Some(s.resource_group_name),
            id: s.id,
            location: Some(s.location),
            start_date_time: Some(s.start_date_time),
            expiration_date_time: s.expiration_date_time,
            duration: s.duration,
            time_zone: Some(s.time_zone),
            recur_every: Some(s.recur_every),
            reboot_setting: s.reboot_setting,
            tags: s.tags,
            windows: s.windows.map(|w: WindowsModel| WindowsData {
                classifications_to_include: w.classifications_to_include,
                kb_numbers_to_include: w.kb_numbers_to_include,
                kb_numbers_to_exclude: w.kb_numbers_to_exclude,
                exclude_kbs_requiring_reboot: w.exclude_kbs_requiring_reboot,
            }),
            linux: s.linux.map(|l: LinuxModel| LinuxData {
                classifications_to_include: l.classifications_to_include,
                package_names_mask_to_include: l.package_names_mask_to_include,
                package_names_mask_to_exclude: l.package_names_mask_to_exclude,
            }),
        }
    }
}

pub struct MaintenanceScheduleDataSource;

fn attr(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

/// The schedule's id: `id`, or built from `name` + `resource_group_name` in the provider's
/// subscription.
fn wanted_id(
    config: &MaintenanceScheduleDataModel,
    data: &HotpatchData,
) -> Result<String, Diagnostic> {
    if let Some(id) = &config.id {
        return Ok(id.trim().to_owned());
    }
    let (Some(name), Some(rg)) = (&config.name, &config.resource_group_name) else {
        return Err(Diagnostic::error(
            "Schedule not named",
            "Set id, or name and resource_group_name.",
        ));
    };
    let sub = data.subscription_id.as_deref().ok_or_else(|| {
        Diagnostic::error(
            "Subscription needed",
            "name and resource_group_name are looked up in the provider's subscription: set subscription_id in the provider block or ARM_SUBSCRIPTION_ID, or give the schedule's id.",
        )
    })?;
    Ok(schedule_id(sub, rg, name))
}

#[async_trait]
impl DataSource<HotpatchData> for MaintenanceScheduleDataSource {
    type Model = MaintenanceScheduleDataModel;
    const TYPE_NAME: &'static str = "hotpatch_maintenance_schedule";

    /// Exactly one way of naming the schedule: `id`, or `name` with `resource_group_name`.
    fn validate(&self, config: &MaintenanceScheduleDataModelPlan, diags: &mut Diagnostics) {
        let set = |v: &Known<String>| !matches!(v, Known::Null);
        let (id, name, rg) = (
            set(&config.id),
            set(&config.name),
            set(&config.resource_group_name),
        );
        if id && (name || rg) {
            diags.error_at(
                attr(MaintenanceScheduleDataModel::ID),
                "Conflicting arguments",
                "Give either id, or name and resource_group_name, not both.",
            );
        } else if !(id || (name && rg)) {
            let missing = if name {
                MaintenanceScheduleDataModel::RESOURCE_GROUP_NAME
            } else {
                MaintenanceScheduleDataModel::NAME
            };
            diags.error_at(
                attr(missing),
                "Missing argument",
                "Give id, or both name and resource_group_name.",
            );
        }
        if let Known::Value(id) = &config.id {
            if let Err(e) = parse_schedule_id(id) {
                diags.error_at(
                    attr(MaintenanceScheduleDataModel::ID),
                    "Invalid schedule id",
                    format!("id: {e}."),
                );
            }
        }
    }

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        config: &MaintenanceScheduleDataModel,
    ) -> (Option<MaintenanceScheduleDataModel>, Diagnostics) {
        let id = match wanted_id(config, data) {
            Ok(id) => id,
            Err(d) => return (None, d.into()),
        };
        let (rg, name) = match parse_schedule_id(&id) {
            Ok((_, rg, name)) => (rg, name),
            Err(e) => return (None, Diagnostic::error("Invalid schedule id", e).into()),
        };
        match arm_calls::get::<MaintenanceConfiguration>(ctx, data, &id).await {
            Ok(Some(c)) => {
                // The configuration's spelling of name and group is kept, like the resource's.
                let known = MaintenanceScheduleModel::imported(&id, rg, name);
                (Some(schedule_state(&known, &c).into()), Diagnostics::new())
            }
            Ok(None) => {
                let d = Diagnostic::error(
                    "Maintenance schedule not found",
                    format!("No maintenance schedule exists with the id {id:?}."),
                );
                (None, d.into())
            }
            Err(e) => (
                None,
                arm_error("reading the maintenance schedule", &e).into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(id: Known<String>, name: Known<String>, rg: Known<String>) -> Diagnostics {
        let plan = MaintenanceScheduleDataModelPlan {
            name,
            resource_group_name: rg,
            id,
            location: Known::Null,
            start_date_time: Known::Null,
            expiration_date_time: Known::Null,
            duration: Known::Null,
            time_zone: Known::Null,
            recur_every: Known::Null,
            reboot_setting: Known::Null,
            tags: Known::Null,
            windows: Known::Null,
            linux: Known::Null,
        };
        let mut diags = Diagnostics::new();
        MaintenanceScheduleDataSource.validate(&plan, &mut diags);
        diags
    }

    #[test]
    fn exactly_one_way_of_naming_the_schedule() {
        let v = |s: &str| Known::Value(s.to_owned());
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/p";
        assert!(config(v(id), Known::Null, Known::Null).is_empty());
        assert!(config(Known::Null, v("p"), v("rg")).is_empty());
        assert!(config(Known::Unknown, Known::Null, Known::Null).is_empty());
        assert!(config(v(id), v("p"), Known::Null).has_errors());
        assert!(config(Known::Null, v("p"), Known::Null).has_errors());
        assert!(config(Known::Null, Known::Null, Known::Null).has_errors());
        assert!(config(v("/subscriptions/s"), Known::Null, Known::Null).has_errors());
    }
}
