//! The value-level traits the server dispatches to.
//!
//! Hooks here see cty [`Value`](tfprotocol::Value)s. Providers implement the typed traits at the
//! crate root, whose adapters (`crate::resource` and friends) decode and encode models and
//! implement these; the framework's own tests also implement them directly to exercise
//! protocol rules with hand-made values.

mod action;
mod data_source;
mod list;
mod resource;

pub use action::{Action, ProgressSender};
pub use data_source::DataSource;
pub use list::{ListRequest, ListResource, ListResult, ListSink};
pub use resource::{ApplyRequest, ImportRequest, PlanRequest, Resource};
