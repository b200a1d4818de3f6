//! A go-plugin client that launches (or connects to) a provider exactly the way Terraform 1.15.5
//! does. Test-only; shared by the plugin server's own tests (`provider/server/tests`) and the
//! end-to-end tests (`tests/e2e`), so both check the transport against one client.
//!
//! Terraform-driven tests only show whether a whole run succeeded; they cannot see the transport
//! contract underneath (PROTOCOL.md section 2): the magic cookie, the stdout handshake line, AutoMTLS
//! with a P-521 client certificate, `GRPCController.Shutdown`, SIGINT and debug mode. Getting any of
//! those wrong breaks every Terraform run, and some mistakes (a server that accepts *any* client,
//! a process that ignores `Shutdown` and costs two seconds per launch) never fail a Terraform run
//! at all. This module reproduces the client half of go-plugin v1.7 as Terraform configures it so
//! the server tests, the process-level tests and the cold-start benchmark can drive it:
//!
//! * [`ClientIdentity`] is go-plugin's AutoMTLS client certificate: ECDSA P-521, ecdsa-with-SHA512,
//!   `O=HashiCorp, CN=localhost`, SAN `localhost`, CA, valid about 30 years.
//! * [`PluginProcess`] spawns the binary with Terraform's environment, hands out stdout lines as they
//!   arrive (with their arrival time) and keeps stderr for failure messages.
//! * [`Handshake`] parses the handshake line the way go-plugin does (unpadded standard base64 DER).
//! * [`connect_tls`] trusts exactly the announced server certificate, checks it like Go's TLS client
//!   would (SAN `localhost`, serverAuth), presents the client certificate and insists on ALPN `h2`
//!   (grpc-go >= 1.67 does too).
//! * [`PluginClient`] puts it together and holds typed `tfplugin6.Provider` and
//!   `plugin.GRPCController` clients plus the child process.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use base64::Engine;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use tfplugin_proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin_proto::plugin::Empty;
use tfplugin_proto::tfplugin6::get_provider_schema;
use tfplugin_proto::tfplugin6::provider_client::ProviderClient;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tonic::codegen::Service;
use tonic::transport::{Channel, Endpoint, Uri};

/// Any error of this module; messages carry enough context for an assertion failure.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The magic cookie key Terraform sets for its plugins.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The magic cookie value Terraform sets for its plugins.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// How long go-plugin waits for the handshake line (`StartTimeout`).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound for a single RPC, so a wedged provider fails a test instead of hanging it.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest message the client accepts (the Go client allows `MaxInt32`; 256 MiB is plenty).
const MAX_MESSAGE_SIZE: usize = 256 * 1024 * 1024;
/// go-plugin's certificate lifetime: 262980 hours, about 30 years.
const CERT_LIFETIME: time::Duration = time::Duration::hours(262_980);
/// Every variable go-plugin may pass to a plugin; cleared before each launch so the test runner's
/// own environment cannot leak into the child.
const PLUGIN_ENV_KEYS: &[&str] = &[
    MAGIC_COOKIE_KEY,
    "PLUGIN_PROTOCOL_VERSIONS",
    "PLUGIN_MIN_PORT",
    "PLUGIN_MAX_PORT",
    "PLUGIN_CLIENT_CERT",
    "PLUGIN_UNIX_SOCKET_DIR",
    "PLUGIN_UNIX_SOCKET_GROUP",
    "PLUGIN_MULTIPLEX_GRPC",
];

/// A go-plugin AutoMTLS certificate and its private key.
#[derive(Clone)]
pub struct ClientIdentity {
    pem: String,
    der: CertificateDer<'static>,
    key: Arc<PrivatePkcs8KeyDer<'static>>,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("der_len", &self.der.len())
            .finish_non_exhaustive()
    }
}

impl ClientIdentity {
    /// Generates a certificate from go-plugin's `generateCert` template (`mtls.go`), with the
    /// P-521 key Terraform's client uses.
    pub fn generate() -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
        let mut params =
            CertificateParams::new(vec!["localhost".to_string()]).expect("certificate params");
        // rcgen's default subject already holds a CN; start empty so the RDNs come in Go's
        // `pkix.Name` order (O before CN).
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::OrganizationName, "HashiCorp");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::ServerAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::seconds(30);
        params.not_after = now + CERT_LIFETIME;
        let cert = params.self_signed(&key).expect("self-signed certificate");
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: Arc::new(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }

    /// The certificate in PEM, as passed in `PLUGIN_CLIENT_CERT`.
    pub fn cert_pem(&self) -> &str {
        &self.pem
    }

    /// The certificate in DER.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.der
    }
}

