//! msgpack decoding, driven by the expected type.

use std::collections::BTreeMap;

use rmp::Marker;

use super::*;
use crate::error::{CodecErrorKind, MAX_DEPTH};
use crate::number::Number;
use crate::path::{AttributePath, PathStep};
use crate::value::Refinements;

pub(super) fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut dec = Decoder {
        input: bytes,
        pos: 0,
        path: AttributePath::root(),
        depth: 0,
    };
    let value = dec.value(ty)?;
    match bytes.len() - dec.pos {
        0 => Ok(value),
        extra => Err(dec.error(CodecErrorKind::TrailingBytes(extra))),
    }
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    path: AttributePath,
    depth: usize,
}

/// The shape of the next msgpack item, for dispatch and error messages.
enum Item {
    Nil,
    Ext,
    Other,
}

impl<'a> Decoder<'a> {
    fn error(&self, kind: CodecErrorKind) -> CodecError {
        CodecError::new(&self.path, kind)
    }

    fn mismatch(&self, expected: &str, marker: Marker) -> CodecError {
        self.error(CodecErrorKind::TypeMismatch {
            expected: expected.into(),
            found: marker_name(marker).into(),
        })
    }

    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(self.error(CodecErrorKind::UnexpectedEnd));
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<usize, CodecError> {
        Ok(u16::from_be_bytes(self.array()?).into())
    }

    fn u32(&mut self) -> Result<usize, CodecError> {
        usize::try_from(u32::from_be_bytes(self.array()?))
            .map_err(|_| self.error(CodecErrorKind::UnexpectedEnd))
    }

    fn marker(&mut self) -> Result<Marker, CodecError> {
        Ok(Marker::from_u8(self.u8()?))
    }

    fn peek(&self) -> Result<Item, CodecError> {
        let byte = *self
            .input
            .get(self.pos)
            .ok_or_else(|| self.error(CodecErrorKind::UnexpectedEnd))?;
        Ok(match Marker::from_u8(byte) {
            Marker::Null => Item::Nil,
            Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32 => Item::Ext,
            _ => Item::Other,
        })
    }

    /// A collection length that cannot exceed the remaining input (each item takes a byte),
    /// so hostile lengths fail before anything is allocated.
    fn checked_len(&self, len: usize, bytes_per_item: usize) -> Result<usize, CodecError> {
        if len.saturating_mul(bytes_per_item) > self.remaining() {
            Err(self.error(CodecErrorKind::UnexpectedEnd))
        } else {
            Ok(len)
        }
    }

    fn array_len(&mut self, expected: &str) -> Result<usize, CodecError> {
        let len = match self.marker()? {
            Marker::FixArray(n) => n.into(),
            Marker::Array16 => self.u16()?,
            Marker::Array32 => self.u32()?,
            other => return Err(self.mismatch(expected, other)),
        };
        self.checked_len(len, 1)
    }

    fn map_len(&mut self, expected: &str) -> Result<usize, CodecError> {
        let len = match self.marker()? {
            Marker::FixMap(n) => n.into(),
            Marker::Map16 => self.u16()?,
            Marker::Map32 => self.u32()?,
            other => return Err(self.mismatch(expected, other)),
        };
        self.checked_len(len, 2)
    }

