//! msgpack encoding: values are checked against the type as they are written.

use std::collections::BTreeMap;
use std::convert::Infallible;

use rmp::encode::{ByteBuf, ValueWriteError};

use super::*;
use crate::error::CodecErrorKind;
use crate::number::Number;
use crate::path::{AttributePath, PathStep};
use crate::value::Refinements;

pub(super) fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut enc = Encoder {
        out: ByteBuf::new(),
        path: AttributePath::root(),
    };
    enc.value(value, ty)?;
    Ok(enc.out.into_vec())
}

/// Writes into a `ByteBuf`, which cannot fail; this unwraps the `Infallible` error.
fn infallible<T>(result: Result<T, ValueWriteError<Infallible>>) -> T {
    match result {
        Ok(v) => v,
        Err(ValueWriteError::InvalidMarkerWrite(e) | ValueWriteError::InvalidDataWrite(e)) => {
            match e {}
        }
    }
}

struct Encoder {
    out: ByteBuf,
    path: AttributePath,
}

impl Encoder {
    fn error(&self, kind: CodecErrorKind) -> CodecError {
        CodecError::new(&self.path, kind)
    }

    fn mismatch(&self, ty: &Type, value: &Value) -> CodecError {
        self.error(CodecErrorKind::TypeMismatch {
            expected: ty.friendly_name(),
            found: value.kind_name().into(),
        })
    }

    fn len(&self, len: usize, what: &'static str) -> Result<u32, CodecError> {
        u32::try_from(len).map_err(|_| self.error(CodecErrorKind::TooLong(what)))
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), CodecError> {
        match (ty, value) {
            (_, Value::Null) => {
                let Ok(()) = rmp::encode::write_nil(&mut self.out);
            }
            (_, Value::Unknown(refinements)) => self.unknown(refinements)?,
            (Type::Dynamic, Value::Dynamic(Type::Dynamic, _)) => {
                return Err(self.error(CodecErrorKind::InvalidDynamic(
                    "the concrete type of a dynamic value cannot be dynamic".into(),
                )));
            }
            (Type::Dynamic, Value::Dynamic(concrete, inner)) => {
                infallible(rmp::encode::write_array_len(&mut self.out, 2));
                infallible(rmp::encode::write_bin(
                    &mut self.out,
                    &concrete.to_json_bytes(),
                ));
                self.value(inner, concrete)?;
            }
            (Type::String, Value::String(s)) => {
                self.len(s.len(), "string")?;
                infallible(rmp::encode::write_str(&mut self.out, s));
            }
            (Type::Number, Value::Number(n)) => self.number(n)?,
            (Type::Bool, Value::Bool(b)) => {
                let Ok(()) = rmp::encode::write_bool(&mut self.out, *b);
            }
            (Type::List(elem), Value::List(items)) => self.elements(items, elem, true)?,
            (Type::Set(elem), Value::Set(items)) => self.elements(items, elem, false)?,
            (Type::Tuple(types), Value::Tuple(items)) => {
                if types.len() != items.len() {
                    return Err(self.error(CodecErrorKind::TupleSize {
                        required: types.len(),
                        given: items.len(),
                    }));
                }
                let len = self.len(items.len(), "tuple")?;
                infallible(rmp::encode::write_array_len(&mut self.out, len));
                for (i, (item, ty)) in items.iter().zip(types).enumerate() {
                    self.path.0.push(PathStep::ElementKeyInt(i as i64));
                    self.value(item, ty)?;
                    self.path.0.pop();
                }
            }
            (Type::Map(elem), Value::Map(entries)) => {
                let len = self.len(entries.len(), "map")?;
                infallible(rmp::encode::write_map_len(&mut self.out, len));
                for (key, item) in entries {
                    self.path.0.push(PathStep::ElementKeyString(key.clone()));
                    self.len(key.len(), "map key")?;
                    infallible(rmp::encode::write_str(&mut self.out, key));
                    self.value(item, elem)?;
                    self.path.0.pop();
                }
            }
            (Type::Object(attrs), Value::Object(values)) => self.object(attrs, values)?,
            _ => return Err(self.mismatch(ty, value)),
        }
        Ok(())
    }

