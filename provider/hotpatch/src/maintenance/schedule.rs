//! `hotpatch_maintenance_schedule`: a recurring Update Manager schedule (a Microsoft.Maintenance
//! `maintenanceConfiguration` with scope `InGuestPatch`, `InGuestPatchMode = User`).
//!
//! Everything the service would reject at apply time is checked at plan time (see `rules` and
//! [`Resource::validate`] below), so a bad window never costs an ARM write. Reads go through
//! `read_back`, which absorbs the service's respellings so a re-plan after apply is empty.
//! The service's PATCH takes the full body, so updates are a PUT of the whole schedule.

use armclient::models::maintenance::{
    InstallPatches, LinuxParameters, MaintenanceConfiguration, MaintenanceConfigurationProperties,
    MaintenanceScope, MaintenanceWindow, RebootSetting, Visibility, WindowsParameters, API_VERSION,
    CONFIGURATION_TYPE, IN_GUEST_PATCH_MODE, IN_GUEST_PATCH_MODE_USER,
};
use armclient::resource_id::ResourceId;
use async_trait::async_trait;
use tfframework::raw;
use tfframework::validators::{each, non_empty, one_of};
use tfframework::{
    AttributePath, AttributeSchema, BlockSchema, Context, Diagnostic, Diagnostics, Known,
    NestedBlockSchema, ObjectBuilder, ObjectReader, ResourceSchema, Type, Value,
};

use super::read_back::schedule_state;
use super::rules::{self, kb_digits, parse_datetime};
use super::timezones;
use super::{string_list, strings};
use crate::arm_diag::{arm_error, delete_outcome, read_outcome};
use crate::provider::HotpatchData;

pub struct MaintenanceScheduleResource;

/// `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Maintenance/maintenanceConfigurations/<name>`.
pub fn schedule_id(subscription: &str, resource_group: &str, name: &str) -> String {
    ResourceId::new(
        subscription,
        resource_group,
        "Microsoft.Maintenance",
        &[("maintenanceConfigurations", name)],
    )
    .to_string()
}

/// Parses a schedule id: (subscription, resource group, name).
pub fn parse_schedule_id(id: &str) -> Result<(String, String, String), String> {
    let rid = ResourceId::parse(id).map_err(|e| e.to_string())?;
    match (rid.subscription_id(), rid.resource_group(), rid.name()) {
        (Some(s), Some(rg), Some(n))
            if rid.is_type(CONFIGURATION_TYPE) && rid.resource_types().len() == 1 =>
        {
            Ok((s.to_owned(), rg.to_owned(), n.to_owned()))
        }
        _ => Err(format!(
            "{id:?} is not a maintenance configuration id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Maintenance/maintenanceConfigurations/<name>)"
        )),
    }
}

/// The PUT body for a planned state.
fn body(planned: &Value) -> Result<MaintenanceConfiguration, Diagnostic> {
    let r = ObjectReader::new(planned);
    let windows = match r.objects("windows").first() {
        None => None,
        Some(w) => Some(WindowsParameters {
            kb_numbers_to_include: strings(w, "kb_numbers_to_include")?,
            kb_numbers_to_exclude: strings(w, "kb_numbers_to_exclude")?,
            classifications_to_include: strings(w, "classifications_to_include")?,
            exclude_kbs_requiring_reboot: w.get("exclude_kbs_requiring_reboot")?,
        }),
    };
    let linux = match r.objects("linux").first() {
        None => None,
        Some(l) => Some(LinuxParameters {
            package_name_masks_to_include: strings(l, "package_names_mask_to_include")?,
            package_name_masks_to_exclude: strings(l, "package_names_mask_to_exclude")?,
            classifications_to_include: strings(l, "classifications_to_include")?,
        }),
    };
    Ok(MaintenanceConfiguration {
        location: Some(r.get("location")?),
        tags: r.get("tags")?,
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
                start_date_time: Some(r.get("start_date_time")?),
                expiration_date_time: r.get("expiration_date_time")?,
                duration: Some(r.get("duration")?),
                time_zone: Some(r.get("time_zone")?),
                recur_every: Some(r.get("recur_every")?),
            }),
            install_patches: Some(InstallPatches {
                reboot_setting: Some(RebootSetting::from(r.get::<String>("reboot_setting")?)),
                windows_parameters: windows,
                linux_parameters: linux,
            }),
            ..MaintenanceConfigurationProperties::default()
        }),
        ..MaintenanceConfiguration::default()
    })
}

