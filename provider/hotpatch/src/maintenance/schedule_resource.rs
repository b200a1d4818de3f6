//! `hotpatch_maintenance_schedule`: a recurring Update Manager schedule (a Microsoft.Maintenance
//! `maintenanceConfiguration` with scope `InGuestPatch`, `InGuestPatchMode = User`).
//!
//! Everything the service would reject at apply time is checked at plan time (the validators
//! from `rules` on the model, and [`Resource::validate`] for rules across attributes), so a bad
//! window never costs an ARM write; a start already in the past is a warning on create. Reads
//! go through `read_back`, which absorbs the service's respellings so a re-plan after apply is
//! empty. The service's PATCH takes the full body, so updates are a PUT of the whole schedule
//! (`request_bodies`). Create refuses to take over an existing schedule, and a write whose
//! answer was lost is recorded the way `arm_calls` decides.

use std::collections::BTreeMap;

use armclient::models::maintenance::MaintenanceConfiguration;
use async_trait::async_trait;
use jiff::Timestamp;
use tfframework::validators::{each, non_empty, one_of};
use tfframework::{
    ApplyRequest, AttributePath, Context, Diagnostic, Diagnostics, ImportRequest, Known, Model,
    PlanRequest, Resource,
};

use super::arm_calls;
use super::ids::{import_id, parse_schedule_id, recorded, schedule_id, IdIdentity, IdIdentityPlan};
use super::read_back::schedule_state;
use super::request_bodies::schedule_body;
use super::rules::{self, parse_datetime, LocalDateTime};
use super::timezones::{self, LocalTime, WindowsZone};
use crate::kb::{self, KbNumber};
use crate::provider_data::HotpatchData;

pub struct MaintenanceScheduleResource;

/// A recurring Azure Update Manager schedule (Microsoft.Maintenance configuration, scope
/// `InGuestPatch`) with KB include/exclude lists. Attach machines with
/// `hotpatch_schedule_assignment` or `hotpatch_dynamic_scope`.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct MaintenanceScheduleModel {
    /// Name of the schedule.
    #[tf(required, replace, validator = non_empty())]
    pub name: String,
    /// Resource group of the schedule, in the provider's subscription.
    #[tf(required, replace, validator = non_empty())]
    pub resource_group_name: String,
    /// Azure region of the schedule resource (e.g. `eastus`).
    #[tf(required, replace, validator = non_empty())]
    pub location: String,
    /// First window start, `YYYY-MM-DD hh:mm`, wall-clock time in `time_zone`; must exist in
    /// that zone (not in a daylight-saving gap). A start in the past is a warning on create.
    #[tf(required, validator = rules::datetime())]
    pub start_date_time: String,
    /// When the schedule stops, `YYYY-MM-DD hh:mm`, after `start_date_time`. Default: never.
    #[tf(optional, validator = rules::datetime())]
    pub expiration_date_time: Option<String>,
    /// Window length `hh:mm`, from `01:30` to `03:55`. Default `03:55`.
    #[tf(default = "03:55", validator = rules::duration())]
    pub duration: Option<String>,
    /// Windows time-zone id, e.g. `Pacific Standard Time`, `W. Europe Standard Time`, `UTC`
    /// (any id of CLDR's Windows-zone table; IANA names such as `Europe/Berlin` are not
    /// accepted by the service).
    #[tf(required, validator = rules::time_zone())]
    pub time_zone: String,
    /// Recurrence: `6Hours` (every N hours, N at least 6), `Day`, `3Days`,
    /// `Week Saturday,Sunday`, `Month day23,day24`, `Month Second Tuesday Offset2` (offset
    /// -6..6 days), `3Months Second Tuesday` (quarterly).
    #[tf(required, validator = rules::recurrence())]
    pub recur_every: String,
    /// `IfRequired` (default), `Never` or `Always`.
    #[tf(default = "IfRequired", validator = one_of(&["IfRequired", "Never", "Always"]))]
    pub reboot_setting: Option<String>,
    /// Tags of the schedule resource.
    #[tf(optional)]
    pub tags: Option<BTreeMap<String, String>>,
    /// ARM id of the maintenance configuration.
    #[tf(computed, state_for_unknown)]
    pub id: Option<String>,
    #[tf(block)]
    pub windows: Option<WindowsModel>,
    #[tf(block)]
    pub linux: Option<LinuxModel>,
}

