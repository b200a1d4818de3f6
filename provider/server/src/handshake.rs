//! The go-plugin launch contract: environment checks, listener and the stdout handshake line.
//!
//! Terraform starts the provider with a handful of `PLUGIN_*` variables and reads exactly one line
//! from its stdout to learn where to connect. Everything here is deterministic given a
//! [`PluginEnv`], so tests can exercise it without touching the process environment.

use std::io::Write;
use std::net::SocketAddr;

use base64::Engine;
use tokio::net::TcpListener;

use crate::error::ServeError;

/// go-plugin's core protocol version: the first handshake field, always 1.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The only application protocol this server speaks: tfplugin6.
pub const PROTOCOL_VERSION: u32 = 6;
/// The magic cookie key Terraform sets for its plugins.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// The magic cookie value Terraform sets for its plugins.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's default lowest port when `PLUGIN_MIN_PORT` is unset.
pub const DEFAULT_MIN_PORT: u16 = 10000;
/// go-plugin's default highest port when `PLUGIN_MAX_PORT` is unset.
pub const DEFAULT_MAX_PORT: u16 = 25000;

/// The launch environment go-plugin passes to a managed plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginEnv {
    /// `TF_PLUGIN_MAGIC_COOKIE`.
    pub magic_cookie: Option<String>,
    /// `PLUGIN_PROTOCOL_VERSIONS`: comma-separated app protocol majors the client accepts.
    pub protocol_versions: Option<String>,
    /// `PLUGIN_MIN_PORT`.
    pub min_port: Option<String>,
    /// `PLUGIN_MAX_PORT`.
    pub max_port: Option<String>,
    /// `PLUGIN_CLIENT_CERT`: the client's PEM certificate. Terraform always sends it; managed
    /// mode refuses to serve without it ([`ServeError::MissingClientCert`]).
    pub client_cert: Option<String>,
}

impl PluginEnv {
    /// Reads the variables from the current process environment.
    pub fn from_process() -> Self {
        fn var(key: &str) -> Option<String> {
            std::env::var_os(key).map(|v| v.to_string_lossy().into_owned())
        }
        Self {
            magic_cookie: var(MAGIC_COOKIE_KEY),
            protocol_versions: var("PLUGIN_PROTOCOL_VERSIONS"),
            min_port: var("PLUGIN_MIN_PORT"),
            max_port: var("PLUGIN_MAX_PORT"),
            client_cert: var("PLUGIN_CLIENT_CERT").filter(|pem| !pem.trim().is_empty()),
        }
    }

    /// Fails with [`ServeError::NotLaunchedByTerraform`] unless the magic cookie is right.
    pub fn check_magic_cookie(&self) -> Result<(), ServeError> {
        match self.magic_cookie.as_deref() {
            Some(MAGIC_COOKIE_VALUE) => Ok(()),
            _ => Err(ServeError::NotLaunchedByTerraform),
        }
    }

    /// Picks the app protocol version to announce.
    ///
    /// Like go-plugin, answer with our version even when the client did not list it: the client
    /// then reports the mismatch itself, which gives the user a better message than a dead plugin.
    pub fn negotiate_protocol(&self) -> u32 {
        let offered = self
            .protocol_versions
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter_map(|v| v.trim().parse::<u32>().ok())
            .collect::<Vec<_>>();
        if !offered.is_empty() && !offered.contains(&PROTOCOL_VERSION) {
            tracing::warn!(
                ?offered,
                "client does not offer plugin protocol {PROTOCOL_VERSION}; announcing it anyway"
            );
        }
        PROTOCOL_VERSION
    }

    /// The inclusive port range to listen in.
    pub fn port_range(&self) -> Result<(u16, u16), ServeError> {
        fn parse(name: &str, value: Option<&str>, default: u16) -> Result<u16, ServeError> {
            match value.map(str::trim) {
                None | Some("") => Ok(default),
                Some(v) => v.parse::<u16>().map_err(|e| {
                    ServeError::InvalidPortRange(format!("{name}={v:?} is not a port: {e}"))
                }),
            }
        }
        let min = parse(
            "PLUGIN_MIN_PORT",
            self.min_port.as_deref(),
            DEFAULT_MIN_PORT,
        )?;
        let max = parse(
            "PLUGIN_MAX_PORT",
            self.max_port.as_deref(),
            DEFAULT_MAX_PORT,
        )?;
        if min > max {
            return Err(ServeError::InvalidPortRange(format!(
                "PLUGIN_MIN_PORT {min} is greater than PLUGIN_MAX_PORT {max}"
            )));
        }
        Ok((min, max))
    }
}

