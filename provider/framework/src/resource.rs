//! The typed managed-resource trait and its adapter to the value-level [`raw::Resource`].
//!
//! A resource names its model (`#[derive(Model)]`) and writes CRUD against it; the adapter
//! decodes Terraform's values into the model (diagnostics name the attribute on a mismatch),
//! encodes results back, and does what every resource needs the same way: the `timeouts`
//! block (schema, carried from configuration into plan and state, deadline of each operation),
//! and identities.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use tfprotocol::json::Json;
use tfprotocol::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::convert::{FromValue, ToValue};
use crate::identity::IdentityModel;
use crate::model::{Model, Plan};
use crate::provider::Context;
use crate::raw;
use crate::schema::{IdentitySchema, ResourceSchema};
use crate::timeouts::{Operation, TimeoutDefaults, TIMEOUTS};
use crate::values::null_unknowns;

/// What [`Resource::modify_plan`] sees. The framework has already applied defaults, nulled
/// write-only attributes and marked computed attributes unknown.
#[derive(Clone, Copy, Debug)]
pub struct PlanRequest<'a, M: Model> {
    /// None on create.
    pub prior: Option<&'a M>,
    /// May contain unknown values.
    pub config: &'a Plan<M>,
    /// Core's merge of config and prior state.
    pub proposed: &'a Plan<M>,
}

impl<M: Model> PlanRequest<'_, M> {
    pub fn is_create(&self) -> bool {
        self.prior.is_none()
    }
}

/// The values of a create or update. Unknown values of the plan (computed attributes the
/// hook fills in) read as null.
#[derive(Clone, Copy, Debug)]
pub struct ApplyRequest<'a, M> {
    /// None on create.
    pub prior: Option<&'a M>,
    pub planned: &'a M,
    /// Holds write-only attributes' values.
    pub config: &'a M,
}

/// What to import: an ID (`terraform import`, `import { id = ... }`) or an identity
/// (`import { identity = { ... } }`, then `id` is empty).
#[derive(Clone, Copy, Debug)]
pub struct ImportRequest<'a, I> {
    pub id: &'a str,
    pub identity: Option<&'a I>,
}

/// A managed resource type. `D` is the provider's configured data.
#[async_trait]
pub trait Resource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The attributes; the model's doc comment is the resource's description.
    type Model: Model;

    /// The resource identity model, or `()` for none. With one, the framework returns an
    /// identity from every plan, apply, read and import, and import by identity and list
    /// resources of this type work.
    type Identity: IdentityModel;

    /// The full type name, e.g. `hotpatch_enrollment`.
    const TYPE_NAME: &'static str;

    /// The schema version (bumped with a state upgrader).
    const VERSION: i64 = 0;

    /// The identity schema version.
    const IDENTITY_VERSION: i64 = 0;

    /// Defaults of the `timeouts` block.
    fn timeouts(&self) -> TimeoutDefaults {
        TimeoutDefaults::default()
    }

    /// The identity of the object `state` describes (`()` without an identity model).
    /// During plan `state` may contain unknowns; so may the result on create.
    fn identity(&self, state: &Plan<Self::Model>) -> <Self::Identity as IdentityModel>::Plan;

    /// Cross-attribute checks of a configuration that may contain unknowns.
    fn validate(&self, _config: &Plan<Self::Model>, _diags: &mut Diagnostics) {}

    /// Plan-time checks and computed values. `data` is absent when the provider
    /// configuration is not known yet. Not called for destroys or when nothing changed.
    /// Any value that depends on something unknown must be left unknown; the framework
    /// verifies the result against Terraform's plan rules.
    async fn modify_plan(
        &self,
        _ctx: &Context,
        _data: Option<&D>,
        _req: PlanRequest<'_, Self::Model>,
        _planned: &mut Plan<Self::Model>,
        _diags: &mut Diagnostics,
    ) {
    }

    /// Creates the object. Whenever ARM may have accepted a write, return the object's state
    /// with the error, so Terraform records it (and taints it).
    async fn create(
        &self,
        ctx: &Context,
        data: &D,
        req: ApplyRequest<'_, Self::Model>,
    ) -> (Option<Self::Model>, Diagnostics);

    /// Reads the remote object; `None` means it no longer exists.
    async fn read(
        &self,
        ctx: &Context,
        data: &D,
        current: &Self::Model,
    ) -> (Option<Self::Model>, Diagnostics);

    /// Updates the object in place; partial failures return the state reached plus errors.
    async fn update(
        &self,
        ctx: &Context,
        data: &D,
        req: ApplyRequest<'_, Self::Model>,
    ) -> (Option<Self::Model>, Diagnostics);

    async fn delete(&self, ctx: &Context, data: &D, prior: &Self::Model) -> Diagnostics;

    /// Returns the state of the object to import (Terraform reads it again next).
    async fn import(
        &self,
        _ctx: &Context,
        _data: &D,
        _req: ImportRequest<'_, Self::Identity>,
    ) -> (Option<Self::Model>, Diagnostics) {
        let d = Diagnostic::error(
            "Resource import not supported",
            format!(
                "The resource type {} does not support import.",
                Self::TYPE_NAME
            ),
        );
        (None, d.into())
    }

    /// Upgrades stored state JSON from schema version `from_version` to `from_version + 1`.
    fn upgrade_state(&self, from_version: i64, _state: Json) -> Result<Json, Diagnostics> {
        Err(no_upgrader(Self::TYPE_NAME, "state", from_version))
    }

    /// Upgrades stored identity JSON from `from_version` to `from_version + 1`.
    fn upgrade_identity(&self, from_version: i64, _identity: Json) -> Result<Json, Diagnostics> {
        Err(no_upgrader(Self::TYPE_NAME, "identity", from_version))
    }
}

