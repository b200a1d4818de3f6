//! The `terraform-provider-hotpatch` binary: Terraform launches it and speaks gRPC to it.
//!
//! `--debug` starts it for a debugger instead: it prints `TF_REATTACH_PROVIDERS` and serves
//! until interrupted. `--version` prints the version (the workspace's `Cargo.toml`, the same
//! one the ARM user agent and the release artifacts carry) and exits before any runtime,
//! logging or schema is set up, so asking is as cheap as it can be.

use tfserver::PluginEnv;

/// What the command line asks for. Terraform passes no arguments; anything unknown is ignored
/// so a future Terraform flag cannot stop the provider from serving.
enum Mode {
    Version,
    Serve { debug: bool },
}

impl Mode {
    fn from_args(args: impl Iterator<Item = std::ffi::OsString>) -> Self {
        let mut debug = false;
        for arg in args {
            match arg.to_str() {
                Some("--version" | "-version") => return Mode::Version,
                Some("--debug" | "-debug") => debug = true,
                _ => {}
            }
        }
        Mode::Serve { debug }
    }
}

fn main() {
    match Mode::from_args(std::env::args_os().skip(1)) {
        Mode::Version => println!("terraform-provider-hotpatch {}", env!("CARGO_PKG_VERSION")),
        Mode::Serve { debug } => serve(debug),
    }
}

#[tokio::main]
async fn serve(debug: bool) {
    // Logging is best-effort: a provider must still serve when stderr logging cannot start.
    let _ = tfserver::logging::init("provider.terraform-provider-hotpatch");
    let served =
        terraform_provider_hotpatch::serve(debug, PluginEnv::from_process(), std::io::stdout());
    if let Err(e) = served.await {
        eprintln!("{e}");
        std::process::exit(1);
    }
    // Exit right away so no lingering task delays Terraform's plugin shutdown.
    std::process::exit(0);
}
