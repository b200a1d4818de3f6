//! Resource identities as models: `type Identity = SomeModel` on a resource, or `()` for none.
//!
//! An identity is a small object that names one remote object for good (Terraform 1.12+). It
//! is declared with `#[derive(Model)]` like everything else: `required` attributes are
//! required for import, `optional` ones are optional for import.

use tfprotocol::{AttributePath, Diagnostic, Value};

use crate::convert::ToValue;
use crate::model::{Model, Plan};
use crate::schema::{IdentityAttribute, IdentitySchema};

/// What a resource's `Identity` type can be: a model, or `()` for none.
pub trait IdentityModel: Send + Sync + Sized + 'static {
    /// The identity as plans carry it (values may be unknown on create).
    type Plan: Send + Sync;

    /// The identity schema at `version`; None for no identity.
    fn schema(version: i64) -> Option<IdentitySchema>;

    fn plan_value(plan: &Self::Plan) -> Value;

    /// Reads an identity Terraform sent (import by identity).
    fn decode(value: &Value) -> Result<Self, Diagnostic>;
}

impl<M: Model> IdentityModel for M {
    type Plan = Plan<M>;

    fn schema(version: i64) -> Option<IdentitySchema> {
        let attributes = M::block()
            .attributes
            .into_iter()
            .map(|a| {
                let attribute = if a.required {
                    IdentityAttribute::required(a.name.clone(), a.value_type())
                } else {
                    IdentityAttribute::optional(a.name.clone(), a.value_type())
                };
                attribute.description(a.description)
            })
            .collect();
        Some(IdentitySchema::new(version, attributes))
    }

    fn plan_value(plan: &Plan<M>) -> Value {
        plan.to_value()
    }

    fn decode(value: &Value) -> Result<M, Diagnostic> {
        M::from_value(value, &AttributePath::root())
    }
}

/// No identity.
impl IdentityModel for () {
    type Plan = ();

    fn schema(_version: i64) -> Option<IdentitySchema> {
        None
    }

    fn plan_value(_plan: &()) -> Value {
        Value::Null
    }

    fn decode(_value: &Value) -> Result<(), Diagnostic> {
        Ok(())
    }
}
