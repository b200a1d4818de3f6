//! Arc `assessPatches` / `installPatches` (CONTRACT §2.4) and the update history they leave.
//!
//! Both are POST LROs answered `202` with only `Location` (final-state-via location): the
//! Location URL answers 202 while the operation runs and 200 with the result when it is done.
//! Work happens when the operation completes (`complete`), against the machine's catalogue
//! (`crate::catalogue`) minus what it already installed. Arc results carry no per-patch list:
//! per-KB detail is only visible through the Resource Graph tables (`table_rows`), which is
//! why every assessment and run is kept here with its patches.
//!
//! Install selection, as the service documents it: with `kbNumbersToInclude` and/or
//! `classificationsToInclude` an update is selected when its KB is listed or its
//! classification is; with neither, everything applicable is selected. `kbNumbersToExclude`
//! and `excludeKbsRequiringReboot` (anything not `NeverReboots`) then mark updates `Excluded`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::machines::Machine;
use super::{API_VERSION, NAMESPACE};
use crate::catalogue::{self, Update};
use crate::errors::ArmError;
use crate::lro::{self, rfc3339, OpKind, Operation};
use crate::reply::Reply;
use crate::router::Req;
use crate::state::{State, Store};

/// Assessment results stay in Resource Graph for 7 days, installation results for 30.
const ASSESSMENT_RETENTION_DAYS: i64 = 7;
const INSTALLATION_RETENTION_DAYS: i64 = 30;

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

/// Patch state of every machine that has been assessed or patched, plus injected failures.
#[derive(Default)]
pub(crate) struct PatchStore {
    /// Keyed by machine key.
    pub machines: BTreeMap<String, MachinePatches>,
    /// Messages for the next install runs that must fail.
    pub install_failures: VecDeque<String>,
}

#[derive(Default)]
pub(crate) struct MachinePatches {
    installed: BTreeSet<&'static str>,
    reboot_pending: bool,
    assessment: Option<Assessment>,
    runs: Vec<Run>,
}

struct Assessment {
    id: String,
    status: &'static str,
    start: OffsetDateTime,
    end: OffsetDateTime,
    available: Vec<Update>,
    reboot_pending: bool,
    error: Option<Value>,
}

