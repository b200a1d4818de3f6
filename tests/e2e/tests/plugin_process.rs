//! Process-level tests of the real provider binary, driven the way Terraform 1.15.5 drives it.
//!
//! These cover the go-plugin contract (PROTOCOL.md sections 2 and 7) that a Terraform run cannot
//! observe directly: a binary that accepts connections from any local process, ignores `Shutdown`
//! (two seconds lost per launch), dies on Ctrl-C mid-apply, or pads its base64 certificate would
//! still pass — or fail obscurely — in the Terraform-level tests. Each test launches its own
//! process; bounds on waiting are generous and only guard against hangs.

use std::net::TcpListener;
use std::time::Duration;

use base64::Engine;
use hotpatch_e2e::plugin_client::{
    connect_plain, provider_binary, provider_client, ClientIdentity, LaunchOptions, PluginClient,
    PluginProcess, Reattach, START_TIMEOUT,
};
use tfplugin_proto::tfplugin6::{get_provider_schema, stop_provider};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Generous bound for a process to exit once it has been told to.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

async fn launch() -> PluginClient {
    PluginClient::launch(&provider_binary())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A port `p` such that `p` is held by the returned listener and `p + 1 ..= p + 5` exist.
fn occupied_port() -> (TcpListener, u16) {
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let port = listener.local_addr().expect("local addr").port();
        if port <= u16::MAX - 5 {
            return (listener, port);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_magic_cookie_it_prints_the_plugin_message_and_exits_1() {
    let mut process =
        PluginProcess::spawn(&provider_binary(), &LaunchOptions::bare()).expect("spawn");
    let status = process.wait_exit(EXIT_TIMEOUT).await;
    let description = process.describe();
    let status = status.unwrap_or_else(|| panic!("did not exit without a cookie\n{description}"));
    assert_eq!(status.code(), Some(1), "exit status\n{description}");
    assert!(
        process.stderr().contains("This binary is a plugin"),
        "stderr lacks go-plugin's human message\n{description}"
    );
    assert!(
        process
            .next_stdout_line(Duration::from_secs(1))
            .await
            .is_none(),
        "printed something on stdout although it must not serve\n{description}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_client_certificate_it_refuses_to_serve_and_exits_1() {
    // The magic cookie says "Terraform", but Terraform always sends its certificate: serving
    // plaintext here would let any local process drive the provider.
    for cert in [None, Some("   ")] {
        let mut options = LaunchOptions::terraform(&ClientIdentity::generate());
        options.client_cert_pem = cert.map(str::to_string);
        let mut process = PluginProcess::spawn(&provider_binary(), &options).expect("spawn");
        let status = process.wait_exit(EXIT_TIMEOUT).await;
        let description = process.describe();
        let status = status.unwrap_or_else(|| {
            panic!("{cert:?}: still running without a client cert\n{description}")
        });
        assert_eq!(
            status.code(),
            Some(1),
            "{cert:?}: exit status\n{description}"
        );
        assert!(
            process
                .stderr()
                .contains("PLUGIN_CLIENT_CERT is missing or empty"),
            "{cert:?}: stderr does not say why\n{description}"
        );
        assert!(
            process
                .next_stdout_line(Duration::from_secs(1))
                .await
                .is_none(),
            "{cert:?}: printed a handshake although it must not serve\n{description}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_makes_an_idle_provider_exit_cleanly() {
    let mut client = launch().await;
    client
        .get_provider_schema()
        .await
        .unwrap_or_else(|s| panic!("GetProviderSchema: {s}\n{}", client.describe()));
    client
        .process
        .signal(libc::SIGTERM)
        .unwrap_or_else(|e| panic!("kill(SIGTERM): {e}"));
    let status = client.process.wait_exit(EXIT_TIMEOUT).await;
    let description = client.describe();
    let status = status.unwrap_or_else(|| panic!("still running after SIGTERM\n{description}"));
    assert!(
        status.success(),
        "exit after SIGTERM: {status}\n{description}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handshake_line_is_well_formed_and_binds_inside_the_port_range() {
    // The lowest port of the range is taken, so a correct server moves on to the next one.
    let (_held, low) = occupied_port();
    let high = low + 5;
    let identity = ClientIdentity::generate();
    let mut options = LaunchOptions::terraform(&identity);
    options.port_range = Some((low, high));
    let mut client = PluginClient::launch_with(&provider_binary(), identity, options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hs = client.handshake.clone();
    let context = client.describe();

    assert_eq!(
        hs.field_count, 6,
        "exactly six fields, no multiplex flag\n{context}"
    );
    assert_eq!(hs.core_version, 1, "core protocol version\n{context}");
    assert_eq!(hs.app_version, 6, "app protocol version\n{context}");
    assert_eq!(hs.network, "tcp", "network\n{context}");
    assert_eq!(hs.protocol, "grpc", "protocol\n{context}");
    let port: u16 = hs
        .address
        .strip_prefix("127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("address is not 127.0.0.1:<port>\n{context}"));
    assert!(
        port > low && port <= high,
        "port {port} outside PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT ({low}..={high}, {low} taken)\n{context}"
    );

    assert!(
        !hs.cert_field.contains('='),
        "certificate must be unpadded base64\n{context}"
    );
    assert!(
        !hs.cert_field.contains(['-', '_']),
        "certificate must use the standard alphabet\n{context}"
    );
    let der = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&hs.cert_field)
        .unwrap_or_else(|e| panic!("certificate is not RawStdEncoding base64: {e}\n{context}"));
    let (rest, cert) = X509Certificate::from_der(&der)
        .unwrap_or_else(|e| panic!("certificate is not DER X.509: {e}\n{context}"));
    assert!(
        rest.is_empty(),
        "trailing bytes after the certificate\n{context}"
    );
    let sans = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| format!("{:?}", ext.value.general_names))
        .unwrap_or_default();
    assert!(
        sans.contains("DNSName(\"localhost\")"),
        "SAN must include DNS localhost, got {sans}\n{context}"
    );
    assert_eq!(
        cert.subject(),
        cert.issuer(),
        "certificate must be self-signed\n{context}"
    );

    // The client in `launch_with` already did the whole mTLS handshake; prove the channel works.
    client
        .get_provider_schema()
        .await
        .unwrap_or_else(|s| panic!("GetProviderSchema: {s}\n{context}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_provider_schema_over_mtls_lists_hotpatch_enrollment() {
    let mut client = launch().await;
    let response = client
        .get_provider_schema()
        .await
        .unwrap_or_else(|s| panic!("GetProviderSchema: {s}\n{}", client.describe()));
    let context = client.describe();
    assert!(
        response.diagnostics.is_empty(),
        "unexpected diagnostics {:?}\n{context}",
        response.diagnostics
    );
    assert!(
        response
            .resource_schemas
            .contains_key("hotpatch_enrollment"),
        "resource schemas {:?} lack hotpatch_enrollment\n{context}",
        response.resource_schemas.keys().collect::<Vec<_>>()
    );
    assert!(response.provider.is_some(), "no provider schema\n{context}");
}

/// Connects as `client` (or without a certificate) and tries GetProviderSchema; either step
/// may fail (with TLS 1.3 the server's refusal arrives after the client finished its handshake).
async fn schema_call_as(
    target: &PluginClient,
    client: Option<&ClientIdentity>,
) -> Result<(), String> {
    let channel = target
        .connect_as(client)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    provider_client(channel)
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .map(|_| ())
        .map_err(|s| format!("rpc: {s}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_without_a_client_certificate_is_refused() {
    let mut client = launch().await;
    let result = schema_call_as(&client, None).await;
    assert!(
        result.is_err(),
        "a client without a certificate got a schema\n{}",
        client.describe()
    );
    // The refusal must not take the server down for the legitimate client.
    client.get_provider_schema().await.unwrap_or_else(|s| {
        panic!(
            "legitimate client after refusal: {s}\n{}",
            client.describe()
        )
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_with_another_p521_certificate_is_refused() {
    let mut client = launch().await;
    // Same subject, issuer and key type as Terraform's: only the bytes differ.
    let stranger = ClientIdentity::generate();
    let result = schema_call_as(&client, Some(&stranger)).await;
    assert!(
        result.is_err(),
        "a client with a different certificate got a schema\n{}",
        client.describe()
    );
    client.get_provider_schema().await.unwrap_or_else(|s| {
        panic!(
            "legitimate client after refusal: {s}\n{}",
            client.describe()
        )
    });
    // And a second connection with the right certificate is accepted, so the test above
    // measured the certificate and not just "second connections fail".
    let identity = client.identity.clone();
    schema_call_as(&client, Some(&identity))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "second connection with the right certificate: {e}\n{}",
                client.describe()
            )
        });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_controller_shutdown_makes_the_process_exit() {
    let mut client = launch().await;
    client
        .get_provider_schema()
        .await
        .unwrap_or_else(|s| panic!("GetProviderSchema: {s}\n{}", client.describe()));
    let (_, status, mut process) = client.shutdown(EXIT_TIMEOUT).await;
    let description = process.describe();
    let status = status.unwrap_or_else(|| {
        panic!("still running {EXIT_TIMEOUT:?} after GRPCController.Shutdown\n{description}")
    });
    assert!(
        status.success(),
        "exit after Shutdown should be clean: {status}\n{description}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_does_not_stop_the_provider() {
    let mut client = launch().await;
    client
        .process
        .signal(libc::SIGINT)
        .unwrap_or_else(|e| panic!("kill(SIGINT): {e}"));
    // Give a default SIGINT disposition time to act; this delay cannot cause a false failure.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        client.process.try_exit().is_none(),
        "the provider died on SIGINT (Terraform handles Ctrl-C with StopProvider)\n{}",
        client.describe()
    );
    client
        .get_provider_schema()
        .await
        .unwrap_or_else(|s| panic!("GetProviderSchema after SIGINT: {s}\n{}", client.describe()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_provider_answers_with_an_empty_error_and_keeps_serving() {
    let mut client = launch().await;
    let response = client
        .provider
        .stop_provider(stop_provider::Request {})
        .await
        .unwrap_or_else(|s| panic!("StopProvider: {s}\n{}", client.describe()))
        .into_inner();
    assert_eq!(
        response.error,
        "",
        "StopProvider reported a failure\n{}",
        client.describe()
    );
    assert!(
        client.process.try_exit().is_none(),
        "the provider exited on StopProvider (only Shutdown may end it)\n{}",
        client.describe()
    );
    let (_, status, mut process) = client.shutdown(EXIT_TIMEOUT).await;
    assert!(
        status.is_some(),
        "Shutdown after StopProvider did not end the process\n{}",
        process.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_mode_prints_a_reattach_line_and_serves_plaintext() {
    let mut options = LaunchOptions::bare();
    options.args = vec!["--debug".to_string()];
    let mut process = PluginProcess::spawn(&provider_binary(), &options).expect("spawn --debug");

    let mut printed = Vec::new();
    let reattach = loop {
        let Some((_, line)) = process.next_stdout_line(START_TIMEOUT).await else {
            panic!(
                "no TF_REATTACH_PROVIDERS line; stdout was {printed:#?}\n{}",
                process.describe()
            );
        };
        if line.starts_with("TF_REATTACH_PROVIDERS=") {
            break Reattach::parse_line(&line)
                .unwrap_or_else(|e| panic!("{e}\n{}", process.describe()));
        }
        printed.push(line);
    };
    let context = format!("reattach {reattach:?}\n{}", process.describe());
    assert_eq!(
        reattach.entry["ProtocolVersion"], 6,
        "Terraform assumes 5 when absent\n{context}"
    );
    assert_eq!(reattach.entry["Protocol"], "grpc", "{context}");
    assert_eq!(reattach.entry["Pid"], process.pid(), "{context}");
    assert!(
        reattach.provider_address.ends_with("/hotpatch"),
        "provider address {:?}\n{context}",
        reattach.provider_address
    );
    assert!(
        matches!(reattach.network.as_str(), "unix" | "tcp"),
        "Addr.Network must be unix or tcp\n{context}"
    );

    let channel = connect_plain(&reattach.network, &reattach.address)
        .await
        .unwrap_or_else(|e| panic!("plaintext connect: {e}\n{context}"));
    let schema = provider_client(channel)
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .unwrap_or_else(|s| panic!("GetProviderSchema over plaintext: {s}\n{context}"))
        .into_inner();
    assert!(
        schema.resource_schemas.contains_key("hotpatch_enrollment"),
        "debug server lacks hotpatch_enrollment\n{context}"
    );

    // Debug mode is ended by Ctrl-C (nothing else will: Terraform never shuts it down).
    process.signal(libc::SIGINT).expect("kill(SIGINT)");
    assert!(
        process.wait_exit(EXIT_TIMEOUT).await.is_some(),
        "debug-mode provider ignored Ctrl-C\n{}",
        process.describe()
    );
}
