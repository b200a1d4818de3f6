//! Signal handling, in its own test binary (its own process) because signals are process-wide.
//!
//! A managed server must survive SIGINT — Terraform delivers Ctrl-C to the whole process group and
//! stops providers through `StopProvider` instead — and SIGTERM must stop it.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use goplugin_test_client::{connect_tls, ClientIdentity, Handshake};
use support::{next_line, LineSink, StubProvider};
use tfplugin_proto::tfplugin6 as pb;
use tfplugin_proto::tfplugin6::provider_client::ProviderClient;
use tfserver::handshake::MAGIC_COOKIE_VALUE;
use tfserver::{serve_with, PluginEnv, ServeOptions};

fn send_signal(signal: libc::c_int) {
    // SAFETY: kill(2) on our own pid with a valid signal number has no memory-safety concerns.
    let rc = unsafe { libc::kill(libc::getpid(), signal) };
    assert_eq!(rc, 0, "kill failed");
}

#[tokio::test]
async fn sigint_is_ignored_and_sigterm_stops_the_server() {
    let client = ClientIdentity::generate();
    let env = PluginEnv {
        magic_cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
        protocol_versions: Some("6".to_string()),
        min_port: None,
        max_port: None,
        client_cert: Some(client.cert_pem().to_string()),
    };
    let (sink, mut lines) = LineSink::new();
    let task = tokio::spawn(serve_with(
        StubProvider,
        ServeOptions::new("registry.terraform.io/seedlabs/hotpatch"),
        env,
        sink,
    ));
    let handshake = Handshake::parse(&next_line(&mut lines).await).expect("handshake");
    let addr: SocketAddr = handshake.address.parse().expect("address");
    let server_der = handshake.server_cert_der.expect("server certificate");

    send_signal(libc::SIGINT);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!task.is_finished(), "SIGINT must not stop a managed server");
    let channel = connect_tls(&addr.to_string(), &server_der, Some(&client))
        .await
        .expect("connect after SIGINT");
    let status = ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect_err("stub is unimplemented");
    assert_eq!(status.code(), tonic::Code::Unimplemented);

    send_signal(libc::SIGTERM);
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("serve returns after SIGTERM")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");
}
