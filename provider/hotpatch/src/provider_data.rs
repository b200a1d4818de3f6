//! What the configured provider hands every resource, data source, action and list resource.
//!
//! `configure` (provider.rs) builds it once from the provider block; the objects receive it in
//! each hook and never see the settings it came from, so credentials stay inside the ARM client.

use std::sync::Arc;

use armclient::ArmClient;
use tfframework::Context;

use crate::fleet_reads::{FleetPolicy, FleetReads};

/// The configured provider's state, shared by every object.
pub struct HotpatchData {
    pub arm: ArmClient,
    /// Default scope for list and fleet reads.
    pub subscription_id: Option<String>,
    /// This process's machine reads, coalesced into list pages (`machine_facts`,
    /// `arc_machine`).
    pub fleet: Arc<FleetReads>,
}

impl HotpatchData {
    pub fn new(arm: ArmClient, subscription_id: Option<String>) -> Self {
        let fleet = FleetReads::new(&arm, FleetPolicy::default());
        HotpatchData {
            arm,
            subscription_id,
            fleet,
        }
    }

    /// The ARM client for one operation: its calls end when Terraform stops the provider
    /// (Ctrl-C) or the operation's timeout runs out, instead of running on unobserved.
    pub fn arm_for(&self, ctx: &Context) -> ArmClient {
        self.arm.with_cancellation(ctx.stop.clone())
    }
}
