//! Seeded random faults ("chaos") for soak tests of the provider: every request that matches
//! the filter draws one fault class (or none) from per-class probabilities.
//!
//! Determinism: the draw is a hash of the seed, the request's method, path and query, and how
//! many times that same request was seen before, not a shared random stream. Two runs with
//! the same seed therefore inject the same faults into the same requests even when
//! concurrent Terraform operations interleave differently, as long as each object sees the
//! same sequence of requests. A fault can only change what comes after it, so a run that
//! diverges (a retry that happens in one run only) diverges from that point on.
//!
//! Chaos applies to ARM requests that passed authentication and the throttling buckets
//! (token requests never draw); an explicit fault rule that matches a request wins over its
//! draw. Which classes a request can draw depends on its kind: reads, LRO polls and Resource Graph
//! queries draw throttling, server errors and resets; writes also draw errors after the
//! write was applied, transient conflicts and slow or failing LROs. Counters say how many
//! requests of each kind were considered and which faults were really injected (a class that
//! cannot apply, such as an LRO fault on a write that started no LRO, or an after-commit
//! error on a write the service rejected, is not counted).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::fnv;

/// One kind of injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultClass {
    /// 429 `SubscriptionRequestsThrottled` with a `Retry-After` from `ChaosConfig::retry_after`.
    ThrottleWithRetryAfter,
    /// 429 without `Retry-After`.
    ThrottleWithoutRetryAfter,
    /// 500 or 503 on a read, poll or query (nothing is read).
    ReadError,
    /// 500 or 503 on a write before it is handled (nothing is applied).
    WriteErrorBeforeCommit,
    /// The write is applied, then answered 500 or 503.
    WriteErrorAfterCommit,
    /// Transient 409 `AnotherOperationInProgress` on a write (nothing is applied).
    Conflict,
    /// The connection is reset before the request is handled (nothing is applied).
    Reset,
    /// The write is applied, then the connection is reset without a response.
    ResetAfterCommit,
    /// The LRO the write starts finishes only after `ChaosConfig::slow_lro_ms`.
    SlowLro,
    /// The LRO the write starts ends `Failed`.
    FailingLro,
}

impl FaultClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultClass::ThrottleWithRetryAfter => "throttle_with_retry_after",
            FaultClass::ThrottleWithoutRetryAfter => "throttle_without_retry_after",
            FaultClass::ReadError => "read_error",
            FaultClass::WriteErrorBeforeCommit => "write_error_before_commit",
            FaultClass::WriteErrorAfterCommit => "write_error_after_commit",
            FaultClass::Conflict => "conflict",
            FaultClass::Reset => "reset",
            FaultClass::ResetAfterCommit => "reset_after_commit",
            FaultClass::SlowLro => "slow_lro",
            FaultClass::FailingLro => "failing_lro",
        }
    }
}

/// What a request is, for choosing fault classes and for the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// GET of a resource or a list.
    Read,
    /// GET of an LRO monitor (`operationStatuses` / `operationResults`).
    Poll,
    /// Resource Graph query (a POST that reads).
    Query,
    Put,
    Patch,
    Post,
    Delete,
}

impl RequestKind {
    pub fn of(method: &str, path: &str) -> Self {
        let p = path.to_ascii_lowercase();
        match method.to_ascii_uppercase().as_str() {
            "GET" | "HEAD"
                if p.contains("/operationstatuses/") || p.contains("/operationresults/") =>
            {
                RequestKind::Poll
            }
            "GET" | "HEAD" => RequestKind::Read,
            "POST" if p.contains("/providers/microsoft.resourcegraph/") => RequestKind::Query,
            "PUT" => RequestKind::Put,
            "PATCH" => RequestKind::Patch,
            "DELETE" => RequestKind::Delete,
            _ => RequestKind::Post,
        }
    }

    pub fn is_write(self) -> bool {
        matches!(
            self,
            RequestKind::Put | RequestKind::Patch | RequestKind::Post | RequestKind::Delete
        )
    }

