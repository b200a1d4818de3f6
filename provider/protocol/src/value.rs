//! cty values: known, null or unknown, with the refinements Terraform attaches to unknowns.
//!
//! A `Value` is interpreted against a [`Type`](crate::Type); the codecs take both. Sets are kept
//! as vectors (Terraform does not order them) and compared as multisets by [`Value::semantic_eq`].

use std::collections::BTreeMap;

use crate::number::Number;
use crate::types::Type;

/// A cty value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    /// Not known until apply. Refinements narrow what the final value can be.
    Unknown(Refinements),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    /// An object carries exactly the attributes of its type.
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value in a `dynamic` slot, with the concrete type it was encoded with. The inner value
    /// may itself be null or unknown (go-cty wraps those when their type is known); a `dynamic`
    /// value whose type is not known either is plain `Null` or `Unknown`.
    Dynamic(Type, Box<Value>),
}

/// What Terraform knows about an unknown value (msgpack extension 12, key by key).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refinements {
    /// Key 1 (`nullness` false): the final value is definitely not null.
    pub not_null: bool,
    /// Key 2: the final string starts with this prefix.
    pub string_prefix: Option<String>,
    /// Key 3: lower bound of a number, and whether it is inclusive.
    pub number_lower: Option<(Number, bool)>,
    /// Key 4: upper bound of a number, and whether it is inclusive.
    pub number_upper: Option<(Number, bool)>,
    /// Key 5: lower bound of a collection's length.
    pub length_lower: Option<u64>,
    /// Key 6: upper bound of a collection's length.
    pub length_upper: Option<u64>,
}

impl Refinements {
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

impl Value {
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// What kind of value this is, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown(_) => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
            Value::Dynamic(..) => "dynamic value",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True when neither this value nor anything nested in it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Entries of a map or attributes of an object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// An attribute of an object (None when this is not an object or lacks it).
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(name),
            _ => None,
        }
    }

    /// Mutable access to an attribute of an object.
    pub fn attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(name),
            _ => None,
        }
    }
}