struct Run {
    id: String,
    status: &'static str,
    start: OffsetDateTime,
    end: OffsetDateTime,
    started_by: &'static str,
    maintenance_run_id: Option<String>,
    reboot_status: &'static str,
    params: InstallParams,
    patches: Vec<(Update, &'static str)>,
    /// Set at start by fault injection; the run fails with it.
    fail_message: Option<String>,
    error: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InstallParams {
    #[serde(default)]
    maximum_duration: Option<String>,
    #[serde(default)]
    reboot_setting: Option<String>,
    #[serde(default)]
    windows_parameters: Option<WindowsParams>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WindowsParams {
    #[serde(default)]
    classifications_to_include: Option<Vec<String>>,
    #[serde(default)]
    kb_numbers_to_include: Option<Vec<String>>,
    #[serde(default)]
    kb_numbers_to_exclude: Option<Vec<String>>,
    #[serde(default)]
    exclude_kbs_requiring_reboot: Option<bool>,
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

impl InstallParams {
    /// The installation state an applicable update gets under these parameters.
    fn state_of(&self, u: &Update) -> &'static str {
        let w = self.windows_parameters.clone().unwrap_or_default();
        if listed(&w.kb_numbers_to_exclude, u.kb_id)
            || (w.exclude_kbs_requiring_reboot == Some(true) && u.reboot_required())
        {
            return "Excluded";
        }
        let filtered =
            nonempty(&w.kb_numbers_to_include) || nonempty(&w.classifications_to_include);
        let by_class = w
            .classifications_to_include
            .iter()
            .flatten()
            .any(|c| c.eq_ignore_ascii_case(u.classification));
        if !filtered || by_class || listed(&w.kb_numbers_to_include, u.kb_id) {
            "Installed"
        } else {
            "NotSelected"
        }
    }

    fn reboot_setting(&self) -> &str {
        self.reboot_setting.as_deref().unwrap_or("IfRequired")
    }
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

fn invalid(target: &str, message: impl Into<String>) -> Reply {
    ArmError::bad_request("InvalidParameter", message)
        .target(target)
        .into()
}

fn validate_install(p: &InstallParams) -> Result<(), Reply> {
    match p.maximum_duration.as_deref() {
        None => return Err(invalid(
            "maximumDuration",
            "The 'maximumDuration' property is required for installPatches on Arc-enabled servers.",
        )),
        Some(d) if !is_iso_duration(d) => {
            return Err(invalid(
                "maximumDuration",
                format!("'{d}' is not a valid ISO 8601 duration for 'maximumDuration'."),
            ))
        }
        Some(_) => {}
    }
    match p.reboot_setting.as_deref() {
        None => {
            return Err(invalid(
                "rebootSetting",
                "The 'rebootSetting' property is required.",
            ))
        }
        Some(r) if !REBOOT_SETTINGS.contains(&r) => {
            return Err(invalid(
                "rebootSetting",
                format!("'{r}' is not a valid rebootSetting; expected one of {REBOOT_SETTINGS:?}."),
            ))
        }
        Some(_) => {}
    }
    let w = p.windows_parameters.clone().unwrap_or_default();
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
    Ok(())
}

/// Parses the request body: assessPatches takes `{}` or nothing, installPatches a
/// `MachineInstallPatchesParameters`.
fn body<T: for<'de> Deserialize<'de> + Default>(req: &Req) -> Result<T, Reply> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&req.body).map_err(|e| {
        ArmError::invalid_content(format!(
            "The request content was invalid and could not be deserialized: {e}."
        ))
        .into()
    })
}

/// `202` with `Location` and `Retry-After` only: the Arc patch operations declare
/// final-state-via location and no Azure-AsyncOperation header.
fn accepted(state: &State, location: &str, op_id: &str) -> Reply {
    let url = format!(
        "{}/subscriptions/{}/providers/{NAMESPACE}/locations/{location}/operationResults/{op_id}?api-version={API_VERSION}",
        state.base_url, state.config.subscription_id
    );
    Reply::empty(StatusCode::ACCEPTED)
        .header("Location", url)
        .header("Retry-After", state.config.lro_retry_after_secs.to_string())
}

fn machine_or_404<'a>(
    store: &'a Store,
    key: &str,
    rg: &str,
    name: &str,
) -> Result<&'a Machine, Reply> {
    store
        .machines
        .get(key)
        .ok_or_else(|| super::machines::machine_not_found(rg, name).into())
}

fn conflict_if_busy(store: &Store, key: &str) -> Result<(), Reply> {
    let busy = store.operations.values().any(|o| {
        o.resource_key == key
            && o.end_time.is_none()
            && matches!(o.kind, OpKind::AssessPatches | OpKind::InstallPatches)
    });
    if busy {
        return Err(ArmError::new(
            StatusCode::CONFLICT,
            "Conflict",
            "Another patch operation is in progress on this machine.",
        )
        .into());
    }
    Ok(())
}

/// `POST {MACHINE}/assessPatches`.
pub(crate) fn assess(
    state: &State,
    store: &mut Store,
    req: &Req,
    key: &str,
    rg: &str,
    name: &str,
) -> Reply {
    let location = match machine_or_404(store, key, rg, name) {
        Ok(m) => m.location.clone(),
        Err(r) => return r,
    };
    if let Err(r) = body::<Value>(req).map(|_| ()) {
        return r;
    }
    if let Err(r) = conflict_if_busy(store, key) {
        return r;
    }
    let op = lro::start(store, NAMESPACE, &location, key, OpKind::AssessPatches);
    let now = OffsetDateTime::now_utc();
    let entry = store.patches.machines.entry(key.to_string()).or_default();
    let reboot_pending = entry.reboot_pending;
    entry.assessment = Some(Assessment {
        id: op.clone(),
        status: "InProgress",
        start: now,
        end: now,
        available: Vec::new(),
        reboot_pending,
        error: None,
    });
    accepted(state, &location, &op)
}

