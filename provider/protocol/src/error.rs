//! Codec errors: what went wrong and at which attribute path.
//!
//! Decoding failures usually mean the provider and Terraform disagree about a schema, so the
//! path is the most useful part of the message; it is kept structured for diagnostics.

use thiserror::Error;

use crate::path::AttributePath;
use crate::type_json::TypeJsonError;

/// A value failed to encode or decode (msgpack or JSON).
#[derive(Clone, Debug, PartialEq, Error)]
#[error("{kind}{}", at_path(.path))]
pub struct CodecError {
    /// Where in the value the failure happened (root when empty).
    pub path: AttributePath,
    pub kind: CodecErrorKind,
}

fn at_path(path: &AttributePath) -> String {
    if path.0.is_empty() {
        String::new()
    } else {
        format!(" (at {path})")
    }
}

impl CodecError {
    pub(crate) fn new(path: &AttributePath, kind: CodecErrorKind) -> Self {
        CodecError {
            path: path.clone(),
            kind,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Error)]
pub enum CodecErrorKind {
    #[error("unexpected end of input")]
    UnexpectedEnd,
    #[error("{0} unexpected bytes after the value")]
    TrailingBytes(usize),
    #[error("invalid msgpack: {0}")]
    Msgpack(String),
    #[error("invalid JSON at byte {offset}: {message}")]
    JsonSyntax {
        offset: usize,
        message: &'static str,
    },
    #[error("{expected} required, but found {found}")]
    TypeMismatch { expected: String, found: String },
    #[error("an object with {required} attributes is required ({given} given)")]
    ObjectSize { required: usize, given: usize },
    #[error("a tuple of length {required} is required ({given} given)")]
    TupleSize { required: usize, given: usize },
    #[error("unsupported attribute {0:?}")]
    UnsupportedAttribute(String),
    #[error("attribute {0:?} is required")]
    MissingAttribute(String),
    #[error("duplicate attribute {0:?}")]
    DuplicateAttribute(String),
    #[error("invalid number {0:?}")]
    InvalidNumber(String),
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    #[error("invalid dynamic value: {0}")]
    InvalidDynamic(String),
    #[error("invalid type in dynamic value: {0}")]
    TypeJson(#[from] TypeJsonError),
    #[error("invalid unknown value refinements: {0}")]
    InvalidRefinements(String),
    #[error("nesting deeper than {0} levels")]
    TooDeep(usize),
    #[error("{0} is too long to encode")]
    TooLong(&'static str),
    #[error("value is not known, and JSON cannot represent unknown values")]
    UnknownInJson,
    #[error("infinity cannot be represented in JSON")]
    InfinityInJson,
}

/// Nesting limit for both codecs: deeper input is rejected instead of overflowing the stack.
pub(crate) const MAX_DEPTH: usize = 200;
