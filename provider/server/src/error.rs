//! The one error type of this crate.
//!
//! `serve` runs once per process and its caller can only report and exit, so a single enum with
//! enough context to explain the failure in Terraform's log is more useful than fine-grained types.

use std::io;

/// The message go-plugin servers print when started without the magic cookie.
pub const NOT_A_PLUGIN_MESSAGE: &str =
    "This binary is a plugin. These are not meant to be executed directly.\n\
Please execute the program that consumes these plugins, which will\n\
load any plugins automatically";

/// Everything that can stop [`crate::serve`] from serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// `TF_PLUGIN_MAGIC_COOKIE` is missing or wrong: a human started the binary directly.
    /// The display text is the human-readable go-plugin message; print it to stderr and exit 1.
    #[error("{NOT_A_PLUGIN_MESSAGE}")]
    NotLaunchedByTerraform,

    /// `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT` are not a usable port range.
    #[error("invalid plugin port range: {0}")]
    InvalidPortRange(String),

    /// No port in the allowed range could be bound.
    #[error("no free port on 127.0.0.1 in {min}..={max}")]
    NoFreePort {
        /// Lowest port tried.
        min: u16,
        /// Highest port tried.
        max: u16,
        /// The error from the last attempt, if any port was tried.
        #[source]
        last: Option<io::Error>,
    },

    /// Launched by Terraform (the magic cookie is right) but without a client certificate.
    /// Terraform always sends one, so this launch is not Terraform's; serving without mutual
    /// TLS would let any local process drive the provider with the user's Azure credentials.
    #[error("PLUGIN_CLIENT_CERT is missing or empty. Terraform always passes its client certificate when it starts a provider, so this is not a Terraform launch; refusing to serve gRPC without mutual TLS. To run the provider by hand (for a debugger), start it with --debug.")]
    MissingClientCert,

    /// `PLUGIN_CLIENT_CERT` does not hold a usable certificate.
    #[error("invalid PLUGIN_CLIENT_CERT: {0}")]
    InvalidClientCert(String),

    /// The self-signed server certificate could not be generated.
    #[error("cannot generate the server certificate: {0}")]
    Certificate(#[from] rcgen::Error),

    /// The TLS configuration was rejected by rustls.
    #[error("cannot build the TLS server configuration: {0}")]
    Tls(#[from] rustls::Error),

    /// An I/O operation failed; `context` says which.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The gRPC server failed.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

impl ServeError {
    pub(crate) fn io(context: &'static str) -> impl FnOnce(io::Error) -> Self {
        move |source| Self::Io { context, source }
    }
}
