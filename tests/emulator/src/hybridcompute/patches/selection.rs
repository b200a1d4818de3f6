//! installPatches parameters: validation and which updates a run selects, shared by Arc
//! machines and Azure VMs so both apply the same rules.
//!
//! The two bodies differ only where the specs differ (CONTRACT §2.4 vs §3): Arc requires
//! `maximumDuration`, VMs do not; only VM `windowsParameters` has patch-name masks (Arc, like
//! ARM generally, ignores a property its schema lacks, so masks are dropped for Arc).
//!
//! Selection, as the service documents it: with `kbNumbersToInclude`,
//! `classificationsToInclude` and/or `patchNameMasksToInclude` an update is selected when its
//! KB, classification or name is listed; with none, everything applicable is selected.
//! `kbNumbersToExclude`, `patchNameMasksToExclude` and `excludeKbsRequiringReboot` (anything
//! not `NeverReboots`) then mark updates `Excluded`. `maxPatchPublishDate` ("install patches
//! that were published on or before this given max published date", the spec's words) leaves
//! every later update `NotSelected` (the state for "not chosen by this run's filters"; which
//! state the service reports is not documented).

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Kind;
use crate::catalogue::Update;
use crate::errors::ArmError;
use crate::reply::Reply;

const REBOOT_SETTINGS: &[&str] = &["IfRequired", "Never", "Always"];
const CLASSIFICATIONS: &[&str] = &[
    "Critical",
    "Security",
    "UpdateRollUp",
    "FeaturePack",
    "ServicePack",
    "Definition",
    "Tools",
    "Updates",
];

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InstallParams {
    #[serde(default)]
    pub maximum_duration: Option<String>,
    #[serde(default)]
    pub reboot_setting: Option<String>,
    #[serde(default)]
    pub windows_parameters: Option<WindowsParams>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WindowsParams {
    #[serde(default)]
    classifications_to_include: Option<Vec<String>>,
    #[serde(default)]
    kb_numbers_to_include: Option<Vec<String>>,
    #[serde(default)]
    kb_numbers_to_exclude: Option<Vec<String>>,
    #[serde(default)]
    exclude_kbs_requiring_reboot: Option<bool>,
    #[serde(default)]
    patch_name_masks_to_include: Option<Vec<String>>,
    #[serde(default)]
    patch_name_masks_to_exclude: Option<Vec<String>>,
    #[serde(default)]
    max_patch_publish_date: Option<String>,
}

/// A KB number without its optional `KB` prefix.
fn kb_digits(kb: &str) -> &str {
    let t = kb.trim();
    match t.get(..2) {
        Some(p) if p.eq_ignore_ascii_case("kb") => &t[2..],
        _ => t,
    }
}

fn listed(list: &Option<Vec<String>>, kb: &str) -> bool {
    list.iter().flatten().any(|k| kb_digits(k) == kb)
}

fn nonempty(list: &Option<Vec<String>>) -> bool {
    list.as_ref().is_some_and(|l| !l.is_empty())
}

/// Case-insensitive glob match of `name` against `mask` (`*` any run, `?` one character).
fn glob(mask: &[u8], name: &[u8]) -> bool {
    match (mask.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&mask[1..], name) || (!name.is_empty() && glob(mask, &name[1..])),
        (Some(b'?'), Some(_)) => glob(&mask[1..], &name[1..]),
        (Some(m), Some(n)) if m.eq_ignore_ascii_case(n) => glob(&mask[1..], &name[1..]),
        _ => false,
    }
}

fn masked(masks: &Option<Vec<String>>, name: &str) -> bool {
    masks
        .iter()
        .flatten()
        .any(|m| glob(m.as_bytes(), name.as_bytes()))
}