/// `POST {MACHINE}/installPatches`.
pub(crate) fn install(
    state: &State,
    store: &mut Store,
    req: &Req,
    key: &str,
    rg: &str,
    name: &str,
) -> Reply {
    let location = match machine_or_404(store, key, rg, name) {
        Ok(m) => m.location.clone(),
        Err(r) => return r,
    };
    let params: InstallParams = match body(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = validate_install(&params) {
        return r;
    }
    if let Err(r) = conflict_if_busy(store, key) {
        return r;
    }
    let op = lro::start(store, NAMESPACE, &location, key, OpKind::InstallPatches);
    let fail_message = store.patches.install_failures.pop_front();
    let now = OffsetDateTime::now_utc();
    store
        .patches
        .machines
        .entry(key.to_string())
        .or_default()
        .runs
        .push(Run {
            id: op.clone(),
            status: "InProgress",
            start: now,
            end: now,
            started_by: "User",
            maintenance_run_id: None,
            reboot_status: "Unknown",
            params,
            patches: Vec::new(),
            fail_message,
            error: None,
        });
    accepted(state, &location, &op)
}

/// The updates `machine` can still install.
fn applicable(machine: Option<&Machine>, installed: &BTreeSet<&'static str>) -> Vec<Update> {
    if !machine.is_some_and(Machine::is_windows) {
        return Vec::new();
    }
    catalogue::WINDOWS
        .iter()
        .filter(|u| !installed.contains(u.kb_id))
        .copied()
        .collect()
}

/// Runs an install on `mp` now: selection, reboot handling, the failure fault.
fn run_install(mp: &mut MachinePatches, machine: Option<&Machine>, run: &mut Run) {
    let available = applicable(machine, &mp.installed);
    let failing = run.fail_message.clone();
    run.patches = available
        .iter()
        .map(|u| {
            let s = run.params.state_of(u);
            (
                *u,
                if s == "Installed" && failing.is_some() {
                    "Failed"
                } else {
                    s
                },
            )
        })
        .collect();
    run.end = OffsetDateTime::now_utc();
    if let Some(message) = failing {
        run.status = "Failed";
        run.reboot_status = "NotNeeded";
        run.error = Some(json!({ "code": "PatchInstallationFailed", "message": message }));
        return;
    }
    let installed: Vec<&Update> = run
        .patches
        .iter()
        .filter(|(_, s)| *s == "Installed")
        .map(|(u, _)| u)
        .collect();
    let needs_reboot = installed.iter().any(|u| u.reboot_required()) || mp.reboot_pending;
    run.reboot_status = match (run.params.reboot_setting(), needs_reboot) {
        ("Always", _) | ("IfRequired", true) => "Completed",
        ("Never", true) => "Required",
        _ => "NotNeeded",
    };
    mp.reboot_pending = run.reboot_status == "Required";
    mp.installed.extend(installed.iter().map(|u| u.kb_id));
    run.status = "Succeeded";
}

/// Completes an assess/install operation; `Err` fails the operation itself (injected
/// `FailNextLro`), which is different from a run that ends `Failed`.
pub(crate) fn complete(store: &mut Store, op: &Operation) -> Result<(), Value> {
    if let Some(m) = &op.fail_message {
        return Err(json!({ "code": "OperationFailed", "message": m }));
    }
    let machine = store.machines.get(&op.resource_key).cloned();
    let Some(mp) = store.patches.machines.get_mut(&op.resource_key) else {
        return Ok(());
    };
    match op.kind {
        OpKind::AssessPatches => {
            let available = applicable(machine.as_ref(), &mp.installed);
            let reboot_pending = mp.reboot_pending;
            if let Some(a) = mp.assessment.as_mut().filter(|a| a.id == op.id) {
                a.status = "Succeeded";
                a.end = OffsetDateTime::now_utc();
                a.available = available;
                a.reboot_pending = reboot_pending;
            }
        }
        OpKind::InstallPatches => {
            let Some(pos) = mp.runs.iter().position(|r| r.id == op.id) else {
                return Ok(());
            };
            let mut run = mp.runs.remove(pos);
            run_install(mp, machine.as_ref(), &mut run);
            mp.runs.insert(pos, run);
        }
        _ => {}
    }
    Ok(())
}

fn os_type(machine: Option<&Machine>) -> &'static str {
    if machine.is_none_or(Machine::is_windows) {
        "Windows"
    } else {
        "Linux"
    }
}

