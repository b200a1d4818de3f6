//! Test-only helpers: a stub provider, certificates shaped like Terraform's, and gRPC clients
//! that speak go-plugin's AutoMTLS.

#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tfplugin_proto::tfplugin6 as pb;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tonic::transport::{Channel, Endpoint, Uri};
use tonic::{Request, Response, Status, Streaming};

/// A provider whose every RPC answers `Unimplemented`.
pub struct StubProvider;

type Stream<T> = Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Implements `Provider` for a type with every RPC answering `Unimplemented`. The whole impl is
/// generated so that `async_trait` sees the expanded methods.
macro_rules! unimplemented_provider {
    ($ty:ty; $($method:ident => $module:ident),* $(,)?) => {
        #[tonic::async_trait]
        impl pb::provider_server::Provider for $ty {
            type ListResourceStream = Stream<pb::list_resource::Event>;
            type ReadStateBytesStream = Stream<pb::read_state_bytes::Response>;
            type InvokeActionStream = Stream<pb::invoke_action::Event>;

            $(
                async fn $method(
                    &self,
                    _request: Request<pb::$module::Request>,
                ) -> Result<Response<pb::$module::Response>, Status> {
                    Err(Status::unimplemented(stringify!($method)))
                }
            )*

            async fn list_resource(
                &self,
                _request: Request<pb::list_resource::Request>,
            ) -> Result<Response<Self::ListResourceStream>, Status> {
                Err(Status::unimplemented("list_resource"))
            }

            async fn read_state_bytes(
                &self,
                _request: Request<pb::read_state_bytes::Request>,
            ) -> Result<Response<Self::ReadStateBytesStream>, Status> {
                Err(Status::unimplemented("read_state_bytes"))
            }

            async fn write_state_bytes(
                &self,
                _request: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
            ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
                Err(Status::unimplemented("write_state_bytes"))
            }

            async fn invoke_action(
                &self,
                _request: Request<pb::invoke_action::Request>,
            ) -> Result<Response<Self::InvokeActionStream>, Status> {
                Err(Status::unimplemented("invoke_action"))
            }
        }
    };
}

unimplemented_provider! {
    StubProvider;
    get_metadata => get_metadata,
    get_provider_schema => get_provider_schema,
    validate_provider_config => validate_provider_config,
    validate_resource_config => validate_resource_config,
    validate_data_resource_config => validate_data_resource_config,
    upgrade_resource_state => upgrade_resource_state,
    get_resource_identity_schemas => get_resource_identity_schemas,
    upgrade_resource_identity => upgrade_resource_identity,
    configure_provider => configure_provider,
    read_resource => read_resource,
    plan_resource_change => plan_resource_change,
    apply_resource_change => apply_resource_change,
    import_resource_state => import_resource_state,
    move_resource_state => move_resource_state,
    read_data_source => read_data_source,
    generate_resource_config => generate_resource_config,
    validate_ephemeral_resource_config => validate_ephemeral_resource_config,
    open_ephemeral_resource => open_ephemeral_resource,
    renew_ephemeral_resource => renew_ephemeral_resource,
    close_ephemeral_resource => close_ephemeral_resource,
    validate_list_resource_config => validate_list_resource_config,
    get_functions => get_functions,
    call_function => call_function,
    validate_state_store_config => validate_state_store,
    configure_state_store => configure_state_store,
    lock_state => lock_state,
    unlock_state => unlock_state,
    get_states => get_states,
    delete_state => delete_state,
    plan_action => plan_action,
    validate_action_config => validate_action_config,
    stop_provider => stop_provider,
}

/// A certificate and key, like the one Terraform passes in `PLUGIN_CLIENT_CERT`.
pub struct ClientIdentity {
    pub pem: String,
    pub der: CertificateDer<'static>,
    pub key: PrivatePkcs8KeyDer<'static>,
}

