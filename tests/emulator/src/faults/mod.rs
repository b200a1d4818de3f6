//! Fault injection: the failure modes a real ARM client meets, switched on per test so the
//! provider's retry, recovery and error paths are exercised on purpose rather than by luck.
//!
//! A rule (`Fault`) matches requests by method and path substring, can skip the first
//! matching requests (`skip`) and affects `count` of them (`None` = all). Its action acts at
//! one step of the request pipeline (see `server`):
//! * latency: before anything else (token requests included);
//! * `error`, `reset`: before the request is handled, so nothing is applied;
//! * `error_after_commit`, `reset_after_commit`: after a successful (2xx) write was applied, the
//!   answer is replaced by an error or the connection is reset without one;
//! * `fail_next_lro`, `slow_lro`: when a matching request starts an LRO;
//! * `mutate`: an out-of-band change (as in the portal) made when a matching request arrives,
//!   before or after it is handled, e.g. to change a license between a client's GET and PUT;
//! * `fail_next_install`: the next install run fails (the operation itself succeeds).
//!
//! Rules apply to requests that reach the resource provider, i.e. after authentication and
//! the throttling buckets (a throttled request neither consumes nor triggers a rule), except
//! latency, `error` and `reset`, which also apply to the token endpoint. Seeded random faults
//! live in `chaos`.
//!
//! A reset closes an HTTP/1.1 connection without a response and resets the stream on HTTP/2
//! (other streams of the connection are unaffected); either way the client gets no status.

mod chaos;

use std::time::Duration;

use http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};

pub(crate) use chaos::{Chaos, Draw};
pub use chaos::{ChaosConfig, ChaosRates, ChaosReport, ChaosStats, FaultClass, RequestKind};

use crate::errors::ArmError;
use crate::out_of_band::OutOfBand;
use crate::reply::Reply;

/// One injected fault. Matching is by HTTP method (case-insensitive) and a case-insensitive
/// substring of the path; both default to "any". The first `skip` matching requests are let
/// through; then `count` matching requests are affected (`None` = every one until cleared).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub path_contains: Option<String>,
    #[serde(default)]
    pub skip: u32,
    #[serde(default)]
    pub count: Option<u32>,
    pub action: FaultAction,
}

/// When a `mutate` rule changes things relative to the request that triggers it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MutationTiming {
    /// Before the request is handled: the request sees the change.
    BeforeHandling,
    /// After the request is handled: the request's answer predates the change.
    #[default]
    AfterHandling,
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
        /// The `Retry-After` header exactly as sent (any text, e.g. `1e20`, `-5`, an HTTP-date).
        /// `retry_after_secs` (a number) is accepted as an alias.
        #[serde(
            default,
            alias = "retry_after_secs",
            deserialize_with = "number_or_string"
        )]
        retry_after: Option<String>,
    },
    /// Reset the connection before handling the request (nothing is applied).
    Reset,
    /// Handle the request; if it succeeded (2xx), answer this error instead.
    ErrorAfterCommit {
        status: u16,
        code: String,
        #[serde(default)]
        message: Option<String>,
    },
    /// Handle the request; if it succeeded (2xx), reset the connection instead of answering.
    ResetAfterCommit,
    /// The next LRO a matching request starts ends `Failed` with this message.
    FailNextLro { message: String },
    /// An LRO a matching request starts finishes only after `finish_after_ms`, or never
    /// (`None`: it stays `InProgress` / `Enabling` until `release_stuck_operations`).
    SlowLro {
        #[serde(default)]
        finish_after_ms: Option<u64>,
    },
    /// The next Arc install run (installPatches or a fired schedule) ends `Failed` with this
    /// message in its `errorDetails`; the operation itself succeeds, as in Azure.
    FailNextInstall { message: String },
    /// Make an out-of-band change when a matching request arrives.
    Mutate {
        change: OutOfBand,
        #[serde(default)]
        timing: MutationTiming,
    },
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(serde_json::Number),
        Text(String),
    }
    Ok(Option::<Raw>::deserialize(d)?.map(|r| match r {
        Raw::Number(n) => n.to_string(),
        Raw::Text(s) => s,
    }))
}

