//! What the binary does once Terraform has launched it: serve this provider over go-plugin.
//!
//! It lives in the library rather than in `main` so that a test can drive this very start-up
//! path with its own launch environment and stdout: `tests/startup_work.rs` checks that no
//! schema is built and no pattern compiled before the handshake line, because Terraform waits
//! for that line every time it starts the provider, several times per command.

use std::io::Write;

use tfframework::FrameworkServer;
use tfserver::{PluginEnv, ServeError, ServeOptions};

use crate::provider::{HotpatchProvider, PROVIDER_ADDRESS};

/// Serves the hotpatch provider until Terraform shuts it down: managed mode as launched by
/// Terraform (`env` is the go-plugin environment, `out` receives the handshake line), or debug
/// mode (`out` receives the reattach line). On an error the caller prints it and exits 1.
pub async fn serve(debug: bool, env: PluginEnv, out: impl Write + Send) -> Result<(), ServeError> {
    let options = ServeOptions::new(PROVIDER_ADDRESS).with_debug(debug);
    let server = FrameworkServer::new(HotpatchProvider::new());
    tfserver::serve_with(server, options, env, out).await
}
