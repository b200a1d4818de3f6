//! Debug (reattach) mode.
//!
//! A developer starts the provider by hand — typically under a debugger — with `--debug`. It then
//! listens without TLS (no `PLUGIN_CLIENT_CERT` exists) and prints a `TF_REATTACH_PROVIDERS` value
//! to paste into the shell running Terraform. Terraform connects as an unmanaged client: it neither
//! launches nor kills the process, so one session serves many `terraform` runs until the developer
//! presses Ctrl-C. This mirrors terraform-plugin-go's `WithManagedDebug`.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::error::ServeError;
use crate::handshake::PROTOCOL_VERSION;

/// Where a debug-mode server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReattachAddr {
    /// A unix socket path.
    Unix(PathBuf),
    /// A `host:port` TCP address.
    Tcp(String),
}

impl ReattachAddr {
    fn network(&self) -> &'static str {
        match self {
            Self::Unix(_) => "unix",
            Self::Tcp(_) => "tcp",
        }
    }

    fn string(&self) -> String {
        match self {
            Self::Unix(path) => path.to_string_lossy().into_owned(),
            Self::Tcp(addr) => addr.clone(),
        }
    }
}

/// The JSON value of `TF_REATTACH_PROVIDERS` for one provider.
///
/// `ProtocolVersion` is always 6 (Terraform assumes 5 when it is 0) and `Test` is true so that
/// Terraform never shuts the process down.
pub fn reattach_json(provider_address: &str, pid: u32, addr: &ReattachAddr) -> String {
    json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": addr.network(), "String": addr.string() },
        }
    })
    .to_string()
}

/// The text printed to stdout in debug mode; its last line is `TF_REATTACH_PROVIDERS='…'`
/// unindented, so scripts can pick it up with `grep '^TF_REATTACH_PROVIDERS='`.
pub fn debug_banner(provider_address: &str, pid: u32, addr: &ReattachAddr) -> String {
    let json = reattach_json(provider_address, pid, addr);
    format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment \
         variable with the following:\n\n\
         TF_REATTACH_PROVIDERS='{json}'\n\n\
         Press Ctrl-C to stop the provider."
    )
}

/// A unix socket inside a private temporary directory that is removed on drop.
#[derive(Debug)]
pub struct DebugSocket {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl DebugSocket {
    /// Creates the directory and binds the socket.
    #[cfg(unix)]
    pub fn bind() -> Result<(Self, tokio::net::UnixListener), ServeError> {
        let dir = tempfile::Builder::new()
            .prefix("plugin")
            .tempdir()
            .map_err(ServeError::io(
                "cannot create a temporary directory for the debug socket",
            ))?;
        let path = dir.path().join("provider.sock");
        let listener = tokio::net::UnixListener::bind(&path)
            .map_err(ServeError::io("cannot listen on the debug unix socket"))?;
        Ok((Self { dir, path }, listener))
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory holding the socket.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reattach_json_has_terraforms_shape() {
        let socket = std::env::temp_dir().join("plugin1").join("provider.sock");
        let addr = ReattachAddr::Unix(socket.clone());
        let text = reattach_json("registry.terraform.io/seedlabs/hotpatch", 42, &addr);
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        let entry = &value["registry.terraform.io/seedlabs/hotpatch"];
        assert_eq!(entry["Protocol"], "grpc");
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Pid"], 42);
        assert_eq!(entry["Test"], true);
        assert_eq!(entry["Addr"]["Network"], "unix");
        assert_eq!(entry["Addr"]["String"], socket.to_string_lossy().as_ref());
        let tcp = reattach_json("x", 1, &ReattachAddr::Tcp("127.0.0.1:1".into()));
        assert!(tcp.contains(r#""Network":"tcp""#));
    }

    #[test]
    fn banner_has_an_unindented_reattach_line() {
        let addr = ReattachAddr::Unix(PathBuf::from("p").join("s"));
        let banner = debug_banner("a/b/c", 7, &addr);
        let line = banner
            .lines()
            .find(|l| l.starts_with("TF_REATTACH_PROVIDERS='"))
            .expect("reattach line");
        assert!(line.ends_with("}}'"));
    }
}
