//! ValidateActionConfig, PlanAction and InvokeAction.
//!
//! InvokeAction runs the action in its own task and streams its progress; whatever
//! happens (unknown type, undecodable config, unconfigured provider, the action itself
//! failing), the stream ends with exactly one Completed event, because core rejects an
//! empty stream.

use std::sync::Arc;

use tfplugin_proto::tfplugin6 as pb;
use tfprotocol::{Diagnostic, Diagnostics};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::panic_guard::catch_panic;
use super::provider::validate;
use super::{unknown_type, Inner};
use crate::codec;
use crate::provider::Provider;
use crate::raw::ProgressSender;

/// Progress events buffered before the action waits for Terraform to read them.
const EVENT_BUFFER: usize = 16;

impl<P: Provider> Inner<P> {
    pub(super) fn validate_action_config(
        &self,
        req: pb::validate_action_config::Request,
    ) -> pb::validate_action_config::Response {
        let diagnostics = match self.registry().actions.get(&req.type_name) {
            Some(e) => validate(&e.schema, &e.ty, req.config.as_ref(), |c, d| {
                e.handler.validate(c, d)
            }),
            None => Diagnostics::from(unknown_type("action", &req.type_name)).to_proto(),
        };
        pb::validate_action_config::Response { diagnostics }
    }

    pub(super) async fn plan_action(
        &self,
        req: pb::plan_action::Request,
    ) -> pb::plan_action::Response {
        let diags = match self.registry().actions.get(&req.action_type) {
            None => unknown_type("action", &req.action_type).into(),
            Some(e) => match codec::decode(req.config.as_ref(), &e.ty, "action configuration") {
                Err(d) => d.into(),
                Ok(config) => {
                    let data = self.data_opt();
                    e.handler
                        .plan(&self.context(), data.as_deref(), &config)
                        .await
                }
            },
        };
        pb::plan_action::Response {
            diagnostics: diags.to_proto(),
            deferred: None,
        }
    }

    pub(super) fn invoke_action(
        this: &Arc<Self>,
        req: pb::invoke_action::Request,
    ) -> ReceiverStream<Result<pb::invoke_action::Event, Status>> {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let inner = Arc::clone(this);
        tokio::spawn(async move {
            let progress = ProgressSender::new(tx.clone());
            let diags = match catch_panic("InvokeAction", inner.run_action(&req, &progress)).await {
                Ok(Ok(d)) => d,
                Ok(Err(d)) | Err(d) => d.into(),
            };
            let completed = pb::invoke_action::Event {
                r#type: Some(pb::invoke_action::event::Type::Completed(
                    pb::invoke_action::event::Completed {
                        diagnostics: diags.to_proto(),
                    },
                )),
            };
            // An error only means Terraform stopped listening.
            let _ = tx.send(Ok(completed)).await;
        });
        ReceiverStream::new(rx)
    }

    async fn run_action(
        &self,
        req: &pb::invoke_action::Request,
        progress: &ProgressSender,
    ) -> Result<Diagnostics, Diagnostic> {
        let e = self
            .registry()
            .actions
            .get(&req.action_type)
            .ok_or_else(|| unknown_type("action", &req.action_type))?;
        let config = codec::decode(req.config.as_ref(), &e.ty, "action configuration")?;
        let data = self.data()?;
        Ok(e.handler
            .invoke(&self.context(), &data, &config, progress)
            .await)
    }
}
