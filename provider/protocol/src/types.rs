//! cty types, the type system Terraform encodes every value against.
//!
//! Terraform sends schemas' types as compact "type JSON" (`"string"`, `["list","string"]`,
//! `["object",{...}]`) and encodes every DynamicValue against the implied type of a schema.
//! Keeping the type separate from the value (as go-cty does) is what lets the codecs tell an
//! empty list from an empty set and encode nulls of any type.

use std::collections::BTreeMap;

/// A cty type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    String,
    Number,
    Bool,
    /// `"dynamic"`: the concrete type travels with the value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(attributes.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }
}