/// How to launch the provider. [`LaunchOptions::terraform`] is what Terraform 1.15.5 sets.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    /// `TF_PLUGIN_MAGIC_COOKIE`; `None` leaves it unset.
    pub magic_cookie: Option<String>,
    /// `PLUGIN_PROTOCOL_VERSIONS`.
    pub protocol_versions: Option<String>,
    /// `PLUGIN_MIN_PORT` and `PLUGIN_MAX_PORT`.
    pub port_range: Option<(u16, u16)>,
    /// `PLUGIN_CLIENT_CERT` (PEM); `None` means no AutoMTLS.
    pub client_cert_pem: Option<String>,
    /// Command-line arguments (Terraform passes none).
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
}

impl LaunchOptions {
    /// Terraform's environment (PROTOCOL.md 2.1) with `client` as the AutoMTLS certificate.
    pub fn terraform(client: &ClientIdentity) -> Self {
        Self {
            magic_cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
            protocol_versions: Some("5,6".to_string()),
            port_range: Some((10000, 25000)),
            client_cert_pem: Some(client.cert_pem().to_string()),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Nothing from go-plugin at all: what a human typing the binary's name gets.
    pub fn bare() -> Self {
        Self {
            magic_cookie: None,
            protocol_versions: None,
            port_range: None,
            client_cert_pem: None,
            args: Vec::new(),
            env: Vec::new(),
        }
    }
}

/// A running provider process. Dropping it kills the process.
#[derive(Debug)]
pub struct PluginProcess {
    child: Child,
    spawned_at: Instant,
    stdout: mpsc::UnboundedReceiver<(Instant, String)>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl PluginProcess {
    /// Starts `binary` with `options`; stdin is closed, stdout and stderr are captured.
    ///
    /// stdout is read (and, like go-plugin, drained forever) by a thread that records when each
    /// line arrived, so handshake latency is measured independently of when the caller looks.
    pub fn spawn(binary: &Path, options: &LaunchOptions) -> Result<Self, Error> {
        let mut cmd = Command::new(binary);
        cmd.args(&options.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for key in PLUGIN_ENV_KEYS {
            cmd.env_remove(key);
        }
        if let Some(cookie) = &options.magic_cookie {
            cmd.env(MAGIC_COOKIE_KEY, cookie);
        }
        if let Some(versions) = &options.protocol_versions {
            cmd.env("PLUGIN_PROTOCOL_VERSIONS", versions);
        }
        if let Some((min, max)) = options.port_range {
            cmd.env("PLUGIN_MIN_PORT", min.to_string());
            cmd.env("PLUGIN_MAX_PORT", max.to_string());
        }
        if let Some(pem) = &options.client_cert_pem {
            cmd.env("PLUGIN_CLIENT_CERT", pem);
        }
        cmd.envs(options.env.iter().map(|(k, v)| (k, v)));

        let spawned_at = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;

        let (tx, rx) = mpsc::unbounded_channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = line.trim_end_matches(['\r', '\n']).to_string();
                        // Keep draining after the receiver is gone so the child never blocks.
                        let _ = tx.send((Instant::now(), text));
                    }
                }
            }
        });

        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("stderr buffer")
                    .extend_from_slice(&buf[..n]);
            }
        });

        Ok(Self {
            child,
            spawned_at,
            stdout: rx,
            stderr,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// When the process was spawned (taken just before `spawn`).
    pub fn spawned_at(&self) -> Instant {
        self.spawned_at
    }

    /// The next stdout line and when it arrived; `None` on timeout or end of stdout.
    pub async fn next_stdout_line(&mut self, timeout: Duration) -> Option<(Instant, String)> {
        tokio::time::timeout(timeout, self.stdout.recv())
            .await
            .ok()
            .flatten()
    }

    /// Everything the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("stderr buffer")).into_owned()
    }

    /// A description for assertion messages: pid, exit status if any, and stderr.
    pub fn describe(&mut self) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => status.to_string(),
            Ok(None) => "still running".to_string(),
            Err(e) => format!("unknown ({e})"),
        };
        format!(
            "provider pid {} ({status})\n--- provider stderr\n{}",
            self.pid(),
            self.stderr()
        )
    }

    /// The exit status if the process has exited.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits up to `timeout` for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Sends `signal` (e.g. `libc::SIGINT`) to the process.
    pub fn signal(&self, signal: libc::c_int) -> std::io::Result<()> {
        let pid = libc::pid_t::try_from(self.pid()).expect("pid fits pid_t");
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own child, which is
        // not reaped before `self` is dropped, so it cannot have been recycled.
        if unsafe { libc::kill(pid, signal) } == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }

    /// Peak resident set size in KiB (`VmHWM` from `/proc/<pid>/status`), on Linux.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }
}