fn counts_by_classification(updates: &[Update]) -> Value {
    let count = |c: &str| {
        updates
            .iter()
            .filter(|u| u.classification.eq_ignore_ascii_case(c))
            .count()
    };
    json!({
        "security": count("Security"), "critical": count("Critical"), "definition": count("Definition"),
        "updateRollup": count("UpdateRollup"), "featurePack": count("FeaturePack"),
        "servicePack": count("ServicePack"), "tools": count("Tools"), "updates": count("Updates"),
        "other": 0,
    })
}

fn assessment_properties(a: &Assessment, machine: Option<&Machine>) -> Value {
    let mut p = json!({
        "status": a.status,
        "assessmentActivityId": a.id,
        "rebootPending": a.reboot_pending,
        "availablePatchCountByClassification": counts_by_classification(&a.available),
        "startDateTime": rfc3339(a.start),
        "lastModifiedDateTime": rfc3339(a.end),
        "startedBy": "User",
        "patchServiceUsed": if os_type(machine) == "Windows" { "WU" } else { "APT" },
        "osType": os_type(machine),
    });
    if let Some(e) = &a.error {
        p["errorDetails"] = e.clone();
    }
    p
}

fn count(run: &Run, state: &str) -> usize {
    run.patches.iter().filter(|(_, s)| *s == state).count()
}

fn run_properties(run: &Run, machine: Option<&Machine>) -> Value {
    let mut p = json!({
        "status": run.status,
        "installationActivityId": run.id,
        "rebootStatus": run.reboot_status,
        "maintenanceWindowExceeded": false,
        "excludedPatchCount": count(run, "Excluded"),
        "notSelectedPatchCount": count(run, "NotSelected"),
        "pendingPatchCount": count(run, "Pending"),
        "installedPatchCount": count(run, "Installed"),
        "failedPatchCount": count(run, "Failed"),
        "startDateTime": rfc3339(run.start),
        "lastModifiedDateTime": rfc3339(run.end),
        "startedBy": run.started_by,
        "patchServiceUsed": "WU",
        "osType": os_type(machine),
    });
    if let Some(e) = &run.error {
        p["errorDetails"] = e.clone();
    }
    p
}

/// The final 200 body of a finished assess/install operation.
pub(crate) fn result(store: &Store, op: &Operation) -> Option<Value> {
    let mp = store.patches.machines.get(&op.resource_key)?;
    let machine = store.machines.get(&op.resource_key);
    match op.kind {
        OpKind::AssessPatches => {
            let a = mp.assessment.as_ref().filter(|a| a.id == op.id)?;
            Some(assessment_properties(a, machine))
        }
        OpKind::InstallPatches => {
            let run = mp.runs.iter().find(|r| r.id == op.id)?;
            Some(run_properties(run, machine))
        }
        _ => None,
    }
}

/// What a maintenance schedule firing on one machine looks like in history.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MaintenanceRun {
    /// The schedule run's id (a new GUID when absent).
    pub maintenance_run_id: Option<String>,
    /// How long ago the run happened (0 = now); older than 30 days drops out of Resource Graph.
    pub days_ago: u32,
    /// `IfRequired` (default), `Never` or `Always`.
    pub reboot_setting: Option<String>,
}

/// Runs a scheduled install on machine `key` at once (installs everything applicable) and
/// returns `(run id, maintenanceRunId)`.
pub(crate) fn fire_maintenance_run(
    store: &mut Store,
    key: &str,
    spec: &MaintenanceRun,
) -> (String, String) {
    let machine = store.machines.get(key).cloned();
    let maintenance_run_id = spec
        .maintenance_run_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let fail_message = store.patches.install_failures.pop_front();
    let mp = store.patches.machines.entry(key.to_string()).or_default();
    let now = OffsetDateTime::now_utc();
    let mut run = Run {
        id: uuid::Uuid::new_v4().to_string(),
        status: "InProgress",
        start: now,
        end: now,
        started_by: "Platform",
        maintenance_run_id: Some(maintenance_run_id.clone()),
        reboot_status: "Unknown",
        params: InstallParams {
            maximum_duration: Some("PT3H55M".into()),
            reboot_setting: Some(
                spec.reboot_setting
                    .clone()
                    .unwrap_or_else(|| "IfRequired".into()),
            ),
            windows_parameters: None,
        },
        patches: Vec::new(),
        fail_message,
        error: None,
    };
    run_install(mp, machine.as_ref(), &mut run);
    let shift = time::Duration::days(i64::from(spec.days_ago));
    run.start -= shift + time::Duration::minutes(20);
    run.end -= shift;
    let id = run.id.clone();
    mp.runs.push(run);
    (id, maintenance_run_id)
}

