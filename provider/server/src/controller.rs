//! go-plugin's auxiliary services: `plugin.GRPCController` and `plugin.GRPCStdio`.
//!
//! When Terraform is done with a provider process it calls `GRPCController.Shutdown`, closes the
//! connection and waits up to two seconds before killing the process. Answering and stopping
//! promptly therefore saves about two seconds per provider process. `StopProvider` (tfplugin6) is
//! *not* a reason to exit; it only cancels in-flight work and is left to the provider.
//!
//! go-plugin's client opens `GRPCStdio.StreamStdio` right after connecting. We do not forward
//! stdout/stderr through it (stderr already reaches Terraform directly), so the stream stays idle
//! and ends at shutdown, which lets graceful shutdown complete instead of waiting on it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tfplugin_proto::plugin::grpc_controller_server::GrpcController;
use tfplugin_proto::plugin::grpc_stdio_server::GrpcStdio;
use tfplugin_proto::plugin::{Empty, StdioData};
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// `plugin.GRPCController`: `Shutdown` cancels the server's shutdown token.
#[derive(Debug, Clone)]
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    /// A controller that cancels `shutdown` when Terraform asks the plugin to exit.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("GRPCController.Shutdown received; stopping the plugin server");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`: an idle stream that ends when the server shuts down.
#[derive(Debug, Clone)]
pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    /// A stdio service whose streams end when `shutdown` is cancelled.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self { shutdown }
    }
}

/// The stream type `StreamStdio` returns.
pub type StdioStream = Pin<Box<dyn Stream<Item = Result<StdioData, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = StdioStream;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        let shutdown = self.shutdown.clone();
        let stream = IdleUntil(Box::pin(async move { shutdown.cancelled().await }));
        Ok(Response::new(Box::pin(stream)))
    }
}

/// A stream that yields nothing and ends once its future completes.
struct IdleUntil(Pin<Box<dyn Future<Output = ()> + Send + 'static>>);

impl Stream for IdleUntil {
    type Item = Result<StdioData, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll(cx).map(|()| None)
    }
}