    /// The classes this kind can draw, in draw order.
    fn classes(self) -> &'static [FaultClass] {
        use FaultClass::*;
        if self.is_write() {
            &[
                ThrottleWithRetryAfter,
                ThrottleWithoutRetryAfter,
                WriteErrorBeforeCommit,
                WriteErrorAfterCommit,
                Conflict,
                Reset,
                ResetAfterCommit,
                SlowLro,
                FailingLro,
            ]
        } else {
            &[
                ThrottleWithRetryAfter,
                ThrottleWithoutRetryAfter,
                ReadError,
                Reset,
            ]
        }
    }
}

/// Probability (0..=1) of each class per matching request. Reads draw from the read classes,
/// writes from the write classes; each group must sum to at most 1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChaosRates {
    pub throttle_with_retry_after: f64,
    pub throttle_without_retry_after: f64,
    pub read_error: f64,
    pub write_error_before_commit: f64,
    pub write_error_after_commit: f64,
    pub conflict: f64,
    pub reset: f64,
    pub reset_after_commit: f64,
    pub slow_lro: f64,
    pub failing_lro: f64,
}

impl ChaosRates {
    fn rate(&self, class: FaultClass) -> f64 {
        match class {
            FaultClass::ThrottleWithRetryAfter => self.throttle_with_retry_after,
            FaultClass::ThrottleWithoutRetryAfter => self.throttle_without_retry_after,
            FaultClass::ReadError => self.read_error,
            FaultClass::WriteErrorBeforeCommit => self.write_error_before_commit,
            FaultClass::WriteErrorAfterCommit => self.write_error_after_commit,
            FaultClass::Conflict => self.conflict,
            FaultClass::Reset => self.reset,
            FaultClass::ResetAfterCommit => self.reset_after_commit,
            FaultClass::SlowLro => self.slow_lro,
            FaultClass::FailingLro => self.failing_lro,
        }
    }
}

/// A chaos run: seed, filter, rates and the shape of the faults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChaosConfig {
    pub seed: u64,
    /// Chaos can be switched off (and on again) without losing its counters.
    pub enabled: bool,
    /// HTTP method to affect (case-insensitive); `None` = any.
    pub method: Option<String>,
    /// Case-insensitive substring of the path; `None` = any.
    pub path_contains: Option<String>,
    /// Case-insensitive substrings of paths chaos leaves alone (e.g. one machine whose
    /// scenario a test scripts with explicit faults).
    pub path_excludes: Vec<String>,
    pub rates: ChaosRates,
    /// Raw `Retry-After` values for `throttle_with_retry_after`, one picked per request
    /// (hostile values such as `1e20` or an HTTP-date are allowed).
    pub retry_after: Vec<String>,
    /// How long a `slow_lro` operation runs.
    pub slow_lro_ms: u64,
}

impl Default for ChaosConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            enabled: true,
            method: None,
            path_contains: None,
            path_excludes: Vec::new(),
            rates: ChaosRates::default(),
            retry_after: vec!["1".into()],
            slow_lro_ms: 3_000,
        }
    }
}

impl ChaosConfig {
    pub fn new(seed: u64, rates: ChaosRates) -> Self {
        Self {
            seed,
            rates,
            ..Self::default()
        }
    }

    pub fn matching(mut self, method: Option<&str>, path_contains: Option<&str>) -> Self {
        self.method = method.map(str::to_string);
        self.path_contains = path_contains.map(str::to_string);
        self
    }

    fn validate(&self) -> Result<(), String> {
        let all = [RequestKind::Read, RequestKind::Put];
        for kind in all {
            let mut sum = 0.0;
            for class in kind.classes() {
                let r = self.rates.rate(*class);
                if !(0.0..=1.0).contains(&r) {
                    return Err(format!(
                        "chaos rate '{}' must be between 0 and 1, got {r}",
                        class.as_str()
                    ));
                }
                sum += r;
            }
            if sum > 1.0 + 1e-9 {
                let group = if kind.is_write() { "write" } else { "read" };
                return Err(format!(
                    "chaos rates of the {group} classes sum to {sum}, more than 1"
                ));
            }
        }
        Ok(())
    }

