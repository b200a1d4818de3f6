//! Layer 1 of the provider: the Terraform plugin protocol's value system, with nothing about
//! Azure. Types and values follow go-cty; the wire encodings follow Terraform's
//! object-wire-format (msgpack for plans and state, JSON for stored state).

pub mod diag;
pub mod error;
pub mod json;
pub mod json_text;
pub mod msgpack;
pub mod number;
pub mod path;
pub mod proto_conv;
pub mod schema;
mod schema_builder;
pub mod type_json;
pub mod types;
pub mod value;
mod value_eq;
pub mod value_path;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use error::{CodecError, CodecErrorKind};
pub use number::Number;
pub use path::{AttributePath, PathStep};
pub use proto_conv::ProtoError;
pub use schema::{Attribute, Block, NestedBlock, NestedObject, Nesting, Schema};
pub use type_json::TypeJsonError;
pub use types::Type;
pub use value::{Refinements, Value};
pub use value_path::PathError;
