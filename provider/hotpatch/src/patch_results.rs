//! Update Manager results of many machines, read from Resource Graph (CONTRACT §6.3).
//!
//! Arc assess/install results carry only counts; the per-KB lists users ask for ("which
//! updates are available", "what did that run install") exist only in the Resource Graph
//! tables. One paged query per read returns a table's summary rows and their
//! `softwarepatches` children for every selected machine at once, so a fleet costs
//! ⌈rows / 1000⌉ queries, not one per machine. The query names each row's machine
//! (`extend machineId`: the row id up to `/patch...results/`), and the rows are grouped here by
//! machine and run. User data (machine ids, the resource group) reaches KQL only through the
//! query builder's escaped literals.
//!
//! Arc machines and Azure VMs share the tables; only the row types differ
//! (`microsoft.hybridcompute/machines/...` vs `microsoft.compute/virtualmachines/...`), so the
//! query lists the types of both kinds and nothing else.

use std::collections::BTreeMap;

use armclient::models::hybridcompute::{PatchOperationStartedBy, RebootStatus};
use armclient::resourcegraph::Query;
use armclient::{ArmClient, ArmError, ErrorDetail, ResourceId};
use serde::Deserialize;

use crate::machine_selection::{machine_key, Selection};

const PATCHES_SUFFIX: &str = "/softwarepatches";
/// The column the query adds: the machine a row belongs to.
const MACHINE_ID: &str = "machineId";
const COLUMNS: &[&str] = &["id", MACHINE_ID, "type", "properties"];
/// Resource Graph's (lower-case) types of the machines Update Manager patches.
const MACHINE_TYPES: [&str; 2] = [
    "microsoft.hybridcompute/machines",
    "microsoft.compute/virtualmachines",
];

/// One Update Manager table and the child resource its rows hang under each machine.
struct Table {
    name: &'static str,
    /// The child type under a machine (`patchassessmentresults`).
    results: &'static str,
    /// `/<results>/`, what ends a row's machine id.
    marker: &'static str,
}

const ASSESSMENTS: Table = Table {
    name: "patchassessmentresources",
    results: "patchassessmentresults",
    marker: "/patchassessmentresults/",
};

const INSTALLATIONS: Table = Table {
    name: "patchinstallationresources",
    results: "patchinstallationresults",
    marker: "/patchinstallationresults/",
};

/// One projected row of either table.
#[derive(Clone, Debug, Deserialize)]
pub struct Row {
    pub id: String,
    /// The machine's id as the service spells it (empty if the row is not a machine's).
    #[serde(rename = "machineId", default)]
    pub machine_id: String,
    #[serde(rename = "type", default)]
    pub row_type: String,
    #[serde(default)]
    pub properties: RowProperties,
}

/// The union of the summary and per-patch row properties both tables use.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RowProperties {
    pub status: Option<String>,
    pub reboot_pending: Option<bool>,
    pub start_date_time: Option<String>,
    pub last_modified_date_time: Option<String>,
    pub started_by: Option<PatchOperationStartedBy>,
    pub reboot_status: Option<RebootStatus>,
    pub maintenance_run_id: Option<String>,
    pub maintenance_window_exceeded: Option<bool>,
    pub installed_patch_count: Option<i64>,
    pub failed_patch_count: Option<i64>,
    pub pending_patch_count: Option<i64>,
    pub excluded_patch_count: Option<i64>,
    pub not_selected_patch_count: Option<i64>,
    pub error_details: Option<ErrorDetail>,
    pub patch_name: Option<String>,
    pub kb_id: Option<String>,
    #[serde(default)]
    pub classifications: Option<Vec<String>>,
    pub reboot_behavior: Option<String>,
    pub reboot_required: Option<bool>,
    pub installation_state: Option<String>,
}

impl Row {
    fn is_patch(&self) -> bool {
        self.row_type.to_ascii_lowercase().ends_with(PATCHES_SUFFIX)
    }
}

/// The latest assessment of one machine: its summary and the updates it found.
#[derive(Clone, Debug, Default)]
pub struct Assessment {
    /// The machine's id as the service spells it.
    pub machine_id: String,
    pub summary: Option<RowProperties>,
    pub updates: Vec<RowProperties>,
}

/// One installation run with its patches.
#[derive(Clone, Debug)]
pub struct Run {
    /// The machine's id as the service spells it.
    pub machine_id: String,
    /// The run's GUID (the id segment after `patchinstallationresults/`).
    pub id: String,
    pub summary: RowProperties,
    pub patches: Vec<RowProperties>,
}

