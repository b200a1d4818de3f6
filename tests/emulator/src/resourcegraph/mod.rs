//! Microsoft.ResourceGraph, api-version 2024-04-01 (CONTRACT §6): `POST
//! /providers/Microsoft.ResourceGraph/resources` over the Update Manager tables
//! `patchassessmentresources` and `patchinstallationresources`, whose rows come from the Arc
//! patch operations (`hybridcompute::patches`), and `maintenanceresources`, whose
//! configuration-assignment rows come from the Maintenance store.
//!
//! Faithful parts a client must cope with: only the KQL subset in `kql` is understood
//! (anything else is a ResourceGraph-shaped 400, `BadRequest` / `InvalidQuery`); `$top`
//! (1..=1000, default 100) pages carry a `$skipToken` bound to the query and scopes that sent
//! it, and only when the query projects `id` (otherwise the answer is cut and
//! `resultTruncated` is `"true"`); `resultTruncated` is a string; and the per-user quota
//! (default 15 queries per 5-second window) is reported on every answer in
//! `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after` (`hh:mm:ss`), with 429 once
//! it is spent (without `Retry-After`: the contract names only the quota headers, so a client
//! waits for `resets-after`). The emulator has one user, so the window is global; the query
//! is tenant-level and not charged to the subscription's ARM buckets, and its 429s are counted
//! in the throttling counters (`ThrottleStats::resource_graph`).

mod kql;

use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::errors::ArmError;
use crate::hybridcompute::patches;
use crate::reply::Reply;
use crate::router::{ArmPath, Req, ResourceProvider};
use crate::state::{lock, State};

pub(crate) const NAMESPACE: &str = "Microsoft.ResourceGraph";
pub(crate) const API_VERSION: &str = "2024-04-01";

const DEFAULT_TOP: usize = 100;
const MAX_TOP: usize = 1000;

/// The per-user query quota.
#[derive(Clone, Debug)]
pub(crate) struct QuotaWindow {
    pub limit: u32,
    pub window: Duration,
    used: u32,
    started: Option<Instant>,
}

impl Default for QuotaWindow {
    /// The documented example: 15 queries per 5-second window.
    fn default() -> Self {
        QuotaWindow {
            limit: 15,
            window: Duration::from_secs(5),
            used: 0,
            started: None,
        }
    }
}

impl QuotaWindow {
    pub fn reconfigure(&mut self, limit: u32, window: Duration) {
        *self = QuotaWindow {
            limit,
            window,
            ..QuotaWindow::default()
        };
    }

    /// Charges one query; `(allowed, remaining, resets after)`.
    fn charge(&mut self, now: Instant) -> (bool, u32, Duration) {
        let fresh = self
            .started
            .is_none_or(|s| now.duration_since(s) >= self.window);
        if fresh {
            self.started = Some(now);
            self.used = 0;
        }
        let elapsed = self
            .started
            .map_or(Duration::ZERO, |s| now.duration_since(s));
        let resets = self.window.saturating_sub(elapsed);
        if self.used >= self.limit {
            return (false, 0, resets);
        }
        self.used += 1;
        (true, self.limit - self.used, resets)
    }
}

/// `hh:mm:ss`, rounded up to whole seconds.
fn hms(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

pub(crate) struct ResourceGraph;

impl ResourceProvider for ResourceGraph {
    fn namespace(&self) -> &'static str {
        NAMESPACE
    }

    fn api_versions(&self) -> &'static [&'static str] {
        &[API_VERSION]
    }

    fn handle(&self, state: &State, req: &Req, path: &ArmPath) -> Reply {
        let rest = path.rest_lower();
        let tenant_level = path.subscription.is_none() && path.parent.is_empty();
        if !(tenant_level && rest == ["resources"]) {
            return ArmError::no_route(req.method.as_str(), &req.path).into();
        }
        if req.method != Method::POST {
            return ArmError::method_not_allowed(req.method.as_str()).into();
        }
        let mut store = lock(&state.store);
        store.tick(&state.config);
        let (allowed, remaining, resets) = store.resource_graph_quota.charge(Instant::now());
        lock(&state.throttle)
            .record_resource_graph(req.header("user-agent").unwrap_or_default(), allowed);
        let reply = if allowed {
            query(state, &store, req)
        } else {
            ArmError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimiting",
                "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.",
            )
            .into()
        };
        reply
            .header("x-ms-user-quota-remaining", remaining.to_string())
            .header("x-ms-user-quota-resets-after", hms(resets))
    }
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    subscriptions: Option<Vec<String>>,
    #[serde(default, rename = "managementGroups")]
    management_groups: Option<Vec<String>>,
    query: String,
    #[serde(default)]
    options: Options,
    #[serde(default)]
    facets: Option<Vec<Value>>,
}

#[derive(Default, Deserialize)]
struct Options {
    #[serde(default, rename = "$top")]
    top: Option<i64>,
    #[serde(default, rename = "$skipToken")]
    skip_token: Option<String>,
    #[serde(default, rename = "$skip")]
    skip: Option<i64>,
    #[serde(default, rename = "resultFormat")]
    result_format: Option<String>,
}

