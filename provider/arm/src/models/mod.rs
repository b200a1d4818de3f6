//! Typed request/response bodies, one module per resource provider and api-version.
//!
//! Conventions: every field the service populates is `Option` (ARM omits and nulls freely);
//! extensible enums keep unknown values in an `Other(String)` variant and write them back
//! verbatim; request-only types skip unset fields so a PATCH sends only what it changes.

pub mod common;
pub mod compute;
pub mod hybridcompute;
pub mod maintenance;

pub use common::{ErrorDetail, ErrorResponse, ProvisioningState};
