//! Nothing costly happens before the handshake line.
//!
//! Terraform starts the provider several times per command and waits for its handshake line
//! each time, so start-up cost is paid over and over (docs/benchmarks.md, "Cold start"). Schemas
//! are built on the first RPC that needs them and validator patterns at their first use; this
//! test holds that line by counting the framework's work ([`tfframework::work_counts`]) at the
//! moment the handshake line is written, rather than timing anything: it fails the same way on
//! an idle and on a loaded machine the day someone builds a schema or compiles a pattern at
//! start-up.
//!
//! It serves in-process through [`terraform_provider_hotpatch::serve`], the binary's own
//! start-up path, and is the only test in this file: the counts are per process.

use std::io::Write;
use std::time::Duration;

use goplugin_test_client::{connect_tls, provider_client, ClientIdentity, Handshake};
use tfframework::{work_counts, WorkCounts};
use tfplugin_proto::plugin::grpc_controller_client::GrpcControllerClient;
use tfplugin_proto::plugin::Empty;
use tfplugin_proto::tfplugin6 as pb;
use tfserver::handshake::MAGIC_COOKIE_VALUE;
use tfserver::PluginEnv;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// Stands in for stdout: sends each complete line together with the work counts at the moment
/// it was written.
struct CountingStdout {
    buffer: Vec<u8>,
    lines: UnboundedSender<(String, WorkCounts)>,
}

impl Write for CountingStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..end]).into_owned();
            let _ = self.lines.send((text, work_counts()));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_schema_is_built_and_no_pattern_compiled_before_the_handshake_line() {
    let client = ClientIdentity::generate();
    let env = PluginEnv {
        magic_cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
        protocol_versions: Some("5,6".to_string()),
        min_port: Some("10000".to_string()),
        max_port: Some("25000".to_string()),
        client_cert: Some(client.cert_pem().to_string()),
    };
    let (lines, mut received) = unbounded_channel();
    let stdout = CountingStdout {
        buffer: Vec::new(),
        lines,
    };
    let serving = tokio::spawn(terraform_provider_hotpatch::serve(false, env, stdout));

    let (line, at_handshake) = tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await
        .expect("a handshake line within 30 s")
        .expect("a handshake line before serve returned");
    assert_eq!(
        at_handshake,
        WorkCounts::default(),
        "work done before the handshake line; Terraform waits for that line at every provider \
         start, so build schemas on the first RPC that needs them and compile patterns at \
         their first use"
    );

    // The counts see this provider's work: the first schema request builds its schemas. Without
    // this, the zeros above could come from counters that count nothing.
    let handshake = Handshake::parse(&line).expect("go-plugin handshake line");
    let server_cert = handshake.server_cert_der.expect("server certificate");
    let channel = connect_tls(&handshake.address, &server_cert, Some(&client))
        .await
        .expect("mTLS connection");
    let schema = provider_client(channel.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    assert!(schema.resource_schemas.contains_key("hotpatch_enrollment"));
    let after_schema = work_counts();
    assert!(
        after_schema.schema_blocks_built >= schema.resource_schemas.len() as u64,
        "{after_schema:?} after GetProviderSchema"
    );
    // Building every schema compiles no pattern either: patterns wait for a value to check.
    assert_eq!(
        after_schema.patterns_compiled, 0,
        "a validator pattern was compiled while building schemas"
    );

    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    let served = tokio::time::timeout(Duration::from_secs(5), serving)
        .await
        .expect("serve returns after Shutdown")
        .expect("serve did not panic");
    assert!(served.is_ok(), "{served:?}");
}
