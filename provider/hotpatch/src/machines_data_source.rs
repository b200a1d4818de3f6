//! `hotpatch_machines`: the hotpatch status of a whole fleet (a subscription or resource group,
//! Arc machines and/or Azure VMs).
//!
//! Fleets run to thousands of machines, and ARM throttles reads per subscription, so the data
//! source reads only with list calls (HybridCompute machines, Compute virtual machines), page by
//! page via `nextLink`, and never one GET per machine. That works because each listed Arc
//! machine already carries the license instance view and patch settings the portal word needs.

use std::collections::BTreeMap;

use armclient::models::compute::{self, VirtualMachine};
use armclient::models::hybridcompute::{self, Machine};
use async_trait::async_trait;
use tfframework::raw;
use tfframework::validators::one_of;
use tfframework::{
    AttributeSchema, BlockSchema, Context, Diagnostics, ObjectBuilder, ObjectReader, Type, Value,
};

use crate::arm_diag::arm_error;
use crate::list_scope::{with_scope_attributes, ListScope, ARC_MACHINES, AZURE_VMS};
use crate::machine_facts::MachineFacts;
use crate::provider::HotpatchData;
use crate::status::PortalStatus;

pub struct MachinesDataSource;

const RESOURCE_TYPES: &[&str] = &["arc", "vm", "all"];

fn machine_object_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("name", Type::String),
        ("resource_group_name", Type::String),
        ("resource_type", Type::String),
        ("status", Type::String),
        ("hotpatching_enabled", Type::Bool),
        ("eligible", Type::Bool),
    ])
}

fn row(f: &MachineFacts) -> Value {
    ObjectBuilder::new()
        .set("id", f.id.clone())
        .set("name", f.name.clone())
        .set("resource_group_name", f.resource_group.clone())
        .set("resource_type", f.kind.as_str())
        .set("status", f.status().as_str())
        .set(
            "hotpatching_enabled",
            f.hotpatching_enabled.unwrap_or(false),
        )
        .set("eligible", f.issues().is_empty())
        .build()
}

#[async_trait]
impl raw::DataSource<HotpatchData> for MachinesDataSource {
    fn type_name(&self) -> &str {
        "hotpatch_machines"
    }

    fn schema(&self) -> BlockSchema {
        with_scope_attributes(
            BlockSchema::new()
    .description("Hotpatch status of every Arc machine and/or Azure VM in a subscription or resource group, with counts per portal status. Reads with paged list calls only (one ARM read per page, never one per machine)."),
        )
            .attribute(
                AttributeSchema::string("resource_type")
                    .optional()
                    .validator(one_of(RESOURCE_TYPES))
                    .description("`arc` (Arc-enabled machines), `vm` (Azure VMs) or `all`. Default `all`."),
            )
            .attribute(
                AttributeSchema::string("status")
                    .optional()
                    .validator(one_of(&PortalStatus::ALL.map(PortalStatus::as_str)))
                    .description("Only list machines with this portal status (`Enabled`, `Disabled`, `Pending`, `Canceled` or `Not enrolled`). `counts` is not filtered."),
            )
            .attribute(
                AttributeSchema::list("machines", machine_object_type())
                    .computed()
                    .description("The machines, sorted by id: objects with `id`, `name`, `resource_group_name`, `resource_type` (`arc` or `vm`), `status` (portal word), `hotpatching_enabled` and `eligible`."),
            )
            .attribute(
                AttributeSchema::map("counts", Type::Number)
                    .computed()
                    .description("Number of machines per portal status in the scope and resource type (before the `status` filter); all five words are present, zeros included."),
            )
    }

    async fn read(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        config: &Value,
    ) -> (Option<Value>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let c = ObjectReader::new(config);
        let resource_type = c
            .get::<Option<String>>("resource_type")
            .ok()
            .flatten()
            .unwrap_or_else(|| "all".to_owned());
        let status_filter = c.get::<Option<String>>("status").ok().flatten();
        let scope = match ListScope::from_config(config, data) {
            Ok(scope) => scope,
            Err(d) => {
                diags.push(d);
                return (None, diags);
            }
        };
        let mut facts: Vec<MachineFacts> = Vec::new();
        if resource_type != "vm" {
            let path = scope.collection(ARC_MACHINES);
            match data
                .arm
                .list::<Machine>(&path, hybridcompute::API_VERSION)
                .await
            {
                Ok(ms) => facts.extend(ms.iter().map(MachineFacts::from_arc)),
                Err(e) => {
                    diags.push(arm_error("listing Arc machines", &e));
                    return (None, diags);
                }
            }
        }
        if resource_type != "arc" {
            let path = scope.collection(AZURE_VMS);
            match data
                .arm
                .list::<VirtualMachine>(&path, compute::API_VERSION)
                .await
            {
                Ok(vms) => facts.extend(vms.iter().map(MachineFacts::from_vm)),
                Err(e) => {
                    diags.push(arm_error("listing Azure VMs", &e));
                    return (None, diags);
                }
            }
        }
        facts.sort_by_key(|f| f.id.clone().unwrap_or_default().to_ascii_lowercase());
        let mut counts: BTreeMap<String, i64> = PortalStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect();
        let mut machines = Vec::new();
        for f in &facts {
            let status = f.status();
            *counts.entry(status.as_str().to_owned()).or_default() += 1;
            if status_filter
                .as_deref()
                .is_none_or(|want| want == status.as_str())
            {
                machines.push(row(f));
            }
        }
        let state = ObjectBuilder::from_value(config)
            .set("machines", machines)
            .set("counts", counts)
            .build();
        (Some(state), diags)
    }
}