/// ResourceGraph's error shape: `BadRequest` with one detail saying what is wrong.
fn bad_request(code: &str, message: impl Into<String>) -> Reply {
    let message = message.into();
    ArmError::bad_request(
        "BadRequest",
        "Please provide below info when asking for support: the query and the error details.",
    )
    .details(vec![json!({ "code": code, "message": message })])
    .into()
}

/// Binds a skip token to the query and scopes it pages through.
fn fingerprint(query: &str, subscriptions: &[String]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    query.hash(&mut h);
    for s in subscriptions {
        s.to_lowercase().hash(&mut h);
    }
    h.finish()
}

fn encode_token(offset: usize, fp: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{offset}:{fp:x}"))
}

fn decode_token(token: &str, fp: u64) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (offset, got) = text.split_once(':')?;
    (got == format!("{fp:x}")).then(|| offset.parse().ok())?
}

fn query(state: &State, store: &crate::state::Store, req: &Req) -> Reply {
    let r: Request = match serde_json::from_slice(&req.body) {
        Ok(r) => r,
        Err(e) => {
            return bad_request(
                "InvalidRequestContent",
                format!("The request content is invalid: {e}."),
            )
        }
    };
    if r.management_groups.as_ref().is_some_and(|m| !m.is_empty())
        || r.facets.as_ref().is_some_and(|f| !f.is_empty())
    {
        return bad_request(
            "UnsupportedByEmulator",
            "managementGroups and facets are not supported by the emulator.",
        );
    }
    if r.options
        .result_format
        .as_deref()
        .is_some_and(|f| f != "objectArray")
        || r.options.skip.is_some_and(|s| s != 0)
    {
        return bad_request(
            "UnsupportedByEmulator",
            "only resultFormat objectArray without $skip is supported by the emulator.",
        );
    }
    let top = match r.options.top {
        None => DEFAULT_TOP,
        Some(t) if (1..=MAX_TOP as i64).contains(&t) => t as usize,
        Some(t) => {
            return bad_request(
                "InvalidParameter",
                format!("$top must be between 1 and {MAX_TOP}, got {t}."),
            )
        }
    };
    let parsed = match kql::parse(&r.query) {
        Ok(q) => q,
        Err(e) => {
            return bad_request(
                "InvalidQuery",
                format!("Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying. ({e})"),
            )
        }
    };
    let table = parsed.table.to_lowercase();
    let maintenance = table == crate::maintenance::assignments::GRAPH_TABLE;
    if table != patches::ASSESSMENT_TABLE && table != patches::INSTALLATION_TABLE && !maintenance {
        return bad_request(
            "InvalidQuery",
            format!("Table '{}' is not served by the emulator.", parsed.table),
        );
    }
    let subscriptions = r.subscriptions.unwrap_or_default();
    let fp = fingerprint(&r.query, &subscriptions);
    let offset = match r.options.skip_token.as_deref() {
        None => 0,
        Some(t) => match decode_token(t, fp) {
            Some(o) => o,
            None => {
                return bad_request(
                    "InvalidSkipToken",
                    "The $skipToken is invalid or belongs to another query.",
                )
            }
        },
    };
    let sub = &state.config.subscription_id;
    let in_scope =
        subscriptions.is_empty() || subscriptions.iter().any(|s| s.eq_ignore_ascii_case(sub));
    let now = time::OffsetDateTime::now_utc();
    let rows = if in_scope {
        let all = if maintenance {
            crate::maintenance::assignments::graph_rows(&store.maintenance, sub)
        } else {
            patches::table_rows(store, sub, &table)
        };
        parsed.run(all, now)
    } else {
        Vec::new()
    };
    let total = rows.len();
    let page: Vec<Value> = rows.into_iter().skip(offset).take(top).collect();
    let more = offset + page.len() < total;
    let pageable = parsed.has_id_column();
    let mut body = json!({
        "totalRecords": total,
        "count": page.len(),
        "resultTruncated": if more && !pageable { "true" } else { "false" },
        "data": page,
    });
    if more && pageable {
        body["$skipToken"] = json!(encode_token(offset + top, fp));
    }
    Reply::ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_window_spends_and_resets() {
        let mut q = QuotaWindow::default();
        q.reconfigure(2, Duration::from_secs(5));
        let t0 = Instant::now();
        assert!(q.charge(t0).0);
        assert_eq!(q.charge(t0).1, 0);
        let (ok, remaining, resets) = q.charge(t0 + Duration::from_secs(1));
        assert!(!ok);
        assert_eq!(remaining, 0);
        assert_eq!(hms(resets), "00:00:04");
        assert!(q.charge(t0 + Duration::from_secs(5)).0);
    }

    #[test]
    fn skip_tokens_are_bound_to_their_query() {
        let fp = fingerprint("q", &["s".into()]);
        let t = encode_token(100, fp);
        assert_eq!(decode_token(&t, fp), Some(100));
        assert_eq!(decode_token(&t, fingerprint("other", &["s".into()])), None);
        assert_eq!(decode_token("garbage", fp), None);
    }
}
