//! Test-only helpers for serving in-process: stub providers and a stdout stand-in. The client
//! side (Terraform-shaped certificates, AutoMTLS, handshake parsing) is the shared go-plugin
//! test client, `goplugin-test-client`.

#![allow(dead_code)]

use std::io::Write;
use std::pin::Pin;
use std::time::Duration;

use tfplugin_proto::tfplugin6 as pb;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

/// A provider whose every RPC answers `Unimplemented`.
pub struct StubProvider;

type Stream<T> = Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Implements `Provider` for a type: the `{ ... }` items verbatim, and every listed RPC
/// answering `Unimplemented`. The whole impl is generated so that `async_trait` sees the
/// expanded methods.
macro_rules! unimplemented_provider {
    ($ty:ty; { $($custom:item)* } $($method:ident => $module:ident),* $(,)?) => {
        #[tonic::async_trait]
        impl pb::provider_server::Provider for $ty {
            type ListResourceStream = Stream<pb::list_resource::Event>;
            type ReadStateBytesStream = Stream<pb::read_state_bytes::Response>;
            type InvokeActionStream = Stream<pb::invoke_action::Event>;

            $($custom)*

            $(
                async fn $method(
                    &self,
                    _request: Request<pb::$module::Request>,
                ) -> Result<Response<pb::$module::Response>, Status> {
                    Err(Status::unimplemented(stringify!($method)))
                }
            )*

            async fn list_resource(
                &self,
                _request: Request<pb::list_resource::Request>,
            ) -> Result<Response<Self::ListResourceStream>, Status> {
                Err(Status::unimplemented("list_resource"))
            }

            async fn read_state_bytes(
                &self,
                _request: Request<pb::read_state_bytes::Request>,
            ) -> Result<Response<Self::ReadStateBytesStream>, Status> {
                Err(Status::unimplemented("read_state_bytes"))
            }

            async fn write_state_bytes(
                &self,
                _request: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
            ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
                Err(Status::unimplemented("write_state_bytes"))
            }

            async fn invoke_action(
                &self,
                _request: Request<pb::invoke_action::Request>,
            ) -> Result<Response<Self::InvokeActionStream>, Status> {
                Err(Status::unimplemented("invoke_action"))
            }
        }
    };
}

/// Every RPC but ReadResource and StopProvider answers `Unimplemented`, so both stub providers
/// share this list.
macro_rules! stub_rpcs_but_read_and_stop {
    ($ty:ty; { $($custom:item)* }) => {
        unimplemented_provider! {
            $ty;
            { $($custom)* }
            get_metadata => get_metadata,
            get_provider_schema => get_provider_schema,
            validate_provider_config => validate_provider_config,
            validate_resource_config => validate_resource_config,
            validate_data_resource_config => validate_data_resource_config,
            upgrade_resource_state => upgrade_resource_state,
            get_resource_identity_schemas => get_resource_identity_schemas,
            upgrade_resource_identity => upgrade_resource_identity,
            configure_provider => configure_provider,
            plan_resource_change => plan_resource_change,
            apply_resource_change => apply_resource_change,
            import_resource_state => import_resource_state,
            move_resource_state => move_resource_state,
            read_data_source => read_data_source,
            generate_resource_config => generate_resource_config,
            validate_ephemeral_resource_config => validate_ephemeral_resource_config,
            open_ephemeral_resource => open_ephemeral_resource,
            renew_ephemeral_resource => renew_ephemeral_resource,
            close_ephemeral_resource => close_ephemeral_resource,
            validate_list_resource_config => validate_list_resource_config,
            get_functions => get_functions,
            call_function => call_function,
            validate_state_store_config => validate_state_store,
            configure_state_store => configure_state_store,
            lock_state => lock_state,
            unlock_state => unlock_state,
            get_states => get_states,
            delete_state => delete_state,
            plan_action => plan_action,
            validate_action_config => validate_action_config,
        }
    };
}

stub_rpcs_but_read_and_stop! {
    StubProvider;
    {
        async fn read_resource(
            &self,
            _request: Request<pb::read_resource::Request>,
        ) -> Result<Response<pb::read_resource::Response>, Status> {
            Err(Status::unimplemented("read_resource"))
        }

        async fn stop_provider(
            &self,
            _request: Request<pb::stop_provider::Request>,
        ) -> Result<Response<pb::stop_provider::Response>, Status> {
            Err(Status::unimplemented("stop_provider"))
        }
    }
}

/// A provider whose ReadResource runs until StopProvider cancels it (like a hook waiting on a
/// long-running operation) and then returns the current state with a warning saying so; with
/// `ignores_stop` it never returns.
pub struct StoppableProvider {
    pub stop: CancellationToken,
    /// Cancelled once a ReadResource call is running.
    pub reading: CancellationToken,
    pub ignores_stop: bool,
}

impl StoppableProvider {
    pub fn new(ignores_stop: bool) -> Self {
        Self {
            stop: CancellationToken::new(),
            reading: CancellationToken::new(),
            ignores_stop,
        }
    }
}

/// The warning [`StoppableProvider`]'s ReadResource returns once stopped.
pub const STOPPED_SUMMARY: &str = "Read stopped by StopProvider";

stub_rpcs_but_read_and_stop! {
    StoppableProvider;
    {
        async fn read_resource(
            &self,
            request: Request<pb::read_resource::Request>,
        ) -> Result<Response<pb::read_resource::Response>, Status> {
            self.reading.cancel();
            if self.ignores_stop {
                std::future::pending::<()>().await;
            }
            self.stop.cancelled().await;
            Ok(Response::new(pb::read_resource::Response {
                new_state: request.into_inner().current_state,
                diagnostics: vec![pb::Diagnostic {
                    severity: pb::diagnostic::Severity::Warning as i32,
                    summary: STOPPED_SUMMARY.to_string(),
                    ..Default::default()
                }],
                ..Default::default()
            }))
        }

        async fn stop_provider(
            &self,
            _request: Request<pb::stop_provider::Request>,
        ) -> Result<Response<pb::stop_provider::Response>, Status> {
            self.stop.cancel();
            Ok(Response::new(pb::stop_provider::Response::default()))
        }
    }
}

/// Stands in for stdout: forwards every complete line to a channel.
pub struct LineSink {
    buffer: Vec<u8>,
    lines: UnboundedSender<String>,
}

impl LineSink {
    pub fn new() -> (Self, UnboundedReceiver<String>) {
        let (tx, rx) = unbounded_channel();
        (
            Self {
                buffer: Vec::new(),
                lines: tx,
            },
            rx,
        )
    }
}

impl Write for LineSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        while let Some(pos) = self.buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            let _ = self.lines.send(text);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Waits for the next line written to a [`LineSink`].
pub async fn next_line(lines: &mut UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(30), lines.recv())
        .await
        .expect("line within 30 s")
        .expect("a line before the sink closed")
}