    /// Leaves the paths under `excluded` alone (case-insensitive substring).
    pub fn excluding(mut self, excluded: &str) -> Self {
        self.path_excludes.push(excluded.to_string());
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let path = path.to_lowercase();
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(&p.to_lowercase()))
            && !self
                .path_excludes
                .iter()
                .any(|p| path.contains(&p.to_lowercase()))
    }
}

/// What chaos did so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChaosStats {
    /// Requests that matched the filter while chaos was on, per kind.
    pub requests: BTreeMap<RequestKind, u64>,
    /// Faults injected, per class.
    pub injected: BTreeMap<FaultClass, u64>,
    /// Faults injected, per request kind and class.
    pub by_kind: BTreeMap<RequestKind, BTreeMap<FaultClass, u64>>,
}

impl ChaosStats {
    pub fn total_injected(&self) -> u64 {
        self.injected.values().sum()
    }

    pub fn injected(&self, class: FaultClass) -> u64 {
        self.injected.get(&class).copied().unwrap_or(0)
    }
}

/// Configuration and counters, as the admin API reports them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChaosReport {
    pub config: ChaosConfig,
    pub stats: ChaosStats,
}

/// One draw: the class and a second number for choices within it (500 vs 503, which
/// `Retry-After`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Draw {
    pub class: FaultClass,
    pub pick: u64,
}

pub(crate) struct Chaos {
    pub config: ChaosConfig,
    pub stats: ChaosStats,
    /// How often each request (method, path, query) was seen.
    seen: HashMap<String, u64>,
}

impl Chaos {
    pub fn new(config: ChaosConfig) -> Result<Self, String> {
        config.validate()?;
        Ok(Self {
            config,
            stats: ChaosStats::default(),
            seen: HashMap::new(),
        })
    }

    pub fn report(&self) -> ChaosReport {
        ChaosReport {
            config: self.config.clone(),
            stats: self.stats.clone(),
        }
    }

    /// Draws the fault class for one request (None: no fault), counting the request.
    pub fn decide(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        kind: RequestKind,
    ) -> Option<Draw> {
        if !self.config.enabled || !self.config.matches(method, path) {
            return None;
        }
        *self.stats.requests.entry(kind).or_default() += 1;
        let key = format!(
            "{} {}?{}",
            method.to_ascii_uppercase(),
            path.to_lowercase(),
            query
        );
        let n = self.seen.entry(key.clone()).or_default();
        let occurrence = *n;
        *n += 1;
        let h = fnv::fnv1a(fnv::OFFSET ^ self.config.seed, key.as_bytes());
        let roll = fnv::mix(h ^ fnv::mix(occurrence.wrapping_add(1)));
        let pick = fnv::mix(roll);
        // 53 random bits as a uniform number in [0, 1).
        let u = (roll >> 11) as f64 / (1u64 << 53) as f64;
        let mut cumulative = 0.0;
        for class in kind.classes() {
            cumulative += self.config.rates.rate(*class);
            if u < cumulative {
                return Some(Draw {
                    class: *class,
                    pick,
                });
            }
        }
        None
    }

