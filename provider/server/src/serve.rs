//! Putting it together: one call that serves a tfplugin6 provider the way go-plugin expects.
//!
//! Managed mode (Terraform launched us): check the cookie, insist on `PLUGIN_CLIENT_CERT` (fail
//! closed: Terraform always sends it, and without it anyone on the machine could drive the
//! provider), pick protocol 6, bind a port in the allowed range, set up AutoMTLS, print the
//! handshake line, then serve until `GRPCController.Shutdown` or SIGTERM. Debug mode (`--debug`):
//! listen on a unix socket without TLS, print the `TF_REATTACH_PROVIDERS` value, and serve until
//! Ctrl-C or SIGTERM.
//!
//! Stopping on a signal is not dropping work: the provider's own `StopProvider` runs first, so
//! in-flight hooks are cancelled the way Terraform cancels them and return their state (an
//! object that was already written is then kept in Terraform's state instead of being lost);
//! the server keeps answering those calls and exits when they are done, or after
//! [`ServeOptions::stop_grace`].

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tfplugin_proto::plugin::grpc_controller_server::GrpcControllerServer;
use tfplugin_proto::plugin::grpc_stdio_server::GrpcStdioServer;
use tfplugin_proto::tfplugin6::provider_server::{Provider, ProviderServer};
use tfplugin_proto::tfplugin6::stop_provider;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::{Connected, Router};
use tonic::transport::Server;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

use crate::controller::{Controller, Stdio};
use crate::error::ServeError;
use crate::handshake::{bind_in_range, handshake_line, write_line, PluginEnv};
use crate::signals;
use crate::tls::{self, ServerIdentity};

/// Largest gRPC message accepted or sent, as terraform-plugin-go allows (tonic's default is 4 MiB,
/// too small for big configurations and states).
pub const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;

/// The health-check service name go-plugin pings.
pub const HEALTH_SERVICE: &str = "plugin";

/// How long in-flight calls may take to finish once `GRPCController.Shutdown` arrived. Terraform
/// sends it only when it is done with the provider and kills the process two seconds later;
/// stay well inside that.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// Default of [`ServeOptions::stop_grace`]: long enough for cancelled hooks to read back and
/// return what they wrote, short enough to exit before the usual SIGKILL that follows a SIGTERM
/// (`docker stop` waits 10 s, Kubernetes 30 s).
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(8);

/// How [`serve`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// The provider's source address, e.g. `registry.terraform.io/seedlabs/hotpatch`; used as the
    /// key of `TF_REATTACH_PROVIDERS` in debug mode.
    pub provider_address: String,
    /// Debug (reattach) mode instead of being launched by Terraform.
    pub debug: bool,
    /// After a stop signal (SIGTERM; also SIGINT in debug mode), how long in-flight calls may
    /// take to return once `StopProvider` cancelled them.
    pub stop_grace: Duration,
}

impl ServeOptions {
    /// Managed-mode options for the provider at `provider_address`.
    pub fn new(provider_address: impl Into<String>) -> Self {
        Self {
            provider_address: provider_address.into(),
            debug: false,
            stop_grace: DEFAULT_STOP_GRACE,
        }
    }

    /// The same options with debug mode set to `debug`.
    pub fn with_debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }

    /// The same options with [`ServeOptions::stop_grace`] set to `grace`.
    pub fn with_stop_grace(mut self, grace: Duration) -> Self {
        self.stop_grace = grace;
        self
    }
}

/// Serves `provider` on behalf of Terraform, reading the go-plugin environment of this process and
/// printing the handshake (or, in debug mode, the reattach banner) to stdout.
///
/// Returns `Ok(())` after a graceful stop; the caller should then exit the process right away.
/// On an error (e.g. [`ServeError::NotLaunchedByTerraform`], whose text is go-plugin's human
/// message, or [`ServeError::MissingClientCert`]) the caller should print it to stderr and exit
/// with status 1.
pub async fn serve<P: Provider>(provider: P, options: ServeOptions) -> Result<(), ServeError> {
    serve_with(
        provider,
        options,
        PluginEnv::from_process(),
        std::io::stdout(),
    )
    .await
}

/// [`serve`] with an explicit launch environment and stdout, for embedding and tests.
pub async fn serve_with<P, W>(
    provider: P,
    options: ServeOptions,
    env: PluginEnv,
    out: W,
) -> Result<(), ServeError>
where
    P: Provider,
    W: Write + Send,
{
    let provider = Arc::new(provider);
    if options.debug {
        serve_debug(provider, &options, out).await
    } else {
        serve_managed(provider, &options, env, out).await
    }
}

async fn serve_managed<P, W>(
    provider: Arc<P>,
    options: &ServeOptions,
    env: PluginEnv,
    mut out: W,
) -> Result<(), ServeError>
where
    P: Provider,
    W: Write + Send,
{
    env.check_magic_cookie()?;
    let client_pem = env
        .client_cert
        .as_deref()
        .filter(|pem| !pem.trim().is_empty())
        .ok_or(ServeError::MissingClientCert)?;
    signals::ignore_sigint()?;
    let stop = signals::stop_requested(false)?;
    let version = env.negotiate_protocol();
    let (min, max) = env.port_range()?;
    let listener = bind_in_range(min, max).await?;
    let address = listener
        .local_addr()
        .map_err(ServeError::io("cannot read the listening address"))?
        .to_string();

    let shutdown = CancellationToken::new();
    let _stop_accepting = shutdown.clone().drop_guard();
    let (health, router) = router(Arc::clone(&provider), &shutdown).await;

    let identity = ServerIdentity::generate()?;
    let config = tls::server_config(&identity, client_pem)?;
    let incoming = tls::tls_incoming(listener, config, shutdown.clone());
    let line = handshake_line(version, "tcp", &address, Some(identity.cert_der.as_ref()));
    write_line(&mut out, &line)?;
    drop(out);
    tracing::info!(%address, "plugin server listening");
    let stopping = Stopping {
        provider,
        grace: options.stop_grace,
    };
    run(router, incoming, &shutdown, stop, health, stopping).await
}

