//! The `terraform-provider-hotpatch` binary: Terraform launches it and speaks gRPC to it.
//!
//! `--debug` starts it for a debugger instead: it prints `TF_REATTACH_PROVIDERS` and serves
//! until interrupted.

use terraform_provider_hotpatch::{HotpatchProvider, PROVIDER_ADDRESS};
use tfframework::FrameworkServer;

#[tokio::main]
async fn main() {
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    // Logging is best-effort: a provider must still serve when stderr logging cannot start.
    let _ = tfserver::logging::init("provider.terraform-provider-hotpatch");
    let options = tfserver::ServeOptions::new(PROVIDER_ADDRESS).with_debug(debug);
    let server = FrameworkServer::new(HotpatchProvider::new());
    if let Err(e) = tfserver::serve(server, options).await {
        eprintln!("{e}");
        std::process::exit(1);
    }
    // Exit right away so no lingering task delays Terraform's plugin shutdown.
    std::process::exit(0);
}
