//! Conversions between cty values and Rust types.
//!
//! [`FromValue`] and [`ToValue`] are what `#[derive(Model)]` builds on: each field of a model
//! converts itself, and a mismatch becomes a diagnostic naming the attribute instead of a
//! panic. [`Known`] is for plan time, when a configured value may still be null or unknown;
//! [`Set`] is a cty set (unordered, no duplicates by Terraform's rules).

use std::collections::BTreeMap;

use tfprotocol::{AttributePath, Diagnostic, Number, Value};

/// Conversion from a cty value.
pub trait FromValue: Sized {
    /// `path` names the value in diagnostics.
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic>;
}

/// Conversion to a cty value.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

pub(crate) fn mismatch(path: &AttributePath, expected: &str, value: &Value) -> Diagnostic {
    let found = match value {
        Value::Null => "null",
        Value::Unknown(_) => "an unknown value",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Set(_) => "a set",
        Value::Map(_) => "a map",
        Value::Object(_) => "an object",
        Value::Tuple(_) => "a tuple",
        Value::Dynamic(..) => "a dynamic value",
    };
    let at = if path.0.is_empty() {
        "value".to_string()
    } else {
        path.to_string()
    };
    Diagnostic::error(
        "Unexpected attribute value",
        format!("{at}: expected {expected}, found {found}. This is a bug in the provider."),
    )
    .at(path.clone())
}

impl FromValue for Value {
    fn from_value(value: &Value, _path: &AttributePath) -> Result<Self, Diagnostic> {
        Ok(value.clone())
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl FromValue for String {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| mismatch(path, "a string", value))
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToValue for &str {
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl FromValue for bool {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        value
            .as_bool()
            .ok_or_else(|| mismatch(path, "a bool", value))
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        value
            .as_number()
            .and_then(Number::as_i64)
            .ok_or_else(|| mismatch(path, "a whole number", value))
    }
}

impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Number(Number::from_i64(*self))
    }
}

/// Null reads as `None` and `None` writes null.
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v, path).map(Some),
        }
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// Reads lists, sets and tuples; writes a list.
impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        let elements = value
            .as_elements()
            .ok_or_else(|| mismatch(path, "a list or set", value))?;
        elements
            .iter()
            .enumerate()
            .map(|(i, e)| T::from_value(e, &path.clone().index(i as i64)))
            .collect()
    }
}

impl<T: ToValue> ToValue for Vec<T> {
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(ToValue::to_value).collect())
    }
}

/// Reads maps and objects; writes a map.
impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        let entries = value
            .as_entries()
            .ok_or_else(|| mismatch(path, "a map", value))?;
        entries
            .iter()
            .map(|(k, e)| Ok((k.clone(), T::from_value(e, &path.clone().key(k.clone()))?)))
            .collect()
    }
}

impl<T: ToValue> ToValue for BTreeMap<String, T> {
    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        )
    }
}

/// A value that may be null or not yet known (plan-time configuration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known<T> {
    Null,
    Unknown,
    Value(T),
}

impl<T> Known<T> {
    /// The value when known and non-null.
    pub fn known(self) -> Option<T> {
        match self {
            Known::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_ref(&self) -> Known<&T> {
        match self {
            Known::Null => Known::Null,
            Known::Unknown => Known::Unknown,
            Known::Value(v) => Known::Value(v),
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Known::Unknown)
    }
}

/// Only a wholly unknown value reads as `Unknown`; a known collection with unknown
/// elements is handed to `T` (read it as `Vec<Known<_>>` to allow that).
impl<T: FromValue> FromValue for Known<T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        match value {
            Value::Null => Ok(Known::Null),
            Value::Unknown(_) => Ok(Known::Unknown),
            v => T::from_value(v, path).map(Known::Value),
        }
    }
}

impl<T: ToValue> ToValue for Known<T> {
    fn to_value(&self) -> Value {
        match self {
            Known::Null => Value::Null,
            Known::Unknown => Value::unknown(),
            Known::Value(v) => v.to_value(),
        }
    }
}

impl FromValue for Number {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        value
            .as_number()
            .cloned()
            .ok_or_else(|| mismatch(path, "a number", value))
    }
}

impl ToValue for Number {
    fn to_value(&self) -> Value {
        Value::Number(self.clone())
    }
}

/// The elements of a cty set. Order carries no meaning; Terraform compares sets as sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Set<T>(pub Vec<T>);

/// Reads sets (and lists, which convert to sets in cty); writes a set.
impl<T: FromValue> FromValue for Set<T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, Diagnostic> {
        Vec::from_value(value, path).map(Set)
    }
}

impl<T: ToValue> ToValue for Set<T> {
    fn to_value(&self) -> Value {
        Value::Set(self.0.iter().map(ToValue::to_value).collect())
    }
}
