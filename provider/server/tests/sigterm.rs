//! SIGTERM while a call is in flight, in its own test binary (its own process) because signals
//! are process-wide.
//!
//! A SIGTERM (a CI runner's timeout, `docker stop`, a service manager) must not drop the work in
//! flight: the server first cancels it the way Terraform's StopProvider does, so the hook
//! returns its state and the caller can record what was written, keeps answering that call,
//! and only then exits. A hook that does not return is abandoned after the grace period.

mod support;

use std::time::Duration;

use goplugin_test_client::{connect_tls, provider_client, ClientIdentity, Handshake};
use support::{next_line, LineSink, StoppableProvider, STOPPED_SUMMARY};
use tfplugin_proto::tfplugin6 as pb;
use tfserver::handshake::MAGIC_COOKIE_VALUE;
use tfserver::{serve_with, PluginEnv, ServeError, ServeOptions};
use tokio::task::JoinHandle;

fn send_sigterm() {
    // SAFETY: kill(2) on our own pid with a valid signal number has no memory-safety concerns.
    let rc = unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
    assert_eq!(rc, 0, "kill failed");
}

/// Serves `provider` with `grace`, starts a ReadResource and waits until it is running.
async fn serve_with_a_read_in_flight(
    provider: StoppableProvider,
    grace: Duration,
) -> (
    JoinHandle<Result<(), ServeError>>,
    JoinHandle<Result<tonic::Response<pb::read_resource::Response>, tonic::Status>>,
) {
    let client = ClientIdentity::generate();
    let env = PluginEnv {
        magic_cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
        protocol_versions: Some("6".to_string()),
        min_port: None,
        max_port: None,
        client_cert: Some(client.cert_pem().to_string()),
    };
    let reading = provider.reading.clone();
    let (sink, mut lines) = LineSink::new();
    let options =
        ServeOptions::new("registry.terraform.io/seedlabs/hotpatch").with_stop_grace(grace);
    let server = tokio::spawn(serve_with(provider, options, env, sink));
    let handshake = Handshake::parse(&next_line(&mut lines).await).expect("handshake");
    let der = handshake.server_cert_der.expect("server certificate");
    let channel = connect_tls(&handshake.address, &der, Some(&client))
        .await
        .expect("connect");
    let read = tokio::spawn(async move {
        provider_client(channel)
            .read_resource(pb::read_resource::Request {
                type_name: "thing".to_string(),
                current_state: Some(pb::DynamicValue {
                    msgpack: b"prior-state".to_vec(),
                    json: Vec::new(),
                }),
                ..Default::default()
            })
            .await
    });
    tokio::time::timeout(Duration::from_secs(10), reading.cancelled())
        .await
        .expect("ReadResource reaches the provider");
    (server, read)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_in_flight_work_answers_it_and_exits() {
    // A hook that honours StopProvider: its answer (state included) reaches the client.
    let (server, read) =
        serve_with_a_read_in_flight(StoppableProvider::new(false), Duration::from_secs(20)).await;
    send_sigterm();
    let answer = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("ReadResource answered after SIGTERM")
        .expect("no panic")
        .expect("ReadResource succeeded")
        .into_inner();
    assert_eq!(
        answer.new_state.map(|s| s.msgpack),
        Some(b"prior-state".to_vec()),
        "the state came back"
    );
    assert_eq!(answer.diagnostics[0].summary, STOPPED_SUMMARY);
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returns once the call is answered, long before the 20 s grace")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");

    // A hook that ignores it: serve still returns, after the grace period.
    let (server, read) =
        serve_with_a_read_in_flight(StoppableProvider::new(true), Duration::from_millis(300)).await;
    send_sigterm();
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returns after the grace period")
        .expect("no panic");
    assert!(result.is_ok(), "{result:?}");
    // The stuck call was abandoned, not answered.
    if read.is_finished() {
        let outcome = read.await.expect("no panic");
        assert!(outcome.is_err(), "{outcome:?}");
    } else {
        read.abort();
    }
}
