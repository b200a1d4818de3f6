//! The msgpack encoding of DynamicValue, byte-compatible with go-cty's `cty/msgpack`.
//!
//! Terraform sends every config, plan and state as msgpack against the schema's implied type,
//! and this is the only encoding that can carry unknown values. Rules (PROTOCOL.md 3.1):
//! null is `nil`; any extension is an unknown (only ext 12 carries refinements); objects carry
//! exactly their attributes; `dynamic` slots hold `[type JSON as bin, value]`.
//!
//! The decoder is driven by the expected type and trusts nothing about the input: lengths are
//! checked against the remaining bytes before allocating, and nesting is bounded.

mod decode;
mod encode;

use crate::error::CodecError;
use crate::types::Type;
use crate::value::Value;

/// Extension type of a wholly unknown value.
const EXT_UNKNOWN: i8 = 0;
/// Extension type of a refined unknown value.
const EXT_REFINED_UNKNOWN: i8 = 12;
/// Decoders reject refinement payloads larger than this (go-cty does the same).
const MAX_REFINEMENTS_LEN: usize = 1024;
/// go-cty truncates string prefixes so the refinement payload stays under the limit.
const MAX_PREFIX_LEN: usize = 255;

const KEY_NULLNESS: i64 = 1;
const KEY_STRING_PREFIX: i64 = 2;
const KEY_NUMBER_LOWER: i64 = 3;
const KEY_NUMBER_UPPER: i64 = 4;
const KEY_LENGTH_LOWER: i64 = 5;
const KEY_LENGTH_UPPER: i64 = 6;

/// Encodes `value` against `ty`. Fails when the value does not conform to the type.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    encode::encode(value, ty)
}

/// Decodes msgpack `bytes` against `ty`. The whole input must be one value.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    decode::decode(bytes, ty)
}

#[cfg(test)]
mod tests;