fn no_upgrader(type_name: &str, what: &str, from_version: i64) -> Diagnostics {
    Diagnostic::error(
        format!("Unable to upgrade resource {what}"),
        format!(
            "The resource type {type_name} has no {what} upgrader from version {from_version}. This is a bug in the provider."
        ),
    )
    .into()
}

/// Registers a typed resource with the server.
pub fn resource<D, R>(resource: R) -> Arc<dyn raw::Resource<D>>
where
    D: Send + Sync + 'static,
    R: Resource<D>,
{
    Arc::new(Adapter(resource))
}

struct Adapter<R>(R);

fn decode<T: FromValue>(value: &Value, what: &str) -> Result<T, Diagnostic> {
    T::from_value(value, &AttributePath::root()).map_err(|mut d| {
        d.detail = format!("Reading the {what}: {}", d.detail);
        d
    })
}

fn decode_optional<T: FromValue>(value: &Value, what: &str) -> Result<Option<T>, Diagnostic> {
    if value.is_null() {
        Ok(None)
    } else {
        decode(value, what).map(Some)
    }
}

/// `value` with `from`'s `timeouts` block: the block is configuration the framework owns,
/// carried into plans and states that the model does not describe.
fn with_timeouts(mut value: Value, from: &Value) -> Value {
    let timeouts = from.attr(TIMEOUTS).cloned().unwrap_or(Value::Null);
    if let Value::Object(attrs) = &mut value {
        attrs.insert(TIMEOUTS.to_owned(), timeouts);
    }
    value
}

/// The state a hook returned, encoded, with the timeouts block of `from`.
fn state_value<M: Model>(state: Option<M>, from: &Value) -> Option<Value> {
    state.map(|s| with_timeouts(s.to_value(), from))
}

impl<R> Adapter<R> {
    /// A context bounded by the resource's timeout for `op`, as set on `object`.
    fn bounded<D>(
        &self,
        ctx: &Context,
        object: &Value,
        op: Operation,
    ) -> (Context, tokio_util::sync::DropGuard)
    where
        D: Send + Sync + 'static,
        R: Resource<D>,
    {
        ctx.with_timeout(self.0.timeouts().effective(object, op))
    }
}

