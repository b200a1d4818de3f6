//! `hotpatch_update_history`: installation runs of an Arc machine or Azure VM within the last
//! `days` (the portal's "Update history"), each with its per-KB outcome and reboot status.
//!
//! One Resource Graph query per read (`patch_results::history`); the `days` window is part of
//! the query. A run is listed when its summary was last modified within the window.

use async_trait::async_trait;
use tfframework::raw;
use tfframework::validators::int_between;
use tfframework::{
    AttributeSchema, BlockSchema, Context, Diagnostics, Nesting, Number, ObjectBuilder,
    ObjectReader, Type, Value,
};

use crate::arm_diag::arm_error;
use crate::assess_action::{config_machine, machine_id_attribute};
use crate::patch_results::{self, Run};
use crate::provider::HotpatchData;

pub struct UpdateHistoryDataSource;

/// Update Manager keeps installation results for 30 days.
const MAX_DAYS: i64 = 30;

fn computed(a: AttributeSchema, description: &str) -> AttributeSchema {
    a.computed().description(description)
}

fn run(r: &Run) -> Value {
    let s = &r.summary;
    let patches: Vec<Value> = r
        .patches
        .iter()
        .map(|p| {
            ObjectBuilder::new()
                .set("kb_id", p.kb_id.clone())
                .set("name", p.patch_name.clone())
                .set(
                    "classifications",
                    p.classifications.clone().unwrap_or_default(),
                )
                .set("installation_state", p.installation_state.clone())
                .set("reboot_required", p.reboot_required)
                .build()
        })
        .collect();
    ObjectBuilder::new()
        .set("id", r.id.clone())
        .set("status", s.status.clone())
        .set(
            "started_by",
            s.started_by.as_ref().map(|v| v.as_str().to_owned()),
        )
        .set("start_time", s.start_date_time.clone())
        .set("last_modified_time", s.last_modified_date_time.clone())
        .set(
            "reboot_status",
            s.reboot_status.as_ref().map(|v| v.as_str().to_owned()),
        )
        .set("maintenance_run_id", s.maintenance_run_id.clone())
        .set("installed_count", s.installed_patch_count)
        .set("failed_count", s.failed_patch_count)
        .set("pending_count", s.pending_patch_count)
        .set("excluded_count", s.excluded_patch_count)
        .set("not_selected_count", s.not_selected_patch_count)
        .set("maintenance_window_exceeded", s.maintenance_window_exceeded)
        .set(
            "error_message",
            s.error_details.as_ref().map(|e| e.to_string()),
        )
        .set("patches", patches)
        .build()
}

#[async_trait]
impl raw::DataSource<HotpatchData> for UpdateHistoryDataSource {
    fn type_name(&self) -> &str {
        "hotpatch_update_history"
    }

    fn schema(&self) -> BlockSchema {
        let count = |name: &str, what: &str| {
            computed(
                AttributeSchema::number(name),
                &format!("Updates {what} in the run."),
            )
        };
        BlockSchema::new()
            .description("Update installation runs of an Azure Arc-enabled machine or Azure VM within the last `days` days (one-time installs and scheduled runs), newest first, with per-KB outcome and reboot status. Read from Azure Resource Graph, where Update Manager keeps installation results for 30 days.")
            .attribute(machine_id_attribute())
            .attribute(
                AttributeSchema::number("days")
                    .optional()
                    .computed()
                    .validator(int_between(1, MAX_DAYS))
                    .description("How many days back to look, 1 to 30. Default 30."),
            )
            .attribute(computed(
                AttributeSchema::nested(
                    "runs",
                    Nesting::List,
                    vec![
                        computed(AttributeSchema::string("id"), "The run's GUID (installation activity id)."),
                        computed(AttributeSchema::string("status"), "`Succeeded`, `Failed`, `InProgress`, `CompletedWithWarnings`, ..."),
                        computed(AttributeSchema::string("started_by"), "`User` (one-time install) or `Platform` (schedule)."),
                        computed(AttributeSchema::string("start_time"), "When the run started (RFC 3339)."),
                        computed(AttributeSchema::string("last_modified_time"), "When the run last changed (RFC 3339)."),
                        computed(AttributeSchema::string("reboot_status"), "`NotNeeded`, `Required`, `Started`, `Failed`, `Completed`, ..."),
                        computed(AttributeSchema::string("maintenance_run_id"), "The schedule run that started it; null for one-time installs."),
                        count("installed_count", "installed"),
                        count("failed_count", "that failed"),
                        count("pending_count", "still pending"),
                        count("excluded_count", "excluded"),
                        count("not_selected_count", "not selected"),
                        computed(AttributeSchema::bool("maintenance_window_exceeded"), "Whether the run ran out of time."),
                        computed(AttributeSchema::string("error_message"), "The service's error (`code: message`) when the run failed; null otherwise."),
                        computed(
                            AttributeSchema::nested(
                                "patches",
                                Nesting::List,
                                vec![
                                    computed(AttributeSchema::string("kb_id"), "KB number (digits)."),
                                    computed(AttributeSchema::string("name"), "Update title."),
                                    computed(AttributeSchema::list("classifications", Type::String), "Classifications."),
                                    computed(AttributeSchema::string("installation_state"), "`Installed`, `Failed`, `Pending`, `NotSelected`, `Excluded`, ..."),
                                    computed(AttributeSchema::bool("reboot_required"), "Whether the update needs a restart."),
                                ],
                            ),
                            "Per-KB outcome.",
                        ),
                    ],
                ),
                "Runs, newest first.",
            ))
    }

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        config: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let ((machine_id, kind), days) = match (
            config_machine(config),
            ObjectReader::new(config).get::<Option<i64>>("days"),
        ) {
            (Ok(m), Ok(d)) => (m, d.unwrap_or(MAX_DAYS)),
            (Err(d), _) | (_, Err(d)) => return (None, d.into()),
        };
        // Validation already bounds it; clamp anyway so a bad value never reaches KQL.
        let window = u32::try_from(days.clamp(1, MAX_DAYS)).unwrap_or(30);
        let runs = match patch_results::history(&data.arm, &machine_id, kind, window).await {
            Ok(r) => r,
            Err(e) => {
                return (
                    None,
                    arm_error("reading the update history from Azure Resource Graph", &e).into(),
                )
            }
        };
        let state = ObjectBuilder::new()
            .set("machine_id", machine_id)
            .set("days", Value::Number(Number::from_i64(days)))
            .set("runs", runs.iter().map(run).collect::<Vec<_>>())
            .build();
        (Some(state), Diagnostics::new())
    }
}
