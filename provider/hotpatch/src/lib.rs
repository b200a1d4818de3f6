//! Layer 4: the hotpatch provider's resources, data sources, actions and list resources.
//!
//! Each object here is a thin mapping between the framework's typed hooks (`tfframework`) and
//! the ARM client's typed models (`armclient`): it decides which ARM calls a Terraform
//! operation makes and how their results read back as Terraform state.

mod arm_diag;
mod enrollment;
mod machine_id;
mod provider;
mod settings;
mod status;

pub use provider::{HotpatchData, HotpatchProvider, PROVIDER_ADDRESS};
pub use status::{portal_status, HotpatchSignals, PortalStatus};
