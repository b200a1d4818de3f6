//! Polite pacing: slow down before ARM throttles, for every request of the process at once.
//!
//! ARM's budget belongs to the subscription, not to a client: one token bucket for reads and
//! one for writes (CONTRACT 1.3: reads 250 refilling 25/s, writes 200 refilling 10/s), spent by
//! every Terraform run, pipeline and portal session on it. A client that only reacts to 429
//! empties the bucket for all of them and then comes back in bursts. Yet every answer says how
//! much is left (`x-ms-ratelimit-remaining-subscription-reads|writes`; Resource Graph:
//! `x-ms-user-quota-remaining` and `-resets-after`), so a client can see the bottom coming and
//! ease off. The retry loop stays the safety net (a 429 is retried after its `Retry-After`);
//! pacing makes it rarely needed.
//!
//! One gate per budget (a subscription's reads, its writes, the Resource Graph quota), shared by
//! every request of the process, decides when the next request may go:
//!
//! * While the remaining count is at or above the *reserve* (a fraction of the largest count
//!   this process has seen for that budget, its best guess at the bucket's size) requests go at
//!   once: a lone plan never waits.
//! * Below the reserve, requests are spaced by `max_interval × (reserve − remaining) / reserve`,
//!   growing to `max_interval` at an empty bucket. That is a proportional controller that needs
//!   no knowledge of the refill rate: k processes spaced by i together send k/i requests a
//!   second, so the bucket stops falling where k/i equals the refill rate, at
//!   `remaining = reserve × (1 − k / (refill × max_interval))`, above zero for fewer than
//!   `refill × max_interval` processes (25 on ARM's read bucket with the 1 s default, 10 on the
//!   write bucket).
//! * After a 429 (ARM's throttling, not the 429 some RPs use for a transient conflict), nobody in
//!   the process sends to that budget before the `Retry-After` has passed; a spent Resource
//!   Graph quota pauses queries until it resets, and a quota below half its size spreads the
//!   queries left over the rest of the window.
//! * An observation older than `memory` slows nobody: the bucket has refilled since, and the
//!   next answer says where it stands.
//!
//! Headers are parsed by the total parsers in [`crate::headers`]; a missing or malformed value is
//! no information, never an error.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::error::ArmError;
use crate::headers::{self, RateLimitRemaining, QUOTA_REMAINING, QUOTA_RESETS_AFTER};
use crate::retry;

/// How politely the client spends the subscription's budget.
#[derive(Clone, Debug, PartialEq)]
pub struct PacingPolicy {
    /// Off: requests go as soon as they are made (429s are still retried).
    pub enabled: bool,
    /// Below this fraction of the largest remaining count seen, requests are spaced.
    pub reserve: f64,
    /// Spacing between requests of one budget when it is empty.
    pub max_interval: Duration,
    /// How long an observed remaining count keeps slowing requests.
    pub memory: Duration,
    /// Longest pause after a 429 or a spent Resource Graph quota.
    pub max_pause: Duration,
}

impl Default for PacingPolicy {
    fn default() -> Self {
        PacingPolicy {
            enabled: true,
            reserve: 0.4,
            max_interval: Duration::from_secs(1),
            memory: Duration::from_secs(5),
            max_pause: Duration::from_secs(60),
        }
    }
}

/// A budget requests are charged to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Budget {
    /// A subscription's reads (GET, HEAD), by lower-cased subscription id.
    Reads(String),
    /// A subscription's writes (everything else).
    Writes(String),
    /// The caller's Resource Graph quota (tenant-level queries).
    ResourceGraph,
}

impl Budget {
    /// The budget a request to `url` spends; None for requests no budget is known for.
    pub(crate) fn of(method: &Method, url: &Url) -> Option<Budget> {
        let mut segments = url.path_segments()?.filter(|s| !s.is_empty());
        let first = segments.next()?;
        let second = segments.next()?;
        if first.eq_ignore_ascii_case("subscriptions") {
            let subscription = second.to_ascii_lowercase();
            return Some(if matches!(*method, Method::GET | Method::HEAD) {
                Budget::Reads(subscription)
            } else {
                Budget::Writes(subscription)
            });
        }
        (first.eq_ignore_ascii_case("providers")
            && second.eq_ignore_ascii_case("Microsoft.ResourceGraph"))
        .then_some(Budget::ResourceGraph)
    }

