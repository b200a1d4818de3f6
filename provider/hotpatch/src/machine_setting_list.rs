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
use tfframework::{
    Context, Diagnostic, Diagnostics, ListRequest, ListResource, ListResult, ListSink, Resource,
};

use crate::list_scope::{push_collection, scoped_model, ListScope, ARC_MACHINES, AZURE_VMS};
use crate::machine_facts::MachineFacts;
use crate::machine_setting_resource::{
    MachineSettingIdentity, MachineSettingModel, MachineSettingResource,
};
use crate::provider_data::HotpatchData;

scoped_model! {
    /// Lists the hotpatch switch of every Windows Azure Arc-enabled machine and Azure VM in a
    /// subscription or resource group.
    pub struct MachineSettingListConfig {}
}

pub struct MachineSettingList;

type Sink<'a> = ListSink<'a, MachineSettingModel, MachineSettingIdentity>;

/// The setting `terraform query` shows (and imports) for one listed machine.
fn result(facts: MachineFacts) -> Option<ListResult<MachineSettingModel, MachineSettingIdentity>> {
    if facts.is_windows() == Some(false) {
        return None;
    }
    let id = facts.id.clone()?;
    let name = facts.name.as_deref().unwrap_or(&id);
    let switch = if facts.hotpatching_enabled == Some(true) {
        "on"
    } else {
        "off"
    };
    Some(ListResult {
        display_name: format!("{name} (hotpatching {switch}, {})", facts.status().as_str()),
        identity: MachineSettingIdentity {
            machine_id: id.clone(),
        },
        resource_object: Some(MachineSettingModel::from_facts(&id, &facts)),
        diagnostics: Diagnostics::new(),
    })
}

/// Arc machines first, then Azure VMs, stopping as soon as Terraform wants no more.
async fn list_scope(
    ctx: &Context,
    data: &HotpatchData,
    config: &MachineSettingListConfig,
    sink: &mut Sink<'_>,
) -> Result<(), Diagnostic> {
    let scope = ListScope::of(config, data)?;
    let arm = data.arm_for(ctx);
    let more = push_collection(
        &arm,
        &scope.collection(ARC_MACHINES),
        hybridcompute::API_VERSION,
        "listing Arc machines",
        sink,
        |m: &Machine| result(MachineFacts::from_arc(m)),
    )
    .await?;
    if more {
        push_collection(
            &arm,
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
impl ListResource<HotpatchData> for MachineSettingList {
    type Config = MachineSettingListConfig;
    type Model = MachineSettingModel;
    type Identity = MachineSettingIdentity;
    const TYPE_NAME: &'static str = <MachineSettingResource as Resource<HotpatchData>>::TYPE_NAME;

    async fn list(
        &self,
        ctx: &Context,
        data: &HotpatchData,
        req: ListRequest<'_, MachineSettingListConfig>,
        sink: &mut Sink<'_>,
    ) -> Diagnostics {
        match list_scope(ctx, data, req.config, sink).await {
            Ok(()) => Diagnostics::new(),
            Err(d) => d.into(),
        }
    }
}
