//! Emulator configuration. Every knob has a default that matches the seeded fleet and the
//! timings a test wants (short LROs), so `Config::default()` is enough for most callers.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::seed;

/// An Entra ID application registration the token endpoint accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCredential {
    pub client_id: String,
    pub client_secret: String,
}

/// When an asynchronous operation (license-profile LRO, hotpatch evaluation) finishes:
/// after `polls` observations (monitor GETs or GETs of the resource) or after `duration`,
/// whichever comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LroTiming {
    pub polls: u32,
    #[serde(with = "millis")]
    pub duration: Duration,
}

/// ARM token-bucket throttling (per subscription in the emulator).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThrottleConfig {
    pub enabled: bool,
    pub read_capacity: f64,
    pub read_refill_per_sec: f64,
    pub write_capacity: f64,
    pub write_refill_per_sec: f64,
}

impl Default for ThrottleConfig {
    /// The token-bucket numbers ARM documents: reads 250 refilling 25/s, writes 200 refilling 10/s.
    fn default() -> Self {
        Self {
            enabled: true,
            read_capacity: 250.0,
            read_refill_per_sec: 25.0,
            write_capacity: 200.0,
            write_refill_per_sec: 10.0,
        }
    }
}

impl ThrottleConfig {
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// ARM's buckets shrunk (or grown) by `factor`: capacities and refill rates alike, so a
    /// test with a small fleet meets the same pressure a big fleet meets with the real numbers.
    pub fn scaled(factor: f64) -> Self {
        let d = Self::default();
        let f = if factor.is_finite() && factor > 0.0 {
            factor
        } else {
            1.0
        };
        Self {
            enabled: true,
            read_capacity: d.read_capacity * f,
            read_refill_per_sec: d.read_refill_per_sec * f,
            write_capacity: d.write_capacity * f,
            write_refill_per_sec: d.write_refill_per_sec * f,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    pub tenant_id: String,
    /// Registered applications; the first one is what the handle reports.
    pub clients: Vec<ClientCredential>,
    pub subscription_id: String,
    /// Extra audiences accepted in the token `scope` (besides ARM's public audiences and the
    /// emulator's own base URL), written without the `/.default` suffix.
    pub extra_audiences: Vec<String>,
    pub token_lifetime: Duration,
    /// Folder of official OpenAPI files; when set, PUT/PATCH bodies are validated against them.
    pub specs_dir: Option<PathBuf>,
    /// Reject unknown values of `modelAsString: true` enums in requests. A client must tolerate
    /// new values in responses, but the service only accepts the values it knows.
    pub strict_open_enums: bool,
    /// Extra eligible machines `arc-fleet-0001`...
    pub fleet_size: usize,
    /// Page size of list operations (`nextLink` paging).
    pub page_size: usize,
    pub lro: LroTiming,
    /// `Retry-After` seconds advertised on LRO responses.
    pub lro_retry_after_secs: u64,
    /// When `PendingEvaluation` of `enableHotpatching` resolves.
    pub hotpatch_evaluation: LroTiming,
    /// Hotpatch enablement needs the license profile's Hotpatch feature `Enabled` (else the
    /// evaluation ends `ActionRequired`).
    pub hotpatch_requires_license: bool,
    /// Latency added to every request (milliseconds).
    pub latency_ms: u64,
    pub throttle: ThrottleConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 0,
            tenant_id: seed::TENANT_ID.to_string(),
            clients: vec![ClientCredential {
                client_id: seed::CLIENT_ID.to_string(),
                client_secret: seed::CLIENT_SECRET.to_string(),
            }],
            subscription_id: seed::SUBSCRIPTION_ID.to_string(),
            extra_audiences: Vec::new(),
            token_lifetime: Duration::from_secs(3599),
            specs_dir: None,
            strict_open_enums: true,
            fleet_size: 0,
            page_size: 50,
            lro: LroTiming {
                polls: 2,
                duration: Duration::from_secs(5),
            },
            lro_retry_after_secs: 1,
            hotpatch_evaluation: LroTiming {
                polls: 2,
                duration: Duration::from_secs(5),
            },
            hotpatch_requires_license: true,
            latency_ms: 0,
            throttle: ThrottleConfig::default(),
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
