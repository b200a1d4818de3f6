//! The JSON encoding of values (PROTOCOL.md 3.2): `DynamicValue.json`, `RawState.json` and the
//! state file.
//!
//! JSON cannot carry unknowns, and is only trusted for stored state, which may have been
//! written by an older schema. Decoding is therefore lenient the way Terraform's upgrade path
//! expects: attributes missing from an object become null and attributes the type does not
//! know are dropped. Like go-cty, strings, numbers and bools are also accepted in each other's
//! textual forms. Numbers keep full precision in both directions.

use std::collections::BTreeMap;

use crate::error::{CodecError, CodecErrorKind};
use crate::json_text;
pub use crate::json_text::Json;
use crate::number::Number;
use crate::path::{AttributePath, PathStep};
use crate::types::Type;
use crate::value::Value;

/// Encodes a wholly known `value` against `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut enc = Encoder {
        out: String::new(),
        path: AttributePath::root(),
    };
    enc.value(value, ty)?;
    Ok(enc.out.into_bytes())
}

/// Decodes JSON `bytes` against `ty`, leniently (see the module documentation).
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    decode_parsed(&parse(bytes)?, ty)
}

/// Parses JSON text keeping numbers exact (the first step of [`decode`], for callers that
/// transform the document before decoding it, such as state upgraders).
pub fn parse(bytes: &[u8]) -> Result<Json, CodecError> {
    json_text::parse(bytes).map_err(|e| {
        CodecError::new(
            &AttributePath::root(),
            CodecErrorKind::JsonSyntax {
                offset: e.offset,
                message: e.message,
            },
        )
    })
}

/// Decodes a parsed document against `ty`, leniently (see the module documentation).
pub fn decode_parsed(json: &Json, ty: &Type) -> Result<Value, CodecError> {
    Decoder {
        path: AttributePath::root(),
    }
    .value(json, ty)
}

struct Encoder {
    out: String,
    path: AttributePath,
}

impl Encoder {
    fn error(&self, kind: CodecErrorKind) -> CodecError {
        CodecError::new(&self.path, kind)
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), CodecError> {
        match (ty, value) {
            (_, Value::Null) => self.out.push_str("null"),
            (_, Value::Unknown(_)) => return Err(self.error(CodecErrorKind::UnknownInJson)),
            (Type::Dynamic, Value::Dynamic(Type::Dynamic, _)) => {
                return Err(self.error(CodecErrorKind::InvalidDynamic(
                    "the concrete type of a dynamic value cannot be dynamic".into(),
                )));
            }
            (Type::Dynamic, Value::Dynamic(concrete, inner)) => {
                self.out.push_str("{\"value\":");
                self.value(inner, concrete)?;
                self.out.push_str(",\"type\":");
                self.out.push_str(&concrete.to_json().to_string());
                self.out.push('}');
            }
            (Type::String, Value::String(s)) => json_text::write_string(&mut self.out, s),
            (Type::Number, Value::Number(n @ Number::Finite(_))) => {
                self.out.push_str(&n.to_plain_string());
            }
            (Type::Number, Value::Number(_)) => {
                return Err(self.error(CodecErrorKind::InfinityInJson));
            }
            (Type::Bool, Value::Bool(b)) => self.out.push_str(if *b { "true" } else { "false" }),
            (Type::List(elem), Value::List(items)) => {
                self.array(items.iter().map(|v| (v, &**elem)), true)?
            }
            (Type::Set(elem), Value::Set(items)) => {
                self.array(items.iter().map(|v| (v, &**elem)), false)?
            }
            (Type::Tuple(types), Value::Tuple(items)) => {
                if types.len() != items.len() {
                    return Err(self.error(CodecErrorKind::TupleSize {
                        required: types.len(),
                        given: items.len(),
                    }));
                }
                self.array(items.iter().zip(types), true)?;
            }
            (Type::Map(elem), Value::Map(entries)) => {
                self.out.push('{');
                for (i, (key, item)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    json_text::write_string(&mut self.out, key);
                    self.out.push(':');
                    self.path.0.push(PathStep::ElementKeyString(key.clone()));
                    self.value(item, elem)?;
                    self.path.0.pop();
                }
                self.out.push('}');
            }
            (Type::Object(attrs), Value::Object(values)) => self.object(attrs, values)?,
            _ => {
                return Err(self.error(CodecErrorKind::TypeMismatch {
                    expected: ty.friendly_name(),
                    found: value.kind_name().into(),
                }));
            }
        }
        Ok(())
    }