    fn subscription(&self) -> Option<&str> {
        match self {
            Budget::Reads(s) | Budget::Writes(s) => Some(s),
            Budget::ResourceGraph => None,
        }
    }
}

/// What the process knows of one budget.
#[derive(Debug, Default)]
struct Gate {
    /// The last remaining count reported, and when.
    remaining: Option<(u64, Instant)>,
    /// The largest remaining count seen: the budget's size as far as this process knows.
    largest: u64,
    /// Resource Graph: when the quota window resets, as last reported.
    resets_at: Option<Instant>,
    /// When the last request was let through.
    last_sent: Option<Instant>,
    /// No request before this (after a 429 or a spent quota).
    paused_until: Option<Instant>,
}

impl Gate {
    fn learn(&mut self, remaining: u64, now: Instant) {
        self.remaining = Some((remaining, now));
        self.largest = self.largest.max(remaining);
    }

    fn pause(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }

    /// The spacing between requests that what is known now calls for.
    fn interval(&self, policy: &PacingPolicy, resource_graph: bool, now: Instant) -> Duration {
        let Some((remaining, seen)) = self.remaining else {
            return Duration::ZERO;
        };
        if now.saturating_duration_since(seen) > policy.memory {
            return Duration::ZERO;
        }
        if resource_graph {
            // Spread what is left of the quota over what is left of the window.
            let window_left = self
                .resets_at
                .map_or(Duration::ZERO, |r| r.saturating_duration_since(now));
            return if remaining.saturating_mul(2) < self.largest {
                window_left / u32::try_from(remaining.saturating_add(1)).unwrap_or(u32::MAX)
            } else {
                Duration::ZERO
            };
        }
        let fraction = if policy.reserve.is_finite() {
            policy.reserve.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let reserve = self.largest as f64 * fraction;
        if reserve <= 0.0 || remaining as f64 >= reserve {
            return Duration::ZERO;
        }
        let scarcity = ((reserve - remaining as f64) / reserve).clamp(0.0, 1.0);
        policy.max_interval.mul_f64(scarcity)
    }
}

/// The gates of every budget this process has spent from.
#[derive(Debug)]
pub(crate) struct Pacer {
    policy: PacingPolicy,
    gates: Mutex<HashMap<Budget, Gate>>,
}

impl Pacer {
    pub(crate) fn new(policy: PacingPolicy) -> Self {
        Pacer {
            policy,
            gates: Mutex::new(HashMap::new()),
        }
    }

    fn gates(&self) -> MutexGuard<'_, HashMap<Budget, Gate>> {
        // A panic while holding the lock leaves only counters behind; they stay usable.
        self.gates.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a request charged to `budget` may go, and takes its place in the queue.
    /// Returns [`ArmError::Cancelled`] as soon as `cancel` fires.
    pub(crate) async fn admit(
        &self,
        budget: Option<&Budget>,
        cancel: &CancellationToken,
    ) -> Result<(), ArmError> {
        let Some(budget) = budget.filter(|_| self.policy.enabled) else {
            return Ok(());
        };
        let mut waited = Duration::ZERO;
        loop {
            let wait = {
                let mut gates = self.gates();
                let gate = gates.entry(budget.clone()).or_default();
                let now = Instant::now();
                // Judged on what is known now, so a recovering budget frees waiters early.
                let spacing = gate.interval(&self.policy, *budget == Budget::ResourceGraph, now);
                let ready = gate.last_sent.map(|t| t + spacing).max(gate.paused_until);
                match ready {
                    Some(at) if at > now => at - now,
                    _ => {
                        gate.last_sent = Some(now);
                        if !waited.is_zero() {
                            tracing::debug!(?budget, ?waited, "paced ARM request");
                        }
                        return Ok(());
                    }
                }
            };
            retry::sleep(cancel, wait).await?;
            waited += wait;
        }
    }

