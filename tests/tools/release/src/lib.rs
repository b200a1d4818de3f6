//! Release packaging for terraform-provider-hotpatch: the artifacts the Terraform registry
//! publishes (`make release`, and the release workflow per platform) and the local install
//! `terraform init` finds by itself (`make install`). See INTERFACE.md "Installing" and
//! PROTOCOL.md section 6 for the layouts.

pub mod dist;
pub mod install;
pub mod names;
pub mod openpgp;
pub mod signing;
pub mod targets;
pub mod zip;
