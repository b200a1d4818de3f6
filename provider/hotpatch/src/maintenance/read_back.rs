//! How Maintenance objects read from ARM become Terraform state without false drift.
//!
//! The service reads values back in other spellings than it accepted, and Terraform treats any
//! textual difference as a change. Each rule below compares *meaning*; when the service's value
//! means what the prior state says, the prior (the user's spelling) is kept, otherwise the
//! service's value is taken (canonicalised), so a real out-of-band change still shows:
//!
//! * `rebootSetting`: `RebootIfRequired` / `NeverReboot` / `AlwaysReboot` are `IfRequired` /
//!   `Never` / `Always`; absent is the default `IfRequired`.
//! * KB ids: `KB5041585` and `5041585` are the same update (`crate::kb`); lists are compared
//!   as sets of digits.
//! * classifications: case-insensitive, `UpdateRollUp` = `UpdateRollup`; compared as sets.
//! * a value with no prior counterpart (import, or an id added in the portal) is taken as the
//!   service spells it: the service stores what was sent, so after an import the state holds
//!   the spelling the configuration was applied with, and the plan is empty.
//! * package masks and tags: compared as sets / maps.
//! * empty lists, empty maps and absent values are the same thing (ARM sends `null` for empty).
//! * `expirationDateTime` of `9999-12-31 ...` is the service's "never" default: null.
//! * date-times, durations, time zones, recurrences and locations: compared after parsing or
//!   case/space folding.
//! * ARM ids (the schedule an assignment names): compared as ids (case-insensitively).
//!
//! The rules work on the typed models: the prior state (the planned state on create, what an
//! import id tells on import) and the service's object in, the new state out.

use std::collections::{BTreeMap, BTreeSet};

use armclient::models::maintenance::{
    LinuxParameters, MaintenanceConfiguration, RebootSetting, WindowsParameters,
};

use super::rules::{
    canonical_classification, parse_datetime, parse_duration, LINUX_CLASSIFICATIONS,
    WINDOWS_CLASSIFICATIONS,
};
use super::schedule_resource::{LinuxModel, MaintenanceScheduleModel, WindowsModel};
use crate::kb;

/// The prior value when `same(prior, service)`, else the service's.
pub fn keep_if(
    prior: Option<&str>,
    service: Option<&str>,
    same: impl Fn(&str, &str) -> bool,
) -> Option<String> {
    match (prior, service) {
        (Some(p), Some(s)) if same(p, s) => Some(p.to_owned()),
        (_, s) => s.map(str::to_owned),
    }
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

fn same_location(a: &str, b: &str) -> bool {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    squash(a) == squash(b)
}

/// A list attribute whose elements mean `key(element)`: the prior list when it means the same
/// set, else the service's elements, each in the prior's spelling when the prior has it and as
/// the service spells it otherwise. Empty reads as the prior's empty/null.
fn list_keeping_prior(
    prior: Option<&Vec<String>>,
    service: &[String],
    key: impl Fn(&str) -> String,
) -> Option<Vec<String>> {
    let prior_items = prior.map_or(&[][..], Vec::as_slice);
    let prior_keys: BTreeSet<String> = prior_items.iter().map(|s| key(s)).collect();
    let service_keys: BTreeSet<String> = service.iter().map(|s| key(s)).collect();
    if prior_keys == service_keys {
        return prior.cloned();
    }
    let by_key: BTreeMap<String, &String> = prior_items.iter().map(|s| (key(s), s)).collect();
    Some(
        service
            .iter()
            .map(|s| {
                by_key
                    .get(&key(s))
                    .map_or_else(|| s.clone(), |p| (*p).clone())
            })
            .collect(),
    )
}

fn kb_key(s: &str) -> String {
    kb::key(s).to_owned()
}

fn class_key(list: &'static [&'static str]) -> impl Fn(&str) -> String {
    move |s| {
        canonical_classification(s, list)
            .map_or_else(|| s.to_ascii_lowercase(), str::to_ascii_lowercase)
    }
}

fn as_is(s: &str) -> String {
    s.to_owned()
}