    /// Learns the budgets left from an answer to a request charged to `budget`.
    pub(crate) fn observe(&self, budget: Option<&Budget>, headers: &HeaderMap) {
        let Some(budget) = budget else { return };
        let now = Instant::now();
        let mut gates = self.gates();
        if let Some(subscription) = budget.subscription() {
            // An answer may report either budget; each count goes to its own gate.
            let left = RateLimitRemaining::of(headers);
            for (count, gate) in [
                (
                    left.subscription_reads,
                    Budget::Reads(subscription.to_owned()),
                ),
                (
                    left.subscription_writes,
                    Budget::Writes(subscription.to_owned()),
                ),
            ] {
                if let Some(count) = count {
                    gates.entry(gate).or_default().learn(count, now);
                }
            }
            return;
        }
        let remaining = headers::text(headers, QUOTA_REMAINING).and_then(headers::count);
        let resets_after = headers::text(headers, QUOTA_RESETS_AFTER).and_then(headers::hms);
        let gate = gates.entry(Budget::ResourceGraph).or_default();
        if let Some(after) = resets_after {
            gate.resets_at = Some(now + after.min(self.policy.max_pause));
        }
        if let Some(remaining) = remaining {
            gate.learn(remaining, now);
            if remaining == 0 {
                let wait = resets_after.unwrap_or(Duration::from_secs(1));
                gate.pause(now + wait.min(self.policy.max_pause));
            }
        }
    }

    /// ARM throttled a request charged to `budget`, which retries after `wait`: the whole
    /// process holds that budget's requests as long.
    pub(crate) fn throttled(&self, budget: Option<&Budget>, wait: Duration) {
        let Some(budget) = budget else { return };
        let now = Instant::now();
        let wait = wait.min(self.policy.max_pause);
        let mut gates = self.gates();
        let gate = gates.entry(budget.clone()).or_default();
        gate.learn(0, now);
        gate.pause(now + wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const SUB: &str = "/subscriptions/00000000-0000-0000-0000-0000000000AA";

    fn url(path: &str) -> Url {
        Url::parse(&format!("https://management.example{path}")).unwrap()
    }

    fn reads() -> Budget {
        Budget::Reads("00000000-0000-0000-0000-0000000000aa".into())
    }

    fn answer(reads: Option<u64>, writes: Option<u64>) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, v) in [
            (headers::REMAINING_SUBSCRIPTION_READS, reads),
            (headers::REMAINING_SUBSCRIPTION_WRITES, writes),
        ] {
            if let Some(v) = v {
                h.insert(name, HeaderValue::from_str(&v.to_string()).unwrap());
            }
        }
        h
    }

    fn interval(p: &Pacer, b: &Budget) -> Duration {
        let gates = p.gates();
        let now = Instant::now();
        gates[b].interval(&p.policy, *b == Budget::ResourceGraph, now)
    }

    #[test]
    fn requests_are_charged_to_their_subscription_and_kind() {
        let get = Budget::of(&Method::GET, &url(&format!("{SUB}/resourceGroups/rg")));
        assert_eq!(get, Some(reads()));
        let put = Budget::of(&Method::PUT, &url(&format!("{SUB}/resourceGroups/rg")));
        assert_eq!(
            put,
            Some(Budget::Writes(
                "00000000-0000-0000-0000-0000000000aa".into()
            ))
        );
        let graph = Budget::of(
            &Method::POST,
            &url("/providers/Microsoft.ResourceGraph/resources"),
        );
        assert_eq!(graph, Some(Budget::ResourceGraph));
        assert_eq!(
            Budget::of(
                &Method::GET,
                &url("/providers/Microsoft.Compute/operations")
            ),
            None
        );
        assert_eq!(Budget::of(&Method::GET, &url("/")), None);
    }

