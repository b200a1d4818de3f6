//! ARM token-bucket throttling. Every ARM response carries the remaining budget headers
//! (`x-ms-ratelimit-remaining-subscription-reads|writes`); an empty bucket answers 429 with a
//! `Retry-After` computed from the refill rate, like ARM's 2024 throttling model.

use std::time::Instant;

use crate::config::ThrottleConfig;
use crate::errors::ArmError;
use http::StatusCode;

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

pub(crate) struct Buckets {
    pub config: ThrottleConfig,
    reads: Bucket,
    writes: Bucket,
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
        }
    }

    pub fn reconfigure(&mut self, config: ThrottleConfig) {
        *self = Self::new(config);
    }

    pub fn charge(&mut self, method: &http::Method, subscription: &str) -> Charge {
        let is_read = method == http::Method::GET || method == http::Method::HEAD;
        let (bucket, cap, rate, header, kind) = if is_read {
            (
                &mut self.reads,
                self.config.read_capacity,
                self.config.read_refill_per_sec,
                "x-ms-ratelimit-remaining-subscription-reads",
                "read",
            )
        } else {
            (
                &mut self.writes,
                self.config.write_capacity,
                self.config.write_refill_per_sec,
                "x-ms-ratelimit-remaining-subscription-writes",
                "write",
            )
        };
        if !self.config.enabled {
            return Charge {
                header,
                remaining: cap.max(0.0) as u64,
                rejected: None,
            };
        }
        bucket.refill(cap, rate);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Charge {
                header,
                remaining: bucket.tokens.floor() as u64,
                rejected: None,
            };
        }
        let wait = if rate > 0.0 {
            ((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64
        } else {
            60
        };
        let e = ArmError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "SubscriptionRequestsThrottled",
            format!(
                "Number of '{kind}' requests for subscription '{subscription}' exceeded. Please try again after '{wait}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information."
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
