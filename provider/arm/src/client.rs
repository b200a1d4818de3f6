//! The HTTP core: configuration, one request with retries, and the JSON convenience methods.
//!
//! Every request goes through [`ArmClient::send`], which waits its turn at the process-wide
//! pacing gate of its budget (see [`crate::pacing`]), attaches the bearer token, retries what
//! is safe to retry (see [`crate::retry`]), maps failures onto [`ArmError`], and gives up as soon
//! as the cancellation token fires — in-flight requests included — so a Terraform stop is
//! honoured promptly. Tokens are requested per attempt from a cache, so a token that expires
//! during a long backoff is refreshed before the next attempt.
//!
//! While retrying, it remembers whether any attempt may have reached ARM (an answer of 5xx or
//! 408, a transport failure after sending, cancellation in flight). A write that then fails is
//! returned as [`ArmError::MayHaveWritten`], whatever the last attempt said: a 412 or 409 on a
//! retry can be the first attempt's own effect. URLs are resolved and shown by [`crate::urls`]:
//! only the configured endpoint is ever sent our token, and messages carry paths, not queries.

use crate::credentials::{error_chain, Credentials, TokenSource};
use crate::environment::{CloudEnvironment, Endpoints};
use crate::error::{is_write, ArmError, ServiceError};
use crate::headers::{self, RateLimitRemaining};
use crate::lro::PollPolicy;
use crate::pacing::{Budget, Pacer, PacingPolicy};
use crate::retry::{self, RetryPolicy};
use crate::urls;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};
use tokio_util::sync::CancellationToken;
use url::Url;

pub use reqwest::Method;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// Everything needed to build an [`ArmClient`].
#[derive(Clone, Debug)]
pub struct ArmConfig {
    pub environment: CloudEnvironment,
    /// Replaces the environment's ARM endpoint (e.g. an emulator). Must be https.
    pub resource_manager_endpoint: Option<Url>,
    /// Replaces the environment's Entra ID authority host. Must be https.
    pub authority_host: Option<Url>,
    /// PEM file of extra root certificates trusted for both the token endpoint and ARM.
    pub ca_certificate_file: Option<PathBuf>,
    pub credentials: Credentials,
    /// Sent as `User-Agent`, e.g. `terraform-provider-hotpatch/0.1.0` (see [`user_agent`]).
    pub user_agent: String,
    pub retry: RetryPolicy,
    /// How long-running operations are polled.
    pub polling: PollPolicy,
    /// How the subscription's throttling budget is spent (see [`crate::pacing`]).
    pub pacing: PacingPolicy,
}

impl ArmConfig {
    /// Public cloud, default retry and polling policies.
    pub fn new(credentials: Credentials, user_agent: impl Into<String>) -> Self {
        ArmConfig {
            environment: CloudEnvironment::Public,
            resource_manager_endpoint: None,
            authority_host: None,
            ca_certificate_file: None,
            credentials,
            user_agent: user_agent.into(),
            retry: RetryPolicy::default(),
            polling: PollPolicy::default(),
            pacing: PacingPolicy::default(),
        }
    }
}

/// `product/version`, the user agent format ARM expects (e.g.
/// `terraform-provider-hotpatch/0.1.0`).
pub fn user_agent(product: &str, version: &str) -> String {
    format!("{product}/{version}")
}

/// One ARM request. `path` is an ARM path (`/subscriptions/...`, optionally with a query) joined
/// to the resource manager endpoint, or an absolute URL on that same endpoint (a `nextLink` or a
/// monitor URL, used verbatim); see [`crate::urls`].
#[derive(Clone)]
pub struct ArmRequest {
    pub method: Method,
    pub path: String,
    /// Added as `api-version` unless the URL already has one.
    pub api_version: Option<String>,
    pub body: Option<Vec<u8>>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Whether the request may be repeated after it reached the server. Defaults to true for
    /// everything but POST.
    pub idempotent: bool,
}

impl ArmRequest {
    pub fn new(method: Method, path: impl Into<String>, api_version: impl Into<String>) -> Self {
        let idempotent = method != Method::POST;
        ArmRequest {
            method,
            path: path.into(),
            api_version: Some(api_version.into()),
            body: None,
            headers: Vec::new(),
            idempotent,
        }
    }

