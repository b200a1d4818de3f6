//! Layer 4: the hotpatch provider's resources, data sources, actions and list resources.
//!
//! Each object here is a thin mapping between the framework's typed hooks (`tfframework`) and
//! the ARM client's typed models (`armclient`): it decides which ARM calls a Terraform
//! operation makes and how their results read back as Terraform state.

mod action_progress;
mod already_exists;
mod arm_diag;
mod assess_action;
mod available_updates_data_source;
mod eligibility;
mod enrollment_list;
mod enrollment_resource;
mod fleet_reads;
mod install_action;
mod install_validators;
mod kb;
mod license_feature;
mod list_scope;
mod machine_facts;
mod machine_id;
mod machine_selection;
mod machine_setting_list;
mod machine_setting_resource;
mod machine_setting_write;
mod machine_target;
mod machines_data_source;
mod maintenance;
mod patch_report;
mod patch_results;
mod provider;
mod provider_data;
mod serve;
mod settings;
mod status;
mod status_data_source;
mod unfinished;
mod update_history_data_source;

pub use provider::{HotpatchProvider, PROVIDER_ADDRESS};
pub use provider_data::HotpatchData;
pub use serve::serve;
pub use status::{portal_status, HotpatchSignals, PortalStatus};
