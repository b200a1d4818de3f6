//! Layer 1 of the provider: the Terraform plugin protocol's value system, with nothing about
//! Azure. Types and values follow go-cty; the wire encodings follow Terraform's
//! object-wire-format (msgpack for plans and state, JSON for stored state).

pub mod diag;
pub mod number;
pub mod path;
pub mod schema;
pub mod types;
pub mod value;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use number::Number;
pub use path::{AttributePath, PathStep};
pub use schema::{Attribute, Block, NestedBlock, NestedObject, Nesting, Schema};
pub use types::Type;
pub use value::{Refinements, Value};
