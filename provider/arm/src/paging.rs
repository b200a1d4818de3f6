//! ARM list paging (CONTRACT 1.5): `{ "value": [...], "nextLink": "<absolute URL>" }`, where
//! `nextLink` is followed verbatim (it already carries the api-version and skip token) until it
//! is absent, null or empty.

use crate::client::{ArmClient, ArmRequest, Method};
use crate::error::ArmError;
use crate::models::common::null_as_default;
use futures::stream::{self, Stream, TryStreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;

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
        stream::try_unfold(Some(first), move |next| {
            let client = client.clone();
            async move {
                let Some(req) = next else {
                    return Ok(None);
                };
                let page: Page<T> = client.send(req).await?.json()?;
                let next = page
                    .next_link
                    .filter(|l| !l.trim().is_empty())
                    .map(ArmRequest::get_url);
                Ok(Some((page.value, next)))
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
