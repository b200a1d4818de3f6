//! Typed models: one Rust struct per Terraform object (`#[derive(Model)]`).
//!
//! terraform-plugin-framework pairs a schema with a struct tagged `tfsdk:"name"` and matches
//! them by reflection at run time. Here the struct is the schema: the derive reads field names,
//! types, doc comments and `#[tf(...)]` options at compile time and generates the schema, the
//! codecs and the plan-time twin, so an attribute name is written exactly once.
//!
//! Two views of every model exist because Terraform hands providers two kinds of values:
//! state (wholly known; the model itself, with `Option` where null is possible) and
//! configuration or plans (any attribute may be unknown; [`Model::Plan`], where each attribute
//! is a [`Known`] or a nested plan). [`Plannable`] maps each field type to its plan-time type.
//!
//! The functions at the bottom are what the generated code calls; they are public for the
//! derive, not for resource code.

use std::collections::BTreeMap;
use std::fmt::Debug;

use tfprotocol::{AttributePath, Diagnostic, Number, Type, Value};

use crate::convert::{mismatch, FromValue, Known, Set, ToValue};
use crate::schema::BlockSchema;

/// A Terraform object declared as a Rust struct; implement it with `#[derive(Model)]`.
pub trait Model: FromValue + ToValue + TfType + Plannable + Send + Sync + Sized + 'static {
    /// The plan-time twin: the same attributes, each of which may be null or unknown.
    type Plan: FromValue + ToValue + Clone + Debug + PartialEq + Send + Sync + 'static;

    /// The attribute and block names, in declaration order.
    const NAMES: &'static [&'static str];

    /// The schema: attributes and nested blocks with their behaviours.
    fn block() -> BlockSchema;

    /// This (known) object as a plan value.
    fn plan(&self) -> Self::Plan;
}

/// The plan-time twin of a model.
pub type Plan<M> = <M as Model>::Plan;

/// The cty type of a Rust value type.
pub trait TfType {
    fn tf_type() -> Type;
}

impl TfType for String {
    fn tf_type() -> Type {
        Type::String
    }
}

impl TfType for bool {
    fn tf_type() -> Type {
        Type::Bool
    }
}

impl TfType for i64 {
    fn tf_type() -> Type {
        Type::Number
    }
}

impl TfType for Number {
    fn tf_type() -> Type {
        Type::Number
    }
}

/// A dynamically typed attribute.
impl TfType for Value {
    fn tf_type() -> Type {
        Type::Dynamic
    }
}

impl<T: TfType> TfType for Option<T> {
    fn tf_type() -> Type {
        T::tf_type()
    }
}

impl<T: TfType> TfType for Known<T> {
    fn tf_type() -> Type {
        T::tf_type()
    }
}

impl<T: TfType> TfType for Vec<T> {
    fn tf_type() -> Type {
        Type::list(T::tf_type())
    }
}

impl<T: TfType> TfType for Set<T> {
    fn tf_type() -> Type {
        Type::set(T::tf_type())
    }
}

impl<T: TfType> TfType for BTreeMap<String, T> {
    fn tf_type() -> Type {
        Type::map(T::tf_type())
    }
}

/// A value type's plan-time form: what it becomes when it may be null or unknown.
pub trait Plannable {
    type PlanType: PlanValue;

    fn to_plan(&self) -> Self::PlanType;
}

/// A plan-time value: can be null or unknown.
pub trait PlanValue:
    FromValue + ToValue + Clone + Debug + PartialEq + Send + Sync + 'static
{
    fn null() -> Self;
    fn unknown() -> Self;
}

impl<T> PlanValue for Known<T>
where
    T: FromValue + ToValue + Clone + Debug + PartialEq + Send + Sync + 'static,
{
    fn null() -> Self {
        Known::Null
    }

    fn unknown() -> Self {
        Known::Unknown
    }
}

impl PlanValue for Value {
    fn null() -> Self {
        Value::Null
    }

    fn unknown() -> Self {
        Value::unknown()
    }
}

macro_rules! plannable_leaf {
    ($($t:ty),*) => {$(
        impl Plannable for $t {
            type PlanType = Known<$t>;

            fn to_plan(&self) -> Known<$t> {
                Known::Value(self.clone())
            }
        }
    )*};
}

plannable_leaf!(String, bool, i64, Number);

impl Plannable for Value {
    type PlanType = Value;

    fn to_plan(&self) -> Value {
        self.clone()
    }
}

/// Null is a plan value of every type, so an optional value plans as its inner type.
impl<T: Plannable> Plannable for Option<T> {
    type PlanType = T::PlanType;

    fn to_plan(&self) -> T::PlanType {
        self.as_ref()
            .map_or_else(<T::PlanType as PlanValue>::null, T::to_plan)
    }
}

impl<T: Plannable> Plannable for Vec<T> {
    type PlanType = Known<Vec<T::PlanType>>;

    fn to_plan(&self) -> Self::PlanType {
        Known::Value(self.iter().map(T::to_plan).collect())
    }
}

impl<T: Plannable> Plannable for Set<T> {
    type PlanType = Known<Set<T::PlanType>>;

    fn to_plan(&self) -> Self::PlanType {
        Known::Value(Set(self.0.iter().map(T::to_plan).collect()))
    }
}

impl<T: Plannable> Plannable for BTreeMap<String, T> {
    type PlanType = Known<BTreeMap<String, T::PlanType>>;

    fn to_plan(&self) -> Self::PlanType {
        Known::Value(self.iter().map(|(k, v)| (k.clone(), v.to_plan())).collect())
    }
}

/// For generated code: the attributes of an object value; anything else is a mismatch.
pub fn object_entries<'a>(
    value: &'a Value,
    path: &AttributePath,
) -> Result<&'a BTreeMap<String, Value>, Diagnostic> {
    match value {
        Value::Object(entries) => Ok(entries),
        other => Err(mismatch(path, "an object", other)),
    }
}

/// For generated code: one attribute converted (an absent attribute reads as null).
pub fn field<T: FromValue>(
    entries: &BTreeMap<String, Value>,
    name: &str,
    path: &AttributePath,
) -> Result<T, Diagnostic> {
    T::from_value(
        entries.get(name).unwrap_or(&Value::Null),
        &path.clone().attribute(name),
    )
}

/// For generated code: an object value from its attributes.
pub fn object<const N: usize>(attributes: [(&str, Value); N]) -> Value {
    Value::Object(
        attributes
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}