/// Windows patch selection.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct WindowsModel {
    /// Update classifications to install: `Critical`, `Security`, `UpdateRollup` (or
    /// `UpdateRollUp`), `FeaturePack`, `ServicePack`, `Definition`, `Tools`, `Updates`
    /// (case-insensitive).
    #[tf(optional, validator = each(rules::windows_classification()))]
    pub classifications_to_include: Option<Vec<String>>,
    /// KB ids to install even when their classification is not selected: 1 to 9 digits, with
    /// or without a `KB` prefix (sent and kept as written; `KB5041585` and `5041585` are the
    /// same update).
    #[tf(optional, validator = each(KbNumber))]
    pub kb_numbers_to_include: Option<Vec<String>>,
    /// KB ids never to install; must not repeat an included one.
    #[tf(optional, validator = each(KbNumber))]
    pub kb_numbers_to_exclude: Option<Vec<String>>,
    /// Skip updates that need a reboot: with hotpatching, the schedule installs only
    /// hotpatches. Default `false`.
    #[tf(default = false)]
    pub exclude_kbs_requiring_reboot: Option<bool>,
}

/// Linux patch selection.
#[derive(Model, Clone, Debug, PartialEq)]
pub struct LinuxModel {
    /// `Critical`, `Security` or `Other` (case-insensitive).
    #[tf(optional, validator = each(rules::linux_classification()))]
    pub classifications_to_include: Option<Vec<String>>,
    /// Package name masks to install (e.g. `kernel*`).
    #[tf(optional)]
    pub package_names_mask_to_include: Option<Vec<String>>,
    /// Package name masks never to install.
    #[tf(optional)]
    pub package_names_mask_to_exclude: Option<Vec<String>>,
}

impl MaintenanceScheduleModel {
    /// What an import id tells before the schedule is read: every other attribute is empty,
    /// so the read-back takes the service's values.
    pub(super) fn imported(id: &str, resource_group_name: String, name: String) -> Self {
        MaintenanceScheduleModel {
            name,
            resource_group_name,
            location: String::new(),
            start_date_time: String::new(),
            expiration_date_time: None,
            duration: None,
            time_zone: String::new(),
            recur_every: String::new(),
            reboot_setting: None,
            tags: None,
            id: Some(id.to_owned()),
            windows: None,
            linux: None,
        }
    }
}

fn known_datetime(v: &Known<String>) -> Option<LocalDateTime> {
    v.as_ref().known().and_then(|s| parse_datetime(s).ok())
}

/// The configured start and its zone, when both are known and valid.
fn known_start(config: &MaintenanceScheduleModelPlan) -> Option<(LocalDateTime, WindowsZone)> {
    let start = known_datetime(&config.start_date_time)?;
    let zone = config
        .time_zone
        .as_ref()
        .known()
        .and_then(|z| timezones::find(z))?;
    Some((start, zone))
}

/// Expiration after start, and a start that exists in its time zone.
fn check_window(config: &MaintenanceScheduleModelPlan, diags: &mut Diagnostics) {
    let start = known_datetime(&config.start_date_time);
    let end = known_datetime(&config.expiration_date_time);
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            diags.error_at(
                AttributePath::attr(MaintenanceScheduleModel::EXPIRATION_DATE_TIME),
                "Invalid expiration",
                "expiration_date_time must be later than start_date_time.",
            );
        }
    }
    let Some((start, zone)) = known_start(config) else {
        return;
    };
    if let LocalTime::Skipped {
        from,
        to,
        before,
        after,
    } = zone.local_time(start)
    {
        let iana = zone.iana.unwrap_or_default();
        diags.error_at(
            AttributePath::attr(MaintenanceScheduleModel::START_DATE_TIME),
            "Start time does not exist in the time zone",
            format!(
                "start_date_time {start} falls in the daylight-saving gap of {} ({iana}): on {} clocks jump from {} (UTC{before}) to {} (UTC{after}), so local times from {} to just before {} do not exist. Pick a time outside that range.",
                zone.id,
                from.date(),
                from.time().strftime("%H:%M"),
                to.time().strftime("%H:%M"),
                from.time().strftime("%H:%M"),
                to.time().strftime("%H:%M"),
            ),
        );
    }
}

