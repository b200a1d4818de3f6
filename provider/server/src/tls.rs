//! AutoMTLS: the server certificate, the rustls configuration and the TLS accept loop.
//!
//! go-plugin's client trusts exactly the certificate we print in the handshake line and presents
//! the certificate it passed in `PLUGIN_CLIENT_CERT`. We mirror go-plugin's `mtls.go` template
//! (self-signed, SAN `localhost`, serverAuth+clientAuth, CA, NotBefore = now − 30 s) and insist on
//! the client certificate, so no other local process can drive the provider. tonic's own TLS
//! support cannot express a pinned client certificate, hence the hand-built acceptor feeding
//! `serve_with_incoming`.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rustls::crypto::aws_lc_rs::sign::any_ecdsa_type;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::client_verifier::PinnedClientCertVerifier;
use crate::error::ServeError;

/// How long a client may take to finish the TLS handshake before it is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// go-plugin's certificate lifetime (262980 hours, about 30 years).
const CERT_LIFETIME: time::Duration = time::Duration::hours(262_980);

/// A freshly generated self-signed server certificate and its key.
pub struct ServerIdentity {
    /// The certificate, DER-encoded; this is what the handshake line carries.
    pub cert_der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl ServerIdentity {
    /// Generates an ECDSA P-256 certificate following go-plugin's AutoMTLS template.
    ///
    /// P-256 rather than go-plugin's P-521 or the P-384 other Rust servers use: this runs at
    /// every provider start, before the handshake line, and the size-optimised release build
    /// (`opt-level = "s"`, which makes aws-lc drop its precomputed tables for the other
    /// curves) keeps a fast P-256 only. Key generation, the self-signature and the key
    /// checks rustls and rcgen make when loading it multiply the base point about six times:
    /// ~43 million instructions on P-384, under a million on P-256. P-256 gives 128-bit
    /// security, ample for a key that lives as long as the process and is pinned by the
    /// client for one loopback connection; Go's TLS client accepts it.
    pub fn generate() -> Result<Self, ServeError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
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
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::seconds(30);
        params.not_after = now + CERT_LIFETIME;
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().clone(),
            key_der: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }
}

/// A positive 128-bit serial number from the system's randomness.
fn random_serial() -> SerialNumber {
    use rustls::crypto::aws_lc_rs::default_provider;
    let mut bytes = [0u8; 16];
    if default_provider().secure_random.fill(&mut bytes).is_err() {
        // Uniqueness only matters to CAs; a clock-derived serial is fine for a pinned cert.
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        bytes = nanos.to_be_bytes();
    }
    bytes[0] &= 0x7f; // keep the DER INTEGER positive
    bytes[0] |= 0x01; // and free of a leading zero byte
    SerialNumber::from_slice(&bytes)
}

/// Builds the rustls server configuration: aws-lc-rs, TLS 1.2/1.3, mandatory pinned client
/// certificate, ALPN `h2` (grpc-go ≥ 1.67 drops TLS connections that do not negotiate it).
pub fn server_config(
    identity: &ServerIdentity,
    client_cert_pem: &str,
) -> Result<Arc<ServerConfig>, ServeError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedClientCertVerifier::from_pem(client_cert_pem)?.into_arc();
    // The key is ECDSA by construction, so it is loaded as such: rustls's generic loader
    // would first try it as RSA, which parses and checks it (a base-point multiplication)
    // once more, at every provider start.
    let key = any_ecdsa_type(&PrivateKeyDer::Pkcs8(identity.key_der.clone_key()))?;
    let certified = CertifiedKey::new(vec![identity.cert_der.clone()], key);
    certified.keys_match()?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// A server-side TLS connection that tonic can serve.
///
/// tonic implements `Connected` for rustls streams only behind its own TLS features, which pull
/// in a second TLS stack; this newtype is the small alternative.
pub struct TlsConn(tokio_rustls::server::TlsStream<TcpStream>);

impl Connected for TlsConn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.0.get_ref().0.connect_info()
    }
}

impl AsyncRead for TlsConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// Accepts TCP connections until `shutdown`, completes TLS handshakes concurrently (so one slow
/// or hostile client cannot block others) and yields the established connections.
///
/// Failed handshakes — including clients without the pinned certificate — are logged and dropped;
/// they never reach gRPC.
pub fn tls_incoming(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    shutdown: CancellationToken,
) -> ReceiverStream<Result<TlsConn, io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                () = tx.closed() => break,
                accepted = listener.accept() => accepted,
            };
            let (tcp, peer) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a TCP connection failed");
                    // Errors such as EMFILE repeat immediately; do not spin on them.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        // The receiver is gone only when the server has stopped.
                        let _ = tx.send(Ok(TlsConn(stream))).await;
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(%peer, error = %e, "TLS handshake refused");
                    }
                    Err(_) => {
                        tracing::warn!(%peer, "TLS handshake timed out");
                    }
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server key is the first thing a provider process draws random bytes for, so how
    /// aws-lc seeds decides the start-up cost: its CPU-jitter source took tens of milliseconds
    /// at every launch. The workspace builds aws-lc without it (`.cargo/config.toml`,
    /// docs/benchmarks.md "Entropy"); this fails if that setting stops reaching its build.
    #[test]
    fn aws_lc_seeds_from_the_operating_system_not_cpu_jitter() {
        // SAFETY: a read-only query of aws-lc's configured entropy source, no arguments.
        let jitter = unsafe { aws_lc_sys::FIPS_is_entropy_cpu_jitter() };
        assert_eq!(
            jitter, 0,
            "aws-lc was built with its CPU-jitter entropy source; AWS_LC_SYS_NO_JITTER_ENTROPY=1 \
             (.cargo/config.toml) did not reach aws-lc-sys's build script"
        );
    }

    #[test]
    fn server_certificate_matches_go_plugin_template() {
        let identity = ServerIdentity::generate().expect("identity");
        let (_, cert) =
            x509_parser::parse_x509_certificate(identity.cert_der.as_ref()).expect("parse");
        let san = cert
            .subject_alternative_name()
            .expect("san ext")
            .expect("san present");
        assert!(san.value.general_names.iter().any(|n| matches!(
            n,
            x509_parser::extensions::GeneralName::DNSName("localhost")
        )));
        let eku = cert
            .extended_key_usage()
            .expect("eku ext")
            .expect("eku present");
        assert!(eku.value.server_auth && eku.value.client_auth);
        let bc = cert
            .basic_constraints()
            .expect("bc ext")
            .expect("bc present");
        assert!(bc.value.ca);
        let not_before = cert.validity().not_before.timestamp();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!(not_before <= now - 29 && not_before >= now - 60);
        assert_eq!(cert.issuer(), cert.subject());
        // P-256, the curve the size-optimised aws-lc keeps fast (see `generate`).
        match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::EC(point)) => {
                assert_eq!(point.key_size(), 256)
            }
            other => panic!("expected an EC public key, got {other:?}"),
        }
    }
}
