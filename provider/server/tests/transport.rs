//! End-to-end transport tests: `serve_with` in-process, driven by the shared go-plugin test
//! client over the same AutoMTLS that Terraform's go-plugin client uses.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use goplugin_test_client::{
    client_tls_config_with_versions, connect_plain, connect_tls_with, ClientIdentity, Handshake,
};
use rustls::ClientConfig;
use support::{next_line, LineSink, StubProvider};
use tfplugin_proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin_proto::plugin::grpc_stdio_client::GrpcStdioClient;
use tfplugin_proto::tfplugin6 as pb;
use tfplugin_proto::tfplugin6::provider_client::ProviderClient;
use tfserver::handshake::MAGIC_COOKIE_VALUE;
use tfserver::{serve_with, PluginEnv, ServeError, ServeOptions};
use tokio::io::AsyncReadExt;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const ADDRESS: &str = "registry.terraform.io/seedlabs/hotpatch";

struct Running {
    addr: SocketAddr,
    server_der: Vec<u8>,
    line: String,
    task: JoinHandle<Result<(), ServeError>>,
}

/// Which TLS versions the client offers.
#[derive(Clone, Copy, Debug)]
enum Tls {
    Any,
    Only12,
}

/// A go-plugin client configuration trusting `server_der`, presenting `client` (if any).
fn client_config(
    server_der: &[u8],
    client: Option<&ClientIdentity>,
    tls: Tls,
) -> Arc<ClientConfig> {
    let versions: &[&'static rustls::SupportedProtocolVersion] = match tls {
        Tls::Any => &[&rustls::version::TLS13, &rustls::version::TLS12],
        Tls::Only12 => &[&rustls::version::TLS12],
    };
    client_tls_config_with_versions(server_der, client, versions).expect("client TLS config")
}