/// A warning when a new schedule's first window has already gone by in its time zone.
fn warn_past_start(config: &MaintenanceScheduleModelPlan, now: Timestamp, diags: &mut Diagnostics) {
    let Some((start, zone)) = known_start(config) else {
        return;
    };
    if let LocalTime::At(at) = zone.local_time(start) {
        if at < now {
            diags.push(
                Diagnostic::warning(
                    "Start time in the past",
                    format!(
                        "start_date_time {start} in {} is already past (it was {at}; now is {}). Update Manager expects a first window of today or later and may reject the schedule; recurrences are counted from this start. Choose a future start unless you mean it.",
                        zone.id,
                        now.round(jiff::Unit::Second).unwrap_or(now),
                    ),
                )
                .at(AttributePath::attr(MaintenanceScheduleModel::START_DATE_TIME)),
            );
        }
    }
}

/// No KB both included and excluded (compared by digits: `KB5041585` is `5041585`).
fn check_kb_lists(config: &MaintenanceScheduleModelPlan, diags: &mut Diagnostics) {
    let Known::Value(windows) = &config.windows else {
        return;
    };
    let (Known::Value(include), Known::Value(exclude)) = (
        &windows.kb_numbers_to_include,
        &windows.kb_numbers_to_exclude,
    ) else {
        return;
    };
    let included: Vec<&str> = include
        .iter()
        .filter_map(|k| k.as_ref().known())
        .filter_map(|k| kb::digits(k))
        .collect();
    for (i, k) in exclude.iter().enumerate() {
        let Known::Value(k) = k else { continue };
        if kb::digits(k).is_some_and(|d| included.contains(&d)) {
            diags.error_at(
                AttributePath::attr(MaintenanceScheduleModel::WINDOWS)
                    .attribute(WindowsModel::KB_NUMBERS_TO_EXCLUDE)
                    .index(i as i64),
                "KB both included and excluded",
                format!("{k} is in both kb_numbers_to_include and kb_numbers_to_exclude; keep it in one list."),
            );
        }
    }
}

impl MaintenanceScheduleResource {
    /// PUTs the planned schedule (whose id is set) and reads the answer back as state.
    async fn write(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        planned: &MaintenanceScheduleModel,
        doing: &str,
    ) -> arm_calls::Written<MaintenanceScheduleModel> {
        let id = match recorded(&planned.id, MaintenanceScheduleResource::TYPE_NAME) {
            Ok(id) => id,
            Err(d) => return arm_calls::Written::NotWritten(d.into()),
        };
        arm_calls::put::<_, MaintenanceConfiguration, _>(
            ctx,
            data,
            id,
            &schedule_body(planned),
            doing,
            planned,
            |c| schedule_state(planned, c),
        )
        .await
    }
}

#[async_trait]
impl Resource<HotpatchData> for MaintenanceScheduleResource {
    type Model = MaintenanceScheduleModel;
    type Identity = IdIdentity;
    const TYPE_NAME: &'static str = "hotpatch_maintenance_schedule";

    fn identity(&self, state: &MaintenanceScheduleModelPlan) -> IdIdentityPlan {
        IdIdentityPlan {
            id: state.id.clone(),
        }
    }

    fn validate(&self, config: &MaintenanceScheduleModelPlan, diags: &mut Diagnostics) {
        check_window(config, diags);
        check_kb_lists(config, diags);
    }

    async fn modify_plan(
        &self,
        _ctx: &Context,
        data: Option<&HotpatchData>,
        req: PlanRequest<'_, MaintenanceScheduleModel>,
        planned: &mut MaintenanceScheduleModelPlan,
        diags: &mut Diagnostics,
    ) {
        if !req.is_create() {
            return;
        }
        warn_past_start(req.config, Timestamp::now(), diags);
        let sub = data.and_then(|d| d.subscription_id.as_deref());
        let rg = req.config.resource_group_name.as_ref().known();
        let name = req.config.name.as_ref().known();
        if let (Some(sub), Some(rg), Some(name)) = (sub, rg, name) {
            planned.id = Known::Value(schedule_id(sub, rg, name));
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ApplyRequest<'_, MaintenanceScheduleModel>,
    ) -> (Option<MaintenanceScheduleModel>, Diagnostics) {
        let mut planned = req.planned.clone();
        if planned.id.is_none() {
            let Some(sub) = data.subscription_id.as_deref() else {
                let d = Diagnostic::error("Subscription needed", "hotpatch_maintenance_schedule is created in the provider's subscription: set subscription_id in the provider block or ARM_SUBSCRIPTION_ID.");
                return (None, d.into());
            };
            planned.id = Some(schedule_id(
                sub,
                &planned.resource_group_name,
                &planned.name,
            ));
        }
        let id = planned.id.as_deref().unwrap_or_default();
        if let Err(d) =
            arm_calls::ensure_absent(ctx, data, id, Self::TYPE_NAME, &[(IdIdentity::ID, id)]).await
        {
            return (None, d.into());
        }
        self.write(ctx, data, &planned, "creating the maintenance schedule")
            .await
            .created()
    }

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        current: &MaintenanceScheduleModel,
    ) -> (Option<MaintenanceScheduleModel>, Diagnostics) {
        let doing = "reading the maintenance schedule";
        arm_calls::refresh(
            ctx,
            data,
            current,
            &current.id,
            Self::TYPE_NAME,
            doing,
            |c| schedule_state(current, &c),
        )
        .await
    }