    /// A GET of an absolute URL used verbatim (no api-version added).
    pub fn get_url(url: impl Into<String>) -> Self {
        ArmRequest {
            method: Method::GET,
            path: url.into(),
            api_version: None,
            body: None,
            headers: Vec::new(),
            idempotent: true,
        }
    }

    /// Sets a JSON body.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, ArmError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ArmError::Config(format!("cannot serialize request body: {e}")))?;
        self.body = Some(bytes);
        Ok(self)
    }

    /// Adds a header (e.g. `If-Match`).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Adds `If-Match: <etag>` so the write applies only to the version that was read (ARM
    /// answers 412 otherwise).
    pub fn if_match(self, etag: &str) -> Result<Self, ArmError> {
        let value = HeaderValue::from_str(etag)
            .map_err(|_| ArmError::Config(format!("etag {etag:?} is not a valid header value")))?;
        Ok(self.header(reqwest::header::IF_MATCH, value))
    }

    /// Marks the request as safe (or not) to repeat after it reached the server.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

/// Shows what a request is without its query (skip tokens) or body.
impl std::fmt::Debug for ArmRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmRequest")
            .field("method", &self.method)
            .field("path", &urls::shown_raw(&self.path))
            .field("api_version", &self.api_version)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

/// A successful response, fully read.
#[derive(Clone, Debug)]
pub struct ArmResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Request path and api-version (see [`crate::urls::shown`]), for messages.
    pub url: String,
    pub method: Method,
}

impl ArmResponse {
    /// A header as a string, if present and printable ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        headers::text(&self.headers, name)
    }

    /// The subscription's remaining read/write budget as this response reported it.
    pub fn rate_limit_remaining(&self) -> RateLimitRemaining {
        RateLimitRemaining::of(&self.headers)
    }

    /// `x-ms-request-id`.
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-ms-request-id")
    }

    /// Decodes the body; an empty body decodes as JSON `null` (so `Option<T>`, `()` and
    /// `serde_json::Value` accept it).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ArmError> {
        decode(&self.method, &self.url, &self.body)
    }
}

pub(crate) fn decode<T: DeserializeOwned>(
    method: &Method,
    url: &str,
    body: &[u8],
) -> Result<T, ArmError> {
    let empty = body.iter().all(u8::is_ascii_whitespace);
    let res = if empty {
        serde_json::from_slice(b"null")
    } else {
        serde_json::from_slice(body)
    };
    res.map_err(|e| ArmError::Decode {
        method: method.to_string(),
        url: url.to_string(),
        message: e.to_string(),
        body: crate::error::kept_body(body),
    })
}

/// Client for Azure Resource Manager. Cheap to clone; clones share the connection pool and token
/// cache.
#[derive(Clone)]
pub struct ArmClient {
    pub(crate) inner: Arc<Inner>,
    pub(crate) cancel: CancellationToken,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    pub(crate) endpoints: Endpoints,
    tokens: TokenSource,
    pub(crate) retry: RetryPolicy,
    pub(crate) polling: PollPolicy,
    pacer: Pacer,
    write_observers: RwLock<Vec<Arc<dyn WriteObserver>>>,
}

/// Told of every write (PUT, PATCH, POST, DELETE) a client sends, so that what was read
/// before, and is kept somewhere, can step aside for what the write changed.
pub trait WriteObserver: Send + Sync {
    /// A write to `path` (the URL's path, no query) is about to be sent; it may be retried.
    fn write_started(&self, path: &str);
    /// The write to `path` ended: answered, failed or abandoned. A long-running operation it
    /// started may still be changing the resource.
    fn write_ended(&self, path: &str);
}

/// Reports the end of a write to the observers that saw it start, however the send ends
/// (an answer, an error, or the future dropped on cancellation).
struct WriteInFlight {
    observers: Vec<Arc<dyn WriteObserver>>,
    path: String,
}

impl WriteInFlight {
    fn start(inner: &Inner, path: &str) -> Self {
        let observers = inner
            .write_observers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for o in &observers {
            o.write_started(path);
        }
        WriteInFlight {
            observers,
            path: path.to_owned(),
        }
    }
}

impl Drop for WriteInFlight {
    fn drop(&mut self) {
        for o in &self.observers {
            o.write_ended(&self.path);
        }
    }
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("endpoints", &self.inner.endpoints)
            .finish_non_exhaustive()
    }
}

