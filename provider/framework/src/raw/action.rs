//! The action trait at the value level (providers implement the typed [`crate::Action`];
//! Terraform 1.14+: `action` blocks, `terraform apply -invoke=...`).
//!
//! Actions have no state: plan may only return diagnostics, and invoke reports progress
//! as it runs. The framework always ends the event stream with one completion event, which
//! core requires.

use async_trait::async_trait;
use tfplugin_proto::tfplugin6::invoke_action::{event, Event};
use tfprotocol::{Diagnostics, Value};
use tokio::sync::mpsc;

use crate::provider::Context;
use crate::schema::BlockSchema;

#[async_trait]
pub trait Action<D: Send + Sync + 'static>: Send + Sync + 'static {
    fn type_name(&self) -> &str;

    fn schema(&self) -> BlockSchema;

    /// Cross-attribute checks of a configuration that may contain unknowns.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Plan-time checks; `data` is absent when the provider configuration is not known yet.
    async fn plan(&self, _ctx: &Context, _data: Option<&D>, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Runs the action, reporting progress; the returned diagnostics complete the stream.
    async fn invoke(
        &self,
        ctx: &Context,
        data: &D,
        config: &Value,
        progress: &ProgressSender,
    ) -> Diagnostics;
}

/// Sends progress messages to Terraform while an action runs.
#[derive(Clone, Debug)]
pub struct ProgressSender {
    tx: mpsc::Sender<Result<Event, tonic::Status>>,
}

impl ProgressSender {
    pub(crate) fn new(tx: mpsc::Sender<Result<Event, tonic::Status>>) -> Self {
        ProgressSender { tx }
    }

    /// Shown in the console as the action runs. A closed stream (Terraform went away) is
    /// ignored; the action notices through its [`Context`].
    pub async fn send(&self, message: impl Into<String>) {
        let event = Event {
            r#type: Some(event::Type::Progress(event::Progress {
                message: message.into(),
            })),
        };
        // An error only means Terraform stopped listening.
        let _ = self.tx.send(Ok(event)).await;
    }
}