impl Drop for PluginProcess {
    fn drop(&mut self) {
        if self.try_exit().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The go-plugin handshake line `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The whole line as printed.
    pub line: String,
    /// How many `|`-separated fields the line has (go-plugin: 6, or 7 with multiplexing).
    pub field_count: usize,
    /// The core protocol version (always 1).
    pub core_version: u32,
    /// The negotiated app protocol version.
    pub app_version: u32,
    /// `tcp` or `unix`.
    pub network: String,
    /// `host:port` or a socket path.
    pub address: String,
    /// `grpc` (go-plugin defaults to `netrpc` when absent).
    pub protocol: String,
    /// The raw sixth field.
    pub cert_field: String,
    /// The server certificate (DER), when the field is longer than 50 characters.
    pub server_cert_der: Option<Vec<u8>>,
}

impl Handshake {
    /// Parses a handshake line with go-plugin's client rules: at least four fields, the
    /// certificate decoded with Go's `RawStdEncoding` (so `=` padding is an error), and a
    /// certificate field of 50 characters or fewer ignored.
    pub fn parse(line: &str) -> Result<Self, String> {
        let line = line.trim();
        let parts: Vec<&str> = line.split('|').collect();
        if parts.len() < 4 {
            return Err(format!("Unrecognized remote plugin message: {line}"));
        }
        let core_version = parts[0]
            .parse()
            .map_err(|e| format!("error parsing core protocol version {:?}: {e}", parts[0]))?;
        let app_version = parts[1]
            .parse()
            .map_err(|e| format!("error parsing app protocol version {:?}: {e}", parts[1]))?;
        let protocol = parts.get(4).copied().unwrap_or("netrpc").to_string();
        let cert_field = parts.get(5).copied().unwrap_or_default().to_string();
        let server_cert_der = if cert_field.len() > 50 {
            Some(
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(&cert_field)
                    .map_err(|e| format!("error parsing server cert: illegal base64 data: {e}"))?,
            )
        } else {
            None
        };
        Ok(Self {
            line: line.to_string(),
            field_count: parts.len(),
            core_version,
            app_version,
            network: parts[2].to_string(),
            address: parts[3].to_string(),
            protocol,
            cert_field,
            server_cert_der,
        })
    }
}

/// A [`ServerCertVerifier`] that accepts exactly the certificate from the handshake line.
///
/// go-plugin's client puts that certificate alone in `RootCAs` with `ServerName = "localhost"`.
/// Go accepts a trusted root presented as the leaf; webpki would reject it as
/// `CaUsedAsEndEntity`, so the chain step is a byte comparison and the rest of Go's checks
/// (name, validity, serverAuth) are done here explicitly.
#[derive(Debug)]
struct PinnedServerCert {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() != self.pinned.as_ref() {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ));
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        let (_, cert) = x509_parser::parse_x509_certificate(end_entity.as_ref()).map_err(|e| {
            rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                Arc::new(std::io::Error::other(format!(
                    "unparsable server cert: {e}"
                ))),
            )))
        })?;
        if !cert.validity().is_valid() {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
        }
        let server_auth = matches!(
            cert.extended_key_usage(),
            Ok(Some(eku)) if eku.value.server_auth || eku.value.any
        );
        if !server_auth {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::InvalidPurpose,
            ));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// go-plugin's client TLS configuration: aws-lc-rs (the only rustls provider that can sign with
/// P-521), TLS 1.2+, the pinned server certificate, ALPN `h2`, and `client` when given.
pub fn client_tls_config(
    server_cert_der: &[u8],
    client: Option<&ClientIdentity>,
) -> Result<Arc<ClientConfig>, Error> {
    client_tls_config_with_versions(
        server_cert_der,
        client,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
    )
}

/// [`client_tls_config`] offering only `versions` (e.g. TLS 1.2 alone, as older Go clients do).
pub fn client_tls_config_with_versions(
    server_cert_der: &[u8],
    client: Option<&ClientIdentity>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<Arc<ClientConfig>, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServerCert {
        pinned: CertificateDer::from(server_cert_der.to_vec()),
        algorithms: provider.signature_verification_algorithms,
    });
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client {
        Some(id) => builder.with_client_auth_cert(
            vec![id.der.clone()],
            PrivateKeyDer::Pkcs8(id.key.clone_key()),
        )?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

type ConnectFuture<T> = Pin<Box<dyn std::future::Future<Output = std::io::Result<T>> + Send>>;

/// Dials TCP and runs the TLS handshake for tonic, refusing a server that does not pick `h2`.
#[derive(Clone)]
struct TlsConnector {
    address: String,
    tls: tokio_rustls::TlsConnector,
}

impl Service<Uri> for TlsConnector {
    type Response = TokioIo<tokio_rustls::client::TlsStream<TcpStream>>;
    type Error = std::io::Error;
    type Future = ConnectFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let address = self.address.clone();
        let tls = self.tls.clone();
        Box::pin(async move {
            let tcp = TcpStream::connect(&address).await?;
            tcp.set_nodelay(true)?;
            let name = ServerName::try_from("localhost").expect("valid server name");
            let stream = tls.connect(name, tcp).await?;
            if stream.get_ref().1.alpn_protocol() != Some(b"h2".as_slice()) {
                return Err(std::io::Error::other("server did not negotiate ALPN h2"));
            }
            Ok(TokioIo::new(stream))
        })
    }
}

/// Dials a unix socket in plaintext for tonic (debug mode listens on one).
#[cfg(unix)]
#[derive(Clone)]
struct UnixConnector {
    path: PathBuf,
}

#[cfg(unix)]
impl Service<Uri> for UnixConnector {
    type Response = TokioIo<tokio::net::UnixStream>;
    type Error = std::io::Error;
    type Future = ConnectFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let path = self.path.clone();
        Box::pin(async move { Ok(TokioIo::new(tokio::net::UnixStream::connect(path).await?)) })
    }
}

fn endpoint(authority: &str) -> Result<Endpoint, Error> {
    Ok(Endpoint::from_shared(format!("http://{authority}"))?
        .connect_timeout(Duration::from_secs(10))
        .timeout(RPC_TIMEOUT))
}

/// Connects over mTLS to a handshake address, trusting only `server_cert_der` and presenting
/// `client` (or no certificate at all).
pub async fn connect_tls(
    address: &str,
    server_cert_der: &[u8],
    client: Option<&ClientIdentity>,
) -> Result<Channel, Error> {
    connect_tls_with(address, client_tls_config(server_cert_der, client)?).await
}

/// Connects over TLS to a handshake address with a prepared client configuration.
pub async fn connect_tls_with(address: &str, config: Arc<ClientConfig>) -> Result<Channel, Error> {
    let connector = TlsConnector {
        address: address.to_string(),
        tls: tokio_rustls::TlsConnector::from(config),
    };
    Ok(endpoint(address)?.connect_with_connector(connector).await?)
}

/// Connects in plaintext (h2c) to a `tcp` or `unix` address, as an unmanaged (reattach) client does.
pub async fn connect_plain(network: &str, address: &str) -> Result<Channel, Error> {
    match network {
        "tcp" => Ok(endpoint(address)?.connect().await?),
        #[cfg(unix)]
        "unix" => Ok(endpoint("localhost")?
            .connect_with_connector(UnixConnector {
                path: PathBuf::from(address),
            })
            .await?),
        other => Err(format!("unsupported network {other:?}").into()),
    }
}

/// A `tfplugin6.Provider` client with the message limits raised as Terraform's are.
pub fn provider_client(channel: Channel) -> ProviderClient<Channel> {
    ProviderClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE)
}

/// A provider process launched and connected like Terraform does it.
#[derive(Debug)]
pub struct PluginClient {
    /// The child process.
    pub process: PluginProcess,
    /// The parsed handshake line.
    pub handshake: Handshake,
    /// When the handshake line arrived on stdout.
    pub handshake_at: Instant,
    /// The client certificate passed in `PLUGIN_CLIENT_CERT`.
    pub identity: ClientIdentity,
    /// The mTLS channel.
    pub channel: Channel,
    /// `tfplugin6.Provider`.
    pub provider: ProviderClient<Channel>,
    /// `plugin.GRPCController`.
    pub controller: GrpcControllerClient<Channel>,
}

impl PluginClient {
    /// Launches `binary` with a fresh client certificate and Terraform's environment.
    pub async fn launch(binary: &Path) -> Result<Self, Error> {
        let identity = ClientIdentity::generate();
        let options = LaunchOptions::terraform(&identity);
        Self::launch_with(binary, identity, options).await
    }

    /// Launches `binary` with `options` (whose `client_cert_pem` should be `identity`'s), waits
    /// for the handshake line and connects over mTLS. Errors include the provider's stderr.
    pub async fn launch_with(
        binary: &Path,
        identity: ClientIdentity,
        options: LaunchOptions,
    ) -> Result<Self, Error> {
        let mut process = PluginProcess::spawn(binary, &options)?;
        match Self::handshake_and_connect(&mut process, &identity).await {
            Ok((handshake, handshake_at, channel)) => Ok(Self {
                process,
                handshake,
                handshake_at,
                identity,
                provider: provider_client(channel.clone()),
                controller: GrpcControllerClient::new(channel.clone()),
                channel,
            }),
            Err(e) => {
                Err(format!("launching the provider failed: {e}\n{}", process.describe()).into())
            }
        }
    }

    async fn handshake_and_connect(
        process: &mut PluginProcess,
        identity: &ClientIdentity,
    ) -> Result<(Handshake, Instant, Channel), Error> {
        let (at, line) = process
            .next_stdout_line(START_TIMEOUT)
            .await
            .ok_or("no handshake line on stdout (timeout or stdout closed)")?;
        let handshake = Handshake::parse(&line)?;
        if handshake.network != "tcp" {
            return Err(format!("expected a tcp listener, got {:?}", handshake.line).into());
        }
        let cert = handshake
            .server_cert_der
            .as_deref()
            .ok_or_else(|| format!("no server certificate in handshake {:?}", handshake.line))?;
        let channel = connect_tls(&handshake.address, cert, Some(identity)).await?;
        Ok((handshake, at, channel))
    }

    /// The server certificate from the handshake line.
    pub fn server_cert_der(&self) -> &[u8] {
        self.handshake
            .server_cert_der
            .as_deref()
            .expect("launch checked the server certificate")
    }

    /// A second connection to the same process presenting `client` (or no certificate).
    pub async fn connect_as(&self, client: Option<&ClientIdentity>) -> Result<Channel, Error> {
        connect_tls(&self.handshake.address, self.server_cert_der(), client).await
    }

    /// `GetProviderSchema` on the main connection.
    pub async fn get_provider_schema(
        &mut self,
    ) -> Result<get_provider_schema::Response, tonic::Status> {
        self.provider
            .get_provider_schema(get_provider_schema::Request {})
            .await
            .map(tonic::Response::into_inner)
    }

    /// Everything for an assertion message: handshake, pid, status, stderr.
    pub fn describe(&mut self) -> String {
        format!(
            "handshake {:?}\n{}",
            self.handshake.line,
            self.process.describe()
        )
    }

    /// Terraform's `Kill()`: `GRPCController.Shutdown`, drop the connection, then wait up to
    /// `timeout` for the process to exit (Terraform waits 2 s, then sends SIGKILL).
    ///
    /// Returns the Shutdown result (go-plugin ignores it: the server may close the connection
    /// before answering) and the exit status if the process exited in time. The process is
    /// returned too, so callers can still read its stderr.
    pub async fn shutdown(
        self,
        timeout: Duration,
    ) -> (Result<(), tonic::Status>, Option<ExitStatus>, PluginProcess) {
        let Self {
            mut process,
            mut controller,
            provider,
            channel,
            ..
        } = self;
        let result = controller.shutdown(Empty {}).await.map(|_| ());
        drop((controller, provider, channel));
        let status = process.wait_exit(timeout).await;
        (result, status, process)
    }
}

/// One entry of a `TF_REATTACH_PROVIDERS` value printed by `--debug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reattach {
    /// The provider source address (the JSON key).
    pub provider_address: String,
    /// The whole entry.
    pub entry: serde_json::Value,
    /// `Addr.Network`.
    pub network: String,
    /// `Addr.String`.
    pub address: String,
}

impl Reattach {
    /// Parses a `TF_REATTACH_PROVIDERS='{…}'` line; the value must hold exactly one provider.
    pub fn parse_line(line: &str) -> Result<Self, String> {
        let value = line
            .trim()
            .strip_prefix("TF_REATTACH_PROVIDERS=")
            .ok_or_else(|| format!("not a TF_REATTACH_PROVIDERS line: {line:?}"))?;
        let json = value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or(value);
        let parsed: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| format!("reattach value is not JSON: {e}: {json}"))?;
        let map = parsed
            .as_object()
            .filter(|m| m.len() == 1)
            .ok_or_else(|| format!("expected exactly one provider in {json}"))?;
        let (provider_address, entry) = map.iter().next().expect("one entry");
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        Ok(Self {
            provider_address: provider_address.clone(),
            network: text(&entry["Addr"]["Network"])
                .ok_or_else(|| format!("no Addr.Network in {json}"))?,
            address: text(&entry["Addr"]["String"])
                .ok_or_else(|| format!("no Addr.String in {json}"))?,
            entry: entry.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

    #[test]
    fn client_identity_has_go_plugins_shape() {
        let id = ClientIdentity::generate();
        assert!(id.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let (_, cert) = X509Certificate::from_der(id.cert_der()).expect("DER certificate");
        // ecdsa-with-SHA512 and a P-521 (secp521r1) key.
        assert_eq!(
            cert.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.4"
        );
        let curve = cert
            .public_key()
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|oid| oid.to_id_string());
        assert_eq!(curve.as_deref(), Some("1.3.132.0.35"));
        assert_eq!(cert.subject().to_string(), "O=HashiCorp, CN=localhost");
        assert!(cert.is_ca());
        let san = cert
            .subject_alternative_name()
            .expect("SAN")
            .expect("SAN present");
        assert_eq!(san.value.general_names, [GeneralName::DNSName("localhost")]);
        let eku = cert
            .extended_key_usage()
            .expect("EKU")
            .expect("EKU present");
        assert!(eku.value.client_auth && eku.value.server_auth);
    }

    #[test]
    fn handshake_parsing_follows_go_plugin() {
        let der = vec![0xAB_u8; 61];
        let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&der);
        let hs = Handshake::parse(&format!("1|6|tcp|127.0.0.1:10000|grpc|{unpadded}\n"))
            .expect("valid line");
        assert_eq!(hs.field_count, 6);
        assert_eq!((hs.core_version, hs.app_version), (1, 6));
        assert_eq!(
            (hs.network.as_str(), hs.address.as_str()),
            ("tcp", "127.0.0.1:10000")
        );
        assert_eq!(hs.protocol, "grpc");
        assert_eq!(hs.server_cert_der.as_deref(), Some(der.as_slice()));

        // Go's RawStdEncoding rejects padding.
        let padded = base64::engine::general_purpose::STANDARD.encode(&der);
        assert!(padded.ends_with('='));
        assert!(Handshake::parse(&format!("1|6|tcp|127.0.0.1:1|grpc|{padded}")).is_err());
        // A certificate field of 50 characters or fewer is ignored.
        let short = Handshake::parse("1|6|tcp|127.0.0.1:1|grpc|abc").expect("short cert");
        assert_eq!(short.server_cert_der, None);
        assert!(Handshake::parse("hello world").is_err());
    }

    #[test]
    fn reattach_line_parses() {
        let line = r#"TF_REATTACH_PROVIDERS='{"registry.terraform.io/seedlabs/hotpatch":{"Protocol":"grpc","ProtocolVersion":6,"Pid":7,"Test":true,"Addr":{"Network":"unix","String":"/tmp/p/s"}}}'"#;
        let r = Reattach::parse_line(line).expect("valid line");
        assert_eq!(
            r.provider_address,
            "registry.terraform.io/seedlabs/hotpatch"
        );
        assert_eq!(
            (r.network.as_str(), r.address.as_str()),
            ("unix", "/tmp/p/s")
        );
        assert_eq!(r.entry["ProtocolVersion"], 6);
        assert!(Reattach::parse_line("TF_REATTACH_PROVIDERS='{}'").is_err());
    }
}
