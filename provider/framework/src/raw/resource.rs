//! The managed resource trait at the value level, which the server dispatches to.
//!
//! A resource supplies its schema and CRUD; the framework owns every protocol rule around
//! them (plan shape, unknown marking, replacement, apply consistency, identity encoding), so
//! the hooks below only ever deal with one object's values. Providers implement the typed
//! [`crate::Resource`] instead, which adapts into this.

use async_trait::async_trait;
use tfprotocol::json::Json;
use tfprotocol::{Diagnostic, Diagnostics, Value};

use crate::provider::Context;
use crate::schema::{IdentitySchema, ResourceSchema};

/// What [`Resource::modify_plan`] sees. The framework has already applied defaults, nulled
/// write-only attributes and marked computed attributes unknown.
#[derive(Clone, Copy, Debug)]
pub struct PlanRequest<'a> {
    /// Null on create.
    pub prior: &'a Value,
    /// May contain unknown values.
    pub config: &'a Value,
    /// Core's merge of config and prior state.
    pub proposed: &'a Value,
}

impl PlanRequest<'_> {
    pub fn is_create(&self) -> bool {
        self.prior.is_null()
    }
}

/// The values of an apply. `prior` is null on create; `planned` may hold unknown values,
/// which the hook must fill in; `config` holds write-only attributes' values.
#[derive(Clone, Copy, Debug)]
pub struct ApplyRequest<'a> {
    pub prior: &'a Value,
    pub planned: &'a Value,
    pub config: &'a Value,
}

/// What to import: an ID (`terraform import`, `import { id = ... }`) or an identity
/// (`import { identity = { ... } }`, then `id` is empty).
#[derive(Clone, Copy, Debug)]
pub struct ImportRequest<'a> {
    pub id: &'a str,
    pub identity: Option<&'a Value>,
}

/// A managed resource type. `D` is the provider's configured data.
#[async_trait]
pub trait Resource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name, e.g. `hotpatch_enrollment`.
    fn type_name(&self) -> &str;

    fn schema(&self) -> ResourceSchema;

    /// Declaring an identity makes the framework return one from every plan, apply, read and
    /// import, and enables import by identity and list resources of this type.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object `state` describes (called only with an identity schema).
    /// During plan `state` may contain unknowns; so may the result on create.
    fn identity(&self, _state: &Value) -> Value {
        Value::Null
    }

    /// Cross-attribute checks of a configuration that may contain unknowns.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Plan-time checks and computed values. `data` is absent when the provider
    /// configuration is not known yet. Not called for destroys or when nothing changed.
    /// Any value that depends on something unknown must be left unknown; the framework
    /// verifies the result against Terraform's plan rules.
    async fn modify_plan(
        &self,
        _ctx: &Context,
        _data: Option<&D>,
        _req: &PlanRequest<'_>,
        _planned: &mut Value,
        _diags: &mut Diagnostics,
    ) {
    }

    /// Creates the object. On a failure after the remote object exists, return its state
    /// with the error so Terraform records (and taints) it.
    async fn create(
        &self,
        ctx: &Context,
        data: &D,
        req: &ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics);

    /// Reads the remote object; `None` means it no longer exists.
    async fn read(&self, ctx: &Context, data: &D, current: &Value) -> (Option<Value>, Diagnostics);

    /// Updates the object in place; partial failures return the state reached plus errors.
    async fn update(
        &self,
        ctx: &Context,
        data: &D,
        req: &ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics);

    async fn delete(&self, ctx: &Context, data: &D, prior: &Value) -> Diagnostics;

    /// Returns a (possibly partial) state for the object; Terraform reads it next.
    async fn import(
        &self,
        _ctx: &Context,
        _data: &D,
        _req: &ImportRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let d = Diagnostic::error(
            "Resource import not supported",
            format!(
                "The resource type {} does not support import.",
                self.type_name()
            ),
        );
        (None, d.into())
    }

    /// Upgrades stored state JSON from schema version `from_version` to `from_version + 1`.
    /// The framework chains calls up to the current version, then decodes leniently. Numbers
    /// in [`Json`] keep their exact text.
    fn upgrade_state(&self, from_version: i64, _state: Json) -> Result<Json, Diagnostics> {
        Err(Diagnostic::error(
            "Unable to upgrade resource state",
            format!(
                "The resource type {} has no state upgrader from schema version {from_version}. This is a bug in the provider.",
                self.type_name()
            ),
        )
        .into())
    }

    /// Upgrades stored identity JSON from `from_version` to `from_version + 1`.
    fn upgrade_identity(&self, from_version: i64, _identity: Json) -> Result<Json, Diagnostics> {
        Err(Diagnostic::error(
            "Unable to upgrade resource identity",
            format!(
                "The resource type {} has no identity upgrader from version {from_version}. This is a bug in the provider.",
                self.type_name()
            ),
        )
        .into())
    }
}
