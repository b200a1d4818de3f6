//! Fault injection: the failure modes a real ARM client meets (latency, 429 with and without
//! `Retry-After`, 5xx, transient 409, failing LROs), switched on per test so the provider's
//! retry and error paths are exercised on purpose rather than by luck.

use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::errors::ArmError;

/// One injected fault. Matching is by HTTP method (case-insensitive) and a case-insensitive
/// substring of the path; both default to "any". `count` limits how many matching requests it
/// affects (`None` = every matching request until cleared).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub path_contains: Option<String>,
    #[serde(default)]
    pub count: Option<u32>,
    pub action: FaultAction,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Delay the response.
    Latency { ms: u64 },
    /// Answer with an ARM error instead of handling the request.
    Error {
        status: u16,
        code: String,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// The next license-profile LRO started ends `Failed` with this message.
    FailNextLro { message: String },
    /// The next Arc install run (installPatches or a fired schedule) ends `Failed` with this
    /// message in its `errorDetails`; the operation itself succeeds, as in Azure.
    FailNextInstall { message: String },
}

impl Fault {
    fn new(action: FaultAction) -> Self {
        Self {
            method: None,
            path_contains: None,
            count: None,
            action,
        }
    }

    /// Adds `ms` of latency to every matching request.
    pub fn latency(ms: u64) -> Self {
        Self::new(FaultAction::Latency { ms })
    }

    /// 429 `SubscriptionRequestsThrottled` for the next `count` matching requests, with
    /// `Retry-After: secs` when given.
    pub fn throttle(count: u32, retry_after_secs: Option<u64>) -> Self {
        Self::new(FaultAction::Error {
            status: 429,
            code: "SubscriptionRequestsThrottled".into(),
            message: None,
            retry_after_secs,
        })
        .times(count)
    }

    /// An ARM error with any status and code for the next `count` matching requests.
    pub fn error(status: u16, code: &str, count: u32) -> Self {
        Self::new(FaultAction::Error {
            status,
            code: code.into(),
            message: None,
            retry_after_secs: None,
        })
        .times(count)
    }

    /// 500 `InternalServerError`.
    pub fn internal_error(count: u32) -> Self {
        Self::error(500, "InternalServerError", count)
    }

    /// 503 `ServiceUnavailable`.
    pub fn unavailable(count: u32) -> Self {
        Self::error(503, "ServiceUnavailable", count)
    }

    /// Transient 409 `AnotherOperationInProgress`.
    pub fn conflict(count: u32) -> Self {
        Self::error(409, "AnotherOperationInProgress", count)
    }

    /// The next license-profile LRO ends `Failed` (feature `subscriptionStatus` `Failed`).
    pub fn fail_next_lro(message: &str) -> Self {
        Self::new(FaultAction::FailNextLro {
            message: message.into(),
        })
    }

    pub fn fail_next_install(message: &str) -> Self {
        Self::new(FaultAction::FailNextInstall {
            message: message.into(),
        })
    }

    pub fn matching(mut self, method: Option<&str>, path_contains: Option<&str>) -> Self {
        self.method = method.map(str::to_string);
        self.path_contains = path_contains.map(str::to_string);
        self
    }

    pub fn times(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let m = self
            .method
            .as_deref()
            .is_none_or(|want| want.eq_ignore_ascii_case(method));
        let p = self
            .path_contains
            .as_deref()
            .is_none_or(|want| path.to_lowercase().contains(&want.to_lowercase()));
        m && p
    }
}

#[derive(Default)]
pub(crate) struct FaultRules {
    pub rules: Vec<Fault>,
    /// Latency added to every request (from `Config::latency_ms` or the admin API).
    pub base_latency_ms: u64,
}

impl FaultRules {
    /// Total latency for this request; consumes counted latency rules.
    pub fn latency_for(&mut self, method: &str, path: &str) -> u64 {
        let mut total = self.base_latency_ms;
        for rule in self.rules.iter_mut() {
            if let FaultAction::Latency { ms } = rule.action {
                if rule.matches(method, path) && consume(&mut rule.count) {
                    total = total.saturating_add(ms);
                }
            }
        }
        self.rules.retain(|r| r.count != Some(0));
        total
    }

    /// The first matching error rule, consumed.
    pub fn error_for(&mut self, method: &str, path: &str) -> Option<ArmError> {
        let mut out = None;
        for rule in self.rules.iter_mut() {
            if let FaultAction::Error {
                status,
                code,
                message,
                retry_after_secs,
            } = &rule.action
            {
                if rule.matches(method, path) && consume(&mut rule.count) {
                    let status =
                        StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    let message = message.clone().unwrap_or_else(|| default_message(code));
                    let mut e = ArmError::new(status, code, message);
                    if let Some(s) = retry_after_secs {
                        e = e.header("Retry-After", s.to_string());
                    }
                    out = Some(e);
                    break;
                }
            }
        }
        self.rules.retain(|r| r.count != Some(0));
        out
    }
}

fn consume(count: &mut Option<u32>) -> bool {
    match count {
        None => true,
        Some(0) => false,
        Some(n) => {
            *n -= 1;
            true
        }
    }
}

fn default_message(code: &str) -> String {
    match code {
        "SubscriptionRequestsThrottled" => {
            "Number of requests for subscription exceeded the limit. Please try again later.".into()
        }
        "AnotherOperationInProgress" | "Conflict" => {
            "Another operation is in progress on the resource. Please retry later.".into()
        }
        "ServiceUnavailable" => {
            "The service is temporarily unavailable. Please retry later.".into()
        }
        "InternalServerError" => "An internal server error occurred. Please retry later.".into(),
        other => format!("Injected fault '{other}'."),
    }
}
