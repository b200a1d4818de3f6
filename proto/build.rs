//! Compiles `tfplugin6.proto` and `plugin.proto` at build time.
//!
//! Parsing is done by `protox` (pure Rust) so that a machine with nothing but cargo can
//! build the provider: no system `protoc` is needed. The resulting descriptor set is
//! both handed to `tonic-prost-build` (prost messages plus tonic server and client
//! stubs) and written to `OUT_DIR/tfplugin_descriptor_set.bin`, which the library
//! exposes so the conformance test can compare it with what Terraform compiled in.

use std::path::PathBuf;

use prost::Message;

const PROTOS: [&str; 2] = ["tfplugin6.proto", "plugin.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }

    let files = PROTOS.map(|p| manifest_dir.join(p));
    // `compile` includes imports (the well-known types protox ships with), which keeps
    // the encoded set self-contained for consumers that resolve type references.
    let fds = protox::compile(files, [&manifest_dir])?;

    std::fs::write(
        out_dir.join("tfplugin_descriptor_set.bin"),
        fds.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;

    Ok(())
}
