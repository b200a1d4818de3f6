//! The `hotpatch_machine_setting` list resource: `terraform query` over the Arc machines and
//! Azure VMs of a subscription or resource group, each with its hotpatch switch, ready to import
//! by identity.
//!
//! Both list calls (HybridCompute machines, Compute virtual machines) return each machine's
//! patch settings, which is all the resource's state holds, so a query costs one ARM read per
//! page of machines and no read per machine. Machines that report a non-Windows OS are left
//! out: hotpatch is a Windows Server feature, and a setting for them could never be turned on.

use armclient::models::compute::{self, VirtualMachine};
use armclient::models::hybridcompute::{self, Machine};
use async_trait::async_trait;
use tfframework::raw;
use tfframework::{BlockSchema, Context, Diagnostic, Diagnostics, ObjectBuilder, Value};

use crate::list_scope::{
    push_collection, with_scope_attributes, ListScope, ARC_MACHINES, AZURE_VMS,
};
use crate::machine_facts::MachineFacts;
use crate::machine_setting_resource::MachineSettingModel;
use crate::provider::HotpatchData;

pub struct MachineSettingList;

/// The setting `terraform query` shows (and imports) for one listed machine.
fn result(facts: MachineFacts) -> Option<raw::ListResult> {
    if facts.is_windows() == Some(false) {
        return None;
    }
    let id = facts.id.clone()?;
    let name = facts.name.clone().unwrap_or_else(|| id.clone());
    let switch = if facts.hotpatching_enabled == Some(true) {
        "on"
    } else {
        "off"
    };
    Some(raw::ListResult {
        identity: ObjectBuilder::new().set("machine_id", id.as_str()).build(),
        display_name: format!("{name} (hotpatching {switch}, {})", facts.status().as_str()),
        resource_object: Some(tfframework::ToValue::to_value(
            &MachineSettingModel::from_facts(&id, &facts),
        )),
        diagnostics: Diagnostics::new(),
    })
}

/// Arc machines first, then Azure VMs, stopping as soon as Terraform wants no more.
async fn list_scope(
    data: &HotpatchData,
    config: &Value,
    sink: &mut raw::ListSink,
) -> Result<(), Diagnostic> {
    let scope = ListScope::from_config(config, data)?;
    let more = push_collection(
        data,
        &scope.collection(ARC_MACHINES),
        hybridcompute::API_VERSION,
        "listing Arc machines",
        sink,
        |m: &Machine| result(MachineFacts::from_arc(m)),
    )
    .await?;
    if more {
        push_collection(
            data,
            &scope.collection(AZURE_VMS),
            compute::API_VERSION,
            "listing Azure VMs",
            sink,
            |vm: &VirtualMachine| result(MachineFacts::from_vm(vm)),
        )
        .await?;
    }
    Ok(())
}

#[async_trait]
impl raw::ListResource<HotpatchData> for MachineSettingList {
    fn type_name(&self) -> &str {
        "hotpatch_machine_setting"
    }

    fn config_schema(&self) -> BlockSchema {
        with_scope_attributes(BlockSchema::new().description(
            "Lists the hotpatch switch of every Windows Azure Arc-enabled machine and Azure VM in a subscription or resource group.",
        ))
    }

    async fn list(
        &self,
        _ctx: &Context,
        data: &HotpatchData,
        req: &raw::ListRequest,
        sink: &mut raw::ListSink,
    ) -> Diagnostics {
        match list_scope(data, &req.config, sink).await {
            Ok(()) => Diagnostics::new(),
            Err(d) => d.into(),
        }
    }
}
