//! ARM list paging (CONTRACT 1.5): `{ "value": [...], "nextLink": "<absolute URL>" }`, where
//! `nextLink` is followed verbatim (it already carries the api-version and skip token) until it
//! is absent, null or empty.
//!
//! A `nextLink` is followed only on the configured endpoint ([`crate::urls`]). A service that
//! hands out a `nextLink` it already gave, or more than [`MAX_PAGES`] pages, would otherwise
//! keep a Terraform run listing forever; both end the list with an error that says so.

use std::collections::HashSet;

use crate::client::{ArmClient, ArmRequest, Method};
use crate::error::ArmError;
use crate::models::common::null_as_default;
use crate::urls;
use futures::stream::{self, Stream, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Pages one list may take before the client calls it a loop.
pub const MAX_PAGES: u32 = 10_000;

/// One page of a list.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: DeserializeOwned"))]
pub struct Page<T> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub value: Vec<T>,
    #[serde(default)]
    pub next_link: Option<String>,
}

impl ArmClient {
    /// A stream of pages, fetched lazily.
    pub fn list_pages<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        api_version: &str,
    ) -> impl Stream<Item = Result<Vec<T>, ArmError>> + Send + 'static {
        let client = self.clone();
        let first = ArmRequest::new(Method::GET, path, api_version);
        let state = Pager {
            next: Some(first),
            seen: HashSet::new(),
            pages: 0,
        };
        stream::try_unfold(state, move |mut state| {
            let client = client.clone();
            async move {
                let Some(req) = state.next.take() else {
                    return Ok(None);
                };
                let page: Page<T> = client.send(req).await?.json()?;
                state.pages += 1;
                if let Some(link) = page.next_link.filter(|l| !l.trim().is_empty()) {
                    state.check(&link)?;
                    state.next = Some(ArmRequest::get_url(link));
                }
                Ok(Some((page.value, state)))
            }
        })
    }

    /// A stream of items across all pages.
    pub fn list_stream<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        api_version: &str,
    ) -> impl Stream<Item = Result<T, ArmError>> + Send + 'static {
        self.list_pages(path, api_version)
            .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Every item of every page.
    pub async fn list<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<Vec<T>, ArmError> {
        let pages: Vec<Vec<T>> = self.list_pages(path, api_version).try_collect().await?;
        Ok(pages.into_iter().flatten().collect())
    }
}

/// Where a list is and where it has been.
struct Pager {
    next: Option<ArmRequest>,
    /// Every `nextLink` followed so far.
    seen: HashSet<String>,
    pages: u32,
}

impl Pager {
    /// Refuses `link` when it was handed out before or the list is too long.
    fn check(&mut self, link: &str) -> Result<(), ArmError> {
        if self.pages >= MAX_PAGES {
            return Err(ArmError::Protocol {
                url: urls::shown_raw(link),
                message: format!(
                    "the list still had more pages after {MAX_PAGES}; stopped instead of reading on"
                ),
            });
        }
        if !self.seen.insert(link.to_string()) {
            return Err(ArmError::Protocol {
                url: urls::shown_raw(link),
                message: format!(
                    "ARM returned a nextLink it had already returned (after {} pages); stopped instead of reading the same pages again",
                    self.pages
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_repeated_links_and_endless_lists() {
        let mut p = Pager {
            next: None,
            seen: HashSet::new(),
            pages: 1,
        };
        p.check("https://h/a?$skiptoken=1").unwrap();
        p.check("https://h/a?$skiptoken=2").unwrap();
        let e = p.check("https://h/a?$skiptoken=1").unwrap_err();
        assert!(e.to_string().contains("already returned"), "{e}");
        assert!(!e.to_string().contains("skiptoken"), "{e}");
        p.pages = MAX_PAGES;
        let e = p.check("https://h/a?$skiptoken=3").unwrap_err();
        assert!(e.to_string().contains("more pages after 10000"), "{e}");
    }
}
