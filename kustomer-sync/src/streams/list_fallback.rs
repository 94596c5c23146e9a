//! A search stream read from its GET list instead, when search refuses the
//! stream's query with a 400. Kustomer's standard search schema lacks
//! fields its archive schema has (`company_updated_at`), so search may
//! refuse a whole context; the list then gives every live record, read in
//! full like a replace table (rows it does not show are swept), with a
//! warning: never a failed run, never a loop on the refused query.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::Client;
use kustomer_models::{Entity, FlatRecord};

use super::detail::RunDetails;
use super::Batch;
use crate::dest::Sweep;
use crate::error::SyncError;
use crate::shaping::Shaper;

/// Records per list page (the documented maximum of most lists).
const PAGE_SIZE: u32 = 100;

/// Whether `e` is search (or archive search) refusing a query with a 400.
pub(crate) fn search_refused(e: &SyncError) -> bool {
    matches!(e, SyncError::Api(a) if a.is_bad_request()
        && a.path().is_some_and(|p| p.starts_with("/v1/customers/search") || p.starts_with("/v1/customers/archive/search")))
}

/// What reading the list instead needs.
pub(crate) struct ListFallback {
    pub client: Client,
    /// The GET list (`/v1/companies`).
    pub path: &'static str,
    pub table: String,
    pub run_started: DateTime<Utc>,
    pub shaper: Arc<Shaper>,
    pub details: Arc<RunDetails>,
}

impl ListFallback {
    /// `searched`, until search refuses a query with a 400; then the list,
    /// read in full. The bookmark stays where search left it, so the next
    /// run tries search again (one request) before falling back.
    pub(crate) fn around<E: Entity>(
        self,
        mut searched: BoxStream<'static, Result<Batch, SyncError>>,
    ) -> BoxStream<'static, Result<Batch, SyncError>> {
        async_stream::stream! {
            while let Some(item) = searched.next().await {
                match item {
                    Err(e) if search_refused(&e) => {
                        let note = format!("search refused the query, so GET {} was read in full instead ({e})", self.path);
                        tracing::warn!(stream = %self.table, "{note}");
                        yield Ok(Batch { note: Some(note), ..Batch::default() });
                        let list = self.read::<E>();
                        futures::pin_mut!(list);
                        while let Some(b) = list.next().await {
                            yield b;
                        }
                        return;
                    }
                    other => yield other,
                }
            }
        }
        .boxed()
    }

    /// Every page of the list, then the sweep of rows it did not show.
    fn read<E: Entity>(self) -> BoxStream<'static, Result<Batch, SyncError>> {
        async_stream::try_stream! {
            let pages = self.client.list::<E>(self.path, PAGE_SIZE);
            futures::pin_mut!(pages);
            while let Some(page) = pages.try_next().await? {
                let mut records: Vec<FlatRecord> = page.data.into_iter().map(|r| self.shaper.shape(r)).collect();
                let skipped = self.details.attach(&mut records, &self.client).await?;
                yield Batch { skipped_tables: skipped, ..Batch::new(records, None) };
            }
            // Rows written this run carry its start; older ones the list did not show are gone.
            let sweep = Sweep { before: self.run_started, since: None, hard: false, at: self.run_started };
            yield Batch { sweep: Some(sweep), ..Batch::default() };
        }
        .boxed()
    }
}
