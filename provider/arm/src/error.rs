//! The one error type of the crate.
//!
//! It separates what went wrong where, because callers react differently: a service error from
//! ARM (has a status and an ARM error code, e.g. 404 → the resource is gone), a failed
//! long-running operation, a token that could not be acquired (the message from azure_identity
//! carries the `AADSTS...` text users need), a transport failure, and cancellation by Terraform.
//!
//! It also answers the question every resource must ask after a failed write: *may ARM have
//! applied it?* ([`ArmError::may_have_written`]). A write that failed only after its request
//! may have reached ARM (a lost answer, a 5xx, a retry that met the first attempt's effect, an
//! accepted long-running operation that could not be followed to its end) is wrapped in
//! [`ArmError::MayHaveWritten`] where the client knows it, so the rule lives here and nowhere
//! else; resources read the object back when it says yes.

use std::time::Duration;

use crate::models::common::{ErrorDetail, ErrorResponse};
use std::fmt;

/// Largest part of an error body kept in a [`ServiceError`] (an HTML error page can be large).
const MAX_KEPT_BODY: usize = 16 * 1024;

/// Everything ARM told us about a non-2xx response.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// HTTP method of the failed request.
    pub method: String,
    /// Path (and api-version) of the failed request; never its other query parameters.
    pub url: String,
    /// Parsed `error` object (empty when the body had none).
    pub error: ErrorDetail,
    /// `x-ms-request-id` response header.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` response header.
    pub correlation_id: Option<String>,
    /// The response body as received (lossy UTF-8, at most 16 KiB).
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
            body: kept_body(body),
        }
    }
}

/// Up to [`MAX_KEPT_BODY`] bytes of a body as lossy UTF-8, marked when cut.
pub(crate) fn kept_body(body: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(&body[..body.len().min(MAX_KEPT_BODY)]).into_owned();
    if body.len() > MAX_KEPT_BODY {
        s.push_str(&format!(" ... ({} bytes in all)", body.len()));
    }
    s
}

/// Parses an ARM error body: `{ "error": {...} }` (every RP), or a bare `{ "code", "message" }`
/// that some front ends send. Anything else (any bytes at all) yields an empty detail.
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
    /// Path of the URL that was polled.
    pub monitor_url: String,
    /// `x-ms-request-id` of the initial request.
    pub request_id: Option<String>,
    /// The last status body (lossy UTF-8).
    pub body: String,
}

/// A long-running operation that was started, but whose wait ended without a terminal status.
#[derive(Clone, Debug, PartialEq)]
pub struct UnfinishedOperation {
    /// Why the client stopped waiting.
    pub reason: Unfinished,
    /// The status the service reported last (`InProgress`, an unrecognised word, ...), if any.
    pub last_status: Option<String>,
    /// Path of the URL that was polled.
    pub monitor_url: String,
    /// `x-ms-request-id` of the initial request.
    pub request_id: Option<String>,
    /// Polls made.
    pub polls: u32,
    /// Time since the initial request was sent.
    pub elapsed: Duration,
}

/// Why [`UnfinishedOperation`] stopped waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unfinished {
    /// The caller's deadline (or the default one) passed.
    DeadlineExceeded,
    /// The service kept reporting a status word this client does not know for longer than
    /// [`crate::PollPolicy::unrecognised_status_limit`].
    UnrecognisedStatus,
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
    /// A long-running operation was started, but the client stopped waiting before it ended.
    #[error("{}", display_unfinished(.0))]
    OperationUnfinished(Box<UnfinishedOperation>),
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
    /// A write (PUT, PATCH, POST, DELETE) failed with the wrapped error after its request may
    /// have reached ARM, so the change may have been applied. The message is the wrapped
    /// error's; every accessor looks through to it.
    #[error(transparent)]
    MayHaveWritten(Box<ArmError>),
}

