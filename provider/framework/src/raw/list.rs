//! The list resource trait at the value level (providers implement the typed
//! [`crate::ListResource`]; `terraform query`, Terraform 1.14+).
//!
//! A list resource shares its type name with a managed resource; every result carries that
//! resource's identity (so it can be imported) and optionally its full state object. The
//! framework encodes results, enforces the limit and streams them as they are found.

use async_trait::async_trait;
use tfplugin_proto::tfplugin6::list_resource::Event;
use tfprotocol::{Diagnostics, Value};
use tokio::sync::mpsc;

use crate::provider::Context;
use crate::schema::BlockSchema;

/// The arguments of one `list` block.
#[derive(Clone, Debug)]
pub struct ListRequest {
    pub config: Value,
    /// Whether results should carry the full resource object.
    pub include_resource_object: bool,
    /// The most results Terraform wants.
    pub limit: i64,
}

/// One found object.
#[derive(Clone, Debug)]
pub struct ListResult {
    /// The managed resource's identity object.
    pub identity: Value,
    pub display_name: String,
    /// The managed resource's state; sent only when the request asked for it.
    pub resource_object: Option<Value>,
    /// Problems with this one result.
    pub diagnostics: Diagnostics,
}

#[async_trait]
pub trait ListResource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// Equals the managed resource type listed.
    fn type_name(&self) -> &str;

    /// The schema of the list block's `config`.
    fn config_schema(&self) -> BlockSchema;

    /// Cross-attribute checks of a configuration that may contain unknowns.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Finds objects and pushes them into `sink` until it returns false (limit reached or
    /// Terraform gone). Returned diagnostics end the stream.
    async fn list(
        &self,
        ctx: &Context,
        data: &D,
        req: &ListRequest,
        sink: &mut ListSink,
    ) -> Diagnostics;
}

/// Where a list resource pushes its results.
pub struct ListSink {
    pub(crate) tx: mpsc::Sender<Result<Event, tonic::Status>>,
    pub(crate) remaining: i64,
    pub(crate) encode: Box<dyn Fn(ListResult) -> Event + Send + Sync>,
}

impl ListSink {
    /// Streams one result; false means stop listing.
    pub async fn push(&mut self, result: ListResult) -> bool {
        if self.remaining <= 0 {
            return false;
        }
        let event = (self.encode)(result);
        if self.tx.send(Ok(event)).await.is_err() {
            return false;
        }
        self.remaining -= 1;
        self.remaining > 0
    }

    /// How many more results Terraform wants.
    pub fn remaining(&self) -> i64 {
        self.remaining
    }
}
