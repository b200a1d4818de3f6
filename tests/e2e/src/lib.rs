//! End-to-end tests: real Terraform 1.15.5 driving the provider against the ARM emulator.

pub mod apply_json;
pub mod artifacts;
pub mod env;
pub mod inventory;
pub mod mid_write;
pub mod paths;
pub mod plugin_client;
pub mod registry;
pub mod retries;
pub mod rewrites;
pub mod terraform;
pub mod watched;