/// Resource Graph table names this module fills.
pub(crate) const ASSESSMENT_TABLE: &str = "patchassessmentresources";
pub(crate) const INSTALLATION_TABLE: &str = "patchinstallationresources";

fn row(
    id: String,
    name: &str,
    ty: &str,
    machine: &Machine,
    subscription: &str,
    properties: Value,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "type": ty,
        "location": machine.location,
        "resourceGroup": machine.resource_group.to_lowercase(),
        "subscriptionId": subscription,
        "properties": properties,
    })
}

fn patch_row_properties(u: &Update, state: Option<&str>, modified: OffsetDateTime) -> Value {
    let mut p = json!({
        "patchName": u.name,
        "kbId": u.kb_id,
        "classifications": [u.classification],
        "rebootRequired": u.reboot_required(),
        "rebootBehavior": u.reboot_behavior,
        "publishedDateTime": u.published,
        "lastModifiedDateTime": rfc3339(modified),
    });
    if let Some(s) = state {
        p["installationState"] = json!(s);
    }
    p
}

/// Every row of `table` (ids lower-cased, as Update Manager writes them), within retention.
pub(crate) fn table_rows(store: &Store, subscription: &str, table: &str) -> Vec<Value> {
    let now = OffsetDateTime::now_utc();
    let mut rows = Vec::new();
    for (key, mp) in &store.patches.machines {
        let Some(machine) = store.machines.get(key) else {
            continue;
        };
        let machine_id = machine.id(subscription).to_lowercase();
        let base_type = "microsoft.hybridcompute/machines";
        if table == ASSESSMENT_TABLE {
            let Some(a) = mp
                .assessment
                .as_ref()
                .filter(|a| now - a.end <= time::Duration::days(ASSESSMENT_RETENTION_DAYS))
            else {
                continue;
            };
            let id = format!("{machine_id}/patchassessmentresults/latest");
            rows.push(row(
                id.clone(),
                &a.id,
                &format!("{base_type}/patchassessmentresults"),
                machine,
                subscription,
                assessment_properties(a, Some(machine)),
            ));
            for u in &a.available {
                rows.push(row(
                    format!("{id}/softwarepatches/kb{}", u.kb_id),
                    &format!("KB{}", u.kb_id),
                    &format!("{base_type}/patchassessmentresults/softwarepatches"),
                    machine,
                    subscription,
                    patch_row_properties(u, None, a.end),
                ));
            }
        } else if table == INSTALLATION_TABLE {
            for run in mp
                .runs
                .iter()
                .filter(|r| now - r.end <= time::Duration::days(INSTALLATION_RETENTION_DAYS))
            {
                let id = format!("{machine_id}/patchinstallationresults/{}", run.id);
                let mut props = run_properties(run, Some(machine));
                if let Some(m) = &run.maintenance_run_id {
                    props["maintenanceRunId"] = json!(m);
                }
                rows.push(row(
                    id.clone(),
                    &run.id,
                    &format!("{base_type}/patchinstallationresults"),
                    machine,
                    subscription,
                    props,
                ));
                for (u, s) in &run.patches {
                    rows.push(row(
                        format!("{id}/softwarepatches/kb{}", u.kb_id),
                        &format!("KB{}", u.kb_id),
                        &format!("{base_type}/patchinstallationresults/softwarepatches"),
                        machine,
                        subscription,
                        patch_row_properties(u, Some(s), run.end),
                    ));
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn selection_follows_include_exclude_and_reboot_rules() {
        let p = |w: WindowsParams| InstallParams {
            maximum_duration: Some("PT2H".into()),
            reboot_setting: Some("IfRequired".into()),
            windows_parameters: Some(w),
        };
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
}
