//! String-keyed access to objects: the pre-model API, kept only while the hotpatch resources
//! move to `#[derive(Model)]`. Deleted once nothing uses it.

use std::collections::BTreeMap;

use tfprotocol::{AttributePath, Diagnostic, Value};

use crate::convert::{FromValue, ToValue};

/// Reads the attributes of one object (a resource's config/plan/state, or a nested block).
#[derive(Clone, Debug)]
pub struct ObjectReader<'a> {
    value: &'a Value,
    path: AttributePath,
}

impl<'a> ObjectReader<'a> {
    /// A reader for a root object (paths in diagnostics start at its attributes).
    pub fn new(value: &'a Value) -> Self {
        ObjectReader {
            value,
            path: AttributePath::root(),
        }
    }

    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// Where this object sits in the root object.
    pub fn path(&self) -> &AttributePath {
        &self.path
    }

    /// The path of one of this object's attributes, for diagnostics.
    pub fn path_of(&self, name: &str) -> AttributePath {
        self.path.clone().attribute(name)
    }

    /// The raw attribute value; null when the attribute is absent.
    pub fn raw(&self, name: &str) -> &'a Value {
        self.value.attr(name).unwrap_or(&Value::Null)
    }

    /// The attribute converted to `T`; a mismatch (including null for a non-`Option` type)
    /// is an error diagnostic naming the attribute.
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, Diagnostic> {
        T::from_value(self.raw(name), &self.path_of(name))
    }

    /// Readers for the objects of a nested block or nested attribute, each with its own
    /// path (`name[0]`, `name["key"]`). Null or unknown reads as no objects.
    pub fn objects(&self, name: &str) -> Vec<ObjectReader<'a>> {
        let base = self.path_of(name);
        let at = |path: AttributePath, value: &'a Value| ObjectReader { value, path };
        match self.raw(name) {
            Value::List(v) | Value::Tuple(v) => v
                .iter()
                .enumerate()
                .map(|(i, e)| at(base.clone().index(i as i64), e))
                .collect(),
            Value::Set(v) => v.iter().map(|e| at(base.clone(), e)).collect(),
            Value::Map(m) => m
                .iter()
                .map(|(k, e)| at(base.clone().key(k.clone()), e))
                .collect(),
            v @ Value::Object(_) => vec![at(base, v)],
            _ => Vec::new(),
        }
    }
}

/// Builds an object attribute by attribute. Attributes left out are filled with null (or
/// an empty block collection) by the framework before the object is sent to Terraform.
#[derive(Clone, Debug, Default)]
pub struct ObjectBuilder(BTreeMap<String, Value>);

impl ObjectBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from an existing object (say, the planned state) to overwrite a few attributes.
    pub fn from_value(value: &Value) -> Self {
        ObjectBuilder(value.as_entries().cloned().unwrap_or_default())
    }

    pub fn set(mut self, name: impl Into<String>, value: impl ToValue) -> Self {
        self.0.insert(name.into(), value.to_value());
        self
    }

    pub fn insert(&mut self, name: impl Into<String>, value: impl ToValue) -> &mut Self {
        self.0.insert(name.into(), value.to_value());
        self
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}
