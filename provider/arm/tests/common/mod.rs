//! A scripted local HTTPS server standing in for both Entra ID (token endpoint) and ARM, with a
//! throwaway CA handed to the client as its extra CA file — so the real TLS, token and retry
//! paths run without Azure.

#![allow(dead_code)]

use armclient::{ArmClient, ArmConfig, CancellationToken, Credentials, PollPolicy, RetryPolicy};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use url::Url;

pub const TENANT: &str = "00000000-0000-0000-0000-0000000000aa";
pub const CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";
pub const SECRET: &str = "s3cret-value";
pub const TOKEN: &str = "test-access-token";
pub const API: &str = "2025-01-13";
pub const MACHINE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/m1";

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path and query as received.
    pub uri: String,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn is_token(&self) -> bool {
        self.uri.contains("/oauth2/v2.0/token")
    }
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or_default()
    }
}

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn new(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply::new(status)
            .header("content-type", "application/json")
            .body(body.to_string())
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
    pub fn body(mut self, b: impl Into<Vec<u8>>) -> Self {
        self.body = b.into();
        self
    }
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
    /// No answer at all: the server drops the connection after reading the request.
    pub fn reset() -> Self {
        Reply::new(0)
    }
}

pub type Handler = Arc<dyn Fn(&Recorded, &str) -> Reply + Send + Sync>;

pub struct Pki {
    pub ca_pem: String,
    pub leaf_der: CertificateDer<'static>,
    pub leaf_key: Vec<u8>,
}

pub fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "armclient test CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let mut leaf_params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("leaf params");
    leaf_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .expect("leaf cert");
    Pki {
        ca_pem: ca_cert.pem(),
        leaf_der: leaf.der().clone(),
        leaf_key: leaf_key.serialize_der(),
    }
}

pub struct TestServer {
    pub base: Url,
    pub addr: SocketAddr,
    pub ca_file: tempfile::NamedTempFile,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn token_reply(req: &Recorded) -> Reply {
    let body = req.body_str();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let bad = get("client_secret").is_some_and(|s| s != SECRET)
        || get("client_assertion").is_some_and(|a| a == "bad-assertion");
    if bad {
        return Reply::json(
            401,
            serde_json::json!({
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided. Trace ID: x",
                "error_codes": [7000215]
            }),
        );
    }
    Reply::json(
        200,
        serde_json::json!({
            "token_type": "Bearer",
            "expires_in": 3600,
            "ext_expires_in": 3600,
            "access_token": TOKEN
        }),
    )
}

impl TestServer {
    /// Starts a server on a random port.
    pub async fn start(handler: impl Fn(&Recorded, &str) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::start_on(listener, Arc::new(handler), pki())
    }

    /// Starts a server on `listener` with the given PKI. The handler gets the request and the
    /// server's base URL (for building absolute monitor / nextLink URLs).
    pub fn start_on(listener: TcpListener, handler: Handler, pki: Pki) -> Self {
        let addr = listener.local_addr().expect("addr");
        let base = Url::parse(&format!("https://127.0.0.1:{}/", addr.port())).expect("url");
        let mut ca_file = tempfile::NamedTempFile::new().expect("tempfile");
        ca_file.write_all(pki.ca_pem.as_bytes()).expect("write ca");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![pki.leaf_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.leaf_key.clone())),
            )
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let recorded = requests.clone();
        let base_str = base.as_str().trim_end_matches('/').to_string();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let handler = handler.clone();
                let recorded = recorded.clone();
                let base_str = base_str.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |req: hyper::Request<Incoming>| {
                        let handler = handler.clone();
                        let recorded = recorded.clone();
                        let base_str = base_str.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes().to_vec())
                                .unwrap_or_default();
                            let rec = Recorded {
                                method: parts.method.to_string(),
                                uri: parts
                                    .uri
                                    .path_and_query()
                                    .map(|p| p.to_string())
                                    .unwrap_or_default(),
                                headers: parts.headers,
                                body,
                                at: Instant::now(),
                            };
                            recorded.lock().unwrap().push(rec.clone());
                            let reply = if rec.is_token() && rec.method == "POST" {
                                token_reply(&rec)
                            } else {
                                handler(&rec, &base_str)
                            };
                            if !reply.delay.is_zero() {
                                tokio::time::sleep(reply.delay).await;
                            }
                            if reply.status == 0 {
                                return Err(std::io::Error::other("connection reset by the test"));
                            }
                            let mut resp = hyper::Response::builder().status(reply.status);
                            for (k, v) in &reply.headers {
                                resp = resp.header(k, v);
                            }
                            Ok::<_, std::io::Error>(
                                resp.body(Full::new(Bytes::from(reply.body)))
                                    .expect("response"),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        TestServer {
            base,
            addr,
            ca_file,
            requests,
            task,
        }
    }

    /// All requests, token requests included.
    pub fn all_requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// Requests to ARM (token requests excluded).
    pub fn arm_requests(&self) -> Vec<Recorded> {
        self.all_requests()
            .into_iter()
            .filter(|r| !r.is_token())
            .collect()
    }

    pub fn token_requests(&self) -> Vec<Recorded> {
        self.all_requests()
            .into_iter()
            .filter(|r| r.is_token())
            .collect()
    }

    /// Client-secret config against this server, with fast retries and polls.
    pub fn config(&self) -> ArmConfig {
        let mut c = ArmConfig::new(
            Credentials::ClientSecret {
                tenant_id: TENANT.into(),
                client_id: CLIENT_ID.into(),
                client_secret: SECRET.into(),
            },
            armclient::user_agent("terraform-provider-hotpatch", "0.0.0-test"),
        );
        c.resource_manager_endpoint = Some(self.base.clone());
        c.authority_host = Some(self.base.clone());
        c.ca_certificate_file = Some(self.ca_file.path().to_path_buf());
        c.retry = fast_retry();
        c.polling = fast_polling();
        c
    }

    pub fn client(&self) -> ArmClient {
        ArmClient::new(self.config(), CancellationToken::new()).expect("client")
    }
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        max_total_wait: Duration::from_secs(20),
    }
}

/// Polls every 10 ms (at most 200 ms apart), so LRO tests run in milliseconds.
pub fn fast_polling() -> PollPolicy {
    PollPolicy {
        interval: Duration::from_millis(10),
        min_interval: Duration::from_millis(10),
        max_interval: Duration::from_millis(200),
        ..PollPolicy::default()
    }
}

/// A credential that hands out [`TOKEN`] without any token endpoint.
#[derive(Debug)]
pub struct FixedToken;

#[async_trait::async_trait]
impl azure_core::credentials::TokenCredential for FixedToken {
    async fn get_token(
        &self,
        _: &[&str],
        _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
    ) -> azure_core::Result<azure_core::credentials::AccessToken> {
        Ok(azure_core::credentials::AccessToken::new(
            TOKEN,
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}

/// Counts requests matching a predicate.
pub fn count(reqs: &[Recorded], method: &str, path_contains: &str) -> usize {
    reqs.iter()
        .filter(|r| r.method == method && r.uri.contains(path_contains))
        .count()
}
