//! End-to-end tests: real Terraform 1.15.5 driving the provider against the ARM emulator.