fn load_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, ArmError> {
    let pem = std::fs::read(path).map_err(|e| {
        ArmError::Config(format!(
            "cannot read ca_certificate_file {}: {e}",
            path.display()
        ))
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        ArmError::Config(format!(
            "ca_certificate_file {} is not a PEM bundle: {}",
            path.display(),
            error_chain(&e)
        ))
    })?;
    if certs.is_empty() {
        return Err(ArmError::Config(format!(
            "ca_certificate_file {} contains no certificates",
            path.display()
        )));
    }
    Ok(certs)
}

fn http_client(
    user_agent: &str,
    roots: &[reqwest::Certificate],
    https_only: bool,
) -> Result<reqwest::Client, ArmError> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .tls_certs_merge(roots.iter().cloned())
        .https_only(https_only)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .build()
        .map_err(|e| ArmError::Config(format!("cannot build HTTP client: {}", error_chain(&e))))
}

impl ArmClient {
    /// Builds a client. Nothing is sent until the first request (the token is acquired lazily).
    pub fn new(config: ArmConfig, cancel: CancellationToken) -> Result<Self, ArmError> {
        let endpoints = Endpoints::resolve(
            config.environment,
            config.resource_manager_endpoint.as_ref(),
            config.authority_host.as_ref(),
        )?;
        let roots = match &config.ca_certificate_file {
            Some(p) => load_ca_file(p)?,
            None => Vec::new(),
        };
        let http = http_client(&config.user_agent, &roots, true)?;
        let imds = http_client(&config.user_agent, &roots, false)?;
        let credential = config
            .credentials
            .build(&endpoints.authority_host, http.clone(), imds)?;
        let tokens = TokenSource::new(credential, endpoints.scope.clone());
        let mut retry = config.retry;
        retry.max_attempts = retry.max_attempts.max(1);
        tracing::debug!(
            credential = config.credentials.kind(),
            resource_manager = %endpoints.resource_manager,
            authority_host = %endpoints.authority_host,
            "configured ARM client"
        );
        Ok(ArmClient {
            inner: Arc::new(Inner {
                http,
                endpoints,
                tokens,
                retry,
                polling: config.polling,
                pacer: Pacer::new(config.pacing),
                write_observers: RwLock::new(Vec::new()),
            }),
            cancel,
        })
    }

    /// The same client observing another cancellation token (e.g. a per-operation child token).
    pub fn with_cancellation(&self, cancel: CancellationToken) -> Self {
        ArmClient {
            inner: self.inner.clone(),
            cancel,
        }
    }

    /// The cancellation token this client observes.
    pub fn cancellation_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Tells `observer` of every write sent from now on by this client and all its clones.
    pub fn observe_writes(&self, observer: Arc<dyn WriteObserver>) {
        self.inner
            .write_observers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(observer);
    }

    /// Endpoints and token scope in effect.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// Resolves `path` (see [`crate::urls::resolve`]) and adds the api-version.
    pub(crate) fn resolve(&self, path: &str, api_version: Option<&str>) -> Result<Url, ArmError> {
        let mut url = urls::resolve(&self.inner.endpoints.resource_manager, path)?;
        if let Some(v) = api_version {
            if !url.query_pairs().any(|(k, _)| k == "api-version") {
                url.query_pairs_mut().append_pair("api-version", v);
            }
        }
        Ok(url)
    }

    /// Sends one request with retries. Non-2xx answers become [`ArmError::Service`].
    pub async fn send(&self, request: ArmRequest) -> Result<ArmResponse, ArmError> {
        let url = self.resolve(&request.path, request.api_version.as_deref())?;
        self.execute(&request, url, None).await
    }