/// An ECDSA P-521, self-signed, CA:TRUE certificate with O=HashiCorp, CN=localhost, SAN localhost:
/// the shape of go-plugin's AutoMTLS client certificate.
pub fn terraform_like_client_cert() -> ClientIdentity {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
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
    let cert = params.self_signed(&key).expect("self-signed cert");
    ClientIdentity {
        pem: cert.pem(),
        der: cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// Accepts exactly the server certificate from the handshake line, like go-plugin's client
/// (whose only root is that certificate); webpki would refuse a CA certificate as a leaf.
#[derive(Debug)]
struct PinnedServer {
    der: CertificateDer<'static>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        assert_eq!(server_name.to_str(), "localhost");
        if end_entity.as_ref() == self.der.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Which TLS versions the test client offers.
#[derive(Clone, Copy, Debug)]
pub enum Tls {
    Any,
    Only12,
}

/// A rustls client config trusting `server_der` and presenting `client` (if any), with ALPN h2.
pub fn client_config(
    server_der: &[u8],
    client: Option<&ClientIdentity>,
    tls: Tls,
) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServer {
        der: CertificateDer::from(server_der.to_vec()),
        algorithms: provider.signature_verification_algorithms,
    });
    let versions: &[&rustls::SupportedProtocolVersion] = match tls {
        Tls::Any => &[&rustls::version::TLS13, &rustls::version::TLS12],
        Tls::Only12 => &[&rustls::version::TLS12],
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client {
        Some(identity) => builder
            .with_client_auth_cert(
                vec![identity.der.clone()],
                PrivateKeyDer::Pkcs8(identity.key.clone_key()),
            )
            .expect("client auth cert"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// A TLS connector for tonic's `connect_with_connector`.
#[derive(Clone)]
struct TlsConnector {
    addr: SocketAddr,
    config: Arc<ClientConfig>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type ConnectFuture<T> = Pin<Box<dyn std::future::Future<Output = Result<T, BoxError>> + Send>>;

impl tonic::codegen::Service<Uri> for TlsConnector {
    type Response = hyper_util::rt::TokioIo<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;
    type Error = BoxError;
    type Future = ConnectFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let tcp = tokio::net::TcpStream::connect(this.addr).await?;
            let name = ServerName::try_from("localhost")?;
            let tls = tokio_rustls::TlsConnector::from(this.config)
                .connect(name, tcp)
                .await?;
            Ok(hyper_util::rt::TokioIo::new(tls))
        })
    }
}

/// A unix socket connector for tonic's `connect_with_connector`.
#[derive(Clone)]
struct UnixConnector(std::path::PathBuf);

impl tonic::codegen::Service<Uri> for UnixConnector {
    type Response = hyper_util::rt::TokioIo<tokio::net::UnixStream>;
    type Error = BoxError;
    type Future = ConnectFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let path = self.0.clone();
        Box::pin(async move {
            let stream = tokio::net::UnixStream::connect(path).await?;
            Ok(hyper_util::rt::TokioIo::new(stream))
        })
    }
}

fn endpoint() -> Endpoint {
    Endpoint::from_static("http://localhost").connect_timeout(Duration::from_secs(5))
}

/// A gRPC channel over AutoMTLS.
pub async fn tls_channel(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> Result<Channel, tonic::transport::Error> {
    endpoint()
        .connect_with_connector(TlsConnector { addr, config })
        .await
}

/// A plaintext h2c gRPC channel.
pub async fn plain_channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("plain connect")
}

/// A plaintext gRPC channel over a unix socket.
pub async fn unix_channel(path: std::path::PathBuf) -> Channel {
    endpoint()
        .connect_with_connector(UnixConnector(path))
        .await
        .expect("unix connect")
}

/// Stands in for stdout: forwards every complete line to a channel.
pub struct LineSink {
    buffer: Vec<u8>,
    lines: UnboundedSender<String>,
}

impl LineSink {
    pub fn new() -> (Self, UnboundedReceiver<String>) {
        let (tx, rx) = unbounded_channel();
        (
            Self {
                buffer: Vec::new(),
                lines: tx,
            },
            rx,
        )
    }
}

impl Write for LineSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        while let Some(pos) = self.buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            let _ = self.lines.send(text);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Waits for the next line written to a [`LineSink`].
pub async fn next_line(lines: &mut UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.recv())
        .await
        .expect("line within 30 s")
        .expect("a line before the sink closed")
}
