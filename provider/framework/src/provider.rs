//! The provider trait (provider-level schema and configuration, and the registries of
//! everything the provider offers) and the [`Context`] every hook runs in.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tfprotocol::Diagnostics;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::model::{Model, Plan};
use crate::raw;

/// How long a read-back after a cancelled or timed-out write may take. Short, because the
/// user already asked to stop, and separate, because the write may have landed and state
/// must record it.
pub const RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// Passed to every asynchronous hook: the operation's cancellation and deadline.
///
/// [`Context::stop`] is cancelled when Terraform sends StopProvider (first Ctrl-C), when the
/// process receives SIGTERM, or when the operation's deadline (the resource's `timeouts`)
/// passes. Long operations select on it and return promptly, with whatever state they reached.
#[derive(Clone, Debug)]
pub struct Context {
    pub stop: CancellationToken,
    deadline: Option<Instant>,
}

impl Context {
    /// A context cancelled only through `stop`, with no deadline.
    pub fn new(stop: CancellationToken) -> Self {
        Context {
            stop,
            deadline: None,
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// When the operation must end, if it has a timeout.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the deadline has passed (as opposed to Terraform asking to stop).
    pub fn timed_out(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// A child context that is also cancelled after `timeout`. Keep the guard for as long as
    /// the operation runs: dropping it ends the timer.
    pub fn with_timeout(&self, timeout: Duration) -> (Context, DropGuard) {
        let deadline = Instant::now() + timeout;
        let deadline = self.deadline.map_or(deadline, |d| d.min(deadline));
        let child = self.stop.child_token();
        let timer = child.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => timer.cancel(),
                _ = timer.cancelled() => {}
            }
        });
        let ctx = Context {
            stop: child.clone(),
            deadline: Some(deadline),
        };
        (ctx, child.drop_guard())
    }

    /// A fresh context for recording what a cancelled or timed-out write left behind: not
    /// tied to this one's cancellation, bounded by [`RECOVERY_TIMEOUT`].
    pub fn recovery(&self) -> (Context, DropGuard) {
        Context::new(CancellationToken::new()).with_timeout(RECOVERY_TIMEOUT)
    }
}

/// A Terraform provider built on the framework.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The `provider` block; its doc comment is the provider's description.
    type Config: Model;

    /// What [`Provider::configure`] produces (typically an API client), handed to every
    /// resource, data source, action and list resource.
    type Data: Send + Sync + 'static;

    /// The provider's local name, e.g. `hotpatch`.
    fn type_name(&self) -> &str;

    /// Extra checks of the provider block; the config may contain unknown values, which
    /// must not produce errors.
    fn validate_config(&self, _config: &Plan<Self::Config>, _diags: &mut Diagnostics) {}

    /// Builds the provider data. Only called with a wholly known configuration: when the
    /// provider block depends on values unknown until apply, the framework records that
    /// and resource hooks that need data report it instead.
    async fn configure(
        &self,
        ctx: &Context,
        config: &Self::Config,
        terraform_version: &str,
    ) -> Result<Self::Data, Diagnostics>;

    /// Register typed resources with [`crate::resource`].
    fn resources(&self) -> Vec<Arc<dyn raw::Resource<Self::Data>>>;

    fn data_sources(&self) -> Vec<Arc<dyn raw::DataSource<Self::Data>>> {
        Vec::new()
    }

    fn actions(&self) -> Vec<Arc<dyn raw::Action<Self::Data>>> {
        Vec::new()
    }

    fn list_resources(&self) -> Vec<Arc<dyn raw::ListResource<Self::Data>>> {
        Vec::new()
    }
}