    /// Sends `request` to `url`, retrying per the policy; no retry wait is started that would
    /// end after `deadline`.
    pub(crate) async fn execute(
        &self,
        request: &ArmRequest,
        url: Url,
        deadline: Option<Instant>,
    ) -> Result<ArmResponse, ArmError> {
        let policy = &self.inner.retry;
        let shown_url = urls::shown(&url);
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        // Our own id for this request, kept across its retries (as the Azure SDKs do), so a
        // support case can be traced from our logs into ARM's.
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let budget = Budget::of(&request.method, &url);
        let _write =
            is_write(&request.method).then(|| WriteInFlight::start(&self.inner, url.path()));
        // Failures other than throttling; only these count against `max_attempts`.
        let mut failures: u32 = 0;
        // Whether any attempt so far may have been processed by ARM.
        let mut reached = false;
        let outcome = |err: ArmError, reached: bool| {
            if reached && is_write(&request.method) {
                err.after_send()
            } else {
                err
            }
        };
        loop {
            attempt += 1;
            if let Err(cancelled) = self.inner.pacer.admit(budget.as_ref(), &self.cancel).await {
                return Err(outcome(cancelled, reached));
            }
            let result = self
                .attempt(request, &url, &shown_url, &client_request_id, attempt)
                .await;
            if let Attempt::Answered(resp) = &result {
                self.inner.pacer.observe(budget.as_ref(), &resp.headers);
            }
            let (err, retry_after, throttled) = match result {
                Attempt::Answered(resp) if (200..300).contains(&resp.status) => return Ok(resp),
                Attempt::Answered(resp) => {
                    let err = ServiceError::from_response(
                        resp.status,
                        request.method.as_str(),
                        &shown_url,
                        resp.request_id().map(str::to_string),
                        resp.header("x-ms-correlation-request-id")
                            .map(str::to_string),
                        &resp.body,
                    );
                    reached |= retry::may_have_processed(err.status);
                    let may_retry = retry::is_retryable_status(err.status, &err.error)
                        && (request.idempotent || retry::rejected_unprocessed(err.status));
                    // Resource Graph throttles per user and says when its quota resets
                    // instead of sending Retry-After.
                    let retry_after = resp
                        .header(headers::RETRY_AFTER)
                        .and_then(|v| headers::retry_after(v, SystemTime::now()))
                        .or_else(|| crate::resourcegraph::Quota::of(&resp).wait());
                    let throttled = retry::is_throttling(err.status, &err.error);
                    let err = ArmError::Service(Box::new(err));
                    if !may_retry {
                        return Err(outcome(err, reached));
                    }
                    (err, retry_after, throttled)
                }
                Attempt::Failed {
                    error,
                    reached: this_reached,
                } => {
                    reached |= this_reached;
                    let retryable = match &error {
                        ArmError::Transport {
                            message, not_sent, ..
                        } => (request.idempotent || *not_sent) && !is_tls_failure(message),
                        _ => false,
                    };
                    if !retryable {
                        return Err(outcome(error, reached));
                    }
                    (error, None, false)
                }
            };
            // A 429 means "not now", not "broken": under a busy token bucket a request can
            // lose the race for fresh tokens many times in a row, so throttling is bounded by
            // the wait budget alone, while real failures also stop after `max_attempts`.
            if err.status() != Some(429) {
                failures += 1;
                if failures >= policy.max_attempts {
                    tracing::debug!(attempt, "giving up after the maximum number of attempts");
                    return Err(outcome(err, reached));
                }
            }
            let delay = policy.delay(attempt, retry_after);
            if throttled {
                // The rest of the process holds this budget's requests as long as this one
                // waits, instead of running into the same empty bucket meanwhile.
                self.inner.pacer.throttled(budget.as_ref(), delay);
            }
            if waited.saturating_add(delay) > policy.max_total_wait {
                tracing::debug!(?delay, ?waited, "giving up: retry wait budget exhausted");
                return Err(outcome(err, reached));
            }
            let past_deadline = deadline.is_some_and(|d| {
                Instant::now()
                    .checked_add(delay)
                    .is_none_or(|wake| wake > d)
            });
            if past_deadline {
                tracing::debug!(?delay, "giving up: the retry would end after the deadline");
                return Err(outcome(err, reached));
            }
            tracing::debug!(
                method = %request.method,
                url = %shown_url,
                attempt,
                ?delay,
                server_hint = retry_after.is_some(),
                error = %err,
                "retrying ARM request"
            );
            if let Err(cancelled) = retry::sleep(&self.cancel, delay).await {
                return Err(outcome(cancelled, reached));
            }
            waited += delay;
        }
    }

