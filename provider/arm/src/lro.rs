//! Long-running operations (CONTRACT 1.4).
//!
//! The initial response tells how to follow the operation: an `Azure-AsyncOperation` status
//! monitor (preferred), else a `Location` URL (202 while running), else — for a PUT/PATCH whose
//! body still shows a non-terminal `provisioningState` — the resource itself. Between polls the
//! service's `Retry-After` is honoured (capped), otherwise the configured poll interval. Monitor
//! URLs are only parsed when they are actually followed, so an odd `Location` value next to a
//! usable `Azure-AsyncOperation` header does no harm.

use crate::client::{decode, ArmClient, ArmRequest, ArmResponse, Method};
use crate::error::{ArmError, OperationError};
use crate::models::common::{ErrorDetail, ProvisioningState};
use crate::retry;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

/// Where the final result of an operation comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FinalState {
    /// By method: PUT/PATCH → [`FinalState::OriginalUri`], POST → [`FinalState::Location`],
    /// DELETE → [`FinalState::None`].
    #[default]
    Auto,
    /// GET the request URL after success.
    OriginalUri,
    /// The 200 body of the `Location` URL.
    Location,
    /// The final body of the `Azure-AsyncOperation` monitor.
    AsyncOperation,
    /// No result body.
    None,
}

/// One progress report while an operation runs.
#[derive(Clone, Debug, PartialEq)]
pub struct LroProgress {
    /// Status as reported (`InProgress`, `Enabling`, ...; `Accepted` for a 202 Location poll).
    pub status: String,
    pub percent_complete: Option<f64>,
    /// Polls so far.
    pub polls: u32,
    pub elapsed: Duration,
}

/// Receives [`LroProgress`] after each poll.
pub type ProgressFn = Arc<dyn Fn(&LroProgress) + Send + Sync>;

/// Options of [`ArmClient::send_lro`].
#[derive(Clone, Default)]
pub struct LroOptions {
    pub final_state: FinalState,
    pub on_progress: Option<ProgressFn>,
    /// Overrides the client's poll interval for this operation.
    pub poll_interval: Option<Duration>,
}

impl std::fmt::Debug for LroOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LroOptions")
            .field("final_state", &self.final_state)
            .field("on_progress", &self.on_progress.is_some())
            .field("poll_interval", &self.poll_interval)
            .finish()
    }
}

