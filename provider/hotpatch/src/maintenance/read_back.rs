//! How a schedule read from ARM becomes Terraform state without false drift.
//!
//! The service reads values back in other spellings than it accepted, and Terraform treats any
//! textual difference as a change. Each rule below compares *meaning*; when the service's value
//! means what the prior state says, the prior (the user's spelling) is kept, otherwise the
//! service's value is taken (canonicalised), so a real out-of-band change still shows:
//!
//! * `rebootSetting`: `RebootIfRequired` / `NeverReboot` / `AlwaysReboot` are `IfRequired` /
//!   `Never` / `Always`; absent is the default `IfRequired`.
//! * KB ids: `KB5041585` and `5041585` are the same update (case-insensitive prefix); lists are
//!   compared as sets of digits. New ids are written `KB<digits>`.
//! * classifications: case-insensitive, `UpdateRollUp` = `UpdateRollup`; compared as sets.
//!   New ones get the canonical spelling.
//! * package masks and tags: compared as sets / maps.
//! * empty lists, empty maps and absent values are the same thing (ARM sends `null` for empty).
//! * `expirationDateTime` of `9999-12-31 ...` is the service's "never" default: null.
//! * date-times, durations, time zones, recurrences and locations: compared after parsing or
//!   case/space folding.

use std::collections::{BTreeMap, BTreeSet};

use armclient::models::maintenance::{
    LinuxParameters, MaintenanceConfiguration, RebootSetting, WindowsParameters,
};
use armclient::resource_id::ids_equal;
use tfframework::{ObjectBuilder, Value};

use super::rules::{
    canonical_classification, kb_digits, parse_datetime, parse_duration, LINUX_CLASSIFICATIONS,
    WINDOWS_CLASSIFICATIONS,
};