/// Whether a request with `method` changes something in ARM.
pub(crate) fn is_write(method: &reqwest::Method) -> bool {
    !matches!(
        *method,
        reqwest::Method::GET | reqwest::Method::HEAD | reqwest::Method::OPTIONS
    )
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

fn display_unfinished(e: &UnfinishedOperation) -> String {
    let mut s = match e.reason {
        Unfinished::DeadlineExceeded => format!(
            "stopped waiting for the ARM operation at its deadline, {}s after it was started",
            e.elapsed.as_secs()
        ),
        Unfinished::UnrecognisedStatus => format!(
            "stopped waiting for the ARM operation: it kept reporting the status {:?}, which is neither a known running status nor Succeeded, Failed or Canceled",
            e.last_status.as_deref().unwrap_or_default()
        ),
    };
    if e.reason == Unfinished::DeadlineExceeded {
        if let Some(status) = e.last_status.as_deref() {
            s.push_str(&format!(" (last status {status})"));
        }
    }
    s.push_str(&format!(
        "; the operation was accepted and may still complete [{} polls of {}",
        e.polls, e.monitor_url
    ));
    if let Some(id) = e.request_id.as_deref() {
        s.push_str(&format!(", request id {id}"));
    }
    s.push(']');
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
    /// Whether the failed call may have changed something in ARM, so that a caller must read
    /// the object back instead of assuming nothing was written. The one home of this rule:
    ///
    /// * yes for a write whose request may have reached ARM before it failed: a transport
    ///   error or timeout after sending, a 5xx (or 408), cancellation while the request was in
    ///   flight, any failure on a retry after such an attempt (a 412 on a retried `If-Match`
    ///   write may be the first attempt's own effect), a response that could not be decoded,
    ///   and a long-running operation that was started and then failed, could not be polled,
    ///   ran past its deadline, reported an unknown status or was cancelled;
    /// * no for reads, and for a write that ARM rejected outright on first sight (400, 401,
    ///   403, 404, 409, 412, 429, ... on the first attempt, or after attempts ARM rejected
    ///   unprocessed), a token that could not be acquired, invalid configuration, and
    ///   cancellation before anything was sent.
    pub fn may_have_written(&self) -> bool {
        match self {
            ArmError::MayHaveWritten(_)
            | ArmError::OperationFailed(_)
            | ArmError::OperationUnfinished(_) => true,
            // A write's 2xx answer was received: the write happened.
            ArmError::Decode { method, .. } => method.parse().is_ok_and(|m| is_write(&m)),
            ArmError::Service(_)
            | ArmError::Auth { .. }
            | ArmError::Transport { .. }
            | ArmError::Protocol { .. }
            | ArmError::Config(_)
            | ArmError::Cancelled => false,
        }
    }

    /// Marks this error of a write as "may have been written" (see
    /// [`ArmError::may_have_written`]); errors that already say so are returned unchanged.
    pub(crate) fn after_send(self) -> ArmError {
        if self.may_have_written() {
            self
        } else {
            ArmError::MayHaveWritten(Box::new(self))
        }
    }

    /// The error itself, looking through [`ArmError::MayHaveWritten`].
    pub fn root(&self) -> &ArmError {
        match self {
            ArmError::MayHaveWritten(inner) => inner.root(),
            other => other,
        }
    }

    /// HTTP status of a service error.
    pub fn status(&self) -> Option<u16> {
        match self.root() {
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
        match self.root() {
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
        matches!(self.root(), ArmError::Cancelled)
    }

    /// Whether token acquisition failed.
    pub fn is_auth(&self) -> bool {
        matches!(self.root(), ArmError::Auth { .. })
    }

    /// `x-ms-request-id` of the failing response, when known.
    pub fn request_id(&self) -> Option<&str> {
        match self.root() {
            ArmError::Service(e) => e.request_id.as_deref(),
            ArmError::OperationFailed(e) => e.request_id.as_deref(),
            ArmError::OperationUnfinished(e) => e.request_id.as_deref(),
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

    #[test]
    fn the_write_rule_for_errors_the_client_does_not_wrap() {
        let decode = |method: &str| ArmError::Decode {
            method: method.into(),
            url: "/x".into(),
            message: "m".into(),
            body: String::new(),
        };
        assert!(decode("PUT").may_have_written());
        assert!(!decode("GET").may_have_written());
        assert!(!ArmError::Cancelled.may_have_written());
        assert!(!ArmError::Config("c".into()).may_have_written());
        let wrapped = ArmError::Cancelled.after_send();
        assert!(wrapped.may_have_written() && wrapped.is_cancelled());
        assert_eq!(wrapped.to_string(), "the operation was cancelled");
        // Wrapping twice changes nothing.
        assert!(matches!(
            wrapped.after_send(),
            ArmError::MayHaveWritten(inner) if matches!(*inner, ArmError::Cancelled)
        ));
    }

    #[test]
    fn kept_bodies_are_bounded() {
        let big = vec![b'x'; MAX_KEPT_BODY * 3];
        let kept = kept_body(&big);
        assert!(kept.len() < MAX_KEPT_BODY + 64);
        assert!(kept.ends_with(&format!("({} bytes in all)", big.len())));
    }

    proptest::proptest! {
        #[test]
        fn any_error_body_parses_and_displays(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
            status in 400u16..600,
        ) {
            let e = ArmError::Service(Box::new(ServiceError::from_response(
                status, "PUT", "/x", None, None, &body,
            )));
            let text = e.to_string();
            let prefix = format!("ARM returned {}", status);
            proptest::prop_assert!(text.starts_with(&prefix));
        }

        #[test]
        fn json_shaped_error_bodies_parse(
            code in proptest::option::of(".{0,20}"),
            message in proptest::option::of(".{0,40}"),
            details in 0usize..3,
        ) {
            let detail = serde_json::json!({"code": code, "message": message});
            let body = serde_json::json!({"error": {
                "code": code, "message": message,
                "details": vec![detail; details],
            }});
            let parsed = parse_error_body(body.to_string().as_bytes());
            proptest::prop_assert_eq!(parsed.code, code);
            proptest::prop_assert_eq!(parsed.details.len(), details);
        }
    }
}