async fn tls_channel(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> Result<Channel, goplugin_test_client::Error> {
    connect_tls_with(&addr.to_string(), config).await
}

fn managed_env(client_pem: Option<&str>) -> PluginEnv {
    PluginEnv {
        magic_cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
        protocol_versions: Some("5,6".to_string()),
        min_port: Some("10000".to_string()),
        max_port: Some("25000".to_string()),
        client_cert: client_pem.map(str::to_string),
    }
}

async fn start_managed(client_pem: Option<&str>) -> Running {
    let (sink, mut lines) = LineSink::new();
    let env = managed_env(client_pem);
    let task = tokio::spawn(serve_with(
        StubProvider,
        ServeOptions::new(ADDRESS),
        env,
        sink,
    ));
    let line = next_line(&mut lines).await;
    let handshake = Handshake::parse(&line).expect("go-plugin handshake line");
    assert_eq!(handshake.field_count, 6, "handshake line {line:?}");
    Running {
        addr: handshake.address.parse().expect("address"),
        server_der: handshake.server_cert_der.expect("server certificate"),
        line,
        task,
    }
}

async fn shutdown(channel: Channel, task: JoinHandle<Result<(), ServeError>>) -> Duration {
    let started = Instant::now();
    GrpcControllerClient::new(channel)
        .shutdown(tfplugin_proto::plugin::Empty {})
        .await
        .expect("Shutdown succeeds");
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("serve returns after Shutdown")
        .expect("serve task did not panic");
    assert!(result.is_ok(), "serve result {result:?}");
    started.elapsed()
}

async fn get_schema(channel: Channel) -> Result<(), tonic::Status> {
    ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .map(|_| ())
}

#[tokio::test]
async fn handshake_line_matches_go_plugin() {
    let client = ClientIdentity::generate();
    let running = start_managed(Some(client.cert_pem())).await;
    let fields: Vec<&str> = running.line.split('|').collect();
    assert_eq!(&fields[..3], ["1", "6", "tcp"]);
    assert_eq!(fields[4], "grpc");
    assert_eq!(running.addr.ip().to_string(), "127.0.0.1");
    assert!((10000..=25000).contains(&running.addr.port()));
    assert!(!fields[5].contains('='), "base64 must be unpadded");
    let (_, cert) = x509_parser::parse_x509_certificate(&running.server_der).expect("DER cert");
    assert_eq!(cert.issuer(), cert.subject(), "self-signed");
    let config = client_config(&running.server_der, Some(&client), Tls::Any);
    // grpc-go drops TLS connections that did not negotiate ALPN h2.
    let tcp = tokio::net::TcpStream::connect(running.addr)
        .await
        .expect("tcp");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let tls = tokio_rustls::TlsConnector::from(config.clone())
        .connect(name, tcp)
        .await
        .expect("TLS handshake");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    drop(tls);
    let channel = tls_channel(running.addr, config).await.expect("connect");
    shutdown(channel, running.task).await;
}

#[tokio::test]
async fn terraform_like_client_cert_reaches_the_provider() {
    let client = ClientIdentity::generate();
    let running = start_managed(Some(client.cert_pem())).await;
    for tls in [Tls::Any, Tls::Only12] {
        let config = client_config(&running.server_der, Some(&client), tls);
        let channel = tls_channel(running.addr, config).await.expect("connect");
        let status = get_schema(channel)
            .await
            .expect_err("stub is unimplemented");
        assert_eq!(status.code(), Code::Unimplemented, "{tls:?}: {status:?}");
    }
    let config = client_config(&running.server_der, Some(&client), Tls::Any);
    let channel = tls_channel(running.addr, config).await.expect("connect");
    shutdown(channel, running.task).await;
}

#[tokio::test]
async fn missing_or_foreign_client_cert_is_refused() {
    let client = ClientIdentity::generate();
    let stranger = ClientIdentity::generate();
    let running = start_managed(Some(client.cert_pem())).await;

    for (name, identity) in [
        ("no client cert", None),
        ("other P-521 cert", Some(&stranger)),
    ] {
        for tls in [Tls::Any, Tls::Only12] {
            let config = client_config(&running.server_der, identity, tls);
            // At the TLS level: the server aborts the handshake with an alert, which the client
            // sees at the latest on its first read (TLS 1.3 finishes the client side first).
            let tcp = tokio::net::TcpStream::connect(running.addr)
                .await
                .expect("tcp");
            let name_ref = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            let refused = match tokio_rustls::TlsConnector::from(config.clone())
                .connect(name_ref, tcp)
                .await
            {
                Err(_) => true,
                Ok(mut stream) => {
                    let mut buf = [0u8; 64];
                    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
                        .await
                        .expect("server answers");
                    matches!(read, Err(_) | Ok(0))
                }
            };
            assert!(refused, "{name} {tls:?}: TLS session must be refused");

            // At the gRPC level: the call never reaches the provider.
            let status = match tls_channel(running.addr, config).await {
                Err(_) => None,
                Ok(channel) => Some(get_schema(channel).await.expect_err("must fail")),
            };
            if let Some(status) = status {
                assert_ne!(
                    status.code(),
                    Code::Unimplemented,
                    "{name} {tls:?}: {status:?}"
                );
            }
        }
    }

    // The server keeps serving the legitimate client afterwards.
    let config = client_config(&running.server_der, Some(&client), Tls::Any);
    let channel = tls_channel(running.addr, config).await.expect("connect");
    let status = get_schema(channel.clone())
        .await
        .expect_err("unimplemented");
    assert_eq!(status.code(), Code::Unimplemented);
    shutdown(channel, running.task).await;
}

#[tokio::test]
async fn health_reports_plugin_serving() {
    let client = ClientIdentity::generate();
    let running = start_managed(Some(client.cert_pem())).await;
    let config = client_config(&running.server_der, Some(&client), Tls::Any);
    let channel = tls_channel(running.addr, config).await.expect("connect");
    let response = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "plugin".to_string(),
        })
        .await
        .expect("health check")
        .into_inner();
    assert_eq!(
        response.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    shutdown(channel, running.task).await;
}

