//! Typed reads: one resource, one page, and lazy streams of pages (lists
//! following `links.next`, one search up to its page cap).

use bytes::Bytes;
use futures::Stream;
use kustomer_models::{Page, Single};
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::{Client, SEARCH_PAGE_CAP};
use crate::error::{Error, Result};
use crate::limits::BudgetKind;
use crate::search::SearchQuery;

impl Client {
    /// `GET` one page of a list (`path_and_query` as in a `links.next`).
    pub async fn get_page<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<Page<T>> {
        self.request_json(Method::GET, path_and_query, None, BudgetKind::Org)
            .await
    }

    /// `GET` one resource, e.g. `/v1/customers/{id}`.
    pub async fn get_one<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request_json::<Single<T>>(Method::GET, path, None, BudgetKind::Org)
            .await
            .map(|s| s.data)
    }

    /// Every page of a `page`/`pageSize` list, lazily: nothing is requested
    /// before the stream is first polled, and each page is requested only
    /// when the previous one has been taken. Follows `links.next`; stops when
    /// it is `null`, or if the server repeats a link (a cursor that did not
    /// move), so it can never loop.
    pub fn list<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.pages_from(&format!("{path}{sep}page=1&pageSize={page_size}"))
    }

    /// Every page from `first` (a path with its query, e.g. a cursor list's
    /// `/v1/audit-logs?count=1000`), lazily, following `links.next` until it
    /// is `null`, a page comes back empty, or a link repeats.
    pub fn pages_from<T: DeserializeOwned + Send + 'static>(
        &self,
        first: &str,
    ) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        let client = self.clone();
        let first = first.to_owned();
        async_stream::try_stream! {
            let mut next = Some(first);
            let mut seen = std::collections::HashSet::new();
            while let Some(link) = next.take() {
                if !seen.insert(link.clone()) {
                    tracing::warn!(link, "the server repeated a page link; stopping this list");
                    break;
                }
                let page: Page<T> = client.get_page(&link).await?;
                next = page.links.next.clone().filter(|n| !n.is_empty());
                let empty = page.data.is_empty();
                yield page;
                if empty {
                    break;
                }
            }
        }
    }

    /// One search page: `POST /v1/customers/search?page=N&pageSize=M`.
    pub async fn search_page<T: DeserializeOwned>(
        &self,
        query: &SearchQuery,
        page: u32,
        page_size: u32,
    ) -> Result<Page<T>> {
        self.post_search("/v1/customers/search", query, page, page_size).await
    }

    /// One archive search page: `POST /v1/customers/archive/search?page=N&pageSize=M`
    /// (spec §4). Same body, paging and 100-page cap as [`Client::search_page`], on the
    /// search budget, but it sees only records whose `updatedAt` is older than
    /// search's two-year window, and returns them thin: scalar attributes only (no
    /// `custom`, emails or nested objects) and no relationships.
    pub async fn archive_search_page<T: DeserializeOwned>(
        &self,
        query: &SearchQuery,
        page: u32,
        page_size: u32,
    ) -> Result<Page<T>> {
        self.post_search("/v1/customers/archive/search", query, page, page_size)
            .await
    }

    /// Posts `query` to a search endpoint (`path` without query string) on the
    /// search budget.
    async fn post_search<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &SearchQuery,
        page: u32,
        page_size: u32,
    ) -> Result<Page<T>> {
        let body = serde_json::to_vec(query).map_err(|e| Error::Config(format!("search body: {e}")))?;
        let path = format!("{path}?page={page}&pageSize={page_size}");
        self.request_json(Method::POST, &path, Some(Bytes::from(body)), BudgetKind::Search)
            .await
    }

    /// Every page of one search, lazily, up to the 100-page cap. For reading
    /// more than the cap holds, see `kustomer-sync`'s keyset streams.
    pub fn search<T: DeserializeOwned + Send + 'static>(
        &self,
        query: SearchQuery,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        let client = self.clone();
        async_stream::try_stream! {
            let mut page_no = 1u32;
            loop {
                let page: Page<T> = client.search_page(&query, page_no, page_size).await?;
                let more = page.links.next.is_some() && !page.data.is_empty() && page_no < SEARCH_PAGE_CAP;
                yield page;
                if !more {
                    break;
                }
                page_no += 1;
            }
        }
    }
}
