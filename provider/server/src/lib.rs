//! Serving a Terraform provider over go-plugin (layer 1 of the provider; nothing Azure-specific).
//!
//! Terraform launches a provider as a child process and talks to it over gRPC after a small
//! go-plugin ritual: a magic-cookie check, a one-line stdout handshake announcing the address and
//! the server certificate, mutual TLS pinned to a per-launch client certificate, and a few helper
//! services next to `tfplugin6.Provider`. This crate performs that ritual for any implementation
//! of the generated [`Provider`](tfplugin_proto::tfplugin6::provider_server::Provider) trait, plus
//! the debug (reattach) mode and hclog-style logging that go with it.
//!
//! ```no_run
//! # async fn example<P: tfplugin_proto::tfplugin6::provider_server::Provider>(provider: P) {
//! let debug = std::env::args().any(|a| a == "--debug");
//! let _ = tfserver::logging::init("provider.terraform-provider-hotpatch");
//! let options = tfserver::ServeOptions::new("registry.terraform.io/seedlabs/hotpatch").with_debug(debug);
//! if let Err(e) = tfserver::serve(provider, options).await {
//!     eprintln!("{e}");
//!     std::process::exit(1);
//! }
//! std::process::exit(0);
//! # }
//! ```

pub mod client_verifier;
pub mod controller;
pub mod debug;
mod error;
pub mod handshake;
pub mod logging;
mod serve;
pub mod signals;
pub mod tls;

pub use error::{ServeError, NOT_A_PLUGIN_MESSAGE};
pub use handshake::PluginEnv;
pub use serve::{
    serve, serve_with, ServeOptions, DEFAULT_STOP_GRACE, HEALTH_SERVICE, MAX_MESSAGE_SIZE,
};
