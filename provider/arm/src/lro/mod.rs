//! Long-running operations (CONTRACT 1.4).
//!
//! The initial response tells how to follow the operation: an `Azure-AsyncOperation` status
//! monitor (preferred), else a `Location` URL (202 while running), else — for a PUT/PATCH whose
//! body still shows a non-terminal `provisioningState` — the resource itself. Monitor URLs are
//! only parsed when they are actually followed, so an odd `Location` value next to a usable
//! `Azure-AsyncOperation` header does no harm, and they are followed only on the configured
//! endpoint (see [`crate::urls`]).
//!
//! How long and how often: between polls the wait follows [`PollPolicy`] (the service's
//! `Retry-After` within bounds, never a busy loop, backing off as the operation ages). Every
//! operation has a deadline, the caller's ([`LroOptions::deadline`], e.g. from a Terraform
//! `timeouts` block) or [`PollPolicy::default_deadline`]; past it the wait ends with
//! [`ArmError::OperationUnfinished`]. Status words are read by [`status::classify`]: known
//! running words keep the wait going, unrecognised ones only for a bounded time.
//!
//! Once the initial request was accepted, every later failure (a poll that fails, the deadline,
//! cancellation, a monitor URL that cannot be followed) is reported as "may have written"
//! ([`ArmError::may_have_written`]): the operation may well complete without us watching.

pub mod poll;
pub mod status;

use crate::client::{decode, ArmClient, ArmRequest, ArmResponse, Method};
use crate::error::{is_write, ArmError, OperationError, Unfinished, UnfinishedOperation};
use crate::headers;
use crate::models::common::{ErrorDetail, ProvisioningState};
use crate::retry;
use crate::urls;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

pub use poll::PollPolicy;
pub use status::StatusKind;

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
    /// Overrides [`PollPolicy::interval`] for this operation (still bounded by the policy).
    pub poll_interval: Option<Duration>,
    /// When to stop waiting; `None` means [`PollPolicy::default_deadline`] after the start.
    /// Retries of the initial request and of polls are not started past it either.
    pub deadline: Option<Instant>,
}

impl std::fmt::Debug for LroOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LroOptions")
            .field("final_state", &self.final_state)
            .field("on_progress", &self.on_progress.is_some())
            .field("poll_interval", &self.poll_interval)
            .field("deadline", &self.deadline)
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