    async fn update(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ApplyRequest<'_, MaintenanceScheduleModel>,
    ) -> (Option<MaintenanceScheduleModel>, Diagnostics) {
        self.write(ctx, data, req.planned, "updating the maintenance schedule")
            .await
            .updated(req.prior)
    }

    async fn delete(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        prior: &MaintenanceScheduleModel,
    ) -> Diagnostics {
        let doing = "deleting the maintenance schedule";
        arm_calls::delete_recorded(ctx, data, &prior.id, Self::TYPE_NAME, doing).await
    }

    async fn import(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ImportRequest<'_, IdIdentity>,
    ) -> (Option<MaintenanceScheduleModel>, Diagnostics) {
        let id = import_id(req.id, req.identity);
        let (rg, name) = match parse_schedule_id(id) {
            Ok((_, rg, name)) => (rg, name),
            Err(e) => {
                let d = Diagnostic::error(
                    "Invalid import id",
                    format!("Import hotpatch_maintenance_schedule by its ARM id: {e}."),
                );
                return (None, d.into());
            }
        };
        match arm_calls::get_for_import::<MaintenanceConfiguration>(
            ctx,
            data,
            id,
            "maintenance schedule",
        )
        .await
        {
            Ok(c) => {
                let known = MaintenanceScheduleModel::imported(id, rg, name);
                (Some(schedule_state(&known, &c)), Diagnostics::new())
            }
            Err(d) => (None, d.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(start: &str, zone: &str) -> MaintenanceScheduleModelPlan {
        let v = |s: &str| Known::Value(s.to_owned());
        MaintenanceScheduleModelPlan {
            name: v("s"),
            resource_group_name: v("rg"),
            location: v("eastus"),
            start_date_time: v(start),
            expiration_date_time: Known::Null,
            duration: Known::Null,
            time_zone: v(zone),
            recur_every: v("Day"),
            reboot_setting: Known::Null,
            tags: Known::Null,
            id: Known::Unknown,
            windows: Known::Null,
            linux: Known::Null,
        }
    }

    #[test]
    fn a_start_in_a_dst_gap_names_the_skipped_range() {
        let mut diags = Diagnostics::new();
        check_window(
            &config("2030-03-31 02:30", "W. Europe Standard Time"),
            &mut diags,
        );
        let d = &diags.0[0];
        assert!(d.detail.contains("Europe/Berlin"), "{}", d.detail);
        assert!(
            d.detail
                .contains("on 2030-03-31 clocks jump from 02:00 (UTC+01) to 03:00 (UTC+02)"),
            "{}",
            d.detail
        );
        let mut diags = Diagnostics::new();
        check_window(
            &config("2030-03-31 03:00", "W. Europe Standard Time"),
            &mut diags,
        );
        assert!(diags.is_empty());
    }

    #[test]
    fn a_past_start_warns_by_the_zones_clock() {
        let now: Timestamp = "2030-01-08T12:00:00Z".parse().unwrap();
        let warned = |start: &str, zone: &str| {
            let mut diags = Diagnostics::new();
            warn_past_start(&config(start, zone), now, &mut diags);
            assert!(!diags.has_errors());
            !diags.is_empty()
        };
        // 11:30 in Berlin is 10:30 UTC: past. 11:30 in Los Angeles is 19:30 UTC: ahead.
        assert!(warned("2030-01-08 11:30", "W. Europe Standard Time"));
        assert!(!warned("2030-01-08 11:30", "Pacific Standard Time"));
        assert!(!warned("2030-01-09 00:00", "UTC"));
    }
}
