//! `hotpatch_available_updates`: what the latest assessment of an Arc machine or Azure VM
//! found.
//!
//! The Arc assessment result only counts updates per classification, so the list comes from
//! Resource Graph (`patch_results::assessment`): one query per read. VM assessments are read
//! there too (a VM's result is not kept anywhere else), so both kinds show the same fields.
//! `hotpatch` marks the updates that install without a restart (`rebootBehavior =
//! NeverReboots`), which is what hotpatching promises.

use async_trait::async_trait;
use tfframework::raw;
use tfframework::{
    AttributeSchema, BlockSchema, Context, Diagnostics, Nesting, ObjectBuilder, Type, Value,
};

use crate::arm_diag::arm_error;
use crate::assess_action::{config_machine, machine_id_attribute};
use crate::patch_results::{self, RowProperties};
use crate::provider::HotpatchData;

pub struct AvailableUpdatesDataSource;

const NEVER_REBOOTS: &str = "NeverReboots";

fn computed(a: AttributeSchema, description: &str) -> AttributeSchema {
    a.computed().description(description)
}

fn update(p: &RowProperties) -> Value {
    let behavior = p.reboot_behavior.clone();
    let hotpatch = behavior
        .as_deref()
        .is_some_and(|b| b.eq_ignore_ascii_case(NEVER_REBOOTS));
    ObjectBuilder::new()
        .set("kb_id", p.kb_id.clone())
        .set("name", p.patch_name.clone())
        .set(
            "classifications",
            p.classifications.clone().unwrap_or_default(),
        )
        .set("reboot_behavior", behavior)
        .set("reboot_required", p.reboot_required.or(Some(!hotpatch)))
        .set("hotpatch", hotpatch)
        .build()
}

#[async_trait]
impl raw::DataSource<HotpatchData> for AvailableUpdatesDataSource {
    fn type_name(&self) -> &str {
        "hotpatch_available_updates"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .description("The updates the latest assessment of an Azure Arc-enabled machine or Azure VM found (run `hotpatch_assess` to refresh it). Read from Azure Resource Graph, where Update Manager keeps assessments for 7 days.")
            .attribute(machine_id_attribute())
            .attribute(computed(AttributeSchema::string("last_assessment_time"), "When the latest assessment finished (RFC 3339); null when there is none."))
            .attribute(computed(AttributeSchema::string("assessment_status"), "`Succeeded`, `Failed`, `InProgress`, `CompletedWithWarnings`, ...; null when there is no assessment."))
            .attribute(computed(AttributeSchema::bool("reboot_pending"), "Whether the machine waits for a restart, as the assessment saw it."))
            .attribute(computed(
                AttributeSchema::nested(
                    "updates",
                    Nesting::List,
                    vec![
                        computed(AttributeSchema::string("kb_id"), "KB number (digits)."),
                        computed(AttributeSchema::string("name"), "Update title."),
                        computed(AttributeSchema::list("classifications", Type::String), "Classifications, e.g. `Security`, `Critical`."),
                        computed(AttributeSchema::string("reboot_behavior"), "`NeverReboots`, `AlwaysRequiresReboot`, `CanRequestReboot` or another value the service reports."),
                        computed(AttributeSchema::bool("reboot_required"), "Whether installing it needs a restart."),
                        computed(AttributeSchema::bool("hotpatch"), "True for updates that never reboot (`reboot_behavior = NeverReboots`)."),
                    ],
                ),
                "Available updates, in KB order.",
            ))
    }

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        config: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let (machine_id, kind) = match config_machine(config) {
            Ok(m) => m,
            Err(d) => return (None, d.into()),
        };
        let assessment = match patch_results::assessment(&data.arm, &machine_id, kind).await {
            Ok(a) => a,
            Err(e) => {
                return (
                    None,
                    arm_error(
                        "reading the latest assessment from Azure Resource Graph",
                        &e,
                    )
                    .into(),
                )
            }
        };
        let summary = assessment.summary.unwrap_or_default();
        let mut updates: Vec<&RowProperties> = assessment.updates.iter().collect();
        updates.sort_by(|a, b| a.kb_id.cmp(&b.kb_id));
        let state = ObjectBuilder::new()
            .set("machine_id", machine_id)
            .set("last_assessment_time", summary.last_modified_date_time)
            .set("assessment_status", summary.status)
            .set("reboot_pending", summary.reboot_pending)
            .set(
                "updates",
                updates.into_iter().map(update).collect::<Vec<_>>(),
            )
            .build();
        (Some(state), Diagnostics::new())
    }
}