#[async_trait]
impl<D, R> raw::Resource<D> for Adapter<R>
where
    D: Send + Sync + 'static,
    R: Resource<D>,
{
    fn type_name(&self) -> &str {
        R::TYPE_NAME
    }

    fn schema(&self) -> ResourceSchema {
        let block = R::Model::block().block(self.0.timeouts().block());
        ResourceSchema::new(R::VERSION, block)
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        R::Identity::schema(R::IDENTITY_VERSION)
    }

    fn identity(&self, state: &Value) -> Value {
        match Plan::<R::Model>::from_value(state, &AttributePath::root()) {
            Ok(state) => R::Identity::plan_value(&self.0.identity(&state)),
            Err(_) => Value::Null,
        }
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        match decode::<Plan<R::Model>>(config, "configuration") {
            Ok(config) => self.0.validate(&config, diags),
            Err(d) => diags.push(d),
        }
    }

    async fn modify_plan(
        &self,
        ctx: &Context,
        data: Option<&D>,
        req: &raw::PlanRequest<'_>,
        planned: &mut Value,
        diags: &mut Diagnostics,
    ) {
        let decoded = (|| {
            Ok::<_, Diagnostic>((
                decode_optional::<R::Model>(req.prior, "prior state")?,
                decode::<Plan<R::Model>>(req.config, "configuration")?,
                decode::<Plan<R::Model>>(req.proposed, "proposed new state")?,
                decode::<Plan<R::Model>>(planned, "planned state")?,
            ))
        })();
        let (prior, config, proposed, mut typed) = match decoded {
            Ok(v) => v,
            Err(d) => return diags.push(d),
        };
        let typed_req = PlanRequest {
            prior: prior.as_ref(),
            config: &config,
            proposed: &proposed,
        };
        self.0
            .modify_plan(ctx, data, typed_req, &mut typed, diags)
            .await;
        *planned = with_timeouts(typed.to_value(), planned);
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &D,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        self.apply(ctx, data, req, Operation::Create).await
    }

    async fn read(&self, ctx: &Context, data: &D, current: &Value) -> (Option<Value>, Diagnostics) {
        let typed = match decode::<R::Model>(current, "current state") {
            Ok(m) => m,
            Err(d) => return (Some(current.clone()), d.into()),
        };
        let (ctx, _guard) = self.bounded(ctx, current, Operation::Read);
        let (state, diags) = self.0.read(&ctx, data, &typed).await;
        (state_value(state, current), diags)
    }

    async fn update(
        &self,
        ctx: &Context,
        data: &D,
        req: &raw::ApplyRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        self.apply(ctx, data, req, Operation::Update).await
    }

    async fn delete(&self, ctx: &Context, data: &D, prior: &Value) -> Diagnostics {
        let typed = match decode::<R::Model>(prior, "prior state") {
            Ok(m) => m,
            Err(d) => return d.into(),
        };
        let (ctx, _guard) = self.bounded(ctx, prior, Operation::Delete);
        self.0.delete(&ctx, data, &typed).await
    }

    async fn import(
        &self,
        ctx: &Context,
        data: &D,
        req: &raw::ImportRequest<'_>,
    ) -> (Option<Value>, Diagnostics) {
        let identity = match req.identity.map(R::Identity::decode).transpose() {
            Ok(i) => i,
            Err(d) => return (None, d.into()),
        };
        let typed = ImportRequest {
            id: req.id,
            identity: identity.as_ref(),
        };
        let (ctx, _guard) = self.bounded(ctx, &Value::Null, Operation::Read);
        let (state, diags) = self.0.import(&ctx, data, typed).await;
        (state_value(state, &Value::Null), diags)
    }

    fn upgrade_state(&self, from_version: i64, state: Json) -> Result<Json, Diagnostics> {
        self.0.upgrade_state(from_version, state)
    }

    fn upgrade_identity(&self, from_version: i64, identity: Json) -> Result<Json, Diagnostics> {
        self.0.upgrade_identity(from_version, identity)
    }
}

/// Whether an update changes nothing but the `timeouts` block. The block is the framework's,
/// not the remote object's, so such an update has nothing to write: the planned state is the
/// new state and the resource's `update` is not called (every resource would otherwise have to
/// tell this case apart itself).
fn only_timeouts_changed(prior: &Value, planned: &Value) -> bool {
    fn others(o: &BTreeMap<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
        o.iter().filter(|(name, _)| name.as_str() != TIMEOUTS)
    }
    match (prior, planned) {
        (Value::Object(prior), Value::Object(planned)) => others(prior).eq(others(planned)),
        _ => false,
    }
}

impl<R> Adapter<R> {
    async fn apply<D>(
        &self,
        ctx: &Context,
        data: &D,
        req: &raw::ApplyRequest<'_>,
        op: Operation,
    ) -> (Option<Value>, Diagnostics)
    where
        D: Send + Sync + 'static,
        R: Resource<D>,
    {
        if op == Operation::Update && only_timeouts_changed(req.prior, req.planned) {
            return (Some(req.planned.clone()), Diagnostics::new());
        }
        let decoded = (|| {
            Ok::<_, Diagnostic>((
                decode_optional::<R::Model>(req.prior, "prior state")?,
                decode::<R::Model>(&null_unknowns(req.planned.clone()), "planned state")?,
                decode::<R::Model>(&null_unknowns(req.config.clone()), "configuration")?,
            ))
        })();
        let (prior, planned, config) = match decoded {
            Ok(v) => v,
            Err(d) => return (None, d.into()),
        };
        let typed = ApplyRequest {
            prior: prior.as_ref(),
            planned: &planned,
            config: &config,
        };
        let (ctx, _guard) = self.bounded(ctx, req.planned, op);
        let (state, diags) = match op {
            Operation::Create => self.0.create(&ctx, data, typed).await,
            _ => self.0.update(&ctx, data, typed).await,
        };
        (state_value(state, req.planned), diags)
    }
}