impl InstallParams {
    /// The installation state an applicable update gets under these parameters.
    pub fn state_of(&self, u: &Update) -> &'static str {
        let w = self.windows_parameters.clone().unwrap_or_default();
        if listed(&w.kb_numbers_to_exclude, u.kb_id)
            || masked(&w.patch_name_masks_to_exclude, u.name)
            || (w.exclude_kbs_requiring_reboot == Some(true) && u.reboot_required())
        {
            return "Excluded";
        }
        let too_new = |max: &String| {
            let parse = |s: &str| OffsetDateTime::parse(s, &Rfc3339).ok();
            parse(u.published)
                .zip(parse(max))
                .is_some_and(|(p, m)| p > m)
        };
        if w.max_patch_publish_date.as_ref().is_some_and(too_new) {
            return "NotSelected";
        }
        let filtered = nonempty(&w.kb_numbers_to_include)
            || nonempty(&w.classifications_to_include)
            || nonempty(&w.patch_name_masks_to_include);
        let by_class = w
            .classifications_to_include
            .iter()
            .flatten()
            .any(|c| c.eq_ignore_ascii_case(u.classification));
        if !filtered
            || by_class
            || listed(&w.kb_numbers_to_include, u.kb_id)
            || masked(&w.patch_name_masks_to_include, u.name)
        {
            "Installed"
        } else {
            "NotSelected"
        }
    }

    pub fn reboot_setting(&self) -> &str {
        self.reboot_setting.as_deref().unwrap_or("IfRequired")
    }

    /// The parameters of a scheduled run: everything applicable.
    pub fn scheduled(reboot_setting: String) -> Self {
        InstallParams {
            maximum_duration: Some("PT3H55M".into()),
            reboot_setting: Some(reboot_setting),
            windows_parameters: None,
        }
    }

    /// The parameters of a schedule's `installPatches` (reboot setting spelled canonically;
    /// settings that cannot be read install everything applicable, as `scheduled` does).
    pub fn from_schedule(install_patches: Option<&serde_json::Value>) -> Self {
        let mut params: InstallParams = install_patches
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let reboot = params
            .reboot_setting
            .as_deref()
            .and_then(|r| REBOOT_SETTINGS.iter().find(|k| k.eq_ignore_ascii_case(r)))
            .unwrap_or(&"IfRequired");
        params.reboot_setting = Some(reboot.to_string());
        params.maximum_duration = Some("PT3H55M".into());
        params
    }

    /// Validates a request body for `kind`; for Arc, drops the VM-only masks.
    pub fn validated(mut self, kind: Kind) -> Result<Self, Reply> {
        match (self.maximum_duration.as_deref(), kind) {
            (None, Kind::Arc) => return Err(invalid(
                "maximumDuration",
                "The 'maximumDuration' property is required for installPatches on Arc-enabled servers.",
            )),
            (Some(d), _) if !is_iso_duration(d) => {
                return Err(invalid(
                    "maximumDuration",
                    format!("'{d}' is not a valid ISO 8601 duration for 'maximumDuration'."),
                ))
            }
            _ => {}
        }
        match self.reboot_setting.as_deref() {
            None => {
                return Err(invalid(
                    "rebootSetting",
                    "The 'rebootSetting' property is required.",
                ))
            }
            Some(r) if !REBOOT_SETTINGS.contains(&r) => {
                return Err(invalid(
                    "rebootSetting",
                    format!(
                        "'{r}' is not a valid rebootSetting; expected one of {REBOOT_SETTINGS:?}."
                    ),
                ))
            }
            Some(_) => {}
        }
        let Some(w) = self.windows_parameters.as_mut() else {
            return Ok(self);
        };
        if kind == Kind::Arc {
            w.patch_name_masks_to_include = None;
            w.patch_name_masks_to_exclude = None;
        }
        validate_windows(w)?;
        Ok(self)
    }
}

fn validate_windows(w: &WindowsParams) -> Result<(), Reply> {
    if let Some(d) = &w.max_patch_publish_date {
        if OffsetDateTime::parse(d, &Rfc3339).is_err() {
            return Err(invalid(
                "windowsParameters.maxPatchPublishDate",
                format!("'{d}' is not a valid date-time for 'maxPatchPublishDate'."),
            ));
        }
    }
    for c in w.classifications_to_include.iter().flatten() {
        if !CLASSIFICATIONS.contains(&c.as_str()) {
            return Err(invalid(
                "windowsParameters.classificationsToInclude",
                format!("'{c}' is not a valid Windows classification; expected one of {CLASSIFICATIONS:?}."),
            ));
        }
    }
    for kb in w
        .kb_numbers_to_include
        .iter()
        .chain(w.kb_numbers_to_exclude.iter())
        .flatten()
    {
        let digits = kb_digits(kb);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "windowsParameters",
                format!("'{kb}' is not a valid KB number."),
            ));
        }
    }
    for mask in w
        .patch_name_masks_to_include
        .iter()
        .chain(w.patch_name_masks_to_exclude.iter())
        .flatten()
    {
        let ok = !mask.is_empty()
            && mask
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?');
        if !ok {
            return Err(invalid(
                "windowsParameters",
                format!(
                    "'{mask}' is not a valid patch name mask: use letters, digits, '*' and '?'."
                ),
            ));
        }
    }
    Ok(())
}

fn invalid(target: &str, message: impl Into<String>) -> Reply {
    ArmError::bad_request("InvalidParameter", message)
        .target(target)
        .into()
}

