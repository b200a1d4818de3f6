//! StopProvider and SIGTERM cancel a running action, driven at the process level.
//!
//! Terraform sends StopProvider on Ctrl-C during `terraform apply -invoke=...`; a provider that
//! ignores it keeps the user waiting for a long-running operation that can take hours, and one
//! that dies on it loses the stream Terraform reads the outcome from. A SIGTERM (a CI timeout,
//! `docker stop`) must cancel the same way and still deliver the outcome before the process
//! exits. None of this shows in a Terraform run that finishes normally, so these tests launch
//! the real binary the way Terraform does (go-plugin over mTLS), start `hotpatch_assess` against
//! an emulator whose operations never finish on their own, and stop it mid-flight. Time bounds
//! only guard against hangs.

use std::time::Duration;

use arm_emulator::{seed, Config, LroTiming};
use hotpatch_e2e::env::TestEnv;
use hotpatch_e2e::plugin_client::{provider_binary, ClientIdentity, LaunchOptions, PluginClient};
use tfplugin_proto::tfplugin6 as pb;
use tfplugin_proto::tfplugin6::invoke_action::event;
use tfprotocol::{Type, Value};
use tokio::time::{timeout, timeout_at, Instant};
use tonic::Streaming;

const ACTION: &str = "hotpatch_assess";
/// Generous bound for anything the test waits on.
const PATIENCE: Duration = Duration::from_secs(20);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A configuration object for a flat schema block: `set` attributes as strings, the rest null,
/// encoded as Terraform would send it.
fn config(block: &pb::schema::Block, set: &[(&str, &str)]) -> pb::DynamicValue {
    assert!(block.block_types.is_empty(), "expected a flat block");
    let ty = Type::object(block.attributes.iter().map(|a| {
        let ty = Type::from_json_bytes(&a.r#type)
            .unwrap_or_else(|e| panic!("type of attribute {}: {e}", a.name));
        (a.name.clone(), ty)
    }));
    let values = block
        .attributes
        .iter()
        .map(|a| {
            let value = set
                .iter()
                .find(|(name, _)| *name == a.name)
                .map_or(Value::Null, |(_, v)| Value::string(*v));
            (a.name.clone(), value)
        })
        .collect();
    Value::Object(values)
        .to_dynamic_value(&ty)
        .expect("encode configuration")
}

/// Waits until the emulator has accepted the assessment, i.e. the operation is running.
async fn wait_for_assessment(env: &TestEnv) {
    let deadline = Instant::now() + PATIENCE;
    while !env
        .emulator
        .requests()
        .iter()
        .any(|r| r.method == "POST" && r.path.ends_with("/assessPatches"))
    {
        assert!(
            Instant::now() < deadline,
            "the assessment never reached ARM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn emulator_with_endless_operations() -> TestEnv {
    TestEnv::start(Config {
        // The assessment stays InProgress far longer than the test runs.
        lro: LroTiming {
            polls: u32::MAX,
            duration: Duration::from_secs(3600),
        },
        ..Config::default()
    })
}

/// Launches the provider against `env`, configures it and starts `hotpatch_assess`; returns once
/// the assessment is running in the emulator.
async fn running_assessment(env: &TestEnv) -> (PluginClient, Streaming<pb::invoke_action::Event>) {
    let machine_id = env.emulator.machine_id(seed::WS2025_DATACENTER);
    let identity = ClientIdentity::generate();
    let mut options = LaunchOptions::terraform(&identity);
    options.env = env.provider_env();
    let mut client = PluginClient::launch_with(&provider_binary(), identity, options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let schema = client
        .get_provider_schema()
        .await
        .unwrap_or_else(|s| panic!("GetProviderSchema: {s}\n{}", client.describe()));
    let provider_block = schema
        .provider
        .as_ref()
        .and_then(|s| s.block.as_ref())
        .expect("provider schema");
    let configured = client
        .provider
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(config(provider_block, &[])),
            client_capabilities: None,
        })
        .await
        .unwrap_or_else(|s| panic!("ConfigureProvider: {s}\n{}", client.describe()))
        .into_inner();
    assert!(
        configured.diagnostics.is_empty(),
        "{:?}",
        configured.diagnostics
    );

    let action_block = schema
        .action_schemas
        .get(ACTION)
        .and_then(|a| a.schema.as_ref())
        .and_then(|s| s.block.as_ref())
        .expect("action schema");
    let mut events = client
        .provider
        .invoke_action(pb::invoke_action::Request {
            action_type: ACTION.into(),
            config: Some(config(action_block, &[("machine_id", &machine_id)])),
            client_capabilities: None,
        })
        .await
        .unwrap_or_else(|s| panic!("InvokeAction: {s}\n{}", client.describe()))
        .into_inner();
    let first = timeout(PATIENCE, events.message())
        .await
        .expect("a progress event while the action runs")
        .expect("event stream")
        .expect("the stream ended before any progress");
    assert!(
        matches!(first.r#type, Some(event::Type::Progress(_))),
        "{first:?}"
    );
    wait_for_assessment(env).await;
    (client, events)
}

/// Reads the rest of the stream and checks it ends with a Completed event carrying an error
/// about the cancellation.
async fn assert_completed_with_cancellation(
    events: &mut Streaming<pb::invoke_action::Event>,
    after: &str,
) {
    let deadline = Instant::now() + PATIENCE;
    let mut rest = Vec::new();
    loop {
        match timeout_at(deadline, events.message()).await {
            Err(_) => panic!(
                "the action was still running {PATIENCE:?} after {after}; events so far {rest:?}"
            ),
            Ok(Err(s)) => panic!("event stream failed after {after}: {s}"),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(e))) => rest.push(e),
        }
    }
    let Some(event::Type::Completed(done)) = rest.last().and_then(|e| e.r#type.clone()) else {
        panic!("the stream did not end with a Completed event after {after}: {rest:?}");
    };
    let cancelled = done.diagnostics.iter().any(|d| {
        d.severity == pb::diagnostic::Severity::Error as i32
            && format!("{} {}", d.summary, d.detail)
                .to_ascii_lowercase()
                .contains("cancel")
    });
    assert!(
        cancelled,
        "no error diagnostic about cancellation after {after}: {:?}",
        done.diagnostics
    );
}

#[test]
fn stop_provider_cancels_a_running_action_and_the_provider_keeps_serving() {
    let env = emulator_with_endless_operations();
    env.runtime().block_on(async {
        let (mut client, mut events) = running_assessment(&env).await;
        let stopped = client
            .provider
            .stop_provider(pb::stop_provider::Request {})
            .await
            .unwrap_or_else(|s| panic!("StopProvider: {s}\n{}", client.describe()))
            .into_inner();
        assert_eq!(stopped.error, "");
        assert_completed_with_cancellation(&mut events, "StopProvider").await;

        // Stopping cancels work; it does not end the process.
        assert!(
            client.process.try_exit().is_none(),
            "the provider exited on StopProvider\n{}",
            client.describe()
        );
        client.get_provider_schema().await.unwrap_or_else(|s| {
            panic!(
                "GetProviderSchema after StopProvider: {s}\n{}",
                client.describe()
            )
        });
        let (_, status, mut process) = client.shutdown(EXIT_TIMEOUT).await;
        assert!(
            status.is_some(),
            "Shutdown did not end the process\n{}",
            process.describe()
        );
    });
}

#[test]
fn sigterm_cancels_a_running_action_delivers_its_outcome_and_exits() {
    let env = emulator_with_endless_operations();
    env.runtime().block_on(async {
        let (mut client, mut events) = running_assessment(&env).await;
        client
            .process
            .signal(libc::SIGTERM)
            .unwrap_or_else(|e| panic!("kill(SIGTERM): {e}"));
        // The outcome still arrives: SIGTERM cancelled the work instead of dropping it.
        assert_completed_with_cancellation(&mut events, "SIGTERM").await;
        let status = client.process.wait_exit(EXIT_TIMEOUT).await;
        let description = client.describe();
        let status = status.unwrap_or_else(|| panic!("still running after SIGTERM\n{description}"));
        assert!(
            status.success(),
            "exit after SIGTERM: {status}\n{description}"
        );
    });
}
