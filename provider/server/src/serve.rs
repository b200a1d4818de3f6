//! Putting it together: one call that serves a tfplugin6 provider the way go-plugin expects.
//!
//! Managed mode (Terraform launched us): check the cookie, pick protocol 6, bind a port in the
//! allowed range, set up AutoMTLS when `PLUGIN_CLIENT_CERT` is present, print the handshake line,
//! then serve until `GRPCController.Shutdown` or SIGTERM. Debug mode (`--debug`): listen on a unix
//! socket without TLS, print the `TF_REATTACH_PROVIDERS` value, and serve until Ctrl-C or SIGTERM.

use std::future::Future;
use std::io::Write;
use std::time::Duration;

use tfplugin_proto::plugin::grpc_controller_server::GrpcControllerServer;
use tfplugin_proto::plugin::grpc_stdio_server::GrpcStdioServer;
use tfplugin_proto::tfplugin6::provider_server::{Provider, ProviderServer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_stream::Stream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::{Connected, Router, TcpIncoming};
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

/// How long in-flight calls may take to finish once shutdown starts. Terraform waits two seconds
/// after `Shutdown` before killing the process; stay well inside that.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// How [`serve`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// The provider's source address, e.g. `registry.terraform.io/seedlabs/hotpatch`; used as the
    /// key of `TF_REATTACH_PROVIDERS` in debug mode.
    pub provider_address: String,
    /// Debug (reattach) mode instead of being launched by Terraform.
    pub debug: bool,
}

impl ServeOptions {
    /// Managed-mode options for the provider at `provider_address`.
    pub fn new(provider_address: impl Into<String>) -> Self {
        Self {
            provider_address: provider_address.into(),
            debug: false,
        }
    }

    /// The same options with debug mode set to `debug`.
    pub fn with_debug(mut self, debug: bool) -> Self {
        self.debug = debug;
        self
    }
}

/// Serves `provider` on behalf of Terraform, reading the go-plugin environment of this process and
/// printing the handshake (or, in debug mode, the reattach banner) to stdout.
///
/// Returns `Ok(())` after a graceful stop; the caller should then exit the process right away.
/// On [`ServeError::NotLaunchedByTerraform`] the caller should print the error (its text is
/// go-plugin's human message) to stderr and exit with status 1.
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
    if options.debug {
        serve_debug(provider, &options, out).await
    } else {
        serve_managed(provider, env, out).await
    }
}

async fn serve_managed<P, W>(provider: P, env: PluginEnv, mut out: W) -> Result<(), ServeError>
where
    P: Provider,
    W: Write + Send,
{
    env.check_magic_cookie()?;
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
    let (health, router) = router(provider, &shutdown).await;

    match env.client_cert.as_deref() {
        Some(client_pem) => {
            let identity = ServerIdentity::generate()?;
            let config = tls::server_config(&identity, client_pem)?;
            let incoming = tls::tls_incoming(listener, config, shutdown.clone());
            let line = handshake_line(version, "tcp", &address, Some(identity.cert_der.as_ref()));
            write_line(&mut out, &line)?;
            drop(out);
            tracing::info!(%address, tls = true, "plugin server listening");
            run(router, incoming, &shutdown, stop, health).await
        }
        None => {
            let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
            write_line(&mut out, &handshake_line(version, "tcp", &address, None))?;
            drop(out);
            tracing::info!(%address, tls = false, "plugin server listening");
            run(router, incoming, &shutdown, stop, health).await
        }
    }
}

#[cfg(unix)]
async fn serve_debug<P, W>(
    provider: P,
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
    let (health, router) = router(provider, &shutdown).await;

    let addr = ReattachAddr::Unix(socket.path().to_path_buf());
    let banner = debug_banner(&options.provider_address, std::process::id(), &addr);
    write_line(&mut out, &banner)?;
    drop(out);
    tracing::info!(socket = %socket.path().display(), "debug plugin server listening");
    let result = run(router, incoming, &shutdown, stop, health).await;
    drop(socket);
    result
}

#[cfg(not(unix))]
async fn serve_debug<P, W>(
    provider: P,
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
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let shutdown = CancellationToken::new();
    let (health, router) = router(provider, &shutdown).await;
    let banner = debug_banner(
        &options.provider_address,
        std::process::id(),
        &ReattachAddr::Tcp(address),
    );
    write_line(&mut out, &banner)?;
    drop(out);
    run(router, incoming, &shutdown, stop, health).await
}

/// All services a go-plugin client expects, with the health service already reporting SERVING.
async fn router<P: Provider>(
    provider: P,
    shutdown: &CancellationToken,
) -> (HealthReporter, Router) {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_service_status(HEALTH_SERVICE, ServingStatus::Serving)
        .await;
    let provider = ProviderServer::new(provider)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let router = Server::builder()
        .add_service(provider)
        .add_service(GrpcControllerServer::new(Controller::new(shutdown.clone())))
        .add_service(GrpcStdioServer::new(Stdio::new(shutdown.clone())))
        .add_service(health_service);
    (health, router)
}

/// Serves until the shutdown token is cancelled (by `GRPCController.Shutdown`) or `stop`
/// completes (a signal), then gives open calls [`SHUTDOWN_GRACE`] to finish.
///
/// Connections still open after the grace period are abandoned: the process is about to exit, and
/// Terraform would kill it two seconds after `Shutdown` anyway.
async fn run<I, IO, IE, S>(
    router: Router,
    incoming: I,
    shutdown: &CancellationToken,
    stop: S,
    health: HealthReporter,
) -> Result<(), ServeError>
where
    I: Stream<Item = Result<IO, IE>>,
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
    S: Future<Output = &'static str>,
{
    let server = router.serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    tokio::pin!(server);
    tokio::pin!(stop);
    tokio::select! {
        result = &mut server => {
            shutdown.cancel();
            return result.map_err(ServeError::from);
        }
        () = shutdown.cancelled() => {
            tracing::debug!("shutdown requested by the plugin client");
        }
        signal = &mut stop => {
            tracing::info!(signal, "stopping the plugin server");
            shutdown.cancel();
        }
    }
    health
        .set_service_status(HEALTH_SERVICE, ServingStatus::NotServing)
        .await;
    match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
        Ok(result) => result.map_err(ServeError::from),
        Err(_) => {
            tracing::debug!("calls still open after the shutdown grace period; stopping anyway");
            Ok(())
        }
    }
}
