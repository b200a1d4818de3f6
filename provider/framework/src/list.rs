//! The typed list resource trait (`terraform query`, Terraform 1.14+) and its adapter to
//! [`raw::ListResource`].
//!
//! A list resource shares its type name with a managed resource; every result carries that
//! resource's identity (so it can be imported) and optionally its full state object, typed as
//! the resource's own models.

use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use tfprotocol::{AttributePath, Diagnostics, Value};

use crate::convert::FromValue;
use crate::model::{Model, Plan};
use crate::provider::Context;
use crate::raw;
use crate::schema::BlockSchema;

/// The arguments of one `list` block.
#[derive(Clone, Copy, Debug)]
pub struct ListRequest<'a, C> {
    pub config: &'a C,
    /// Whether results should carry the full resource object.
    pub include_resource_object: bool,
    /// The most results Terraform wants.
    pub limit: i64,
}

/// One found object.
#[derive(Clone, Debug)]
pub struct ListResult<M, I> {
    pub identity: I,
    pub display_name: String,
    /// The managed resource's state; sent only when the request asked for it.
    pub resource_object: Option<M>,
    /// Problems with this one result.
    pub diagnostics: Diagnostics,
}

#[async_trait]
pub trait ListResource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The `config` block of `list` blocks.
    type Config: Model;
    /// The managed resource's model.
    type Model: Model;
    /// The managed resource's identity model.
    type Identity: Model;

    /// Equals the managed resource type listed.
    const TYPE_NAME: &'static str;

    /// Cross-attribute checks of a configuration that may contain unknowns.
    fn validate(&self, _config: &Plan<Self::Config>, _diags: &mut Diagnostics) {}

    /// Finds objects and pushes them into `sink` until it returns false (limit reached or
    /// Terraform gone). Returned diagnostics end the stream.
    async fn list(
        &self,
        ctx: &Context,
        data: &D,
        req: ListRequest<'_, Self::Config>,
        sink: &mut ListSink<'_, Self::Model, Self::Identity>,
    ) -> Diagnostics;
}

/// Where a list resource pushes its results.
pub struct ListSink<'a, M, I> {
    raw: &'a mut raw::ListSink,
    _types: PhantomData<fn(M, I)>,
}

impl<M: Model, I: Model> ListSink<'_, M, I> {
    /// Streams one result; false means stop listing.
    pub async fn push(&mut self, result: ListResult<M, I>) -> bool {
        self.raw
            .push(raw::ListResult {
                identity: result.identity.to_value(),
                display_name: result.display_name,
                resource_object: result.resource_object.map(|m| m.to_value()),
                diagnostics: result.diagnostics,
            })
            .await
    }

    /// How many more results Terraform wants.
    pub fn remaining(&self) -> i64 {
        self.raw.remaining()
    }
}

/// Registers a typed list resource with the server.
pub fn list_resource<D, L>(list: L) -> Arc<dyn raw::ListResource<D>>
where
    D: Send + Sync + 'static,
    L: ListResource<D>,
{
    Arc::new(Adapter(list))
}

struct Adapter<L>(L);

#[async_trait]
impl<D, L> raw::ListResource<D> for Adapter<L>
where
    D: Send + Sync + 'static,
    L: ListResource<D>,
{
    fn type_name(&self) -> &str {
        L::TYPE_NAME
    }

    fn config_schema(&self) -> BlockSchema {
        L::Config::block()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        match Plan::<L::Config>::from_value(config, &AttributePath::root()) {
            Ok(config) => self.0.validate(&config, diags),
            Err(d) => diags.push(d),
        }
    }

    async fn list(
        &self,
        ctx: &Context,
        data: &D,
        req: &raw::ListRequest,
        sink: &mut raw::ListSink,
    ) -> Diagnostics {
        let config = match L::Config::from_value(&req.config, &AttributePath::root()) {
            Ok(c) => c,
            Err(d) => return d.into(),
        };
        let typed = ListRequest {
            config: &config,
            include_resource_object: req.include_resource_object,
            limit: req.limit,
        };
        let mut sink = ListSink {
            raw: sink,
            _types: PhantomData,
        };
        self.0.list(ctx, data, typed, &mut sink).await
    }
}