/// One operation being followed.
struct Run<'a> {
    options: &'a LroOptions,
    started: Instant,
    deadline: Option<Instant>,
    /// `x-ms-request-id` of the initial request.
    request_id: Option<String>,
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
        let deadline = options
            .deadline
            .or_else(|| started.checked_add(self.inner.polling.default_deadline));
        let original = self.resolve(&request.path, request.api_version.as_deref())?;
        let initial = self.execute(&request, original.clone(), deadline).await?;
        let run = Run {
            options,
            started,
            deadline,
            request_id: initial.request_id().map(str::to_string),
        };
        self.follow(&request.method, original, initial, &run)
            .await
            .map_err(|e| {
                if is_write(&request.method) {
                    e.after_send()
                } else {
                    e
                }
            })
    }

    /// Everything after the initial request was accepted.
    async fn follow(
        &self,
        method: &Method,
        original: Url,
        initial: ArmResponse,
        run: &Run<'_>,
    ) -> Result<ArmResponse, ArmError> {
        let final_state = match (run.options.final_state, method) {
            (FinalState::Auto, &Method::PUT | &Method::PATCH) => FinalState::OriginalUri,
            (FinalState::Auto, &Method::POST) => FinalState::Location,
            (FinalState::Auto, _) => FinalState::None,
            (s, _) => s,
        };
        let async_op = initial.header("azure-asyncoperation").map(str::to_string);
        let location = initial.header("location").map(str::to_string);
        let body_state = provisioning_state(&initial.body);
        let body_running = body_state
            .as_ref()
            .is_some_and(|(s, _)| status::classify(s.as_str()).is_pending());
        let accepted = matches!(initial.status, 201 | 202);

        let monitor = if (accepted || body_running) && async_op.is_some() {
            let u = async_op.as_deref().unwrap_or_default();
            Some(Monitor::AsyncOperation(self.monitor_url(u)?))
        } else if (accepted || body_running) && location.is_some() {
            let u = location.as_deref().unwrap_or_default();
            Some(Monitor::Location(self.monitor_url(u)?))
        } else if body_running && matches!(method, &Method::PUT | &Method::PATCH) {
            Some(Monitor::Resource(original.clone()))
        } else {
            None
        };

        let Some(monitor) = monitor else {
            if let Some((state, error)) = body_state {
                if matches!(
                    status::classify(state.as_str()),
                    StatusKind::Failed | StatusKind::Canceled
                ) {
                    return Err(operation_failed(
                        state.as_str(),
                        error,
                        &original,
                        run.request_id.clone(),
                        &initial.body,
                    ));
                }
            }
            return Ok(initial);
        };

        let done = self
            .poll_until_done(&monitor, retry_after_of(&initial), run)
            .await?;

        match (final_state, &monitor) {
            (FinalState::OriginalUri, Monitor::Resource(_)) => Ok(done),
            (FinalState::OriginalUri, _) => {
                self.execute(
                    &ArmRequest::get_url(original.as_str()),
                    original,
                    run.deadline,
                )
                .await
            }
            (FinalState::Location, Monitor::Location(_)) => Ok(done),
            (FinalState::Location, _) => match location {
                Some(l) => {
                    let url = self.monitor_url(&l)?;
                    self.execute(&ArmRequest::get_url(url.as_str()), url, run.deadline)
                        .await
                }
                None => Ok(done),
            },
            _ => Ok(done),
        }
    }

    /// Polls `monitor` until the operation reports success (returning that last response), it
    /// fails, or the wait is given up (deadline, unrecognised status, cancellation).
    async fn poll_until_done(
        &self,
        monitor: &Monitor,
        mut retry_after: Option<Duration>,
        run: &Run<'_>,
    ) -> Result<ArmResponse, ArmError> {
        let policy = &self.inner.polling;
        let mut polls = 0u32;
        let mut last_status: Option<String> = None;
        // When the service started reporting words this client does not know.
        let mut unrecognised_since: Option<Instant> = None;
        let unfinished = |reason, last_status: &Option<String>, polls| {
            ArmError::OperationUnfinished(Box::new(UnfinishedOperation {
                reason,
                last_status: last_status.clone(),
                monitor_url: urls::shown(monitor.url()),
                request_id: run.request_id.clone(),
                polls,
                elapsed: run.started.elapsed(),
            }))
        };
        loop {
            let now = Instant::now();
            // At least one poll, even when the initial request used up the time: its answer
            // may be the final one, and otherwise names the status the wait ended on.
            if polls > 0 && run.deadline.is_some_and(|d| now >= d) {
                return Err(unfinished(
                    Unfinished::DeadlineExceeded,
                    &last_status,
                    polls,
                ));
            }
            let wait = policy.wait(
                run.started.elapsed(),
                retry_after,
                run.options.poll_interval,
            );
            // The last poll happens at the deadline itself, so an operation that finished just
            // before it is still seen as finished.
            let wait = run
                .deadline
                .map_or(wait, |d| wait.min(d.saturating_duration_since(now)));
            retry::sleep(&self.cancel, wait).await?;
            polls += 1;
            let url = monitor.url();
            let resp = self
                .execute(
                    &ArmRequest::get_url(url.as_str()),
                    url.clone(),
                    run.deadline,
                )
                .await?;
            retry_after = retry_after_of(&resp);
            let (word, percent, error) = match monitor {
                Monitor::AsyncOperation(_) => {
                    let op: OperationStatus = decode(&Method::GET, &resp.url, &resp.body)?;
                    (op.status.unwrap_or_default(), op.percent_complete, op.error)
                }
                Monitor::Location(_) if resp.status == 202 => ("Accepted".to_string(), None, None),
                Monitor::Location(_) => ("Succeeded".to_string(), None, None),
                Monitor::Resource(_) => match provisioning_state(&resp.body) {
                    Some((state, error)) => (state.to_string(), None, error),
                    // A resource without a provisioningState has nothing left to do.
                    None => ("Succeeded".to_string(), None, None),
                },
            };
            let kind = status::classify(&word);
            tracing::debug!(url = %resp.url, polls, status = %word, "LRO poll");
            if matches!(kind, StatusKind::Failed | StatusKind::Canceled) {
                return Err(operation_failed(
                    &word,
                    error,
                    url,
                    run.request_id.clone(),
                    &resp.body,
                ));
            }
            if let Some(cb) = &run.options.on_progress {
                cb(&LroProgress {
                    status: word.clone(),
                    percent_complete: percent,
                    polls,
                    elapsed: run.started.elapsed(),
                });
            }
            last_status = Some(word);
            match kind {
                StatusKind::Succeeded => return Ok(resp),
                StatusKind::Unrecognised => {
                    let since = *unrecognised_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= policy.unrecognised_status_limit {
                        return Err(unfinished(
                            Unfinished::UnrecognisedStatus,
                            &last_status,
                            polls,
                        ));
                    }
                }
                _ => unrecognised_since = None,
            }
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
    resp.header(headers::RETRY_AFTER)
        .and_then(|v| headers::retry_after(v, SystemTime::now()))
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
        monitor_url: urls::shown(monitor),
        request_id,
        body: crate::error::kept_body(body),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn status_bodies_of_any_bytes_are_read_or_refused(
            body in proptest::collection::vec(any::<u8>(), 0..512),
            word in ".{0,20}",
        ) {
            let _ = provisioning_state(&body);
            let _ = decode::<OperationStatus>(&Method::GET, "/op", &body);
            let json = serde_json::json!({"status": word, "properties": {"provisioningState": word}});
            let (state, _) = provisioning_state(json.to_string().as_bytes()).unwrap();
            prop_assert!(state.as_str().eq_ignore_ascii_case(&word));
        }
    }
}
