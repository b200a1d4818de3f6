//! The provider trait: provider-level schema and configuration, and the registries of
//! everything the provider offers.

use std::sync::Arc;

use async_trait::async_trait;
use tfprotocol::{Diagnostics, Value};
use tokio_util::sync::CancellationToken;

use crate::action::Action;
use crate::data_source::DataSource;
use crate::list::ListResource;
use crate::resource::Resource;
use crate::schema::BlockSchema;

/// Passed to every asynchronous hook. Terraform's StopProvider (first Ctrl-C) cancels
/// [`Context::stop`]; long operations should select on [`CancellationToken::cancelled`]
/// and return an error promptly.
#[derive(Clone, Debug)]
pub struct Context {
    pub stop: CancellationToken,
}

impl Context {
    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }
}

/// A Terraform provider built on the framework.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What [`Provider::configure`] produces (typically an API client), handed to every
    /// resource, data source, action and list resource.
    type Data: Send + Sync + 'static;

    /// The provider's local name, e.g. `hotpatch`.
    fn type_name(&self) -> &str;

    /// The schema of the `provider` block.
    fn schema(&self) -> BlockSchema;

    /// Extra checks of the provider block; the config may contain unknown values, which
    /// must not produce errors.
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Builds the provider data. Only called with a wholly known configuration: when the
    /// provider block depends on values unknown until apply, the framework records that
    /// and resource hooks that need data report it instead.
    async fn configure(
        &self,
        ctx: &Context,
        config: &Value,
        terraform_version: &str,
    ) -> Result<Self::Data, Diagnostics>;

    fn resources(&self) -> Vec<Arc<dyn Resource<Self::Data>>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Self::Data>>> {
        Vec::new()
    }

    fn actions(&self) -> Vec<Arc<dyn Action<Self::Data>>> {
        Vec::new()
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource<Self::Data>>> {
        Vec::new()
    }
}
