//! The typed action trait and its adapter to [`raw::Action`] (Terraform 1.14+: `action`
//! blocks, `terraform apply -invoke=...`).

use std::sync::Arc;

use async_trait::async_trait;
use tfprotocol::{AttributePath, Diagnostics, Value};

use crate::convert::FromValue;
use crate::model::{Model, Plan};
use crate::provider::Context;
use crate::raw::{self, ProgressSender};
use crate::schema::BlockSchema;

#[async_trait]
pub trait Action<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The action's arguments; the model's doc comment is the description.
    type Config: Model;

    /// The full type name, e.g. `hotpatch_install`.
    const TYPE_NAME: &'static str;

    /// Cross-attribute checks of a configuration that may contain unknowns.
    fn validate(&self, _config: &Plan<Self::Config>, _diags: &mut Diagnostics) {}

    /// Plan-time checks; `data` is absent when the provider configuration is not known yet.
    async fn plan(
        &self,
        _ctx: &Context,
        _data: Option<&D>,
        _config: &Plan<Self::Config>,
    ) -> Diagnostics {
        Diagnostics::new()
    }

    /// Runs the action, reporting progress; the returned diagnostics complete the stream.
    async fn invoke(
        &self,
        ctx: &Context,
        data: &D,
        config: &Self::Config,
        progress: &ProgressSender,
    ) -> Diagnostics;
}

/// Registers a typed action with the server.
pub fn action<D, A>(action: A) -> Arc<dyn raw::Action<D>>
where
    D: Send + Sync + 'static,
    A: Action<D>,
{
    Arc::new(Adapter(action))
}

struct Adapter<A>(A);

#[async_trait]
impl<D, A> raw::Action<D> for Adapter<A>
where
    D: Send + Sync + 'static,
    A: Action<D>,
{
    fn type_name(&self) -> &str {
        A::TYPE_NAME
    }

    fn schema(&self) -> BlockSchema {
        A::Config::block()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        match Plan::<A::Config>::from_value(config, &AttributePath::root()) {
            Ok(config) => self.0.validate(&config, diags),
            Err(d) => diags.push(d),
        }
    }

    async fn plan(&self, ctx: &Context, data: Option<&D>, config: &Value) -> Diagnostics {
        match Plan::<A::Config>::from_value(config, &AttributePath::root()) {
            Ok(config) => self.0.plan(ctx, data, &config).await,
            Err(d) => d.into(),
        }
    }

    async fn invoke(
        &self,
        ctx: &Context,
        data: &D,
        config: &Value,
        progress: &ProgressSender,
    ) -> Diagnostics {
        match A::Config::from_value(config, &AttributePath::root()) {
            Ok(config) => self.0.invoke(ctx, data, &config, progress).await,
            Err(d) => d.into(),
        }
    }
}