/// The subscriptions a query over `selection` goes to: the scope's, or each machine's once.
fn subscriptions(selection: &Selection) -> Result<Vec<String>, ArmError> {
    if let Selection::Scope(scope) = selection {
        return Ok(vec![scope.subscription_id.clone()]);
    }
    let mut subs: Vec<String> = Vec::new();
    for machine_id in selection.ids() {
        let id = ResourceId::parse(machine_id)
            .map_err(|e| ArmError::Config(format!("invalid machine id {machine_id:?}: {e}")))?;
        if let Some(sub) = id.subscription_id() {
            if !subs.iter().any(|s| s.eq_ignore_ascii_case(sub)) {
                subs.push(sub.to_owned());
            }
        }
    }
    Ok(subs)
}

/// The query over `table` for the machines of `selection`, rows last modified within
/// `newer_than_days` when given.
fn query(table: &Table, selection: &Selection, newer_than_days: Option<u32>) -> Query {
    let types: Vec<String> = MACHINE_TYPES
        .iter()
        .flat_map(|m| {
            let results = format!("{m}/{}", table.results);
            [format!("{results}{PATCHES_SUFFIX}"), results]
        })
        .collect();
    let mut q = Query::table(table.name).where_in("type", &types);
    if let Selection::Scope(scope) = selection {
        if let Some(rg) = &scope.resource_group {
            q = q.where_equals("resourceGroup", rg);
        }
    }
    if let Some(days) = newer_than_days {
        q = q.where_newer_than_days("properties.lastModifiedDateTime", days);
    }
    q = q.extend_prefix(MACHINE_ID, "id", table.marker);
    if !matches!(selection, Selection::Scope(_)) {
        let keys: Vec<String> = selection.ids().iter().map(|id| machine_key(id)).collect();
        q = q.where_in(MACHINE_ID, &keys);
    }
    q.project(COLUMNS).order_by_asc("id")
}

/// Every row of `table` for `selection`, across pages; none without a query when the
/// selection is an empty list.
async fn rows(
    arm: &ArmClient,
    table: &Table,
    selection: &Selection,
    newer_than_days: Option<u32>,
) -> Result<Vec<Row>, ArmError> {
    if selection.ids().is_empty() && !matches!(selection, Selection::Scope(_)) {
        return Ok(Vec::new());
    }
    let query = query(table, selection, newer_than_days);
    let result = arm
        .resource_graph(&subscriptions(selection)?, &query)
        .await?;
    Ok(result.rows)
}

/// The latest assessment of each machine of `selection` that has one (never assessed, or
/// aged out of Resource Graph: absent), ordered by machine id.
pub async fn assessments(
    arm: &ArmClient,
    selection: &Selection,
) -> Result<Vec<Assessment>, ArmError> {
    let mut by_machine: BTreeMap<String, Assessment> = BTreeMap::new();
    for row in rows(arm, &ASSESSMENTS, selection, None).await? {
        if row.machine_id.is_empty() {
            continue;
        }
        let entry = by_machine
            .entry(machine_key(&row.machine_id))
            .or_insert_with(|| Assessment {
                machine_id: row.machine_id.clone(),
                ..Assessment::default()
            });
        if row.is_patch() {
            entry.updates.push(row.properties);
        } else {
            entry.summary = Some(row.properties);
        }
    }
    Ok(by_machine.into_values().collect())
}

/// Installation runs of the machines of `selection` last modified within `days`, newest
/// first (ties: by machine, then run).
pub async fn history(
    arm: &ArmClient,
    selection: &Selection,
    days: u32,
) -> Result<Vec<Run>, ArmError> {
    let rows = rows(arm, &INSTALLATIONS, selection, Some(days)).await?;
    Ok(group_runs(rows))
}