fn prior_str<'a>(prior: &'a Value, name: &str) -> Option<&'a str> {
    prior.attr(name).and_then(Value::as_str)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_elements)
        .map(|e| {
            e.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The prior value when `same(prior, service)`, else `service`.
fn keep_if(prior: Option<&str>, service: Option<&str>, same: impl Fn(&str, &str) -> bool) -> Value {
    match (prior, service) {
        (Some(p), Some(s)) if same(p, s) => Value::string(p),
        (_, Some(s)) => Value::string(s),
        (_, None) => Value::Null,
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
/// set, else the service's elements mapped through `respell` (the prior's spelling of the same
/// element when there is one). Empty reads as the prior's empty/null.
fn list_keeping_prior(
    prior: Option<&Value>,
    service: &[String],
    key: impl Fn(&str) -> String,
    respell: impl Fn(&str) -> String,
) -> Value {
    let prior_items = strings(prior);
    let prior_keys: BTreeSet<String> = prior_items.iter().map(|s| key(s)).collect();
    let service_keys: BTreeSet<String> = service.iter().map(|s| key(s)).collect();
    if prior_keys == service_keys {
        return match prior {
            Some(v) if !v.is_unknown() => v.clone(),
            _ => Value::Null,
        };
    }
    let by_key: BTreeMap<String, &String> = prior_items.iter().map(|s| (key(s), s)).collect();
    Value::List(
        service
            .iter()
            .map(|s| match by_key.get(&key(s)) {
                Some(p) => Value::string(p.as_str()),
                None => Value::string(respell(s)),
            })
            .collect(),
    )
}

fn kb_key(s: &str) -> String {
    kb_digits(s).map_or_else(|| s.to_ascii_lowercase(), str::to_owned)
}

fn kb_spelling(s: &str) -> String {
    kb_digits(s).map_or_else(|| s.to_owned(), |d| format!("KB{d}"))
}

fn class_key(list: &'static [&'static str]) -> impl Fn(&str) -> String {
    move |s| {
        canonical_classification(s, list)
            .map_or_else(|| s.to_ascii_lowercase(), str::to_ascii_lowercase)
    }
}

fn class_spelling(list: &'static [&'static str]) -> impl Fn(&str) -> String {
    move |s| canonical_classification(s, list).map_or_else(|| s.to_owned(), str::to_owned)
}

fn windows_block(prior: &Value, w: Option<&WindowsParameters>) -> Value {
    let empty = WindowsParameters::default();
    let w = w.unwrap_or(&empty);
    let prior_block = prior.attr("windows").filter(|b| !b.is_null());
    let nothing = w.kb_numbers_to_include.is_empty()
        && w.kb_numbers_to_exclude.is_empty()
        && w.classifications_to_include.is_empty()
        && !w.exclude_kbs_requiring_reboot.unwrap_or(false);
    let Some(pb) = prior_block.or(if nothing { None } else { Some(&Value::Null) }) else {
        return Value::Null;
    };
    let lists = |name: &str,
                 service: &[String],
                 key: &dyn Fn(&str) -> String,
                 spell: &dyn Fn(&str) -> String| {
        list_keeping_prior(pb.attr(name), service, key, spell)
    };
    ObjectBuilder::new()
        .set(
            "kb_numbers_to_include",
            lists(
                "kb_numbers_to_include",
                &w.kb_numbers_to_include,
                &kb_key,
                &kb_spelling,
            ),
        )
        .set(
            "kb_numbers_to_exclude",
            lists(
                "kb_numbers_to_exclude",
                &w.kb_numbers_to_exclude,
                &kb_key,
                &kb_spelling,
            ),
        )
        .set(
            "classifications_to_include",
            lists(
                "classifications_to_include",
                &w.classifications_to_include,
                &class_key(WINDOWS_CLASSIFICATIONS),
                &class_spelling(WINDOWS_CLASSIFICATIONS),
            ),
        )
        .set(
            "exclude_kbs_requiring_reboot",
            w.exclude_kbs_requiring_reboot.unwrap_or(false),
        )
        .build()
}

fn linux_block(prior: &Value, l: Option<&LinuxParameters>) -> Value {
    let empty = LinuxParameters::default();
    let l = l.unwrap_or(&empty);
    let prior_block = prior.attr("linux").filter(|b| !b.is_null());
    let nothing = l.package_name_masks_to_include.is_empty()
        && l.package_name_masks_to_exclude.is_empty()
        && l.classifications_to_include.is_empty();
    let Some(pb) = prior_block.or(if nothing { None } else { Some(&Value::Null) }) else {
        return Value::Null;
    };
    let same = |s: &str| s.to_owned();
    ObjectBuilder::new()
        .set(
            "classifications_to_include",
            list_keeping_prior(
                pb.attr("classifications_to_include"),
                &l.classifications_to_include,
                class_key(LINUX_CLASSIFICATIONS),
                class_spelling(LINUX_CLASSIFICATIONS),
            ),
        )
        .set(
            "package_names_mask_to_include",
            list_keeping_prior(
                pb.attr("package_names_mask_to_include"),
                &l.package_name_masks_to_include,
                same,
                same,
            ),
        )
        .set(
            "package_names_mask_to_exclude",
            list_keeping_prior(
                pb.attr("package_names_mask_to_exclude"),
                &l.package_name_masks_to_exclude,
                same,
                same,
            ),
        )
        .build()
}

fn tags(prior: &Value, service: Option<&BTreeMap<String, String>>) -> Value {
    let service = service.cloned().unwrap_or_default();
    let prior_tags: BTreeMap<String, String> = prior
        .attr("tags")
        .and_then(Value::as_entries)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    if prior_tags == service {
        return prior.attr("tags").cloned().unwrap_or(Value::Null);
    }
    Value::Map(
        service
            .into_iter()
            .map(|(k, v)| (k, Value::string(v)))
            .collect(),
    )
}

/// The state of a schedule as ARM returned it, given the prior state (planned state on
/// create, a partial state on import). `id` is the id to record when the prior has none.
pub fn schedule_state(prior: &Value, id: &str, c: &MaintenanceConfiguration) -> Value {
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
    let prior_id = prior_str(prior, "id").filter(|p| ids_equal(p, id));
    ObjectBuilder::new()
        .set("id", prior_id.unwrap_or(id))
        .set(
            "name",
            keep_if(prior_str(prior, "name"), c.name.as_deref(), |a, b| {
                a.eq_ignore_ascii_case(b)
            }),
        )
        .set(
            "resource_group_name",
            prior_str(prior, "resource_group_name").map(str::to_owned),
        )
        .set(
            "location",
            keep_if(
                prior_str(prior, "location"),
                c.location.as_deref(),
                same_location,
            ),
        )
        .set(
            "start_date_time",
            keep_if(
                prior_str(prior, "start_date_time"),
                window.start_date_time.as_deref(),
                same_dt,
            ),
        )
        .set(
            "expiration_date_time",
            keep_if(
                prior_str(prior, "expiration_date_time"),
                expiration,
                same_dt,
            ),
        )
        .set(
            "duration",
            keep_if(
                prior_str(prior, "duration"),
                window.duration.as_deref(),
                same_duration,
            ),
        )
        .set(
            "time_zone",
            keep_if(
                prior_str(prior, "time_zone"),
                window.time_zone.as_deref(),
                |a, b| a.trim().eq_ignore_ascii_case(b.trim()),
            ),
        )
        .set(
            "recur_every",
            keep_if(
                prior_str(prior, "recur_every"),
                window.recur_every.as_deref(),
                same_text,
            ),
        )
        .set("reboot_setting", reboot.as_str())
        .set(
            "windows",
            windows_block(prior, patches.windows_parameters.as_ref()),
        )
        .set(
            "linux",
            linux_block(prior, patches.linux_parameters.as_ref()),
        )
        .set("tags", tags(prior, c.tags.as_ref()))
        .build()
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

    fn prior() -> Value {
        ObjectBuilder::new()
            .set("id", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/s1")
            .set("name", "s1")
            .set("resource_group_name", "rg")
            .set("location", "eastus")
            .set("start_date_time", "2030-01-07 02:00")
            .set("duration", "03:55")
            .set("time_zone", "Pacific Standard Time")
            .set("recur_every", "Month Second Tuesday Offset2")
            .set("reboot_setting", "Never")
            .set(
                "windows",
                ObjectBuilder::new()
                    .set("kb_numbers_to_include", vec!["KB5001".to_owned(), "5002".to_owned()])
                    .set("kb_numbers_to_exclude", Value::Null)
                    .set("classifications_to_include", vec!["Security".to_owned(), "UpdateRollup".to_owned()])
                    .set("exclude_kbs_requiring_reboot", true)
                    .build(),
            )
            .build()
    }

    const ID: &str = "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Maintenance/maintenanceConfigurations/s1";

    #[test]
    fn service_spellings_read_as_the_prior_state() {
        let c = service(
            "NeverReboot",
            json!(["5001", "KB5002"]),
            json!(["UpdateRollUp", "security"]),
        );
        let s = schedule_state(&prior(), ID, &c);
        let p = prior();
        for attr in [
            "id",
            "location",
            "time_zone",
            "recur_every",
            "reboot_setting",
            "windows",
            "start_date_time",
        ] {
            assert_eq!(s.attr(attr), p.attr(attr), "{attr}");
        }
        assert_eq!(s.attr("expiration_date_time"), Some(&Value::Null));
        assert_eq!(s.attr("tags"), Some(&Value::Null));
    }

    #[test]
    fn real_changes_still_show() {
        let c = service("AlwaysReboot", json!(["5001", "5003"]), json!(["Critical"]));
        let s = schedule_state(&prior(), ID, &c);
        assert_eq!(
            s.attr("reboot_setting").and_then(Value::as_str),
            Some("Always")
        );
        let w = s.attr("windows").unwrap();
        assert_eq!(
            w.attr("kb_numbers_to_include"),
            Some(&Value::List(vec![
                Value::string("KB5001"),
                Value::string("KB5003")
            ]))
        );
        assert_eq!(
            w.attr("classifications_to_include"),
            Some(&Value::List(vec![Value::string("Critical")]))
        );
    }

    #[test]
    fn import_gets_canonical_spellings() {
        let c = service("RebootIfRequired", json!(["5001"]), json!(["UpdateRollUp"]));
        let partial = ObjectBuilder::new()
            .set("id", ID)
            .set("resource_group_name", "rg")
            .build();
        let s = schedule_state(&partial, ID, &c);
        assert_eq!(
            s.attr("reboot_setting").and_then(Value::as_str),
            Some("IfRequired")
        );
        let w = s.attr("windows").unwrap();
        assert_eq!(
            w.attr("kb_numbers_to_include"),
            Some(&Value::List(vec![Value::string("KB5001")]))
        );
        assert_eq!(
            w.attr("classifications_to_include"),
            Some(&Value::List(vec![Value::string("UpdateRollup")]))
        );
        assert_eq!(s.attr("linux"), Some(&Value::Null));
        assert_eq!(s.attr("name").and_then(Value::as_str), Some("s1"));
    }
}
