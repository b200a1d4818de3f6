//! The typed data source trait and its adapter to [`raw::DataSource`].

use std::sync::Arc;

use async_trait::async_trait;
use tfprotocol::{AttributePath, Diagnostics, Value};

use crate::convert::{FromValue, ToValue};
use crate::model::{Model, Plan};
use crate::provider::Context;
use crate::raw;
use crate::schema::BlockSchema;

/// A data source type. The framework checks the result: wholly known, and every
/// non-computed attribute equal to its configured value.
#[async_trait]
pub trait DataSource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// Arguments and results; the model's doc comment is the description.
    type Model: Model;

    /// The full type name, e.g. `hotpatch_status`.
    const TYPE_NAME: &'static str;

    /// Cross-attribute checks of a configuration that may contain unknowns.
    fn validate(&self, _config: &Plan<Self::Model>, _diags: &mut Diagnostics) {}

    /// Reads the data; `config` is wholly known (core defers reads with unknown config), its
    /// computed attributes null.
    async fn read(
        &self,
        ctx: &Context,
        data: &D,
        config: &Self::Model,
    ) -> (Option<Self::Model>, Diagnostics);
}

/// Registers a typed data source with the server.
pub fn data_source<D, S>(source: S) -> Arc<dyn raw::DataSource<D>>
where
    D: Send + Sync + 'static,
    S: DataSource<D>,
{
    Arc::new(Adapter(source))
}

struct Adapter<S>(S);

#[async_trait]
impl<D, S> raw::DataSource<D> for Adapter<S>
where
    D: Send + Sync + 'static,
    S: DataSource<D>,
{
    fn type_name(&self) -> &str {
        S::TYPE_NAME
    }

    fn schema(&self) -> BlockSchema {
        S::Model::block()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        match Plan::<S::Model>::from_value(config, &AttributePath::root()) {
            Ok(config) => self.0.validate(&config, diags),
            Err(d) => diags.push(d),
        }
    }

    async fn read(&self, ctx: &Context, data: &D, config: &Value) -> (Option<Value>, Diagnostics) {
        match S::Model::from_value(config, &AttributePath::root()) {
            Ok(config) => {
                let (state, diags) = self.0.read(ctx, data, &config).await;
                (state.map(|s| s.to_value()), diags)
            }
            Err(d) => (None, d.into()),
        }
    }
}