/// The `windows` block: absent when neither the prior state nor the service has one.
fn windows_block(
    prior: Option<&WindowsModel>,
    w: Option<&WindowsParameters>,
) -> Option<WindowsModel> {
    let empty = WindowsParameters::default();
    let w = w.unwrap_or(&empty);
    let nothing = w.kb_numbers_to_include.is_empty()
        && w.kb_numbers_to_exclude.is_empty()
        && w.classifications_to_include.is_empty()
        && !w.exclude_kbs_requiring_reboot.unwrap_or(false);
    if prior.is_none() && nothing {
        return None;
    }
    let kbs = |prior: Option<&Vec<String>>, service: &[String]| {
        list_keeping_prior(prior, service, kb_key)
    };
    Some(WindowsModel {
        classifications_to_include: list_keeping_prior(
            prior.and_then(|p| p.classifications_to_include.as_ref()),
            &w.classifications_to_include,
            class_key(WINDOWS_CLASSIFICATIONS),
        ),
        kb_numbers_to_include: kbs(
            prior.and_then(|p| p.kb_numbers_to_include.as_ref()),
            &w.kb_numbers_to_include,
        ),
        kb_numbers_to_exclude: kbs(
            prior.and_then(|p| p.kb_numbers_to_exclude.as_ref()),
            &w.kb_numbers_to_exclude,
        ),
        exclude_kbs_requiring_reboot: Some(w.exclude_kbs_requiring_reboot.unwrap_or(false)),
    })
}

/// The `linux` block: absent when neither the prior state nor the service has one.
fn linux_block(prior: Option<&LinuxModel>, l: Option<&LinuxParameters>) -> Option<LinuxModel> {
    let empty = LinuxParameters::default();
    let l = l.unwrap_or(&empty);
    let nothing = l.package_name_masks_to_include.is_empty()
        && l.package_name_masks_to_exclude.is_empty()
        && l.classifications_to_include.is_empty();
    if prior.is_none() && nothing {
        return None;
    }
    Some(LinuxModel {
        classifications_to_include: list_keeping_prior(
            prior.and_then(|p| p.classifications_to_include.as_ref()),
            &l.classifications_to_include,
            class_key(LINUX_CLASSIFICATIONS),
        ),
        package_names_mask_to_include: list_keeping_prior(
            prior.and_then(|p| p.package_names_mask_to_include.as_ref()),
            &l.package_name_masks_to_include,
            as_is,
        ),
        package_names_mask_to_exclude: list_keeping_prior(
            prior.and_then(|p| p.package_names_mask_to_exclude.as_ref()),
            &l.package_name_masks_to_exclude,
            as_is,
        ),
    })
}

/// Tags: the prior map when it holds the same entries (null and empty alike), else the service's.
fn tags(
    prior: Option<&BTreeMap<String, String>>,
    service: Option<&BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    let service = service.cloned().unwrap_or_default();
    if prior.cloned().unwrap_or_default() == service {
        return prior.cloned();
    }
    Some(service)
}

