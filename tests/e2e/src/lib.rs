//! End-to-end tests: real Terraform 1.15.5 driving the provider against the ARM emulator.

pub mod artifacts;
pub mod env;
pub mod mid_write;
pub mod paths;
pub mod plugin_client;
pub mod registry;
pub mod terraform;