    /// Counts a fault that was really injected.
    pub fn record(&mut self, kind: RequestKind, class: FaultClass) {
        *self.stats.injected.entry(class).or_default() += 1;
        *self
            .stats
            .by_kind
            .entry(kind)
            .or_default()
            .entry(class)
            .or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates() -> ChaosRates {
        ChaosRates {
            throttle_with_retry_after: 0.1,
            read_error: 0.1,
            write_error_after_commit: 0.2,
            slow_lro: 0.1,
            ..ChaosRates::default()
        }
    }

    fn draws(seed: u64) -> Vec<Option<FaultClass>> {
        let mut c = Chaos::new(ChaosConfig::new(seed, rates())).unwrap();
        (0..200)
            .map(|i| {
                let (m, kind) = if i % 3 == 0 {
                    ("PUT", RequestKind::Put)
                } else {
                    ("GET", RequestKind::Read)
                };
                let path = format!("/subscriptions/s/x/{}", i % 7);
                c.decide(m, &path, "api-version=1", kind).map(|d| d.class)
            })
            .collect()
    }

    #[test]
    fn same_seed_same_faults_other_seed_other_faults() {
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let faults = draws(7).into_iter().flatten().count();
        assert!((20..=90).contains(&faults), "about 20-30% of 200: {faults}");
    }

    #[test]
    fn reads_never_draw_write_classes_and_interleaving_does_not_matter() {
        let mut a = Chaos::new(ChaosConfig::new(1, rates())).unwrap();
        let mut b = Chaos::new(ChaosConfig::new(1, rates())).unwrap();
        let mut seq_a = Vec::new();
        let mut seq_b = Vec::new();
        for _ in 0..50 {
            seq_a.push(a.decide("GET", "/x", "", RequestKind::Read));
            a.decide("GET", "/y", "", RequestKind::Read);
        }
        for _ in 0..50 {
            b.decide("GET", "/y", "", RequestKind::Read);
        }
        for _ in 0..50 {
            seq_b.push(b.decide("GET", "/x", "", RequestKind::Read));
        }
        assert_eq!(
            seq_a, seq_b,
            "per-request sequences do not depend on others"
        );
        assert!(seq_a.iter().flatten().all(|d| matches!(
            d.class,
            FaultClass::ThrottleWithRetryAfter | FaultClass::ReadError
        )));
    }

    #[test]
    fn rates_are_validated_and_filters_apply() {
        let too_much = ChaosRates {
            read_error: 0.7,
            reset: 0.5,
            ..ChaosRates::default()
        };
        assert!(Chaos::new(ChaosConfig::new(1, too_much)).is_err());
        let negative = ChaosRates {
            conflict: -0.1,
            ..ChaosRates::default()
        };
        assert!(Chaos::new(ChaosConfig::new(1, negative)).is_err());
        let all = ChaosRates {
            read_error: 1.0,
            ..ChaosRates::default()
        };
        let mut c =
            Chaos::new(ChaosConfig::new(1, all.clone()).matching(Some("get"), Some("Machines")))
                .unwrap();
        assert!(c
            .decide("GET", "/x/machines/a", "", RequestKind::Read)
            .is_some());
        assert!(c
            .decide("GET", "/x/schedules/a", "", RequestKind::Read)
            .is_none());
        assert_eq!(c.stats.requests.get(&RequestKind::Read), Some(&1));
        let mut spared = Chaos::new(
            ChaosConfig::new(1, all)
                .matching(Some("get"), Some("Machines"))
                .excluding("/MACHINES/b"),
        )
        .unwrap();
        assert!(spared
            .decide(
                "GET",
                "/x/machines/b/licenseProfiles/default",
                "",
                RequestKind::Read
            )
            .is_none());
        assert!(spared
            .decide("GET", "/x/machines/a", "", RequestKind::Read)
            .is_some());
        c.config.enabled = false;
        assert!(c
            .decide("GET", "/x/machines/a", "", RequestKind::Read)
            .is_none());
    }

    #[test]
    fn kinds_and_stats_serialise_by_name() {
        assert_eq!(
            RequestKind::of("GET", "/subscriptions/s/providers/Microsoft.HybridCompute/locations/eastus/operationStatuses/1"),
            RequestKind::Poll
        );
        assert_eq!(
            RequestKind::of("POST", "/providers/Microsoft.ResourceGraph/resources"),
            RequestKind::Query
        );
        let mut c = Chaos::new(ChaosConfig::default()).unwrap();
        c.record(RequestKind::Put, FaultClass::SlowLro);
        let v = serde_json::to_value(&c.stats).unwrap();
        assert_eq!(v["injected"]["slow_lro"], 1);
        assert_eq!(v["by_kind"]["put"]["slow_lro"], 1);
        let back: ChaosStats = serde_json::from_value(v).unwrap();
        assert_eq!(back, c.stats);
    }
}
