//! Update Manager results of one machine, read from Resource Graph (CONTRACT §6.3).
//!
//! Arc assess/install results carry only counts; the per-KB lists users ask for ("which
//! updates are available", "what did that run install") exist only in the Resource Graph
//! tables. One query per read returns a table's summary rows and their `softwarepatches`
//! children together (they share the machine's id prefix), and the rows are grouped here by
//! id. The machine id reaches KQL only through the query builder's escaped literals.
//!
//! Arc machines and Azure VMs share the tables; only the row types differ
//! (`microsoft.hybridcompute/machines/...` vs `microsoft.compute/virtualmachines/...`), so
//! each query also filters on its kind's type prefix.

use armclient::models::hybridcompute::{PatchOperationStartedBy, RebootStatus};
use armclient::resourcegraph::Query;
use armclient::{ArmClient, ArmError, ErrorDetail, ResourceId};
use serde::Deserialize;

use crate::machine_id::MachineKind;

const ASSESSMENT_TABLE: &str = "patchassessmentresources";
const INSTALLATION_TABLE: &str = "patchinstallationresources";
const PATCHES_SUFFIX: &str = "/softwarepatches";
const COLUMNS: &[&str] = &["id", "type", "properties"];

/// One projected row of either table.
#[derive(Clone, Debug, Deserialize)]
pub struct Row {
    pub id: String,
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

/// The latest assessment: its summary and the updates it found.
#[derive(Clone, Debug, Default)]
pub struct Assessment {
    pub summary: Option<RowProperties>,
    pub updates: Vec<RowProperties>,
}

/// One installation run with its patches.
#[derive(Clone, Debug)]
pub struct Run {
    /// The run's GUID (last segment of its id).
    pub id: String,
    pub summary: RowProperties,
    pub patches: Vec<RowProperties>,
}

/// The Resource Graph row type of a `kind` machine's `results` (e.g. `patchassessmentresults`).
fn row_type(kind: MachineKind, results: &str) -> String {
    let machine = match kind {
        MachineKind::Arc => "microsoft.hybridcompute/machines",
        MachineKind::Vm => "microsoft.compute/virtualmachines",
    };
    format!("{machine}/{results}")
}

fn subscriptions(machine_id: &str) -> Result<Vec<String>, ArmError> {
    let id = ResourceId::parse(machine_id)
        .map_err(|e| ArmError::Config(format!("invalid machine id {machine_id:?}: {e}")))?;
    Ok(id
        .subscription_id()
        .map(str::to_owned)
        .into_iter()
        .collect())
}

/// The latest assessment of a machine (nothing when it was never assessed or the result aged
/// out of Resource Graph).
pub async fn assessment(
    arm: &ArmClient,
    machine_id: &str,
    kind: MachineKind,
) -> Result<Assessment, ArmError> {
    let prefix = format!(
        "{}/patchassessmentresults/latest",
        machine_id.to_lowercase()
    );
    let query = Query::table(ASSESSMENT_TABLE)
        .where_starts_with("type", &row_type(kind, "patchassessmentresults"))
        .where_starts_with("id", &prefix)
        .project(COLUMNS)
        .order_by_asc("id");
    let rows: Vec<Row> = arm
        .resource_graph(&subscriptions(machine_id)?, &query)
        .await?
        .rows;
    let mut out = Assessment::default();
    for row in rows {
        if row.is_patch() {
            out.updates.push(row.properties);
        } else if row.id.eq_ignore_ascii_case(&prefix) {
            out.summary = Some(row.properties);
        }
    }
    Ok(out)
}

/// Installation runs of a machine last modified within `days`, newest first.
pub async fn history(
    arm: &ArmClient,
    machine_id: &str,
    kind: MachineKind,
    days: u32,
) -> Result<Vec<Run>, ArmError> {
    let prefix = format!("{}/patchinstallationresults/", machine_id.to_lowercase());
    let query = Query::table(INSTALLATION_TABLE)
        .where_starts_with("type", &row_type(kind, "patchinstallationresults"))
        .where_starts_with("id", &prefix)
        .where_newer_than_days("properties.lastModifiedDateTime", days)
        .project(COLUMNS)
        .order_by_asc("id");
    let rows: Vec<Row> = arm
        .resource_graph(&subscriptions(machine_id)?, &query)
        .await?
        .rows;
    Ok(group_runs(&prefix, rows))
}

/// Groups summary rows and their patches by run GUID (the id segment after `prefix`).
fn group_runs(prefix: &str, rows: Vec<Row>) -> Vec<Run> {
    let run_of = |id: &str| -> Option<String> {
        let head = id.get(..prefix.len())?;
        if !head.eq_ignore_ascii_case(prefix) {
            return None;
        }
        let rest = &id[prefix.len()..];
        rest.split('/')
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut runs: Vec<Run> = Vec::new();
    let mut patches: Vec<(String, RowProperties)> = Vec::new();
    for row in rows {
        let Some(run) = run_of(&row.id) else { continue };
        if row.is_patch() {
            patches.push((run, row.properties));
        } else {
            runs.push(Run {
                id: run,
                summary: row.properties,
                patches: Vec::new(),
            });
        }
    }
    for (run, p) in patches {
        if let Some(r) = runs.iter_mut().find(|r| r.id.eq_ignore_ascii_case(&run)) {
            r.patches.push(p);
        }
    }
    // RFC 3339 UTC strings sort chronologically.
    runs.sort_by(|a, b| b.summary.start_date_time.cmp(&a.summary.start_date_time));
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, ty: &str, start: Option<&str>) -> Row {
        Row {
            id: id.into(),
            row_type: ty.into(),
            properties: RowProperties {
                start_date_time: start.map(str::to_owned),
                ..RowProperties::default()
            },
        }
    }

    #[test]
    fn groups_patches_under_their_runs_newest_first() {
        let p = "/subscriptions/s/resourcegroups/rg/providers/microsoft.hybridcompute/machines/m/patchinstallationresults/";
        let t = "microsoft.hybridcompute/machines/patchinstallationresults";
        let rows = vec![
            row(&format!("{p}a"), t, Some("2025-01-01T00:00:00Z")),
            row(
                &format!("{p}a/softwarepatches/kb1"),
                &format!("{t}/softwarePatches"),
                None,
            ),
            row(&format!("{p}B"), t, Some("2025-02-01T00:00:00Z")),
            row(
                &format!("{p}b/softwarepatches/kb2"),
                &format!("{t}/softwarepatches"),
                None,
            ),
            row(
                &format!("{p}b/softwarepatches/kb3"),
                &format!("{t}/softwarepatches"),
                None,
            ),
            row("/elsewhere/x", t, None),
        ];
        let runs = group_runs(&p.to_uppercase(), rows);
        assert_eq!(
            runs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["B", "a"]
        );
        assert_eq!(runs[0].patches.len(), 2);
        assert_eq!(runs[1].patches.len(), 1);
    }
}