/// The run GUID of an installation row: the id segment after `<machine id>/patchinstallationresults/`.
fn run_of(row: &Row) -> Option<String> {
    let prefix_len = row.machine_id.len() + INSTALLATIONS.marker.len();
    let head = row.id.get(..prefix_len)?;
    let expected = format!("{}{}", row.machine_id, INSTALLATIONS.marker);
    if row.machine_id.is_empty() || !head.eq_ignore_ascii_case(&expected) {
        return None;
    }
    row.id[prefix_len..]
        .split('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Groups summary rows and their patches by machine and run GUID.
fn group_runs(rows: Vec<Row>) -> Vec<Run> {
    let key = |machine: &str, run: &str| (machine_key(machine), run.to_lowercase());
    let mut runs: BTreeMap<(String, String), Run> = BTreeMap::new();
    let mut patches: Vec<((String, String), RowProperties)> = Vec::new();
    for row in rows {
        let Some(run) = run_of(&row) else { continue };
        let k = key(&row.machine_id, &run);
        if row.is_patch() {
            patches.push((k, row.properties));
        } else {
            runs.insert(
                k,
                Run {
                    machine_id: row.machine_id,
                    id: run,
                    summary: row.properties,
                    patches: Vec::new(),
                },
            );
        }
    }
    for (k, p) in patches {
        if let Some(r) = runs.get_mut(&k) {
            r.patches.push(p);
        }
    }
    let mut runs: Vec<Run> = runs.into_values().collect();
    // RFC 3339 UTC strings sort chronologically; the sort is stable, so ties keep the
    // machine-then-run order of the map.
    runs.sort_by(|a, b| b.summary.start_date_time.cmp(&a.summary.start_date_time));
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine_selection::FleetScope;

    const ARC: &str =
        "/subscriptions/s/resourcegroups/rg/providers/microsoft.hybridcompute/machines/m";
    const VM: &str =
        "/subscriptions/t/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v";

    fn row(machine: &str, id: &str, ty: &str, start: Option<&str>) -> Row {
        Row {
            id: id.into(),
            machine_id: machine.into(),
            row_type: ty.into(),
            properties: RowProperties {
                start_date_time: start.map(str::to_owned),
                ..RowProperties::default()
            },
        }
    }

    #[test]
    fn groups_patches_under_their_runs_across_machines_newest_first() {
        let p = format!("{ARC}/patchinstallationresults/");
        let v = format!("{VM}/patchInstallationResults/");
        let t = "microsoft.hybridcompute/machines/patchinstallationresults";
        let patch = format!("{t}/softwarePatches");
        let rows = vec![
            row(ARC, &format!("{p}a"), t, Some("2025-01-01T00:00:00Z")),
            row(ARC, &format!("{p}a/softwarepatches/kb1"), &patch, None),
            row(ARC, &format!("{p}B"), t, Some("2025-02-01T00:00:00Z")),
            row(ARC, &format!("{p}b/softwarepatches/kb2"), &patch, None),
            row(ARC, &format!("{p}b/softwarepatches/kb3"), &patch, None),
            row(VM, &format!("{v}c"), t, Some("2025-01-15T00:00:00Z")),
            row(VM, &format!("{v}C/softwarePatches/kb4"), &patch, None),
            row("", "/elsewhere/x", t, None),
            row(ARC, "/elsewhere/y", t, None),
        ];
        let runs = group_runs(rows);
        let got: Vec<(&str, &str, usize)> = runs
            .iter()
            .map(|r| (r.machine_id.as_str(), r.id.as_str(), r.patches.len()))
            .collect();
        assert_eq!(got, [(ARC, "B", 2), (VM, "c", 1), (ARC, "a", 1)]);
    }

    #[test]
    fn one_query_shape_for_a_machine_a_list_and_a_scope() {
        let one = query(&ASSESSMENTS, &Selection::One(VM.into()), None).build();
        let vm = VM.to_lowercase();
        assert!(
            one.contains(&format!("| where machineId in~ ('{vm}')")),
            "{one}"
        );
        assert!(one.contains("'microsoft.compute/virtualmachines/patchassessmentresults'"));
        assert!(one
            .contains("'microsoft.hybridcompute/machines/patchassessmentresults/softwarepatches'"));

        let many = Selection::Many(vec![ARC.into(), VM.into()]);
        assert_eq!(subscriptions(&many).unwrap(), ["s", "t"]);
        let history = query(&INSTALLATIONS, &many, Some(7)).build();
        assert!(history.contains("> ago(7d)"), "{history}");
        assert!(
            history.contains(&format!("in~ ('{ARC}', '{vm}')")),
            "{history}"
        );

        let rg = Selection::Scope(FleetScope {
            subscription_id: "s".into(),
            resource_group: Some("rg-1".into()),
        });
        let scoped = query(&ASSESSMENTS, &rg, None).build();
        assert!(
            scoped.contains("| where resourceGroup =~ 'rg-1'"),
            "{scoped}"
        );
        assert!(!scoped.contains("machineId in~"), "{scoped}");
        assert_eq!(subscriptions(&rg).unwrap(), ["s"]);
    }
}
