//! Azure Resource Graph queries (CONTRACT §6), api-version 2024-04-01.
//!
//! Update Manager keeps per-KB assessment and installation detail only in Resource Graph
//! (`patchassessmentresources`, `patchinstallationresources`), so the provider reads update
//! history and available updates here. What this module adds over a plain POST:
//! * paging: the same query and scopes are re-sent with `$skipToken` until none comes back;
//! * the per-user quota: every answer carries `x-ms-user-quota-remaining` and
//!   `x-ms-user-quota-resets-after` (`hh:mm:ss`); when the quota is spent the next page waits
//!   for the reset instead of provoking a 429 (a 429 that still happens is retried after the
//!   same reset by the client's retry loop);
//! * `resultTruncated`, which the service sends as a string;
//! * queries built with [`kql::Query`], never by splicing user input into KQL.

pub mod kql;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{ArmClient, ArmRequest, ArmResponse, Method};
use crate::error::ArmError;
use crate::models::common::{extensible_enum, null_as_default};
use crate::retry;

pub use kql::Query;

pub const API_VERSION: &str = "2024-04-01";

/// The tenant-level query endpoint; scopes go in the body.
pub const RESOURCES_PATH: &str = "/providers/Microsoft.ResourceGraph/resources";

/// The largest page the service returns.
pub const MAX_PAGE: u32 = 1000;

/// Quota header: queries left in the current window.
pub const QUOTA_REMAINING: &str = "x-ms-user-quota-remaining";
/// Quota header: time until the window resets, `hh:mm:ss`.
pub const QUOTA_RESETS_AFTER: &str = "x-ms-user-quota-resets-after";

/// Body of `POST /providers/Microsoft.ResourceGraph/resources`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequest {
    pub subscriptions: Vec<String>,
    pub query: String,
    pub options: QueryRequestOptions,
}

/// `options` of a query request.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRequestOptions {
    #[serde(rename = "$top", skip_serializing_if = "Option::is_none")]
    pub top: Option<u32>,
    #[serde(rename = "$skipToken", skip_serializing_if = "Option::is_none")]
    pub skip_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_format: Option<ResultFormat>,
}

extensible_enum! {
    /// `options.resultFormat`.
    pub enum ResultFormat {
        ObjectArray => "objectArray",
        Table => "table",
    }
}

extensible_enum! {
    /// `resultTruncated`: a string on the wire, not a bool.
    pub enum ResultTruncated {
        True => "true",
        False => "false",
    }
}

/// One page of a query answer (`resultFormat = objectArray`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: DeserializeOwned"))]
pub struct QueryResponse<T> {
    #[serde(default)]
    pub total_records: Option<i64>,
    #[serde(default)]
    pub count: Option<i64>,
    #[serde(default)]
    pub result_truncated: Option<ResultTruncated>,
    #[serde(default, rename = "$skipToken")]
    pub skip_token: Option<String>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub data: Vec<T>,
}

/// Every row of a query, across pages.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult<T> {
    pub rows: Vec<T>,
    /// Whether the service said any page was truncated.
    pub truncated: bool,
    /// Query requests sent (pages).
    pub pages: u32,
}

/// The per-user quota as one answer reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub remaining: Option<u64>,
    pub resets_after: Option<Duration>,
}

impl Quota {
    pub fn of(resp: &ArmResponse) -> Self {
        Quota {
            remaining: resp
                .header(QUOTA_REMAINING)
                .and_then(|v| v.trim().parse().ok()),
            resets_after: resp.header(QUOTA_RESETS_AFTER).and_then(parse_hms),
        }
    }

    /// How long to wait before the next query: the reset time once the quota is spent.
    pub fn wait(&self) -> Option<Duration> {
        match self.remaining {
            Some(0) => Some(self.resets_after.unwrap_or(Duration::from_secs(1))),
            _ => None,
        }
    }
}

/// Parses `hh:mm:ss` (hours may exceed 24; fractional seconds allowed).
pub fn parse_hms(value: &str) -> Option<Duration> {
    let mut parts = value.trim().split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let h: u64 = h.parse().ok()?;
    let m: u64 = m.parse().ok()?;
    let s: f64 = s.parse().ok()?;
    if m >= 60 || !(0.0..60.0).contains(&s) {
        return None;
    }
    Some(Duration::from_secs(h * 3600 + m * 60) + Duration::from_secs_f64(s))
}

impl ArmClient {
    /// Runs `query` over `subscriptions` and returns every row of every page.
    pub async fn resource_graph<T: DeserializeOwned>(
        &self,
        subscriptions: &[String],
        query: &Query,
    ) -> Result<QueryResult<T>, ArmError> {
        let mut request = QueryRequest {
            subscriptions: subscriptions.to_vec(),
            query: query.build(),
            options: QueryRequestOptions {
                top: Some(MAX_PAGE),
                skip_token: None,
                result_format: Some(ResultFormat::ObjectArray),
            },
        };
        let mut result = QueryResult {
            rows: Vec::new(),
            truncated: false,
            pages: 0,
        };
        loop {
            // A query only reads, so it is retried like a GET.
            let req = ArmRequest::new(Method::POST, RESOURCES_PATH, API_VERSION)
                .json(&request)?
                .idempotent(true);
            let resp = self.send(req).await?;
            result.pages += 1;
            let page: QueryResponse<T> = resp.json()?;
            result.truncated |= page.result_truncated == Some(ResultTruncated::True);
            result.rows.extend(page.data);
            let next = page.skip_token.filter(|t| !t.is_empty());
            let Some(token) = next else {
                return Ok(result);
            };
            if let Some(wait) = Quota::of(&resp).wait() {
                tracing::debug!(?wait, "Resource Graph quota spent; waiting for the reset");
                retry::sleep(&self.cancel, wait).await?;
            }
            request.options.skip_token = Some(token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quota_reset_times() {
        assert_eq!(parse_hms("00:00:05"), Some(Duration::from_secs(5)));
        assert_eq!(parse_hms("01:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(parse_hms("00:00:00.5"), Some(Duration::from_millis(500)));
        for bad in ["", "5", "00:61:00", "a:b:c", "00:00:00:00", "00:00:-1"] {
            assert_eq!(parse_hms(bad), None, "{bad}");
        }
    }

    #[test]
    fn result_truncated_is_a_string() {
        let page: QueryResponse<serde_json::Value> = serde_json::from_str(
            r#"{"totalRecords":1,"count":1,"resultTruncated":"true","data":[{"id":"x"}]}"#,
        )
        .unwrap();
        assert_eq!(page.result_truncated, Some(ResultTruncated::True));
        assert_eq!(page.data.len(), 1);
    }

    #[test]
    fn request_uses_the_wire_names() {
        let body = serde_json::to_value(QueryRequest {
            subscriptions: vec!["s".into()],
            query: "q".into(),
            options: QueryRequestOptions {
                top: Some(10),
                skip_token: Some("t".into()),
                result_format: Some(ResultFormat::ObjectArray),
            },
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"subscriptions":["s"],"query":"q","options":{"$top":10,"$skipToken":"t","resultFormat":"objectArray"}})
        );
    }
}
