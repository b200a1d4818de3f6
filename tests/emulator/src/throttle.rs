//! ARM token-bucket throttling (CONTRACT §1.3): one read bucket and one write bucket per
//! subscription, shared by every client of it, so two Terraform runs against one
//! subscription compete for the same budget as they do in Azure. Every subscription-scoped
//! response carries the remaining budget of its kind
//! (`x-ms-ratelimit-remaining-subscription-reads|writes`); an empty bucket answers 429 with a
//! `Retry-After` (seconds) computed from the refill rate.
//!
//! Modelling choices (INFERENCE where the contract is silent):
//! * reads are GET/HEAD; PUT, PATCH, POST and DELETE share the write bucket (the contract
//!   lists only the reads/writes headers; deletes' own numbers are UNCERTAIN there);
//! * ARM documents the buckets per security principal; the emulator keys them by
//!   subscription only, which is the same thing for clients sharing one principal and the
//!   stricter case otherwise;
//! * tenant-level requests (the Resource Graph query, `/providers/...`) are not charged to a
//!   subscription; Resource Graph has its own per-user quota (`resourcegraph`), whose 429s are
//!   counted here too.
//!
//! Counters (`ThrottleStats`) say how many requests each bucket charged and throttled, in
//! total and per client, a client being its `User-Agent`. 429s injected by fault rules or
//! chaos are not throttling and are counted there (request log, `ChaosStats`).

use std::collections::BTreeMap;
use std::time::Instant;

use http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::config::ThrottleConfig;
use crate::errors::ArmError;

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(capacity: f64) -> Self {
        Self {
            tokens: capacity,
            last: Instant::now(),
        }
    }

    fn refill(&mut self, capacity: f64, per_sec: f64) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_sec).min(capacity);
        self.last = now;
    }
}

/// Requests one bucket let through and turned away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketStats {
    pub charged: u64,
    pub throttled: u64,
}

/// Throttling counters since start (or the last reset).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThrottleStats {
    pub reads: BucketStats,
    pub writes: BucketStats,
    /// The Resource Graph per-user quota.
    pub resource_graph: BucketStats,
    /// Per client (`User-Agent`, or `(none)`), all buckets together.
    pub by_client: BTreeMap<String, BucketStats>,
}

impl ThrottleStats {
    /// 429s served by all buckets.
    pub fn throttled(&self) -> u64 {
        self.reads.throttled + self.writes.throttled + self.resource_graph.throttled
    }

    fn count(&mut self, client: &str, kind: Kind, allowed: bool) {
        let bucket = match kind {
            Kind::Read => &mut self.reads,
            Kind::Write => &mut self.writes,
            Kind::ResourceGraph => &mut self.resource_graph,
        };
        let per_client = self.by_client.entry(client_key(client)).or_default();
        for b in [bucket, per_client] {
            if allowed {
                b.charged += 1;
            } else {
                b.throttled += 1;
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Read,
    Write,
    ResourceGraph,
}

/// The counter key of a client: its user agent, bounded in length.
fn client_key(user_agent: &str) -> String {
    if user_agent.trim().is_empty() {
        return "(none)".to_string();
    }
    user_agent.chars().take(256).collect()
}

pub(crate) struct Buckets {
    pub config: ThrottleConfig,
    reads: Bucket,
    writes: Bucket,
    pub stats: ThrottleStats,
}

/// Result of charging one request.
pub(crate) struct Charge {
    pub header: &'static str,
    pub remaining: u64,
    pub rejected: Option<ArmError>,
}

impl Buckets {
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            reads: Bucket::full(config.read_capacity),
            writes: Bucket::full(config.write_capacity),
            config,
            stats: ThrottleStats::default(),
        }
    }

    /// Replaces the configuration; buckets start full, counters are kept.
    pub fn reconfigure(&mut self, config: ThrottleConfig) {
        let stats = std::mem::take(&mut self.stats);
        *self = Self::new(config);
        self.stats = stats;
    }

    /// Counts one Resource Graph query against its quota's counters.
    pub fn record_resource_graph(&mut self, client: &str, allowed: bool) {
        self.stats.count(client, Kind::ResourceGraph, allowed);
    }

    pub fn charge(&mut self, method: &http::Method, subscription: &str, client: &str) -> Charge {
        let is_read = method == http::Method::GET || method == http::Method::HEAD;
        let (bucket, cap, rate, header, kind) = if is_read {
            (
                &mut self.reads,
                self.config.read_capacity,
                self.config.read_refill_per_sec,
                "x-ms-ratelimit-remaining-subscription-reads",
                Kind::Read,
            )
        } else {
            (
                &mut self.writes,
                self.config.write_capacity,
                self.config.write_refill_per_sec,
                "x-ms-ratelimit-remaining-subscription-writes",
                Kind::Write,
            )
        };
        if !self.config.enabled {
            self.stats.count(client, kind, true);
            return Charge {
                header,
                remaining: cap.max(0.0) as u64,
                rejected: None,
            };
        }
        bucket.refill(cap, rate);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            let remaining = bucket.tokens.floor() as u64;
            self.stats.count(client, kind, true);
            return Charge {
                header,
                remaining,
                rejected: None,
            };
        }
        let wait = if rate > 0.0 {
            ((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64
        } else {
            60
        };
        self.stats.count(client, kind, false);
        let word = if is_read { "read" } else { "write" };
        let e = ArmError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "SubscriptionRequestsThrottled",
            format!(
                "Number of '{word}' requests for subscription '{subscription}' exceeded. Please try again after '{wait}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information."
            ),
        )
        .header("Retry-After", wait.to_string());
        Charge {
            header,
            remaining: 0,
            rejected: Some(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_shared_and_counted_per_client() {
        let mut b = Buckets::new(ThrottleConfig {
            enabled: true,
            read_capacity: 2.0,
            read_refill_per_sec: 0.0,
            write_capacity: 1.0,
            write_refill_per_sec: 0.0,
        });
        let get = http::Method::GET;
        assert!(b.charge(&get, "s", "tf-a").rejected.is_none());
        assert!(b.charge(&get, "s", "tf-b").rejected.is_none());
        let third = b.charge(&get, "s", "tf-b");
        assert_eq!(third.remaining, 0);
        let e = third.rejected.expect("the shared bucket is empty");
        assert_eq!(e.body()["error"]["code"], "SubscriptionRequestsThrottled");
        assert!(b.charge(&http::Method::DELETE, "s", "").rejected.is_none());
        assert!(b.charge(&http::Method::PUT, "s", "").rejected.is_some());
        let s = &b.stats;
        assert_eq!((s.reads.charged, s.reads.throttled), (2, 1));
        assert_eq!((s.writes.charged, s.writes.throttled), (1, 1));
        assert_eq!(
            s.by_client["tf-b"],
            BucketStats {
                charged: 1,
                throttled: 1
            }
        );
        assert_eq!(s.by_client["(none)"].throttled, 1);
        assert_eq!(s.throttled(), 2);
        b.reconfigure(ThrottleConfig::default());
        assert_eq!(b.stats.throttled(), 2, "counters survive a reconfiguration");
    }
}