/// Whether `s` is an ISO 8601 duration of days/hours/minutes/seconds (`PT2H`, `P1DT30M`).
fn is_iso_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return false,
        None => (rest, None),
    };
    let units_ok = |part: &str, units: &[char]| {
        let mut digits = false;
        let mut last = None;
        for c in part.chars() {
            if c.is_ascii_digit() {
                digits = true;
            } else if let Some(pos) = units.iter().position(|u| *u == c) {
                if !digits || last.is_some_and(|l| l >= pos) {
                    return false;
                }
                last = Some(pos);
                digits = false;
            } else {
                return false;
            }
        }
        !digits
    };
    (!date.is_empty() || time.is_some())
        && units_ok(date, &['D'])
        && time.is_none_or(|t| units_ok(t, &['H', 'M', 'S']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;

    #[test]
    fn iso_durations() {
        for ok in ["PT2H", "PT30M", "P1D", "P1DT2H30M", "PT90S", "PT1H30M"] {
            assert!(is_iso_duration(ok), "{ok}");
        }
        for bad in [
            "", "P", "PT", "2H", "PT2", "PTH", "PT30M2H", "P1H", "pt2h", "PT2H ",
        ] {
            assert!(!is_iso_duration(bad), "{bad}");
        }
    }

    fn p(w: WindowsParams) -> InstallParams {
        InstallParams {
            maximum_duration: Some("PT2H".into()),
            reboot_setting: Some("IfRequired".into()),
            windows_parameters: Some(w),
        }
    }

    #[test]
    fn selection_follows_include_exclude_and_reboot_rules() {
        let hot = catalogue::WINDOWS[0];
        let cu = catalogue::WINDOWS[2];
        let all = p(WindowsParams::default());
        assert_eq!(all.state_of(&hot), "Installed");
        let only_hot = p(WindowsParams {
            kb_numbers_to_include: Some(vec![format!("KB{}", hot.kb_id)]),
            ..Default::default()
        });
        assert_eq!(only_hot.state_of(&hot), "Installed");
        assert_eq!(only_hot.state_of(&cu), "NotSelected");
        let no_reboot = p(WindowsParams {
            exclude_kbs_requiring_reboot: Some(true),
            ..Default::default()
        });
        assert_eq!(no_reboot.state_of(&cu), "Excluded");
        let security = p(WindowsParams {
            classifications_to_include: Some(vec!["security".into()]),
            kb_numbers_to_exclude: Some(vec![cu.kb_id.into()]),
            ..Default::default()
        });
        assert_eq!(security.state_of(&hot), "Installed");
        assert_eq!(security.state_of(&cu), "Excluded");
        assert_eq!(security.state_of(&catalogue::WINDOWS[3]), "NotSelected");
    }

    #[test]
    fn a_max_publish_date_leaves_later_updates_unselected() {
        let june = p(WindowsParams {
            max_patch_publish_date: Some("2025-06-30T00:00:00+02:00".into()),
            ..Default::default()
        });
        let june = june.validated(Kind::Arc).ok().unwrap();
        assert_eq!(june.state_of(&catalogue::WINDOWS[0]), "Installed");
        assert_eq!(june.state_of(&catalogue::WINDOWS[2]), "NotSelected");
        let exact = p(WindowsParams {
            max_patch_publish_date: Some(catalogue::WINDOWS[2].published.into()),
            ..Default::default()
        });
        assert_eq!(
            exact.state_of(&catalogue::WINDOWS[2]),
            "Installed",
            "on or before"
        );
        let bad = p(WindowsParams {
            max_patch_publish_date: Some("2025-06-30".into()),
            ..Default::default()
        });
        assert!(bad.validated(Kind::Vm).is_err());
    }

    #[test]
    fn name_masks_select_for_vms_and_are_ignored_for_arc() {
        let masks = || WindowsParams {
            patch_name_masks_to_include: Some(vec!["*hotpatch*".into()]),
            patch_name_masks_to_exclude: Some(vec!["*KB5061002?".into()]),
            ..Default::default()
        };
        let vm = p(masks()).validated(Kind::Vm).ok().unwrap();
        assert_eq!(vm.state_of(&catalogue::WINDOWS[0]), "Installed");
        assert_eq!(vm.state_of(&catalogue::WINDOWS[1]), "Excluded");
        assert_eq!(vm.state_of(&catalogue::WINDOWS[2]), "NotSelected");
        let arc = p(masks()).validated(Kind::Arc).ok().unwrap();
        assert_eq!(arc.state_of(&catalogue::WINDOWS[2]), "Installed");
        let bad = p(WindowsParams {
            patch_name_masks_to_include: Some(vec!["Hot patch".into()]),
            ..Default::default()
        });
        assert!(bad.validated(Kind::Vm).is_err());
    }

    #[test]
    fn only_arc_requires_a_duration() {
        let no_duration = || InstallParams {
            maximum_duration: None,
            ..p(WindowsParams::default())
        };
        assert!(no_duration().validated(Kind::Arc).is_err());
        assert!(no_duration().validated(Kind::Vm).is_ok());
    }
}
