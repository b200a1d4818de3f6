//! Layer 2 of the provider, with nothing about Azure: typed resources, data sources,
//! actions and list resources served over Terraform's plugin protocol 6 (the equivalent of
//! terraform-plugin-framework's `fwserver`).
//!
//! Terraform core rejects plans and applied states that break its consistency rules, with
//! errors that name an attribute but not the cause. The rules are therefore implemented
//! once here (modules `plan`, `plan_valid`, `apply`) rather than in each resource: resources
//! declare behaviours in their [`ResourceSchema`] and implement CRUD hooks, and the framework plans,
//! checks and encodes. [`FrameworkServer`] implements the generated tonic service.

mod action;
mod apply;
mod codec;
mod data_source;
mod json;
mod list;
mod model;
mod plan;
mod plan_valid;
mod provider;
mod resource;
mod schema;
mod server;
pub mod validators;
mod values;

pub use action::{Action, ProgressSender};
pub use data_source::DataSource;
pub use list::{ListRequest, ListResource, ListResult, ListSink};
pub use model::{FromValue, Known, ObjectBuilder, ObjectReader, ToValue};
pub use provider::{Context, Provider};
pub use resource::{ApplyRequest, ImportRequest, PlanRequest, Resource};
pub use schema::{
    AttributeSchema, BlockSchema, IdentityAttribute, IdentitySchema, NestedAttributes,
    NestedBlockSchema, ResourceSchema,
};
pub use server::FrameworkServer;
pub use validators::Validator;

/// The protocol types resource code works with, re-exported so providers need not depend
/// on `tfprotocol` directly.
pub use tfprotocol::{AttributePath, Diagnostic, Diagnostics, Nesting, Number, Type, Value};
