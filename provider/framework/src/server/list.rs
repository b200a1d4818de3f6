//! ValidateListResourceConfig and ListResource.
//!
//! Results are encoded against the managed resource of the same type name (its identity
//! and, when asked for, its state) and streamed as the list resource finds them; the sink
//! stops accepting results at the limit. Errors that end the listing arrive as a final
//! event carrying only diagnostics.

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
use crate::raw::{ListRequest, ListResult, ListSink};
use crate::values::{conform, nullify_write_only};

/// Results buffered before the list resource waits for Terraform to read them.
const EVENT_BUFFER: usize = 32;

impl<P: Provider> Inner<P> {
    pub(super) fn validate_list_resource_config(
        &self,
        req: pb::validate_list_resource_config::Request,
    ) -> pb::validate_list_resource_config::Response {
        let diagnostics = match self.registry().lists.get(&req.type_name) {
            Some(e) => validate(&e.schema, &e.ty, req.config.as_ref(), |c, d| {
                e.handler.validate(c, d)
            }),
            None => Diagnostics::from(unknown_type("list resource", &req.type_name)).to_proto(),
        };
        pb::validate_list_resource_config::Response { diagnostics }
    }

    pub(super) fn list_resource(
        this: &Arc<Self>,
        req: pb::list_resource::Request,
    ) -> ReceiverStream<Result<pb::list_resource::Event, Status>> {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let inner = Arc::clone(this);
        tokio::spawn(async move {
            let diags = match catch_panic("ListResource", inner.run_list(req, tx.clone())).await {
                Ok(Ok(d)) => d,
                Ok(Err(d)) | Err(d) => d.into(),
            };
            if !diags.is_empty() {
                let event = pb::list_resource::Event {
                    diagnostic: diags.to_proto(),
                    ..Default::default()
                };
                // An error only means Terraform stopped listening.
                let _ = tx.send(Ok(event)).await;
            }
        });
        ReceiverStream::new(rx)
    }

    async fn run_list(
        &self,
        req: pb::list_resource::Request,
        tx: mpsc::Sender<Result<pb::list_resource::Event, Status>>,
    ) -> Result<Diagnostics, Diagnostic> {
        let e = self
            .registry()
            .lists
            .get(&req.type_name)
            .ok_or_else(|| unknown_type("list resource", &req.type_name))?;
        let r = self.resource(&req.type_name)?;
        let identity = r.identity.clone().ok_or_else(|| {
            Diagnostic::error(
                "Invalid list resource",
                format!(
                    "The resource type {} has no identity schema. This is a bug in the provider.",
                    req.type_name
                ),
            )
        })?;
        let config = codec::decode(req.config.as_ref(), &e.ty, "list configuration")?;
        let data = self.data()?;
        if req.limit <= 0 {
            return Ok(Diagnostics::new());
        }
        let include = req.include_resource_object;
        let (block, ty) = (r.schema.block.clone(), r.ty.clone());
        let encode = move |result: ListResult| {
            let mut diags = result.diagnostics;
            let identity = codec::encode_identity(&result.identity, &identity)
                .map_err(|d| diags.push(d))
                .ok();
            let resource_object = match result.resource_object {
                Some(state) if include => {
                    let state = nullify_write_only(&block, conform(&block, state));
                    codec::encode(&state, &ty, "resource object")
                        .map_err(|d| diags.push(d))
                        .ok()
                }
                _ => None,
            };
            pb::list_resource::Event {
                identity,
                display_name: result.display_name,
                resource_object,
                diagnostic: diags.to_proto(),
            }
        };
        let mut sink = ListSink {
            tx,
            remaining: req.limit,
            encode: Box::new(encode),
        };
        let list_request = ListRequest {
            config,
            include_resource_object: include,
            limit: req.limit,
        };
        Ok(e.handler
            .list(&self.context(), &data, &list_request, &mut sink)
            .await)
    }
}