    fn array<'v>(
        &mut self,
        items: impl Iterator<Item = (&'v Value, &'v Type)>,
        indexed: bool,
    ) -> Result<(), CodecError> {
        self.out.push('[');
        for (i, (item, ty)) in items.enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            // Set elements have no path step in protocol 6; errors point at the set.
            if indexed {
                self.path.0.push(PathStep::ElementKeyInt(i as i64));
            }
            self.value(item, ty)?;
            if indexed {
                self.path.0.pop();
            }
        }
        self.out.push(']');
        Ok(())
    }

    fn object(
        &mut self,
        attrs: &BTreeMap<String, Type>,
        values: &BTreeMap<String, Value>,
    ) -> Result<(), CodecError> {
        if let Some(extra) = values.keys().find(|k| !attrs.contains_key(*k)) {
            return Err(self.error(CodecErrorKind::UnsupportedAttribute(extra.clone())));
        }
        self.out.push('{');
        for (i, (name, ty)) in attrs.iter().enumerate() {
            let Some(value) = values.get(name) else {
                return Err(self.error(CodecErrorKind::MissingAttribute(name.clone())));
            };
            if i > 0 {
                self.out.push(',');
            }
            json_text::write_string(&mut self.out, name);
            self.out.push(':');
            self.path.0.push(PathStep::Attribute(name.clone()));
            self.value(value, ty)?;
            self.path.0.pop();
        }
        self.out.push('}');
        Ok(())
    }
}

struct Decoder {
    path: AttributePath,
}

impl Decoder {
    fn error(&self, kind: CodecErrorKind) -> CodecError {
        CodecError::new(&self.path, kind)
    }

    fn mismatch(&self, ty: &Type, json: &Json) -> CodecError {
        self.error(CodecErrorKind::TypeMismatch {
            expected: ty.friendly_name(),
            found: json.kind_name().into(),
        })
    }

    fn value(&mut self, json: &Json, ty: &Type) -> Result<Value, CodecError> {
        match (ty, json) {
            (_, Json::Null) => Ok(Value::Null),
            (Type::Dynamic, Json::Object(members)) => self.dynamic(members),
            (Type::String, Json::String(s) | Json::Number(s)) => Ok(Value::String(s.clone())),
            (Type::String, Json::Bool(b)) => Ok(Value::String(b.to_string())),
            (Type::Number, Json::Number(text) | Json::String(text)) => Number::parse_wire(text)
                .map(Value::Number)
                .ok_or_else(|| self.error(CodecErrorKind::InvalidNumber(text.clone()))),
            (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
            (Type::Bool, Json::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (Type::List(elem), Json::Array(items)) => {
                self.elements(items, elem, true).map(Value::List)
            }
            (Type::Set(elem), Json::Array(items)) => {
                self.elements(items, elem, false).map(Value::Set)
            }
            (Type::Tuple(types), Json::Array(items)) => {
                if types.len() != items.len() {
                    return Err(self.error(CodecErrorKind::TupleSize {
                        required: types.len(),
                        given: items.len(),
                    }));
                }
                let mut values = Vec::with_capacity(items.len());
                for (i, (item, ty)) in items.iter().zip(types).enumerate() {
                    self.path.0.push(PathStep::ElementKeyInt(i as i64));
                    values.push(self.value(item, ty)?);
                    self.path.0.pop();
                }
                Ok(Value::Tuple(values))
            }
            (Type::Map(elem), Json::Object(members)) => {
                let mut entries = BTreeMap::new();
                for (key, item) in members {
                    self.path.0.push(PathStep::ElementKeyString(key.clone()));
                    entries.insert(key.clone(), self.value(item, elem)?);
                    self.path.0.pop();
                }
                Ok(Value::Map(entries))
            }
            (Type::Object(attrs), Json::Object(members)) => {
                let mut values: BTreeMap<String, Value> = attrs
                    .keys()
                    .map(|name| (name.clone(), Value::Null))
                    .collect();
                for (name, item) in members {
                    if let Some(ty) = attrs.get(name) {
                        self.path.0.push(PathStep::Attribute(name.clone()));
                        values.insert(name.clone(), self.value(item, ty)?);
                        self.path.0.pop();
                    }
                }
                Ok(Value::Object(values))
            }
            _ => Err(self.mismatch(ty, json)),
        }
    }

    fn elements(
        &mut self,
        items: &[Json],
        elem: &Type,
        indexed: bool,
    ) -> Result<Vec<Value>, CodecError> {
        let mut values = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if indexed {
                self.path.0.push(PathStep::ElementKeyInt(i as i64));
            }
            values.push(self.value(item, elem)?);
            if indexed {
                self.path.0.pop();
            }
        }
        Ok(values)
    }

    /// `{"value": ..., "type": ...}`, in either order.
    fn dynamic(&mut self, members: &[(String, Json)]) -> Result<Value, CodecError> {
        let member = |name: &str| {
            members
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
        };
        let (Some(type_json), Some(value)) = (member("type"), member("value")) else {
            return Err(self.error(CodecErrorKind::InvalidDynamic(
                "expected an object with \"value\" and \"type\"".into(),
            )));
        };
        let ty = Type::from_json(&type_json.to_serde()).map_err(|e| self.error(e.into()))?;
        match (&ty, value) {
            (Type::Dynamic, Json::Null) => Ok(Value::Null),
            (Type::Dynamic, _) => Err(self.error(CodecErrorKind::InvalidDynamic(
                "the concrete type of a dynamic value cannot be dynamic".into(),
            ))),
            _ => {
                let value = self.value(value, &ty)?;
                Ok(Value::Dynamic(ty, Box::new(value)))
            }
        }
    }
}

#[cfg(test)]
mod tests;
