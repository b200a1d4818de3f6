//! A provider registry on 127.0.0.1 serving a `dist/` folder over HTTPS through the provider
//! registry protocol, the way registry.terraform.io serves a published release: service
//! discovery (`/.well-known/terraform.json`), `GET .../versions`, and
//! `GET .../<version>/download/<os>/<arch>` naming the zip, its SHA-256, the `SHA256SUMS` file,
//! its detached signature and the signing key. Terraform downloads all of them and checks the
//! signature and checksums itself, so an `init` against this server is the proof that the
//! artifacts `make release` writes are what the registry would publish.
//!
//! Like the real registry, it derives everything from the artifacts: platforms from the zips'
//! names, protocols from the manifest, checksums from `SHA256SUMS`. Terraform trusts it through
//! its own CA (`SSL_CERT_FILE`), and reaches it either by the registry's hostname redirected
//! with a CLI `host` block ([`Registry::host_block`]) or by `localhost:<port>` with discovery.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hotpatch_release::names::{Platform, Release, PUBLIC_KEY_FILE};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// What the registry publishes: one release in a folder of its artifacts.
struct Published {
    release: Release,
    dist: PathBuf,
    /// Overrides the signing key served beside the release (a test of a wrong key).
    served_key: Option<String>,
    /// The key id the registry reports with the key.
    key_id: String,
}

/// A running registry. Dropping it stops the server.
pub struct Registry {
    addr: SocketAddr,
    ca_file: tempfile::NamedTempFile,
    requests: Arc<Mutex<Vec<String>>>,
    // Dropped last: it runs the listener.
    _runtime: tokio::runtime::Runtime,
}

impl Registry {
    /// Serves `release` from `dist` with the public key `dist/signing-key.asc` reported as
    /// `key_id`.
    pub fn start(release: Release, dist: &Path, key_id: &str) -> Self {
        Self::start_with(release, dist, key_id, None)
    }

    /// The same, but announcing `armored_key` as the signing key instead of the one in `dist`.
    pub fn start_with(
        release: Release,
        dist: &Path,
        key_id: &str,
        armored_key: Option<String>,
    ) -> Self {
        let (ca_pem, server_config) = tls();
        let published = Arc::new(Published {
            release,
            dist: dist.to_path_buf(),
            served_key: armored_key,
            key_id: key_id.to_string(),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = runtime
            .block_on(TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
            .expect("bind registry port");
        let addr = listener.local_addr().expect("registry address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let acceptor = TlsAcceptor::from(server_config);
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let published = Arc::clone(&published);
                let log = Arc::clone(&log);
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let path = req.uri().path().to_string();
                        log.lock().expect("request log").push(path.clone());
                        let reply = route(&published, &path);
                        async move { Ok::<_, Infallible>(reply) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), svc)
                        .await;
                });
            }
        });
        let ca_file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(ca_file.path(), ca_pem).expect("write registry CA");
        Registry {
            addr,
            ca_file,
            requests,
            _runtime: runtime,
        }
    }

    /// `localhost:<port>`, a registry hostname Terraform accepts and resolves to 127.0.0.1.
    pub fn hostname(&self) -> String {
        format!("localhost:{}", self.addr.port())
    }

    /// A PEM file with the CA Terraform must trust: Go's TLS takes it from `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> &Path {
        self.ca_file.path()
    }

    /// A CLI configuration `host` block that sends `hostname`'s provider registry service to
    /// this server, as discovery at that hostname would.
    pub fn host_block(&self, hostname: &str) -> String {
        format!(
            "host \"{hostname}\" {{\n  services = {{\n    \"providers.v1\" = \"https://{}/v1/providers/\"\n  }}\n}}\n",
            self.hostname()
        )
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("request log").clone()
    }
}

fn route(published: &Published, path: &str) -> Response<Full<Bytes>> {
    let release = &published.release;
    let provider = format!(
        "/v1/providers/{}/{}/",
        release.provider.namespace, release.provider.type_name
    );
    if path == "/.well-known/terraform.json" {
        return json_reply(json!({ "providers.v1": "/v1/providers/" }));
    }
    if let Some(name) = path.strip_prefix("/files/") {
        return file(&published.dist, name);
    }
    let Some(rest) = path.strip_prefix(&provider) else {
        return not_found();
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["versions"] => match versions(published) {
            Some(body) => json_reply(body),
            None => not_found(),
        },
        [version, "download", os, arch] if *version == release.version => {
            match download(published, &Platform::new(os, arch)) {
                Some(body) => json_reply(body),
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn protocols(published: &Published) -> Option<Value> {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(published.dist.join(published.release.manifest_name())).ok()?,
    )
    .ok()?;
    Some(manifest["metadata"]["protocol_versions"].clone())
}

/// The checksums in `SHA256SUMS` by file name.
fn sums(published: &Published) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(published.dist.join(published.release.sums_name())).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once("  "))
            .map(|(sum, name)| (name.to_string(), sum.to_string()))
            .collect(),
    )
}

fn versions(published: &Published) -> Option<Value> {
    let release = &published.release;
    let platforms: Vec<Value> = sums(published)?
        .keys()
        .filter_map(|name| release.zip_platform(name))
        .map(|p| json!({ "os": p.os, "arch": p.arch }))
        .collect();
    Some(json!({
        "versions": [{
            "version": release.version,
            "protocols": protocols(published)?,
            "platforms": platforms,
        }]
    }))
}

fn download(published: &Published, platform: &Platform) -> Option<Value> {
    let release = &published.release;
    let filename = release.zip_name(platform);
    let shasum = sums(published)?.get(&filename)?.clone();
    let key = match &published.served_key {
        Some(key) => key.clone(),
        None => std::fs::read_to_string(published.dist.join(PUBLIC_KEY_FILE)).ok()?,
    };
    Some(json!({
        "protocols": protocols(published)?,
        "os": platform.os,
        "arch": platform.arch,
        "filename": filename,
        "download_url": format!("/files/{filename}"),
        "shasums_url": format!("/files/{}", release.sums_name()),
        "shasums_signature_url": format!("/files/{}", release.signature_name()),
        "shasum": shasum,
        "signing_keys": {
            "gpg_public_keys": [{
                "key_id": published.key_id,
                "ascii_armor": key,
                "trust_signature": "",
                "source": "",
                "source_url": null,
            }]
        }
    }))
}

fn file(dist: &Path, name: &str) -> Response<Full<Bytes>> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return not_found();
    }
    match std::fs::read(dist.join(name)) {
        Ok(data) => Response::builder()
            .header("content-type", "application/octet-stream")
            .body(Full::new(Bytes::from(data)))
            .expect("response"),
        Err(_) => not_found(),
    }
}

fn json_reply(body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}

fn not_found() -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .body(Full::new(Bytes::from_static(b"not found")))
        .expect("response")
}

/// A CA of this registry's own and a `localhost`/127.0.0.1 certificate it signed.
fn tls() -> (String, Arc<rustls::ServerConfig>) {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::CommonName, "Provider registry test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().expect("server key");
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).expect("leaf params");
    leaf.subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    leaf.distinguished_name = DistinguishedName::new();
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&key, &issuer).expect("server certificate");

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone(), ca_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("TLS server config");
    (ca_cert.pem(), Arc::new(config))
}
