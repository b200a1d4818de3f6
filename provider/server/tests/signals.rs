//! Signal handling, in its own test binary (its own process) because signals are process-wide.
//!
//! A managed server must survive SIGINT — Terraform delivers Ctrl-C to the whole process group and
//! stops providers through `StopProvider` instead — and SIGTERM must stop it.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use support::{
    client_config, next_line, terraform_like_client_cert, tls_channel, LineSink, StubProvider, Tls,
};
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
    let client = terraform_like_client_cert();
    let env = PluginEnv {
        magic_cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
        protocol_versions: Some("6".to_string()),
        min_port: None,
        max_port: None,
        client_cert: Some(client.pem.clone()),
    };
    let (sink, mut lines) = LineSink::new();
    let task = tokio::spawn(serve_with(
        StubProvider,
        ServeOptions::new("registry.terraform.io/seedlabs/hotpatch"),
        env,
        sink,
    ));
    let line = next_line(&mut lines).await;
    let fields: Vec<&str> = line.split('|').collect();
    let addr: SocketAddr = fields[3].parse().expect("address");
    let server_der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("cert");

    send_signal(libc::SIGINT);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!task.is_finished(), "SIGINT must not stop a managed server");
    let channel = tls_channel(addr, client_config(&server_der, Some(&client), Tls::Any))
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