    #[test]
    fn spacing_grows_as_the_budget_runs_low() {
        let p = Pacer::new(PacingPolicy::default());
        let b = reads();
        p.observe(Some(&b), &answer(Some(250), None));
        assert_eq!(interval(&p, &b), Duration::ZERO, "full bucket");
        p.observe(Some(&b), &answer(Some(100), None));
        assert_eq!(
            interval(&p, &b),
            Duration::ZERO,
            "at the reserve (40 % of 250)"
        );
        p.observe(Some(&b), &answer(Some(50), None));
        assert_eq!(interval(&p, &b), Duration::from_millis(500));
        p.observe(Some(&b), &answer(Some(0), None));
        assert_eq!(interval(&p, &b), Duration::from_secs(1), "empty bucket");
        // The write count on the same answer goes to the write gate only.
        p.observe(Some(&b), &answer(None, Some(3)));
        assert_eq!(interval(&p, &b), Duration::from_secs(1));
    }

    #[test]
    fn old_news_slows_nobody() {
        let p = Pacer::new(PacingPolicy {
            memory: Duration::ZERO,
            ..PacingPolicy::default()
        });
        let b = reads();
        p.observe(Some(&b), &answer(Some(250), None));
        p.observe(Some(&b), &answer(Some(0), None));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(interval(&p, &b), Duration::ZERO);
    }

    #[test]
    fn resource_graph_spreads_the_rest_of_its_quota() {
        let p = Pacer::new(PacingPolicy::default());
        let b = Budget::ResourceGraph;
        let quota = |remaining: &str, resets: &str| {
            let mut h = HeaderMap::new();
            h.insert(QUOTA_REMAINING, HeaderValue::from_str(remaining).unwrap());
            h.insert(QUOTA_RESETS_AFTER, HeaderValue::from_str(resets).unwrap());
            h
        };
        p.observe(Some(&b), &quota("14", "00:00:05"));
        assert_eq!(interval(&p, &b), Duration::ZERO);
        p.observe(Some(&b), &quota("4", "00:00:05"));
        let i = interval(&p, &b);
        assert!(
            i > Duration::from_millis(900) && i <= Duration::from_secs(1),
            "{i:?}"
        );
        p.observe(Some(&b), &quota("0", "00:00:03"));
        let paused = p.gates()[&b].paused_until.unwrap();
        let left = paused.saturating_duration_since(Instant::now());
        assert!(left > Duration::from_millis(2900), "{left:?}");
    }

    /// Real time, in tenths: 100 ms stands for ARM's 1 s.
    fn quick() -> PacingPolicy {
        PacingPolicy {
            max_interval: Duration::from_millis(100),
            ..PacingPolicy::default()
        }
    }

    #[tokio::test]
    async fn the_gate_spaces_requests_and_holds_them_after_a_429() {
        let p = Pacer::new(quick());
        let b = reads();
        let cancel = CancellationToken::new();
        p.observe(Some(&b), &answer(Some(200), None));
        p.observe(Some(&b), &answer(Some(40), None));
        // 40 of a reserve of 80: half the longest spacing between requests.
        let start = Instant::now();
        for _ in 0..3 {
            p.admit(Some(&b), &cancel).await.unwrap();
        }
        let spent = start.elapsed();
        assert!(spent >= Duration::from_millis(100), "{spent:?}");
        // A 429 holds every request of the budget for its Retry-After.
        p.observe(Some(&b), &answer(Some(200), None));
        p.throttled(Some(&b), Duration::from_millis(300));
        let start = Instant::now();
        p.admit(Some(&b), &cancel).await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(300));
        // Other budgets are not held.
        let writes = Budget::Writes("other".into());
        let start = Instant::now();
        p.admit(Some(&writes), &cancel).await.unwrap();
        assert!(start.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn a_held_request_gives_up_on_cancellation() {
        let p = Pacer::new(PacingPolicy::default());
        let b = reads();
        p.throttled(Some(&b), Duration::from_secs(30));
        let cancel = CancellationToken::new();
        cancel.cancel();
        assert!(matches!(
            p.admit(Some(&b), &cancel).await,
            Err(ArmError::Cancelled)
        ));
    }

    #[tokio::test]
    async fn a_disabled_pacer_never_waits() {
        let p = Pacer::new(PacingPolicy {
            enabled: false,
            ..PacingPolicy::default()
        });
        let b = reads();
        p.throttled(Some(&b), Duration::from_secs(30));
        p.admit(Some(&b), &CancellationToken::new()).await.unwrap();
    }
}