    async fn attempt(
        &self,
        request: &ArmRequest,
        url: &Url,
        shown_url: &str,
        client_request_id: &str,
        attempt: u32,
    ) -> Attempt {
        let not_sent = |error| Attempt::Failed {
            error,
            reached: false,
        };
        if self.cancel.is_cancelled() {
            return not_sent(ArmError::Cancelled);
        }
        let token = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return not_sent(ArmError::Cancelled),
            t = self.inner.tokens.token() => match t {
                Ok(t) => t,
                Err(e) => return not_sent(e),
            },
        };
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url.clone())
            .bearer_auth(token.expose())
            .header(ACCEPT, "application/json")
            .header("x-ms-client-request-id", client_request_id);
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        } else if matches!(request.method, Method::PUT | Method::PATCH | Method::POST) {
            builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
        }
        for (k, v) in &request.headers {
            builder = builder.header(k.clone(), v.clone());
        }
        tracing::debug!(
            method = %request.method,
            url = %shown_url,
            attempt,
            client_request_id,
            "ARM request"
        );
        let started = Instant::now();
        let exchange = async {
            let resp = builder.send().await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body.to_vec()))
        };
        let result = tokio::select! {
            biased;
            // The request may already be with ARM.
            _ = self.cancel.cancelled() => return Attempt::Failed {
                error: ArmError::Cancelled,
                reached: true,
            },
            r = exchange => r,
        };
        match result {
            Ok((status, headers, body)) => {
                let resp = ArmResponse {
                    status,
                    headers,
                    body,
                    url: shown_url.to_string(),
                    method: request.method.clone(),
                };
                tracing::debug!(
                    method = %request.method,
                    url = %shown_url,
                    attempt,
                    status,
                    request_id = resp.request_id().unwrap_or("-"),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "ARM response"
                );
                Attempt::Answered(resp)
            }
            Err(e) => {
                let not_sent = e.is_connect();
                // reqwest's message names the whole URL, query included; ours names the path.
                let message = error_chain(&e.without_url());
                tracing::debug!(
                    method = %request.method,
                    url = %shown_url,
                    attempt,
                    error = %message,
                    "ARM request failed"
                );
                Attempt::Failed {
                    error: ArmError::Transport {
                        method: request.method.to_string(),
                        url: shown_url.to_string(),
                        not_sent,
                        message,
                    },
                    reached: !not_sent,
                }
            }
        }
    }

    // ----- JSON convenience methods -----------------------------------------------------------

    /// `GET path` → `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<T, ArmError> {
        self.send(ArmRequest::new(Method::GET, path, api_version))
            .await?
            .json()
    }

    /// `GET path` → `Some(T)`, or `None` when ARM answers 404.
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<Option<T>, ArmError> {
        match self.get(path, api_version).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Synchronous `PUT path` with a JSON body.
    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        self.send(ArmRequest::new(Method::PUT, path, api_version).json(body)?)
            .await?
            .json()
    }

    /// Synchronous `PATCH path` with a JSON body.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        self.send(ArmRequest::new(Method::PATCH, path, api_version).json(body)?)
            .await?
            .json()
    }

    /// `POST path` with a JSON body; not repeated once it reached the server (except after a
    /// 429, which ARM sends before processing).
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        self.send(ArmRequest::new(Method::POST, path, api_version).json(body)?)
            .await?
            .json()
    }

    /// `POST path` for read-only actions (e.g. a Resource Graph query): retried like a GET.
    pub async fn post_idempotent<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        self.send(
            ArmRequest::new(Method::POST, path, api_version)
                .json(body)?
                .idempotent(true),
        )
        .await?
        .json()
    }

    /// Synchronous `DELETE path` (a 202 is not followed; use `delete_lro` for that).
    pub async fn delete(&self, path: &str, api_version: &str) -> Result<(), ArmError> {
        self.send(ArmRequest::new(Method::DELETE, path, api_version))
            .await
            .map(|_| ())
    }
}

fn is_tls_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("certificate") || m.contains("invalidcertificate") || m.contains("handshake")
}

/// How one attempt ended.
enum Attempt {
    /// ARM answered (any status).
    Answered(ArmResponse),
    /// No answer; `reached` tells whether the request may have reached ARM anyway.
    Failed { error: ArmError, reached: bool },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_debug_shows_no_query_or_body() {
        let req = ArmRequest::get_url("https://h/next?api-version=1&$skiptoken=SECRET")
            .json(&serde_json::json!({"password": "hunter2"}))
            .unwrap();
        let shown = format!("{req:?}");
        assert!(shown.contains("/next?api-version=1"), "{shown}");
        assert!(
            !shown.contains("SECRET") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