fn path_of(state: &Value) -> Result<String, Diagnostic> {
    ObjectReader::new(state).get::<String>("id")
}

/// A string attribute at plan time: known text, or None when null/unknown.
fn known_str(config: &Value, name: &str) -> Option<String> {
    ObjectReader::new(config)
        .get::<Known<String>>(name)
        .ok()
        .and_then(Known::known)
}

impl MaintenanceScheduleResource {
    async fn write(
        &self,
        data: &HotpatchData,
        planned: &Value,
        doing: &str,
    ) -> (Option<Value>, Diagnostics) {
        let (id, put) = match (path_of(planned), body(planned)) {
            (Ok(id), Ok(b)) => (id, b),
            (Err(d), _) | (_, Err(d)) => return (None, d.into()),
        };
        match data
            .arm
            .put::<_, MaintenanceConfiguration>(&id, API_VERSION, &put)
            .await
        {
            Ok(c) => (Some(schedule_state(planned, &id, &c)), Diagnostics::new()),
            Err(e) => {
                let d = arm_error(doing, &e);
                // A refused write (an ARM error status) changed nothing; anything else may
                // have been accepted, so record what exists.
                if e.status().is_some() {
                    return (None, d.into());
                }
                let after = data
                    .arm
                    .get_optional::<MaintenanceConfiguration>(&id, API_VERSION)
                    .await
                    .ok()
                    .flatten();
                (after.map(|c| schedule_state(planned, &id, &c)), d.into())
            }
        }
    }
}

#[async_trait]
impl raw::Resource<HotpatchData> for MaintenanceScheduleResource {
    fn type_name(&self) -> &str {
        "hotpatch_maintenance_schedule"
    }