    fn elements(&mut self, items: &[Value], elem: &Type, indexed: bool) -> Result<(), CodecError> {
        let len = self.len(items.len(), "collection")?;
        infallible(rmp::encode::write_array_len(&mut self.out, len));
        for (i, item) in items.iter().enumerate() {
            // Set elements have no path step in protocol 6; errors point at the set.
            if indexed {
                self.path.0.push(PathStep::ElementKeyInt(i as i64));
            }
            self.value(item, elem)?;
            if indexed {
                self.path.0.pop();
            }
        }
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
        let len = self.len(attrs.len(), "object")?;
        infallible(rmp::encode::write_map_len(&mut self.out, len));
        for (name, ty) in attrs {
            let Some(value) = values.get(name) else {
                return Err(self.error(CodecErrorKind::MissingAttribute(name.clone())));
            };
            infallible(rmp::encode::write_str(&mut self.out, name));
            self.path.0.push(PathStep::Attribute(name.clone()));
            self.value(value, ty)?;
            self.path.0.pop();
        }
        Ok(())
    }

    /// int when the number is an exact int64, float64 when exact, else a decimal string
    /// (the order go-cty uses, so large integers that are exact floats travel as floats).
    fn number(&mut self, n: &Number) -> Result<(), CodecError> {
        if let Some(i) = n.as_i64() {
            infallible(rmp::encode::write_sint(&mut self.out, i));
        } else if let Some(f) = n.as_exact_f64() {
            infallible(rmp::encode::write_f64(&mut self.out, f));
        } else {
            let text = n.to_plain_string();
            self.len(text.len(), "number")?;
            infallible(rmp::encode::write_str(&mut self.out, &text));
        }
        Ok(())
    }

    fn unknown(&mut self, refinements: &Refinements) -> Result<(), CodecError> {
        if refinements.is_empty() {
            infallible(rmp::encode::write_ext_meta(&mut self.out, 1, EXT_UNKNOWN));
            self.out.as_mut_vec().push(0);
            return Ok(());
        }
        let mut payload = Encoder {
            out: ByteBuf::new(),
            path: self.path.clone(),
        };
        payload.refinements(refinements)?;
        let payload = payload.out.into_vec();
        let len = self.len(payload.len(), "refinements")?;
        infallible(rmp::encode::write_ext_meta(
            &mut self.out,
            len,
            EXT_REFINED_UNKNOWN,
        ));
        self.out.as_mut_vec().extend_from_slice(&payload);
        Ok(())
    }

    fn refinements(&mut self, r: &Refinements) -> Result<(), CodecError> {
        let entries = [
            r.not_null,
            r.string_prefix.is_some(),
            r.number_lower.is_some(),
            r.number_upper.is_some(),
            r.length_lower.is_some(),
            r.length_upper.is_some(),
        ];
        let count = entries.iter().filter(|present| **present).count() as u32;
        infallible(rmp::encode::write_map_len(&mut self.out, count));
        if r.not_null {
            infallible(rmp::encode::write_sint(&mut self.out, KEY_NULLNESS));
            let Ok(()) = rmp::encode::write_bool(&mut self.out, false);
        }
        if let Some(prefix) = &r.string_prefix {
            infallible(rmp::encode::write_sint(&mut self.out, KEY_STRING_PREFIX));
            infallible(rmp::encode::write_str(
                &mut self.out,
                truncate_prefix(prefix),
            ));
        }
        for (key, bound) in [
            (KEY_NUMBER_LOWER, &r.number_lower),
            (KEY_NUMBER_UPPER, &r.number_upper),
        ] {
            if let Some((n, inclusive)) = bound {
                infallible(rmp::encode::write_sint(&mut self.out, key));
                infallible(rmp::encode::write_array_len(&mut self.out, 2));
                self.number(n)?;
                let Ok(()) = rmp::encode::write_bool(&mut self.out, *inclusive);
            }
        }
        for (key, bound) in [
            (KEY_LENGTH_LOWER, r.length_lower),
            (KEY_LENGTH_UPPER, r.length_upper),
        ] {
            if let Some(len) = bound {
                infallible(rmp::encode::write_sint(&mut self.out, key));
                infallible(rmp::encode::write_uint(&mut self.out, len));
            }
        }
        Ok(())
    }
}

/// The longest prefix of at most [`MAX_PREFIX_LEN`] bytes that ends on a char boundary.
fn truncate_prefix(prefix: &str) -> &str {
    if prefix.len() <= MAX_PREFIX_LEN {
        return prefix;
    }
    let cut = (0..=MAX_PREFIX_LEN)
        .rev()
        .find(|i| prefix.is_char_boundary(*i))
        .unwrap_or(0);
    &prefix[..cut]
}
