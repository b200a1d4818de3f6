//! The one error type of the crate.
//!
//! It separates what went wrong where, because callers react differently: a service error from
//! ARM (has a status and an ARM error code, e.g. 404 → the resource is gone), a failed
//! long-running operation, a token that could not be acquired (the message from azure_identity
//! carries the `AADSTS...` text users need), a transport failure, and cancellation by Terraform.

use crate::models::common::{ErrorDetail, ErrorResponse};
use std::fmt;

/// Everything ARM told us about a non-2xx response.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// HTTP method of the failed request.
    pub method: String,
    /// URL of the failed request, with query values other than api-version redacted.
    pub url: String,
    /// Parsed `error` object (empty when the body had none).
    pub error: ErrorDetail,
    /// `x-ms-request-id` response header.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` response header.
    pub correlation_id: Option<String>,
    /// The response body as received (lossy UTF-8).
    pub body: String,
}

impl ServiceError {
    /// Builds a service error from a raw response, parsing every RP error shape.
    pub fn from_response(
        status: u16,
        method: &str,
        url: &str,
        request_id: Option<String>,
        correlation_id: Option<String>,
        body: &[u8],
    ) -> Self {
        ServiceError {
            status,
            method: method.to_string(),
            url: url.to_string(),
            error: parse_error_body(body),
            request_id,
            correlation_id,
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }
}

/// Parses an ARM error body: `{ "error": {...} }` (every RP), or a bare `{ "code", "message" }`
/// that some front ends send. Anything else yields an empty detail.
pub fn parse_error_body(body: &[u8]) -> ErrorDetail {
    if let Ok(ErrorResponse { error: Some(e) }) = serde_json::from_slice::<ErrorResponse>(body) {
        return e;
    }
    match serde_json::from_slice::<ErrorDetail>(body) {
        Ok(e) if e.code.is_some() || e.message.is_some() => ErrorDetail {
            extra: Default::default(),
            ..e
        },
        _ => ErrorDetail::default(),
    }
}

/// A long-running operation that ended `Failed` or `Canceled`.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationError {
    /// Terminal status reported (`Failed`, `Canceled`, or a failed `provisioningState`).
    pub status: String,
    /// The operation's `error`, when the service gave one.
    pub error: Option<ErrorDetail>,
    /// The URL that was polled.
    pub monitor_url: String,
    /// `x-ms-request-id` of the initial request.
    pub request_id: Option<String>,
    /// The last status body (lossy UTF-8).
    pub body: String,
}

/// Errors from [`crate::ArmClient`].
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    /// ARM answered with a non-success status.
    #[error("{}", display_service(.0))]
    Service(Box<ServiceError>),
    /// A long-running operation finished unsuccessfully.
    #[error("{}", display_operation(.0))]
    OperationFailed(Box<OperationError>),
    /// The credential could not produce a token (message from azure_identity, incl. AADSTS text).
    #[error("failed to acquire an Azure access token: {message}")]
    Auth { message: String },
    /// The request did not complete (connection refused, TLS, timeout, reset, ...).
    #[error("request {method} {url} failed: {message}")]
    Transport {
        method: String,
        url: String,
        message: String,
        /// Whether the request provably never reached the server.
        not_sent: bool,
    },
    /// A success response whose body could not be decoded.
    #[error("could not decode the response of {method} {url}: {message}")]
    Decode {
        method: String,
        url: String,
        message: String,
        body: String,
    },
    /// The service answered something this client cannot follow (e.g. a malformed monitor URL).
    #[error("unexpected response from {url}: {message}")]
    Protocol { url: String, message: String },
    /// Invalid configuration (endpoint, credential files, ...).
    #[error("invalid Azure configuration: {0}")]
    Config(String),
    /// The operation was cancelled (Terraform asked the provider to stop).
    #[error("the operation was cancelled")]
    Cancelled,
}

fn display_service(e: &ServiceError) -> String {
    let mut s = format!("ARM returned {}", e.status);
    match (e.error.code.as_deref(), e.error.message.as_deref()) {
        (Some(c), Some(m)) => s.push_str(&format!(" {c}: {m}")),
        (Some(c), None) => s.push_str(&format!(" {c}")),
        (None, Some(m)) => s.push_str(&format!(": {m}")),
        (None, None) => {
            let body = e.body.trim();
            if !body.is_empty() {
                let short: String = body.chars().take(500).collect();
                s.push_str(&format!(": {short}"));
            }
        }
    }
    if let Some(t) = e.error.target.as_deref() {
        s.push_str(&format!(" (target: {t})"));
    }
    append_details(&mut s, &e.error.details);
    s.push_str(&format!(" [{} {}", e.method, e.url));
    if let Some(id) = e.request_id.as_deref() {
        s.push_str(&format!(", request id {id}"));
    }
    if let Some(id) = e.correlation_id.as_deref() {
        s.push_str(&format!(", correlation id {id}"));
    }
    s.push(']');
    s
}

fn display_operation(e: &OperationError) -> String {
    let mut s = format!("ARM operation {}", e.status);
    if let Some(err) = &e.error {
        let summary = err.summary();
        if !summary.is_empty() {
            s.push_str(": ");
            s.push_str(&summary);
        }
        append_details(&mut s, &err.details);
    }
    if let Some(id) = e.request_id.as_deref() {
        s.push_str(&format!(" [request id {id}]"));
    }
    s
}

fn append_details(s: &mut String, details: &[ErrorDetail]) {
    for d in details {
        let summary = d.summary();
        if !summary.is_empty() {
            s.push_str("; ");
            s.push_str(&summary);
        }
        append_details(s, &d.details);
    }
}

impl ArmError {
    /// HTTP status of a service error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Service(e) => Some(e.status),
            _ => None,
        }
    }

    /// ARM error code of a service error or failed operation.
    pub fn code(&self) -> Option<&str> {
        self.detail()?.code.as_deref()
    }

    /// The parsed error detail of a service error or failed operation.
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match self {
            ArmError::Service(e) => Some(&e.error),
            ArmError::OperationFailed(e) => e.error.as_ref(),
            _ => None,
        }
    }

    /// Whether ARM said the resource does not exist (404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ArmError::Cancelled)
    }

    /// Whether token acquisition failed.
    pub fn is_auth(&self) -> bool {
        matches!(self, ArmError::Auth { .. })
    }

    /// `x-ms-request-id` of the failing response, when known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ArmError::Service(e) => e.request_id.as_deref(),
            ArmError::OperationFailed(e) => e.request_id.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display_service(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_error_body() {
        let d = parse_error_body(br#"{"code":"Throttled","message":"slow down"}"#);
        assert_eq!(d.code.as_deref(), Some("Throttled"));
        assert_eq!(parse_error_body(b"<html>").code, None);
        assert_eq!(parse_error_body(b"").code, None);
    }

    #[test]
    fn display_is_readable() {
        let e = ArmError::Service(Box::new(ServiceError::from_response(
            404,
            "GET",
            "https://management.azure.com/x?api-version=1",
            Some("rid".into()),
            None,
            br#"{"error":{"code":"ResourceNotFound","message":"The Resource 'x' was not found."}}"#,
        )));
        let s = e.to_string();
        assert!(
            s.starts_with("ARM returned 404 ResourceNotFound: The Resource 'x' was not found."),
            "{s}"
        );
        assert!(s.contains("request id rid"));
        assert!(e.is_not_found());
        assert_eq!(e.code(), Some("ResourceNotFound"));
    }
}
