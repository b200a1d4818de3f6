//! A panic in an RPC handler becomes an error diagnostic of that RPC.
//!
//! Without this a panic (a bug, or a value from Terraform or Azure that the code did not expect)
//! ends the task serving the call: Terraform then reports only "Request cancelled", with no hint
//! of what failed, and a second panic elsewhere could leave the user guessing which resource is
//! affected. Every RPC future runs under [`guarded`] (or [`catch_panic`] for the tasks behind the
//! streaming RPCs), so the user sees "Provider panicked", the RPC and the panic message, and the
//! provider keeps serving the other calls.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use tfplugin_proto::tfplugin6 as pb;
use tfprotocol::{Diagnostic, Diagnostics};
use tonic::{Response, Status};

/// A response that can carry the error of a panicked handler.
pub(super) trait PanicResponse {
    fn from_panic(diagnostic: Diagnostic) -> Self;
}

/// Responses whose only required content is their `diagnostics`.
macro_rules! panic_response_via_diagnostics {
    ($($rpc:ident),* $(,)?) => {$(
        impl PanicResponse for pb::$rpc::Response {
            fn from_panic(diagnostic: Diagnostic) -> Self {
                let mut response = Self::default();
                response.diagnostics = Diagnostics::from(diagnostic).to_proto();
                response
            }
        }
    )*};
}

panic_response_via_diagnostics!(
    get_metadata,
    get_provider_schema,
    validate_provider_config,
    validate_resource_config,
    validate_data_resource_config,
    upgrade_resource_state,
    get_resource_identity_schemas,
    upgrade_resource_identity,
    configure_provider,
    read_resource,
    plan_resource_change,
    apply_resource_change,
    import_resource_state,
    read_data_source,
    generate_resource_config,
    validate_ephemeral_resource_config,
    open_ephemeral_resource,
    renew_ephemeral_resource,
    close_ephemeral_resource,
    validate_list_resource_config,
    get_functions,
    plan_action,
    validate_action_config,
);

impl PanicResponse for pb::stop_provider::Response {
    fn from_panic(diagnostic: Diagnostic) -> Self {
        Self {
            error: format!("{}: {}", diagnostic.summary, diagnostic.detail),
        }
    }
}

impl PanicResponse for pb::call_function::Response {
    fn from_panic(diagnostic: Diagnostic) -> Self {
        Self {
            result: None,
            error: Some(pb::FunctionError {
                text: format!("{}: {}", diagnostic.summary, diagnostic.detail),
                function_argument: None,
            }),
        }
    }
}

/// Runs `handler`, the body of the RPC named `rpc`; a panic becomes the RPC's response with one
/// error diagnostic.
pub(super) async fn guarded<T: PanicResponse>(
    rpc: &'static str,
    handler: impl Future<Output = T>,
) -> Result<Response<T>, Status> {
    let response = catch_panic(rpc, handler)
        .await
        .unwrap_or_else(T::from_panic);
    Ok(Response::new(response))
}

/// Runs `work` for the RPC named `rpc`, turning a panic into the diagnostic to report.
pub(super) async fn catch_panic<F: Future>(
    rpc: &'static str,
    work: F,
) -> Result<F::Output, Diagnostic> {
    AssertUnwindSafe(work).catch_unwind().await.map_err(|payload| {
        let message = panic_message(payload.as_ref());
        tracing::error!(rpc, panic = %message, "provider panicked while handling an RPC");
        Diagnostic::error(
            "Provider panicked",
            format!(
                "The provider hit a bug while handling {rpc} and stopped that call: {message}\n\nThe provider keeps running. Please report this, with the provider's log (TF_LOG=debug), to the provider's maintainers."
            ),
        )
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}
