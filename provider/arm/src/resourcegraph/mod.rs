//! Azure Resource Graph queries (CONTRACT §6), api-version 2024-04-01.
//!
//! Update Manager keeps per-KB assessment and installation detail only in Resource Graph
//! (`patchassessmentresources`, `patchinstallationresources`), so the provider reads update
//! history and available updates here. What this module adds over a plain POST:
//! * paging: the same query and scopes are re-sent with `$skipToken` until none comes back; a
//!   token that comes back a second time, or more than [`MAX_PAGES`] pages, ends the query
//!   with an error instead of a loop;
//! * the per-user quota: every answer carries `x-ms-user-quota-remaining` and
//!   `x-ms-user-quota-resets-after` (`hh:mm:ss`); when the quota is spent the next page waits
//!   for the reset (capped like a `Retry-After`) instead of provoking a 429 (a 429 that still
//!   happens is retried after the same reset by the client's retry loop);
//! * `resultTruncated`, which the service sends as a string;
//! * queries built with [`kql::Query`], never by splicing user input into KQL.

pub mod kql;

use std::collections::HashSet;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{ArmClient, ArmRequest, ArmResponse, Method};
use crate::error::ArmError;
use crate::headers::{self, QUOTA_REMAINING, QUOTA_RESETS_AFTER};
use crate::models::common::{extensible_enum, null_as_default};
use crate::retry;

pub use kql::Query;

pub const API_VERSION: &str = "2024-04-01";

/// The tenant-level query endpoint; scopes go in the body.
pub const RESOURCES_PATH: &str = "/providers/Microsoft.ResourceGraph/resources";

/// The largest page the service returns.
pub const MAX_PAGE: u32 = 1000;

/// Pages one query may take (ten million rows) before the client calls it a loop.
pub const MAX_PAGES: u32 = 10_000;

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
    /// The quota headers of `resp`; malformed values read as absent (see [`crate::headers`]).
    pub fn of(resp: &ArmResponse) -> Self {
        Quota {
            remaining: resp.header(QUOTA_REMAINING).and_then(headers::count),
            resets_after: resp.header(QUOTA_RESETS_AFTER).and_then(headers::hms),
        }
    }

    /// How long to wait before the next query: the reset time once the quota is spent (at
    /// most [`headers::MAX_HEADER_WAIT`]; callers cap it further).
    pub fn wait(&self) -> Option<Duration> {
        match self.remaining {
            Some(0) => Some(self.resets_after.unwrap_or(Duration::from_secs(1))),
            _ => None,
        }
    }
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
        let mut seen_tokens = HashSet::new();
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
            if !seen_tokens.insert(token.clone()) {
                return Err(paging_error(format!(
                    "Resource Graph returned the same $skipToken twice (after {} pages); stopped instead of reading the same pages again",
                    result.pages
                )));
            }
            if result.pages >= MAX_PAGES {
                return Err(paging_error(format!(
                    "Resource Graph still had more pages after {MAX_PAGES}; stopped (the query matches more rows than this provider reads)"
                )));
            }
            if let Some(wait) = Quota::of(&resp).wait() {
                let wait = wait.min(self.inner.retry.max_retry_after);
                tracing::debug!(?wait, "Resource Graph quota spent; waiting for the reset");
                retry::sleep(&self.cancel, wait).await?;
            }
            request.options.skip_token = Some(token);
        }
    }
}

fn paging_error(message: String) -> ArmError {
    ArmError::Protocol {
        url: RESOURCES_PATH.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_waits_only_when_spent() {
        let q = |remaining, resets_after| Quota {
            remaining,
            resets_after,
        };
        assert_eq!(q(Some(3), Some(Duration::from_secs(5))).wait(), None);
        assert_eq!(
            q(Some(0), Some(Duration::from_secs(5))).wait(),
            Some(Duration::from_secs(5))
        );
        assert_eq!(q(Some(0), None).wait(), Some(Duration::from_secs(1)));
        assert_eq!(q(None, Some(Duration::from_secs(5))).wait(), None);
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