    /// str or bin bytes (go-cty's decoder accepts both wherever it wants a string).
    fn raw_bytes(&mut self, expected: &str) -> Result<&'a [u8], CodecError> {
        let len = match self.marker()? {
            Marker::FixStr(n) => n.into(),
            Marker::Str8 | Marker::Bin8 => self.u8()?.into(),
            Marker::Str16 | Marker::Bin16 => self.u16()?,
            Marker::Str32 | Marker::Bin32 => self.u32()?,
            other => return Err(self.mismatch(expected, other)),
        };
        self.take(len)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let bytes = self.raw_bytes("string")?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.error(CodecErrorKind::InvalidUtf8))
    }

    fn value(&mut self, ty: &Type) -> Result<Value, CodecError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(CodecErrorKind::TooDeep(MAX_DEPTH)));
        }
        self.depth += 1;
        let value = self.value_inner(ty);
        self.depth -= 1;
        value
    }

    fn value_inner(&mut self, ty: &Type) -> Result<Value, CodecError> {
        match self.peek()? {
            Item::Nil => {
                self.pos += 1;
                return Ok(Value::Null);
            }
            Item::Ext => return self.unknown(),
            Item::Other => {}
        }
        match ty {
            Type::Dynamic => self.dynamic(),
            Type::String => self.string().map(Value::String),
            Type::Number => self.number().map(Value::Number),
            Type::Bool => match self.marker()? {
                Marker::True => Ok(Value::Bool(true)),
                Marker::False => Ok(Value::Bool(false)),
                other => Err(self.mismatch("bool", other)),
            },
            Type::List(elem) => self.elements(ty, elem, true).map(Value::List),
            Type::Set(elem) => self.elements(ty, elem, false).map(Value::Set),
            Type::Tuple(types) => {
                let len = self.array_len("tuple")?;
                if len != types.len() {
                    return Err(self.error(CodecErrorKind::TupleSize {
                        required: types.len(),
                        given: len,
                    }));
                }
                let mut items = Vec::with_capacity(len);
                for (i, ty) in types.iter().enumerate() {
                    self.path.0.push(PathStep::ElementKeyInt(i as i64));
                    items.push(self.value(ty)?);
                    self.path.0.pop();
                }
                Ok(Value::Tuple(items))
            }
            Type::Map(elem) => {
                let len = self.map_len(&ty.friendly_name())?;
                let mut entries = BTreeMap::new();
                for _ in 0..len {
                    let key = self.string()?;
                    self.path.0.push(PathStep::ElementKeyString(key.clone()));
                    let item = self.value(elem)?;
                    self.path.0.pop();
                    entries.insert(key, item);
                }
                Ok(Value::Map(entries))
            }
            Type::Object(attrs) => self.object(attrs).map(Value::Object),
        }
    }

    fn elements(
        &mut self,
        ty: &Type,
        elem: &Type,
        indexed: bool,
    ) -> Result<Vec<Value>, CodecError> {
        let len = self.array_len(&ty.friendly_name())?;
        let mut items = Vec::with_capacity(len);
        for i in 0..len {
            if indexed {
                self.path.0.push(PathStep::ElementKeyInt(i as i64));
            }
            items.push(self.value(elem)?);
            if indexed {
                self.path.0.pop();
            }
        }
        Ok(items)
    }

    fn object(
        &mut self,
        attrs: &BTreeMap<String, Type>,
    ) -> Result<BTreeMap<String, Value>, CodecError> {
        let len = self.map_len("object")?;
        if len != attrs.len() {
            return Err(self.error(CodecErrorKind::ObjectSize {
                required: attrs.len(),
                given: len,
            }));
        }
        let mut values = BTreeMap::new();
        for _ in 0..len {
            let name = self.string()?;
            let Some(ty) = attrs.get(&name) else {
                return Err(self.error(CodecErrorKind::UnsupportedAttribute(name)));
            };
            if values.contains_key(&name) {
                return Err(self.error(CodecErrorKind::DuplicateAttribute(name)));
            }
            self.path.0.push(PathStep::Attribute(name.clone()));
            let value = self.value(ty)?;
            self.path.0.pop();
            values.insert(name, value);
        }
        Ok(values)
    }

    fn dynamic(&mut self) -> Result<Value, CodecError> {
        let len = self.array_len("dynamic value ([type, value])")?;
        if len != 2 {
            return Err(self.error(CodecErrorKind::InvalidDynamic(format!(
                "expected a [type, value] array, found {len} elements"
            ))));
        }
        let type_json = self.raw_bytes("type JSON")?;
        let ty = Type::from_json_bytes(type_json).map_err(|e| self.error(e.into()))?;
        if ty == Type::Dynamic {
            return Err(self.error(CodecErrorKind::InvalidDynamic(
                "the concrete type of a dynamic value cannot be dynamic".into(),
            )));
        }
        let value = self.value(&ty)?;
        Ok(Value::Dynamic(ty, Box::new(value)))
    }

    fn number(&mut self) -> Result<Number, CodecError> {
        let marker = self.marker()?;
        let int = |v: i64| Ok(Number::from_i64(v));
        match marker {
            Marker::FixPos(v) => int(v.into()),
            Marker::FixNeg(v) => int(v.into()),
            Marker::U8 => int(self.u8()?.into()),
            Marker::U16 => int(u16::from_be_bytes(self.array()?).into()),
            Marker::U32 => int(u32::from_be_bytes(self.array()?).into()),
            Marker::U64 => Ok(Number::Finite(u64::from_be_bytes(self.array()?).into())),
            Marker::I8 => int(i8::from_be_bytes(self.array()?).into()),
            Marker::I16 => int(i16::from_be_bytes(self.array()?).into()),
            Marker::I32 => int(i32::from_be_bytes(self.array()?).into()),
            Marker::I64 => int(i64::from_be_bytes(self.array()?)),
            Marker::F32 => {
                let f = f32::from_be_bytes(self.array()?);
                self.float(f.into())
            }
            Marker::F64 => {
                let f = f64::from_be_bytes(self.array()?);
                self.float(f)
            }
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                self.pos -= 1;
                let text = self.string()?;
                Number::parse_wire(&text)
                    .ok_or_else(|| self.error(CodecErrorKind::InvalidNumber(text)))
            }
            other => Err(self.mismatch("number", other)),
        }
    }

    fn float(&self, f: f64) -> Result<Number, CodecError> {
        Number::from_f64(f).ok_or_else(|| self.error(CodecErrorKind::InvalidNumber(f.to_string())))
    }

    /// Any extension is an unknown value; only ext 12 carries refinements.
    fn unknown(&mut self) -> Result<Value, CodecError> {
        let len = match self.marker()? {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.u8()?.into(),
            Marker::Ext16 => self.u16()?,
            Marker::Ext32 => self.u32()?,
            other => return Err(self.mismatch("unknown value", other)),
        };
        let ext_type = i8::from_be_bytes(self.array()?);
        let payload = self.take(len)?;
        if ext_type != EXT_REFINED_UNKNOWN {
            return Ok(Value::unknown());
        }
        if len > MAX_REFINEMENTS_LEN {
            return Err(self.error(CodecErrorKind::InvalidRefinements(format!(
                "{len} bytes exceeds the {MAX_REFINEMENTS_LEN}-byte limit"
            ))));
        }
        let mut sub = Decoder {
            input: payload,
            pos: 0,
            path: self.path.clone(),
            depth: self.depth,
        };
        sub.refinements().map(Value::Unknown)
    }

    fn refinements(&mut self) -> Result<Refinements, CodecError> {
        let invalid =
            |d: &Self, what: &str| d.error(CodecErrorKind::InvalidRefinements(what.into()));
        let len = self.map_len("refinements map")?;
        let mut r = Refinements::default();
        for _ in 0..len {
            // Keys are small integers; anything else is a key this decoder does not know.
            let key = self.number()?.as_i64().unwrap_or(0);
            match key {
                KEY_NULLNESS => match self.marker()? {
                    Marker::False => r.not_null = true,
                    Marker::True => {}
                    _ => return Err(invalid(self, "nullness must be a bool")),
                },
                KEY_STRING_PREFIX => r.string_prefix = Some(self.string()?),
                KEY_NUMBER_LOWER | KEY_NUMBER_UPPER => {
                    if self.array_len("number bound")? != 2 {
                        return Err(invalid(self, "a number bound must be [number, inclusive]"));
                    }
                    let n = self.number()?;
                    let inclusive = match self.marker()? {
                        Marker::True => true,
                        Marker::False => false,
                        _ => return Err(invalid(self, "bound inclusiveness must be a bool")),
                    };
                    if key == KEY_NUMBER_LOWER {
                        r.number_lower = Some((n, inclusive));
                    } else {
                        r.number_upper = Some((n, inclusive));
                    }
                }
                KEY_LENGTH_LOWER | KEY_LENGTH_UPPER => {
                    let n = self.number()?.as_u64().ok_or_else(|| {
                        invalid(self, "length bounds must be non-negative integers")
                    })?;
                    if key == KEY_LENGTH_LOWER {
                        r.length_lower = Some(n);
                    } else {
                        r.length_upper = Some(n);
                    }
                }
                _ => self.skip()?,
            }
        }
        Ok(r)
    }

    /// Skips one msgpack item of any kind (unknown refinement keys).
    fn skip(&mut self) -> Result<(), CodecError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(CodecErrorKind::TooDeep(MAX_DEPTH)));
        }
        if let Item::Ext = self.peek()? {
            return self.unknown().map(drop);
        }
        let (data, items) = match self.marker()? {
            Marker::Null | Marker::True | Marker::False | Marker::FixPos(_) | Marker::FixNeg(_) => {
                (0, 0)
            }
            Marker::U8 | Marker::I8 => (1, 0),
            Marker::U16 | Marker::I16 => (2, 0),
            Marker::U32 | Marker::I32 | Marker::F32 => (4, 0),
            Marker::U64 | Marker::I64 | Marker::F64 => (8, 0),
            Marker::FixStr(n) => (n.into(), 0),
            Marker::Str8 | Marker::Bin8 => (self.u8()?.into(), 0),
            Marker::Str16 | Marker::Bin16 => (self.u16()?, 0),
            Marker::Str32 | Marker::Bin32 => (self.u32()?, 0),
            Marker::FixArray(n) => (0, n.into()),
            Marker::Array16 => (0, self.u16()?),
            Marker::Array32 => (0, self.u32()?),
            Marker::FixMap(n) => (0, usize::from(n) * 2),
            Marker::Map16 => (0, self.u16()?.saturating_mul(2)),
            Marker::Map32 => (0, self.u32()?.saturating_mul(2)),
            other => {
                return Err(self.error(CodecErrorKind::Msgpack(format!(
                    "unexpected {}",
                    marker_name(other)
                ))))
            }
        };
        self.take(data)?;
        self.checked_len(items, 1)?;
        self.depth += 1;
        for _ in 0..items {
            self.skip()?;
        }
        self.depth -= 1;
        Ok(())
    }
}

fn marker_name(marker: Marker) -> &'static str {
    match marker {
        Marker::Null => "null",
        Marker::True | Marker::False => "bool",
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "integer",
        Marker::F32 | Marker::F64 => "float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "map",
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "extension",
        Marker::Reserved => "reserved byte 0xc1",
    }
}
