//! What the configured provider hands every resource, data source, action and list resource.
//!
//! `configure` (provider.rs) builds it once from the provider block; the objects receive it in
//! each hook and never see the settings it came from, so credentials stay inside the ARM client.

use armclient::ArmClient;
use tfframework::Context;

/// The configured provider's state, shared by every object.
pub struct HotpatchData {
    pub arm: ArmClient,
    /// Default scope for list and fleet reads.
    pub subscription_id: Option<String>,
}

impl HotpatchData {
    /// The ARM client for one operation: its calls end when Terraform stops the provider
    /// (Ctrl-C) or the operation's timeout runs out, instead of running on unobserved.
    pub fn arm_for(&self, ctx: &Context) -> ArmClient {
        self.arm.with_cancellation(ctx.stop.clone())
    }
}