/// Body of an `Azure-AsyncOperation` monitor.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub percent_complete: Option<f64>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorDetail>,
    #[serde(default)]
    pub properties: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ProvisioningProbe {
    #[serde(default)]
    properties: Option<ProvisioningProbeProperties>,
    #[serde(default)]
    error: Option<ErrorDetail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProvisioningProbeProperties {
    #[serde(default)]
    provisioning_state: Option<ProvisioningState>,
}

fn provisioning_state(body: &[u8]) -> Option<(ProvisioningState, Option<ErrorDetail>)> {
    let probe: ProvisioningProbe = serde_json::from_slice(body).ok()?;
    let state = probe.properties?.provisioning_state?;
    Some((state, probe.error))
}

enum Monitor {
    AsyncOperation(Url),
    Location(Url),
    Resource(Url),
}

impl Monitor {
    fn url(&self) -> &Url {
        match self {
            Monitor::AsyncOperation(u) | Monitor::Location(u) | Monitor::Resource(u) => u,
        }
    }
}

impl ArmClient {
    /// Sends `request` and follows the long-running operation it starts until it finishes.
    /// Returns the final response per [`LroOptions::final_state`]; a `Failed`/`Canceled`
    /// operation is [`ArmError::OperationFailed`] carrying the service's error.
    pub async fn send_lro(
        &self,
        request: ArmRequest,
        options: &LroOptions,
    ) -> Result<ArmResponse, ArmError> {
        let started = Instant::now();
        let original = self.resolve(&request.path, request.api_version.as_deref())?;
        let initial = self.execute(&request, original.clone()).await?;
        let final_state = match (options.final_state, &request.method) {
            (FinalState::Auto, &Method::PUT | &Method::PATCH) => FinalState::OriginalUri,
            (FinalState::Auto, &Method::POST) => FinalState::Location,
            (FinalState::Auto, _) => FinalState::None,
            (s, _) => s,
        };
        let request_id = initial.request_id().map(str::to_string);
        let async_op = initial.header("azure-asyncoperation").map(str::to_string);
        let location = initial.header("location").map(str::to_string);
        let body_state = provisioning_state(&initial.body);
        let body_running = body_state.as_ref().is_some_and(|(s, _)| !s.is_terminal());
        let accepted = matches!(initial.status, 201 | 202);

        let monitor = if (accepted || body_running) && async_op.is_some() {
            let u = async_op.as_deref().unwrap_or_default();
            Some(Monitor::AsyncOperation(self.monitor_url(u)?))
        } else if (accepted || body_running) && location.is_some() {
            let u = location.as_deref().unwrap_or_default();
            Some(Monitor::Location(self.monitor_url(u)?))
        } else if body_running && matches!(request.method, Method::PUT | Method::PATCH) {
            Some(Monitor::Resource(original.clone()))
        } else {
            None
        };

        let Some(monitor) = monitor else {
            if let Some((state, error)) = body_state {
                if matches!(
                    state,
                    ProvisioningState::Failed | ProvisioningState::Canceled
                ) {
                    return Err(operation_failed(
                        state.as_str(),
                        error,
                        &original,
                        request_id,
                        &initial.body,
                    ));
                }
            }
            return Ok(initial);
        };

        let mut retry_after = retry_after_of(&initial);
        let poll_interval = options.poll_interval.unwrap_or(self.inner.poll_interval);
        let mut polls = 0u32;
        let done = loop {
            let wait = retry_after
                .map(|d| d.min(self.inner.retry.max_retry_after))
                .unwrap_or(poll_interval);
            retry::sleep(&self.cancel, wait).await?;
            polls += 1;
            let resp = self
                .execute(
                    &ArmRequest::get_url(monitor.url().as_str()),
                    monitor.url().clone(),
                )
                .await?;
            retry_after = retry_after_of(&resp);
            let (status, percent, finished) = match &monitor {
                Monitor::AsyncOperation(url) => {
                    let op: OperationStatus = decode(&Method::GET, &resp.url, &resp.body)?;
                    let status = op.status.clone().unwrap_or_default();
                    if status.eq_ignore_ascii_case("Succeeded") {
                        (status, op.percent_complete, true)
                    } else if status.eq_ignore_ascii_case("Failed")
                        || status.eq_ignore_ascii_case("Canceled")
                    {
                        return Err(operation_failed(
                            &status, op.error, url, request_id, &resp.body,
                        ));
                    } else {
                        (status, op.percent_complete, false)
                    }
                }
                Monitor::Location(_) => {
                    if resp.status == 202 {
                        ("Accepted".to_string(), None, false)
                    } else {
                        ("Succeeded".to_string(), None, true)
                    }
                }
                Monitor::Resource(url) => match provisioning_state(&resp.body) {
                    Some((state, _)) if state == ProvisioningState::Succeeded => {
                        (state.to_string(), None, true)
                    }
                    Some((state, error)) if state.is_terminal() => {
                        return Err(operation_failed(
                            state.as_str(),
                            error,
                            url,
                            request_id,
                            &resp.body,
                        ));
                    }
                    Some((state, _)) => (state.to_string(), None, false),
                    None => ("Succeeded".to_string(), None, true),
                },
            };
            tracing::debug!(url = %resp.url, polls, status = %status, "LRO poll");
            if let Some(cb) = &options.on_progress {
                cb(&LroProgress {
                    status,
                    percent_complete: percent,
                    polls,
                    elapsed: started.elapsed(),
                });
            }
            if finished {
                break resp;
            }
        };

        match (final_state, &monitor) {
            (FinalState::OriginalUri, Monitor::Resource(_)) => Ok(done),
            (FinalState::OriginalUri, _) => {
                self.execute(&ArmRequest::get_url(original.as_str()), original)
                    .await
            }
            (FinalState::Location, Monitor::Location(_)) => Ok(done),
            (FinalState::Location, _) => match location {
                Some(l) => {
                    let url = self.monitor_url(&l)?;
                    self.execute(&ArmRequest::get_url(url.as_str()), url).await
                }
                None => Ok(done),
            },
            _ => Ok(done),
        }
    }

    fn monitor_url(&self, raw: &str) -> Result<Url, ArmError> {
        self.resolve(raw, None)
    }

    /// PUT with a JSON body, following the LRO; returns the resource as finally read.
    pub async fn put_lro<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        let req = ArmRequest::new(Method::PUT, path, api_version).json(body)?;
        self.send_lro(req, &LroOptions::default()).await?.json()
    }

    /// PATCH with a JSON body, following the LRO; returns the resource as finally read.
    pub async fn patch_lro<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        let req = ArmRequest::new(Method::PATCH, path, api_version).json(body)?;
        self.send_lro(req, &LroOptions::default()).await?.json()
    }

    /// DELETE, following the LRO until the resource is gone.
    pub async fn delete_lro(&self, path: &str, api_version: &str) -> Result<(), ArmError> {
        let req = ArmRequest::new(Method::DELETE, path, api_version);
        self.send_lro(req, &LroOptions::default()).await.map(|_| ())
    }

    /// POST an action (final state via `Location`), with optional progress reports. `None` when
    /// the operation finished without a body.
    pub async fn post_lro<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
        on_progress: Option<ProgressFn>,
    ) -> Result<Option<T>, ArmError> {
        let req = ArmRequest::new(Method::POST, path, api_version).json(body)?;
        let options = LroOptions {
            on_progress,
            ..Default::default()
        };
        self.send_lro(req, &options).await?.json()
    }
}

fn retry_after_of(resp: &ArmResponse) -> Option<Duration> {
    resp.header("retry-after")
        .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
}

fn operation_failed(
    status: &str,
    error: Option<ErrorDetail>,
    monitor: &Url,
    request_id: Option<String>,
    body: &[u8],
) -> ArmError {
    ArmError::OperationFailed(Box::new(OperationError {
        status: status.to_string(),
        error,
        monitor_url: crate::client::redact_url(monitor),
        request_id,
        body: String::from_utf8_lossy(body).into_owned(),
    }))
}