/// Binds `127.0.0.1` on the first free port in `min..=max`, in order.
///
/// Terraform starts several provider processes at once, so ports are tried one after another
/// rather than picked at random.
pub async fn bind_in_range(min: u16, max: u16) -> Result<TcpListener, ServeError> {
    let mut last = None;
    for port in min..=max {
        match TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(ServeError::NoFreePort { min, max, last })
}

/// Formats the go-plugin handshake line (without the newline).
///
/// `server_cert_der` is the raw DER certificate, encoded with unpadded standard base64 (Go's
/// `base64.RawStdEncoding`); without TLS the field is empty, as go-plugin prints it.
pub fn handshake_line(
    protocol_version: u32,
    network: &str,
    address: &str,
    server_cert_der: Option<&[u8]>,
) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("{CORE_PROTOCOL_VERSION}|{protocol_version}|{network}|{address}|grpc|{cert}")
}

/// Writes one line and flushes, so the client sees it immediately.
pub(crate) fn write_line<W: Write>(out: &mut W, line: &str) -> Result<(), ServeError> {
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(ServeError::io("cannot write the handshake to stdout"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> PluginEnv {
        PluginEnv::default()
    }

    #[test]
    fn cookie_must_match_exactly() {
        assert!(matches!(
            env().check_magic_cookie(),
            Err(ServeError::NotLaunchedByTerraform)
        ));
        let wrong = PluginEnv {
            magic_cookie: Some("nope".into()),
            ..env()
        };
        assert!(wrong.check_magic_cookie().is_err());
        let right = PluginEnv {
            magic_cookie: Some(MAGIC_COOKIE_VALUE.into()),
            ..env()
        };
        assert!(right.check_magic_cookie().is_ok());
    }

    #[test]
    fn not_a_plugin_message_is_human() {
        let text = ServeError::NotLaunchedByTerraform.to_string();
        assert!(text.starts_with("This binary is a plugin."));
        assert!(text.contains("load any plugins automatically"));
    }

    #[test]
    fn protocol_is_always_six() {
        for offered in [
            None,
            Some("5,6"),
            Some("6,5"),
            Some("6"),
            Some("5"),
            Some(""),
        ] {
            let e = PluginEnv {
                protocol_versions: offered.map(String::from),
                ..env()
            };
            assert_eq!(e.negotiate_protocol(), 6, "{offered:?}");
        }
    }

    #[test]
    fn port_range_defaults_and_errors() {
        assert_eq!(env().port_range().ok(), Some((10000, 25000)));
        let e = PluginEnv {
            min_port: Some("12000".into()),
            max_port: Some("12010".into()),
            ..env()
        };
        assert_eq!(e.port_range().ok(), Some((12000, 12010)));
        let bad = PluginEnv {
            min_port: Some("x".into()),
            ..env()
        };
        assert!(bad.port_range().is_err());
        let inverted = PluginEnv {
            min_port: Some("20".into()),
            max_port: Some("10".into()),
            ..env()
        };
        assert!(inverted.port_range().is_err());
    }

    #[test]
    fn handshake_line_uses_unpadded_base64() {
        // One byte encodes to two characters padded with "==" in padded base64.
        let line = handshake_line(6, "tcp", "127.0.0.1:10000", Some(&[0xff]));
        assert_eq!(line, "1|6|tcp|127.0.0.1:10000|grpc|/w");
        let plain = handshake_line(6, "unix", "plugin.sock", None);
        assert_eq!(plain, "1|6|unix|plugin.sock|grpc|");
    }

    #[tokio::test]
    async fn binds_the_next_port_when_the_first_is_taken() {
        let first = bind_in_range(DEFAULT_MIN_PORT, DEFAULT_MAX_PORT)
            .await
            .expect("bind");
        let port = first.local_addr().expect("addr").port();
        let second = bind_in_range(port, DEFAULT_MAX_PORT).await.expect("bind");
        let second_port = second.local_addr().expect("addr").port();
        assert!(second_port > port && second_port <= DEFAULT_MAX_PORT);
        let none = bind_in_range(port, port).await;
        assert!(matches!(none, Err(ServeError::NoFreePort { .. })));
    }
}