#[cfg(unix)]
async fn serve_debug<P, W>(
    provider: Arc<P>,
    options: &ServeOptions,
    mut out: W,
) -> Result<(), ServeError>
where
    P: Provider,
    W: Write + Send,
{
    use crate::debug::{debug_banner, DebugSocket, ReattachAddr};

    let stop = signals::stop_requested(true)?;
    let (socket, listener) = DebugSocket::bind()?;
    let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
    let shutdown = CancellationToken::new();
    let (health, router) = router(Arc::clone(&provider), &shutdown).await;

    let addr = ReattachAddr::Unix(socket.path().to_path_buf());
    let banner = debug_banner(&options.provider_address, std::process::id(), &addr);
    write_line(&mut out, &banner)?;
    drop(out);
    tracing::info!(socket = %socket.path().display(), "debug plugin server listening");
    let stopping = Stopping {
        provider,
        grace: options.stop_grace,
    };
    let result = run(router, incoming, &shutdown, stop, health, stopping).await;
    drop(socket);
    result
}

#[cfg(not(unix))]
async fn serve_debug<P, W>(
    provider: Arc<P>,
    options: &ServeOptions,
    mut out: W,
) -> Result<(), ServeError>
where
    P: Provider,
    W: Write + Send,
{
    use crate::debug::{debug_banner, ReattachAddr};

    let stop = signals::stop_requested(true)?;
    let listener = bind_in_range(0, u16::MAX).await?;
    let address = listener
        .local_addr()
        .map_err(ServeError::io("cannot read the listening address"))?
        .to_string();
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let shutdown = CancellationToken::new();
    let (health, router) = router(Arc::clone(&provider), &shutdown).await;
    let banner = debug_banner(
        &options.provider_address,
        std::process::id(),
        &ReattachAddr::Tcp(address),
    );
    write_line(&mut out, &banner)?;
    drop(out);
    let stopping = Stopping {
        provider,
        grace: options.stop_grace,
    };
    run(router, incoming, &shutdown, stop, health, stopping).await
}

/// All services a go-plugin client expects, with the health service already reporting SERVING.
async fn router<P: Provider>(
    provider: Arc<P>,
    shutdown: &CancellationToken,
) -> (HealthReporter, Router) {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status(HEALTH_SERVICE, ServingStatus::Serving)
        .await;
    let provider = ProviderServer::from_arc(provider)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let router = Server::builder()
        .add_service(provider)
        .add_service(GrpcControllerServer::new(Controller::new(shutdown.clone())))
        .add_service(GrpcStdioServer::new(Stdio::new(shutdown.clone())))
        .add_service(health_service);
    (health, router)
}

/// What a stop signal does: cancel the provider's work, then allow `grace` for it to return.
struct Stopping<P> {
    provider: Arc<P>,
    grace: Duration,
}

/// Serves until the shutdown token is cancelled (by `GRPCController.Shutdown`) or `stop`
/// completes (a signal), then stops accepting calls and gives open ones time to finish:
/// [`SHUTDOWN_GRACE`] after `Shutdown` (Terraform is done with us), and after a signal the
/// provider's `StopProvider` first, then [`Stopping::grace`].
///
/// Connections still open after the grace period are abandoned: the process is about to exit.
async fn run<I, IO, IE, S, P>(
    router: Router,
    incoming: I,
    shutdown: &CancellationToken,
    stop: S,
    health: HealthReporter,
    stopping: Stopping<P>,
) -> Result<(), ServeError>
where
    I: Stream<Item = Result<IO, IE>>,
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
    S: Future<Output = &'static str>,
    P: Provider,
{
    let server = router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    tokio::pin!(server);
    tokio::pin!(stop);
    let grace = tokio::select! {
        result = &mut server => {
            shutdown.cancel();
            return result.map_err(ServeError::from);
        }
        () = shutdown.cancelled() => {
            tracing::debug!("shutdown requested by the plugin client");
            SHUTDOWN_GRACE
        }
        signal = &mut stop => {
            tracing::info!(signal, "stopping: cancelling in-flight work as StopProvider does, then the server");
            let request = tonic::Request::new(stop_provider::Request {});
            if let Err(status) = stopping.provider.stop_provider(request).await {
                tracing::warn!(%status, "StopProvider failed; in-flight calls run on until the grace period ends");
            }
            shutdown.cancel();
            stopping.grace
        }
    };
    health
        .set_service_status(HEALTH_SERVICE, ServingStatus::NotServing)
        .await;
    match tokio::time::timeout(grace, &mut server).await {
        Ok(result) => result.map_err(ServeError::from),
        Err(_) => {
            tracing::debug!("calls still open after the shutdown grace period; stopping anyway");
            Ok(())
        }
    }
}
