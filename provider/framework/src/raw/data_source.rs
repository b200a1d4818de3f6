//! The data source trait at the value level (providers implement the typed
//! [`crate::DataSource`]).

use async_trait::async_trait;
use tfprotocol::{Diagnostics, Value};

use crate::provider::Context;
use crate::schema::BlockSchema;

/// A data source type. The framework checks the result: wholly known, and every
/// non-computed attribute equal to its configured value.
#[async_trait]
pub trait DataSource<D: Send + Sync + 'static>: Send + Sync + 'static {
    fn type_name(&self) -> &str;

    fn schema(&self) -> BlockSchema;

    /// Cross-attribute checks of a configuration that may contain unknowns.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Reads the data; `config` is wholly known (core defers reads with unknown config).
    async fn read(&self, ctx: &Context, data: &D, config: &Value) -> (Option<Value>, Diagnostics);
}
