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
use tfframework::validators::one_of;
use tfframework::{Context, DataSource, Diagnostics, Model};

use crate::arm_diag::arm_error;
use crate::list_scope::{scoped_model, ListScope, ARC_MACHINES, AZURE_VMS};
use crate::machine_facts::MachineFacts;
use crate::provider_data::HotpatchData;
use crate::status::PortalStatus;

const RESOURCE_TYPES: &[&str] = &["arc", "vm", "all"];

scoped_model! {
    /// Hotpatch status of every Arc machine and/or Azure VM in a subscription or resource group,
    /// with counts per portal status. Reads with paged list calls only (one ARM read per page,
    /// never one per machine).
    pub struct MachinesModel {
        /// `arc` (Arc-enabled machines), `vm` (Azure VMs) or `all`. Default `all`.
        #[tf(optional, validator = one_of(RESOURCE_TYPES))]
        pub resource_type: Option<String>,
        /// Only list machines with this portal status (`Enabled`, `Disabled`, `Pending`,
        /// `Canceled` or `Not enrolled`). `counts` follows the filter; `total_in_scope` does not.
        #[tf(optional, validator = one_of(&PortalStatus::ALL.map(PortalStatus::as_str)))]
        pub status: Option<String>,
        /// The machines, sorted by id: objects with `id`, `name`, `resource_group_name`,
        /// `resource_type` (`arc` or `vm`), `status` (portal word), `hotpatching_enabled` and
        /// `eligible`.
        #[tf(computed)]
        pub machines: Option<Vec<MachineRow>>,
        /// Number of the machines returned in `machines`, per portal status (after every
        /// filter, so the numbers add up to the length of `machines`); all five words are
        /// present, zeros included.
        #[tf(computed)]
        pub counts: Option<BTreeMap<String, i64>>,
        /// Number of machines in the scope and resource type before the `status` filter.
        #[tf(computed)]
        pub total_in_scope: Option<i64>,
    }
}

/// One element of `machines` (a plain object type, described by `machines` itself).
#[derive(Model, Clone, Debug, PartialEq)]
pub struct MachineRow {
    #[tf(computed)]
    pub id: Option<String>,
    #[tf(computed)]
    pub name: Option<String>,
    #[tf(computed)]
    pub resource_group_name: Option<String>,
    #[tf(computed)]
    pub resource_type: String,
    #[tf(computed)]
    pub status: String,
    #[tf(computed)]
    pub hotpatching_enabled: bool,
    #[tf(computed)]
    pub eligible: bool,
}

impl MachineRow {
    fn of(f: &MachineFacts) -> Self {
        MachineRow {
            id: f.id.clone(),
            name: f.name.clone(),
            resource_group_name: f.resource_group.clone(),
            resource_type: f.kind.as_str().to_owned(),
            status: f.status().as_str().to_owned(),
            hotpatching_enabled: f.hotpatching_enabled.unwrap_or(false),
            eligible: f.issues().is_empty(),
        }
    }
}

pub struct MachinesDataSource;

#[async_trait]
impl DataSource<HotpatchData> for MachinesDataSource {
    type Model = MachinesModel;
    const TYPE_NAME: &'static str = "hotpatch_machines";

    async fn read(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        config: &MachinesModel,
    ) -> (Option<MachinesModel>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let resource_type = config.resource_type.as_deref().unwrap_or("all");
        let scope = match ListScope::of(config, data) {
            Ok(scope) => scope,
            Err(d) => {
                diags.push(d);
                return (None, diags);
            }
        };
        let arm = data.arm_for(ctx);
        let mut facts: Vec<MachineFacts> = Vec::new();
        if resource_type != "vm" {
            let path = scope.collection(ARC_MACHINES);
            match arm.list::<Machine>(&path, hybridcompute::API_VERSION).await {
                Ok(ms) => facts.extend(ms.iter().map(MachineFacts::from_arc)),
                Err(e) => {
                    diags.push(arm_error("listing Arc machines", &e));
                    return (None, diags);
                }
            }
        }
        if resource_type != "arc" {
            let path = scope.collection(AZURE_VMS);
            match arm
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
        let machines: Vec<MachineRow> = facts
            .iter()
            .map(MachineRow::of)
            .filter(|m| config.status.as_deref().is_none_or(|want| want == m.status))
            .collect();
        for m in &machines {
            *counts.entry(m.status.clone()).or_default() += 1;
        }
        let state = MachinesModel {
            total_in_scope: Some(i64::try_from(facts.len()).unwrap_or(i64::MAX)),
            machines: Some(machines),
            counts: Some(counts),
            ..config.clone()
        };
        (Some(state), diags)
    }
}