impl Fault {
    fn new(action: FaultAction) -> Self {
        Self {
            method: None,
            path_contains: None,
            skip: 0,
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
        Self::throttle_with(count, retry_after_secs.map(|s| s.to_string()).as_deref())
    }

    /// 429 with `Retry-After` set to this raw text (`"1e20"`, a 23-digit number, `"-5"`, an
    /// HTTP-date, garbage), or without the header.
    pub fn throttle_with(count: u32, retry_after: Option<&str>) -> Self {
        Self::new(FaultAction::Error {
            status: 429,
            code: "SubscriptionRequestsThrottled".into(),
            message: None,
            retry_after: retry_after.map(str::to_string),
        })
        .times(count)
    }

    /// An ARM error with any status and code for the next `count` matching requests.
    pub fn error(status: u16, code: &str, count: u32) -> Self {
        Self::new(FaultAction::Error {
            status,
            code: code.into(),
            message: None,
            retry_after: None,
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

    /// The connection is reset before the next `count` matching requests are handled.
    pub fn reset(count: u32) -> Self {
        Self::new(FaultAction::Reset).times(count)
    }

    /// The next `count` matching writes are applied, then answered with this error.
    pub fn error_after_commit(status: u16, code: &str, count: u32) -> Self {
        Self::new(FaultAction::ErrorAfterCommit {
            status,
            code: code.into(),
            message: None,
        })
        .times(count)
    }

    /// The next `count` matching writes are applied, then the connection is reset.
    pub fn reset_after_commit(count: u32) -> Self {
        Self::new(FaultAction::ResetAfterCommit).times(count)
    }

    /// 500 on LRO monitor polls (`operationStatuses` / `operationResults`): the next `count`
    /// of them, or every one (`None`). The operations themselves go on.
    pub fn poll_errors(count: Option<u32>) -> Self {
        Self {
            count,
            ..Self::internal_error(0)
        }
        .matching(Some("GET"), Some("/operation"))
    }

    /// The next LRO (of a matching request) ends `Failed` (feature `subscriptionStatus`
    /// `Failed` for license profiles).
    pub fn fail_next_lro(message: &str) -> Self {
        Self::new(FaultAction::FailNextLro {
            message: message.into(),
        })
        .times(1)
    }

    /// The next LRO (of a matching request) finishes only after `after`, whoever polls it.
    pub fn slow_lro(after: Duration) -> Self {
        Self::new(FaultAction::SlowLro {
            finish_after_ms: Some(u64::try_from(after.as_millis()).unwrap_or(u64::MAX)),
        })
        .times(1)
    }

    /// The next LRO (of a matching request) never finishes (stays `InProgress`, license
    /// features stay `Enabling`/`Disabling`) until `release_stuck_operations`; meanwhile the
    /// service answers further writes to that license profile 409, as for any running one.
    pub fn stuck_lro() -> Self {
        Self::new(FaultAction::SlowLro {
            finish_after_ms: None,
        })
        .times(1)
    }

    pub fn fail_next_install(message: &str) -> Self {
        Self::new(FaultAction::FailNextInstall {
            message: message.into(),
        })
    }

    /// Makes `change` when a matching request arrives (once; use `nth` / `times` to choose).
    pub fn mutate(change: OutOfBand, timing: MutationTiming) -> Self {
        Self::new(FaultAction::Mutate { change, timing }).times(1)
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

    /// Lets the first `n` matching requests through.
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    /// Affects only the `n`-th matching request (1-based).
    pub fn nth(self, n: u32) -> Self {
        self.skip(n.saturating_sub(1)).times(1)
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

    /// Whether this matching request is affected (consumes `skip`, then `count`).
    fn take(&mut self, method: &str, path: &str) -> bool {
        if !self.matches(method, path) || self.count == Some(0) {
            return false;
        }
        if self.skip > 0 {
            self.skip -= 1;
            return false;
        }
        if let Some(n) = self.count.as_mut() {
            *n -= 1;
        }
        true
    }
}

/// What the pipeline does instead of (or after) handling a request.
pub(crate) enum Injected {
    Reply(Reply),
    Reset,
}

/// An injected outcome and the label the request log shows for it.
pub(crate) struct Injection {
    pub outcome: Injected,
    pub label: String,
}

/// How an LRO deviates from the configured timing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LroShape {
    Fail(String),
    Slow(Duration),
    Never,
}

/// The decisions taken when a request reaches the resource provider.
#[derive(Default)]
pub(crate) struct Plan {
    pub injection: Option<Injection>,
    pub mutations_before: Vec<OutOfBand>,
    pub mutations_after: Vec<OutOfBand>,
    /// A chaos draw whose effect comes later (after commit, or when an LRO starts).
    pub chaos: Option<Draw>,
}

#[derive(Default)]
pub(crate) struct FaultRules {
    pub rules: Vec<Fault>,
    /// Latency added to every request (from `Config::latency_ms` or the admin API).
    pub base_latency_ms: u64,
    pub chaos: Option<Chaos>,
}

impl FaultRules {
    /// Total latency for this request; consumes counted latency rules.
    pub fn latency_for(&mut self, method: &str, path: &str) -> u64 {
        let mut total = self.base_latency_ms;
        for rule in self.rules.iter_mut() {
            if let FaultAction::Latency { ms } = rule.action {
                if rule.take(method, path) {
                    total = total.saturating_add(ms);
                }
            }
        }
        self.prune();
        total
    }

    /// The first matching `error` / `reset` rule, consumed (token requests).
    pub fn before_token(&mut self, method: &str, path: &str) -> Option<Injection> {
        let out = self.first_before(method, path);
        self.prune();
        out
    }

    fn first_before(&mut self, method: &str, path: &str) -> Option<Injection> {
        for rule in self.rules.iter_mut() {
            let injected = match &rule.action {
                FaultAction::Error {
                    status,
                    code,
                    message,
                    retry_after,
                } => {
                    let label = format!("rule:error {status} {code}");
                    let e = arm_error(*status, code, message.as_deref(), retry_after.as_deref());
                    (Injected::Reply(e.into()), label)
                }
                FaultAction::Reset => (Injected::Reset, "rule:reset".to_string()),
                _ => continue,
            };
            if rule.take(method, path) {
                return Some(Injection {
                    outcome: injected.0,
                    label: injected.1,
                });
            }
        }
        None
    }

    /// Decisions for an ARM request that passed authentication and throttling: an explicit
    /// `error`/`reset` rule wins over a chaos draw; matching mutations are all taken.
    pub fn before(&mut self, method: &str, path: &str, query: &str, kind: RequestKind) -> Plan {
        let mut plan = Plan {
            injection: self.first_before(method, path),
            ..Plan::default()
        };
        for rule in self.rules.iter_mut() {
            let (change, timing) = match &rule.action {
                FaultAction::Mutate { change, timing } => (change.clone(), *timing),
                _ => continue,
            };
            if rule.take(method, path) {
                match timing {
                    MutationTiming::BeforeHandling => plan.mutations_before.push(change),
                    MutationTiming::AfterHandling => plan.mutations_after.push(change),
                }
            }
        }
        self.prune();
        let Some(chaos) = self.chaos.as_mut() else {
            return plan;
        };
        let Some(draw) = chaos.decide(method, path, query, kind) else {
            return plan;
        };
        if plan.injection.is_some() {
            return plan;
        }
        let error_5xx = || if draw.pick % 2 == 0 { 500 } else { 503 };
        let outcome = match draw.class {
            FaultClass::ThrottleWithRetryAfter => {
                let values = &chaos.config.retry_after;
                let raw = usize::try_from(draw.pick)
                    .ok()
                    .and_then(|i| values.get(i % values.len().max(1)))
                    .map(String::as_str)
                    .unwrap_or("1");
                Injected::Reply(arm_error(429, THROTTLED, None, Some(raw)).into())
            }
            FaultClass::ThrottleWithoutRetryAfter => {
                Injected::Reply(arm_error(429, THROTTLED, None, None).into())
            }
            FaultClass::ReadError | FaultClass::WriteErrorBeforeCommit => {
                let status = error_5xx();
                Injected::Reply(arm_error(status, code_for(status), None, None).into())
            }
            FaultClass::Conflict => {
                Injected::Reply(arm_error(409, "AnotherOperationInProgress", None, None).into())
            }
            FaultClass::Reset => Injected::Reset,
            FaultClass::WriteErrorAfterCommit
            | FaultClass::ResetAfterCommit
            | FaultClass::SlowLro
            | FaultClass::FailingLro => {
                plan.chaos = Some(draw);
                return plan;
            }
        };
        chaos.record(kind, draw.class);
        plan.injection = Some(Injection {
            outcome,
            label: format!("chaos:{}", draw.class.as_str()),
        });
        plan
    }

    /// After a successful write: an `error_after_commit` / `reset_after_commit` rule, or the
    /// request's pending chaos draw of that kind.
    pub fn after_commit(
        &mut self,
        method: &str,
        path: &str,
        kind: RequestKind,
        chaos: Option<Draw>,
    ) -> Option<Injection> {
        let mut out = None;
        for rule in self.rules.iter_mut() {
            let injected = match &rule.action {
                FaultAction::ErrorAfterCommit {
                    status,
                    code,
                    message,
                } => (
                    Injected::Reply(arm_error(*status, code, message.as_deref(), None).into()),
                    format!("rule:error_after_commit {status} {code}"),
                ),
                FaultAction::ResetAfterCommit => {
                    (Injected::Reset, "rule:reset_after_commit".to_string())
                }
                _ => continue,
            };
            if rule.take(method, path) {
                out = Some(Injection {
                    outcome: injected.0,
                    label: injected.1,
                });
                break;
            }
        }
        self.prune();
        if out.is_some() {
            return out;
        }
        let draw = chaos?;
        let outcome = match draw.class {
            FaultClass::WriteErrorAfterCommit => {
                let status = if draw.pick % 2 == 0 { 500 } else { 503 };
                Injected::Reply(arm_error(status, code_for(status), None, None).into())
            }
            FaultClass::ResetAfterCommit => Injected::Reset,
            _ => return None,
        };
        if let Some(c) = self.chaos.as_mut() {
            c.record(kind, draw.class);
        }
        Some(Injection {
            outcome,
            label: format!("chaos:{}", draw.class.as_str()),
        })
    }

    /// When a request starts an LRO: a `fail_next_lro` / `slow_lro` rule, or the request's
    /// pending chaos draw of that kind.
    pub fn lro_shape(
        &mut self,
        method: &str,
        path: &str,
        kind: RequestKind,
        chaos: Option<Draw>,
    ) -> Option<LroShape> {
        let mut out = None;
        for rule in self.rules.iter_mut() {
            let shape = match &rule.action {
                FaultAction::FailNextLro { message } => LroShape::Fail(message.clone()),
                FaultAction::SlowLro { finish_after_ms } => match finish_after_ms {
                    Some(ms) => LroShape::Slow(Duration::from_millis(*ms)),
                    None => LroShape::Never,
                },
                _ => continue,
            };
            if rule.take(method, path) {
                out = Some(shape);
                break;
            }
        }
        self.prune();
        if out.is_some() {
            return out;
        }
        let draw = chaos?;
        let c = self.chaos.as_mut()?;
        let shape = match draw.class {
            FaultClass::SlowLro => LroShape::Slow(Duration::from_millis(c.config.slow_lro_ms)),
            FaultClass::FailingLro => {
                LroShape::Fail("The operation failed (injected by chaos).".to_string())
            }
            _ => return None,
        };
        c.record(kind, draw.class);
        Some(shape)
    }

    /// Drops rules that are used up.
    fn prune(&mut self) {
        self.rules.retain(|r| r.count != Some(0));
    }
}

const THROTTLED: &str = "SubscriptionRequestsThrottled";

fn code_for(status: u16) -> &'static str {
    if status == 503 {
        "ServiceUnavailable"
    } else {
        "InternalServerError"
    }
}

/// An injected ARM error, with `Retry-After` exactly as given.
fn arm_error(
    status: u16,
    code: &str,
    message: Option<&str>,
    retry_after: Option<&str>,
) -> ArmError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = message.map_or_else(|| default_message(code), str::to_string);
    let e = ArmError::new(status, code, message);
    match retry_after {
        Some(raw) => e.header("Retry-After", raw),
        None => e,
    }
}

fn default_message(code: &str) -> String {
    match code {
        THROTTLED => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_and_count_choose_the_nth_request() {
        let mut rules = FaultRules {
            rules: vec![Fault::internal_error(1)
                .matching(Some("GET"), Some("/m"))
                .nth(3)],
            ..FaultRules::default()
        };
        let hit: Vec<bool> = (0..5)
            .map(|_| {
                rules
                    .before("GET", "/x/m", "", RequestKind::Read)
                    .injection
                    .is_some()
            })
            .collect();
        assert_eq!(hit, [false, false, true, false, false]);
        assert!(rules.rules.is_empty(), "used-up rules are dropped");
    }

    #[test]
    fn retry_after_accepts_numbers_and_raw_text() {
        let f: Fault = serde_json::from_str(
            r#"{"action":{"kind":"error","status":429,"code":"X","retry_after_secs":7}}"#,
        )
        .unwrap();
        assert!(
            matches!(f.action, FaultAction::Error { retry_after: Some(ref r), .. } if r == "7")
        );
        let f: Fault = serde_json::from_str(
            r#"{"action":{"kind":"error","status":429,"code":"X","retry_after":"1e20"}}"#,
        )
        .unwrap();
        assert!(
            matches!(f.action, FaultAction::Error { retry_after: Some(ref r), .. } if r == "1e20")
        );
        let back: Fault = serde_json::from_value(serde_json::to_value(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn after_commit_and_lro_rules_wait_for_their_step() {
        let mut rules = FaultRules {
            rules: vec![
                Fault::error_after_commit(503, "ServiceUnavailable", 1),
                Fault::stuck_lro(),
            ],
            ..FaultRules::default()
        };
        assert!(rules
            .before("PUT", "/a", "", RequestKind::Put)
            .injection
            .is_none());
        assert_eq!(rules.rules.len(), 2, "not consumed before handling");
        assert_eq!(
            rules.lro_shape("PUT", "/a", RequestKind::Put, None),
            Some(LroShape::Never)
        );
        let i = rules
            .after_commit("PUT", "/a", RequestKind::Put, None)
            .unwrap();
        assert_eq!(i.label, "rule:error_after_commit 503 ServiceUnavailable");
        assert!(rules.rules.is_empty());
    }
}
