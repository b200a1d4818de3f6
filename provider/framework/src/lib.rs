//! Layer 2 of the provider, with nothing about Azure: typed resources, data sources,
//! actions and list resources served over Terraform's plugin protocol 6 (the equivalent of
//! terraform-plugin-framework's `fwserver`).
//!
//! Providers declare each object once, as a `#[derive(Model)]` struct ([`model`]), and implement
//! the typed traits ([`Resource`], [`DataSource`], [`Action`], [`ListResource`]); adapters turn
//! them into the value-level traits in [`raw`] that the server dispatches to.
//!
//! Terraform core rejects plans and applied states that break its consistency rules, with
//! errors that name an attribute but not the cause. The rules are therefore implemented
//! once here (modules `plan`, `plan_valid`, `apply`) rather than in each resource: resources
//! declare behaviours in their models and implement CRUD hooks, and the framework plans,
//! checks and encodes. [`FrameworkServer`] implements the generated tonic service.

// Lets `#[derive(Model)]`'s `::tfframework::...` paths resolve inside this crate too.
extern crate self as tfframework;

mod action;
mod apply;
mod codec;
mod convert;
mod data_source;
mod identity;
mod list;
pub mod model;
mod plan;
mod plan_valid;
mod provider;
pub mod raw;
mod resource;
mod schema;
mod server;
pub mod timeouts;
pub mod validators;
mod values;
pub mod wait;
pub mod work_counts;

pub use action::{action, Action};
pub use convert::{FromValue, Known, Set, ToValue};
pub use data_source::{data_source, DataSource};
pub use identity::IdentityModel;
pub use list::{list_resource, ListRequest, ListResource, ListResult, ListSink};
pub use model::{Model, Plan, TfType};
pub use provider::{Context, Provider, RECOVERY_TIMEOUT};
pub use raw::ProgressSender;
pub use resource::{resource, ApplyRequest, ImportRequest, PlanRequest, Resource};
pub use schema::{
    AttributeSchema, BlockSchema, IdentityAttribute, IdentitySchema, NestedAttributes,
    NestedBlockSchema, ResourceSchema,
};
pub use server::FrameworkServer;
pub use tfframework_derive::Model;
pub use timeouts::TimeoutDefaults;
pub use validators::Validator;
pub use work_counts::{work_counts, WorkCounts};

/// The protocol types resource code works with, re-exported so providers need not depend
/// on `tfprotocol` directly.
pub use tfprotocol::{AttributePath, Diagnostic, Diagnostics, Nesting, Number, Type, Value};