    fn schema(&self) -> ResourceSchema {
        let windows = BlockSchema::new()
            .description("Windows patch selection.")
            .attribute(string_list("classifications_to_include", "Update classifications to install: `Critical`, `Security`, `UpdateRollup` (or `UpdateRollUp`), `FeaturePack`, `ServicePack`, `Definition`, `Tools`, `Updates` (case-insensitive).").validator(each(rules::windows_classification())))
            .attribute(string_list("kb_numbers_to_include", "KB ids to install even when their classification is not selected: digits, with or without a `KB` prefix (kept as written).").validator(each(rules::kb_id())))
            .attribute(string_list("kb_numbers_to_exclude", "KB ids never to install; must not repeat an included one.").validator(each(rules::kb_id())))
            .attribute(AttributeSchema::bool("exclude_kbs_requiring_reboot").default(Value::Bool(false)).description("Skip updates that need a reboot: with hotpatching, the schedule installs only hotpatches. Default `false`."));
        let linux = BlockSchema::new()
            .description("Linux patch selection.")
            .attribute(
                string_list(
                    "classifications_to_include",
                    "`Critical`, `Security` or `Other` (case-insensitive).",
                )
                .validator(each(rules::linux_classification())),
            )
            .attribute(string_list(
                "package_names_mask_to_include",
                "Package name masks to install (e.g. `kernel*`).",
            ))
            .attribute(string_list(
                "package_names_mask_to_exclude",
                "Package name masks never to install.",
            ));
        ResourceSchema::new(
            0,
            BlockSchema::new()
                .description("A recurring Azure Update Manager schedule (Microsoft.Maintenance configuration, scope `InGuestPatch`) with KB include/exclude lists. Attach machines with `hotpatch_schedule_assignment` or `hotpatch_dynamic_scope`.")
                .attribute(AttributeSchema::string("name").required().requires_replace().validator(non_empty()).description("Name of the schedule."))
                .attribute(AttributeSchema::string("resource_group_name").required().requires_replace().validator(non_empty()).description("Resource group of the schedule, in the provider's subscription."))
                .attribute(AttributeSchema::string("location").required().requires_replace().validator(non_empty()).description("Azure region of the schedule resource (e.g. `eastus`)."))
                .attribute(AttributeSchema::string("start_date_time").required().validator(rules::datetime()).description("First window start, `YYYY-MM-DD hh:mm`, wall-clock time in `time_zone`; must exist in that zone (not in a daylight-saving gap)."))
                .attribute(AttributeSchema::string("expiration_date_time").optional().validator(rules::datetime()).description("When the schedule stops, `YYYY-MM-DD hh:mm`, after `start_date_time`. Default: never."))
                .attribute(AttributeSchema::string("duration").default(Value::string("03:55")).validator(rules::duration()).description("Window length `hh:mm`, from `01:30` to `03:55`. Default `03:55`."))
                .attribute(AttributeSchema::string("time_zone").required().validator(rules::time_zone()).description("Windows time-zone id, e.g. `Pacific Standard Time`, `W. Europe Standard Time`, `UTC`."))
                .attribute(AttributeSchema::string("recur_every").required().validator(rules::recurrence()).description("Recurrence: `Day`, `3Days`, `Week Saturday,Sunday`, `Month day23,day24`, `Month Second Tuesday Offset2` (offset -6..6 days)."))
                .attribute(AttributeSchema::string("reboot_setting").default(Value::string("IfRequired")).validator(one_of(&["IfRequired", "Never", "Always"])).description("`IfRequired` (default), `Never` or `Always`."))
                .attribute(AttributeSchema::map("tags", Type::String).optional().description("Tags of the schedule resource."))
                .attribute(AttributeSchema::string("id").computed().use_state_for_unknown().description("ARM id of the maintenance configuration."))
                .block(NestedBlockSchema::single("windows", windows))
                .block(NestedBlockSchema::single("linux", linux)),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let start = known_str(config, "start_date_time").and_then(|s| parse_datetime(&s).ok());
        let end = known_str(config, "expiration_date_time").and_then(|s| parse_datetime(&s).ok());
        if let (Some(s), Some(e)) = (start, end) {
            if e <= s {
                diags.error_at(
                    AttributePath::attr("expiration_date_time"),
                    "Invalid expiration",
                    "expiration_date_time must be later than start_date_time.",
                );
            }
        }
        let zone = known_str(config, "time_zone").and_then(|z| timezones::find(&z));
        if let (Some(s), Some(z)) = (start, zone) {
            if z.in_dst_gap(s.year, s.month, s.day, s.hour) {
                diags.error_at(
                    AttributePath::attr("start_date_time"),
                    "Start time does not exist in the time zone",
                    format!(
                        "start_date_time {:04}-{:02}-{:02} {:02}:{:02} falls in the hour skipped when {} ({} standard time) switches to daylight-saving time. Pick a time outside {:02}:00-{:02}:59 that day.",
                        s.year, s.month, s.day, s.hour, s.minute, z.id, z.utc_offset(), s.hour, s.hour
                    ),
                );
            }
        }
        for w in ObjectReader::new(config).objects("windows") {
            let Ok(Known::Value(include)) =
                w.get::<Known<Vec<Known<String>>>>("kb_numbers_to_include")
            else {
                continue;
            };
            let Ok(Known::Value(exclude)) =
                w.get::<Known<Vec<Known<String>>>>("kb_numbers_to_exclude")
            else {
                continue;
            };
            let included: Vec<String> = include
                .into_iter()
                .filter_map(Known::known)
                .filter_map(|k| kb_digits(&k).map(str::to_owned))
                .collect();
            for (i, k) in exclude.into_iter().enumerate() {
                let Some(k) = k.known() else { continue };
                if kb_digits(&k).is_some_and(|d| included.iter().any(|x| x == d)) {
                    diags.error_at(
                        w.path_of("kb_numbers_to_exclude").index(i as i64),
                        "KB both included and excluded",
                        format!("{k} is in both kb_numbers_to_include and kb_numbers_to_exclude; keep it in one list."),
                    );
                }
            }
        }
    }

    async fn modify_plan(
        &self,
        _ctx: &Context,
        data: Option<&HotpatchData>,
        req: &raw::PlanRequest<'_>,
        planned: &mut Value,
        _diags: &mut Diagnostics,
    ) {
        if !req.is_create() {
            return;
        }
        let sub = data.and_then(|d| d.subscription_id.clone());
        let rg = known_str(req.config, "resource_group_name");
        let name = known_str(req.config, "name");
        if let (Some(sub), Some(rg), Some(name), Some(id)) = (sub, rg, name, planned.attr_mut("id"))
        {
            *id = Value::string(schedule_id(&sub, &rg, &name));
        }
    }

    async fn create(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let mut planned = req.planned.clone();
        if planned.attr("id").is_some_and(Value::is_unknown) {
            let Some(sub) = data.subscription_id.as_deref() else {
                let d = Diagnostic::error("Subscription needed", "hotpatch_maintenance_schedule is created in the provider's subscription: set subscription_id in the provider block or ARM_SUBSCRIPTION_ID.");
                return (None, d.into());
            };
            let r = ObjectReader::new(req.planned);
            let (rg, name) = match (
                r.get::<String>("resource_group_name"),
                r.get::<String>("name"),
            ) {
                (Ok(rg), Ok(n)) => (rg, n),
                (Err(d), _) | (_, Err(d)) => return (None, d.into()),
            };
            planned = ObjectBuilder::from_value(&planned)
                .set("id", schedule_id(sub, &rg, &name))
                .build();
        }
        self.write(data, &planned, "creating the maintenance schedule")
            .await
    }

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        current: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let id = match path_of(current) {
            Ok(id) => id,
            Err(d) => return (None, d.into()),
        };
        let lookup = data
            .arm
            .get_optional::<MaintenanceConfiguration>(&id, API_VERSION)
            .await;
        read_outcome(current, "reading the maintenance schedule", lookup, |c| {
            Some(schedule_state(current, &id, &c))
        })
    }

    async fn update(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let (state, diags) = self
            .write(data, req.planned, "updating the maintenance schedule")
            .await;
        // A refused update leaves the schedule as it was.
        (state.or_else(|| Some(req.prior.clone())), diags)
    }

    async fn delete(&self, _ctx: &Context, data: &HotpatchData, prior: &Value) -> Diagnostics {
        let id = match path_of(prior) {
            Ok(id) => id,
            Err(d) => return d.into(),
        };
        delete_outcome(
            "deleting the maintenance schedule",
            data.arm.delete(&id, API_VERSION).await,
        )
    }

    async fn import(
        &self,
        _ctx: &Context,
        _data: &HotpatchData,
        req: &raw::ImportRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let id = req.id.trim();
        match parse_schedule_id(id) {
            Ok((_, rg, name)) => (
                Some(
                    ObjectBuilder::new()
                        .set("id", id)
                        .set("name", name)
                        .set("resource_group_name", rg)
                        .build(),
                ),
                Diagnostics::new(),
            ),
            Err(e) => (
                None,
                Diagnostic::error(
                    "Invalid import id",
                    format!("Import hotpatch_maintenance_schedule by its ARM id: {e}."),
                )
                .into(),
            ),
        }
    }
}
