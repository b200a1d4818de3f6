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

impl Type {
    pub fn tuple(elements: impl IntoIterator<Item = Type>) -> Type {
        Type::Tuple(elements.into_iter().collect())
    }

    /// True when `dynamic` appears anywhere in this type.
    ///
    /// Block nesting depends on it: LIST and MAP blocks whose objects contain a dynamic
    /// attribute cannot be homogeneous collections (see [`crate::Block::implied_type`]).
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(e) | Type::Set(e) | Type::Map(e) => e.has_dynamic(),
            Type::Object(attrs) => attrs.values().any(Type::has_dynamic),
            Type::Tuple(elems) => elems.iter().any(Type::has_dynamic),
        }
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(e) | Type::Set(e) | Type::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The type of a child of a value of this type: element `index` of a tuple, attribute
    /// `name` of an object, the element type of a collection; `dynamic` when unknown.
    pub(crate) fn child(&self, index: usize, name: Option<&str>) -> &Type {
        static DYNAMIC: Type = Type::Dynamic;
        match self {
            Type::List(e) | Type::Set(e) | Type::Map(e) => e,
            Type::Tuple(types) => types.get(index).unwrap_or(&DYNAMIC),
            Type::Object(attrs) => name.and_then(|n| attrs.get(n)).unwrap_or(&DYNAMIC),
            _ => &DYNAMIC,
        }
    }

    /// Short description for error messages, in go-cty's wording ("list of string").
    pub fn friendly_name(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Dynamic => "dynamic".into(),
            Type::List(e) => format!("list of {}", e.friendly_name()),
            Type::Set(e) => format!("set of {}", e.friendly_name()),
            Type::Map(e) => format!("map of {}", e.friendly_name()),
            Type::Object(_) => "object".into(),
            Type::Tuple(_) => "tuple".into(),
        }
    }
}