/// The state of a schedule as ARM returned it, given the prior state (planned state on
/// create, [`MaintenanceScheduleModel::imported`] on import). The id and resource group are
/// the prior's: ARM's spelling of the id may differ in case, and the group is not read back.
pub fn schedule_state(
    prior: &MaintenanceScheduleModel,
    c: &MaintenanceConfiguration,
) -> MaintenanceScheduleModel {
    let props = c.properties.clone().unwrap_or_default();
    let window = props.maintenance_window.unwrap_or_default();
    let patches = props.install_patches.unwrap_or_default();
    let reboot = patches
        .reboot_setting
        .as_ref()
        .map_or(RebootSetting::IfRequired, RebootSetting::canonical);
    let expiration = window
        .expiration_date_time
        .as_deref()
        .filter(|e| !e.starts_with("9999-12-31"));
    let same_dt = |a: &str, b: &str| matches!((parse_datetime(a), parse_datetime(b)), (Ok(x), Ok(y)) if x == y);
    let same_duration =
        |a: &str, b: &str| parse_duration(a).is_some() && parse_duration(a) == parse_duration(b);
    let same_text = |a: &str, b: &str| fold(a) == fold(b);
    let same_zone = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    // A required attribute the service leaves out reads as empty, so the next plan shows it.
    let required = Option::unwrap_or_default;
    MaintenanceScheduleModel {
        name: required(keep_if(Some(&prior.name), c.name.as_deref(), |a, b| {
            a.eq_ignore_ascii_case(b)
        })),
        resource_group_name: prior.resource_group_name.clone(),
        location: required(keep_if(
            Some(&prior.location),
            c.location.as_deref(),
            same_location,
        )),
        start_date_time: required(keep_if(
            Some(&prior.start_date_time),
            window.start_date_time.as_deref(),
            same_dt,
        )),
        expiration_date_time: keep_if(prior.expiration_date_time.as_deref(), expiration, same_dt),
        duration: keep_if(
            prior.duration.as_deref(),
            window.duration.as_deref(),
            same_duration,
        ),
        time_zone: required(keep_if(
            Some(&prior.time_zone),
            window.time_zone.as_deref(),
            same_zone,
        )),
        recur_every: required(keep_if(
            Some(&prior.recur_every),
            window.recur_every.as_deref(),
            same_text,
        )),
        reboot_setting: Some(reboot.as_str().to_owned()),
        tags: tags(prior.tags.as_ref(), c.tags.as_ref()),
        id: prior.id.clone(),
        windows: windows_block(prior.windows.as_ref(), patches.windows_parameters.as_ref()),
        linux: linux_block(prior.linux.as_ref(), patches.linux_parameters.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(
        reboot: &str,
        kbs: serde_json::Value,
        classes: serde_json::Value,
    ) -> MaintenanceConfiguration {
        serde_json::from_value(json!({
            "name": "s1", "location": "East US", "tags": null,
            "properties": {
                "maintenanceWindow": {"startDateTime": "2030-01-07 02:00", "duration": "03:55",
                    "timeZone": "pacific standard time", "recurEvery": "Month  Second Tuesday Offset2",
                    "expirationDateTime": "9999-12-31 23:59:59"},
                "installPatches": {"rebootSetting": reboot, "windowsParameters": {
                    "kbNumbersToInclude": kbs, "classificationsToInclude": classes,
                    "excludeKbsRequiringReboot": true}}
            }
        }))
        .unwrap()
    }

    const ID: &str = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/s1";

    fn strings(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| s.to_string()).collect())
    }

    fn prior() -> MaintenanceScheduleModel {
        MaintenanceScheduleModel {
            name: "s1".into(),
            resource_group_name: "rg".into(),
            location: "eastus".into(),
            start_date_time: "2030-01-07 02:00".into(),
            expiration_date_time: None,
            duration: Some("03:55".into()),
            time_zone: "Pacific Standard Time".into(),
            recur_every: "Month Second Tuesday Offset2".into(),
            reboot_setting: Some("Never".into()),
            tags: None,
            id: Some(ID.into()),
            windows: Some(WindowsModel {
                classifications_to_include: strings(&["Security", "UpdateRollup"]),
                kb_numbers_to_include: strings(&["KB5001", "5002"]),
                kb_numbers_to_exclude: None,
                exclude_kbs_requiring_reboot: Some(true),
            }),
            linux: None,
        }
    }

    #[test]
    fn service_spellings_read_as_the_prior_state() {
        let c = service(
            "NeverReboot",
            json!(["5001", "KB5002"]),
            json!(["UpdateRollUp", "security"]),
        );
        assert_eq!(schedule_state(&prior(), &c), prior());
    }

    #[test]
    fn real_changes_still_show() {
        let c = service("AlwaysReboot", json!(["5001", "5003"]), json!(["Critical"]));
        let s = schedule_state(&prior(), &c);
        assert_eq!(s.reboot_setting.as_deref(), Some("Always"));
        let w = s.windows.unwrap();
        // 5001 keeps the prior's spelling; 5003 is new and reads as the service has it.
        assert_eq!(w.kb_numbers_to_include, strings(&["KB5001", "5003"]));
        assert_eq!(w.classifications_to_include, strings(&["Critical"]));
    }

    #[test]
    fn import_keeps_the_spellings_the_service_stored() {
        for (kbs, classes) in [
            (
                json!(["5001", "KB5002"]),
                json!(["UpdateRollUp", "security"]),
            ),
            (
                json!(["KB5001", "kb5002"]),
                json!(["UpdateRollup", "Security"]),
            ),
        ] {
            let c = service("RebootIfRequired", kbs.clone(), classes.clone());
            let known = MaintenanceScheduleModel::imported(ID, "rg".into(), "S1".into());
            let w = schedule_state(&known, &c).windows.unwrap();
            assert_eq!(json!(w.kb_numbers_to_include), kbs);
            assert_eq!(json!(w.classifications_to_include), classes);
        }
        let c = service("RebootIfRequired", json!(["5001"]), json!(["UpdateRollUp"]));
        let known = MaintenanceScheduleModel::imported(ID, "rg".into(), "S1".into());
        let s = schedule_state(&known, &c);
        assert_eq!(s.reboot_setting.as_deref(), Some("IfRequired"));
        assert_eq!(s.linux, None);
        // The import id's spelling of the name is kept; the rest is the service's.
        assert_eq!(s.name, "S1");
        assert_eq!(s.location, "East US");
        assert_eq!(s.time_zone, "pacific standard time");
        assert_eq!(s.duration.as_deref(), Some("03:55"));
        assert_eq!(s.expiration_date_time, None);
        assert_eq!(s.id.as_deref(), Some(ID));
    }

    #[test]
    fn a_required_value_the_service_leaves_out_reads_as_empty() {
        let c = MaintenanceConfiguration::default();
        let s = schedule_state(&prior(), &c);
        assert_eq!(s.start_date_time, "");
        assert_eq!(s.resource_group_name, "rg");
        assert_eq!(s.reboot_setting.as_deref(), Some("IfRequired"));
        // The prior block stays, emptied: the configured KB lists show as drift.
        assert_eq!(s.windows.unwrap().kb_numbers_to_include, Some(vec![]));
    }
}