#[tokio::test]
async fn shutdown_stops_serve_promptly_even_with_an_open_stdio_stream() {
    let client = ClientIdentity::generate();
    let running = start_managed(Some(client.cert_pem())).await;
    let config = client_config(&running.server_der, Some(&client), Tls::Any);
    let channel = tls_channel(running.addr, config).await.expect("connect");
    // go-plugin's client opens this stream right after connecting and keeps it open.
    let mut stdio = GrpcStdioClient::new(channel.clone())
        .stream_stdio(())
        .await
        .expect("stdio stream")
        .into_inner();
    let elapsed = shutdown(channel, running.task).await;
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    let end = tokio::time::timeout(Duration::from_secs(2), stdio.message())
        .await
        .expect("stdio stream ends");
    assert!(
        !matches!(end, Ok(Some(_))),
        "no stdio data expected: {end:?}"
    );
}

#[tokio::test]
async fn large_messages_are_accepted() {
    let client = ClientIdentity::generate();
    let running = start_managed(Some(client.cert_pem())).await;
    let config = client_config(&running.server_der, Some(&client), Tls::Any);
    let channel = tls_channel(running.addr, config).await.expect("connect");
    let request = pb::validate_resource_config::Request {
        type_name: "big".to_string(),
        config: Some(pb::DynamicValue {
            msgpack: vec![0xc0; 8 * 1024 * 1024],
            json: Vec::new(),
        }),
        ..Default::default()
    };
    let status = ProviderClient::new(channel.clone())
        .validate_resource_config(request)
        .await
        .expect_err("stub is unimplemented");
    // Beyond tonic's 4 MiB default this would be OutOfRange before reaching the provider.
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    shutdown(channel, running.task).await;
}

#[tokio::test]
async fn without_a_client_cert_it_refuses_to_serve() {
    for cert in [None, Some(""), Some("  \n")] {
        let (sink, mut lines) = LineSink::new();
        let result = serve_with(
            StubProvider,
            ServeOptions::new(ADDRESS),
            managed_env(cert),
            sink,
        )
        .await;
        match result {
            Err(e @ ServeError::MissingClientCert) => {
                let text = e.to_string();
                assert!(text.contains("PLUGIN_CLIENT_CERT"), "{text}");
                assert!(text.contains("--debug"), "{text}");
            }
            other => panic!("{cert:?}: expected MissingClientCert, got {other:?}"),
        }
        assert!(
            lines.try_recv().is_err(),
            "{cert:?}: no handshake may be printed"
        );
    }
}

#[tokio::test]
async fn missing_cookie_is_refused_before_any_output() {
    let (sink, mut lines) = LineSink::new();
    let env = PluginEnv {
        magic_cookie: None,
        ..managed_env(None)
    };
    let result = serve_with(StubProvider, ServeOptions::new(ADDRESS), env, sink).await;
    match result {
        Err(e @ ServeError::NotLaunchedByTerraform) => {
            assert!(e.to_string().starts_with("This binary is a plugin."));
        }
        other => panic!("expected NotLaunchedByTerraform, got {other:?}"),
    }
    assert!(
        lines.try_recv().is_err(),
        "nothing may be written to stdout"
    );
}

#[tokio::test]
async fn debug_mode_prints_reattach_config_and_serves_on_a_unix_socket() {
    let (sink, mut lines) = LineSink::new();
    // No cookie: debug mode does not need one.
    let task = tokio::spawn(serve_with(
        StubProvider,
        ServeOptions::new(ADDRESS).with_debug(true),
        PluginEnv::default(),
        sink,
    ));
    let reattach = loop {
        let line = next_line(&mut lines).await;
        if let Some(rest) = line.strip_prefix("TF_REATTACH_PROVIDERS='") {
            break rest.strip_suffix('\'').expect("closing quote").to_string();
        }
    };
    let value: serde_json::Value = serde_json::from_str(&reattach).expect("JSON");
    let entry = &value[ADDRESS];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Test"], true);
    assert_eq!(entry["Pid"], std::process::id());
    assert_eq!(entry["Addr"]["Network"], "unix");
    let path = std::path::PathBuf::from(entry["Addr"]["String"].as_str().expect("path"));
    assert!(path.exists());

    let channel = connect_plain("unix", path.to_str().expect("UTF-8 socket path"))
        .await
        .expect("unix connect");
    let status = get_schema(channel.clone())
        .await
        .expect_err("unimplemented");
    assert_eq!(status.code(), Code::Unimplemented);
    shutdown(channel, task).await;
    assert!(!path.exists(), "socket directory is cleaned up");
}
