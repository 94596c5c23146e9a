//! The detail tables after the core ones. A full read (a first load, a
//! re-sync) of a stream with per-parent detail lists leaves them for later
//! (they cost one request per parent each: on a large org more than the
//! core tables together). Once the stream's core tables are in, the engine
//! runs this pass in the background of the org budget (it takes only the
//! slots the other streams leave unused, so it never slows their core
//! tables): the destination's parents in ascending id order,
//! each read again by id with its detail lists (the destination holds the
//! parent rows, not a way to write children alone), committed with the
//! cursor ([`DetailBackfill`]), at most `per_run` parents a run.
//!
//! A parent gone meanwhile (404) is marked vanished; one changed meanwhile
//! is simply written newer. Parents changed by later incremental runs got
//! their details then and get them again here: harmless, and rare.

use std::sync::Arc;

use futures::stream::BoxStream;
use futures::StreamExt;
use kustomer_api::Client;
use kustomer_models::Entity;

use super::detail::RunDetails;
use super::first_load::{fetch_by_id, ListSource};
use super::Batch;
use crate::bookmark::{Bookmark, DetailBackfill};
use crate::error::SyncError;
use crate::shaping::Shaper;
use crate::writer::IdReader;

/// Parents read per batch (each costs its detail lists plus one).
const CHUNK: usize = 200;
/// Batches read at once.
const IN_FLIGHT: usize = 4;

/// What the backfill of one stream reads with.
pub(crate) struct Backfill {
    pub client: Client,
    pub lists: ListSource,
    pub klasses: Vec<String>,
    pub ids: IdReader,
    pub table: String,
    pub shaper: Arc<Shaper>,
    pub details: Arc<RunDetails>,
    /// Parents read this run at most (`None`: all).
    pub per_run: Option<u64>,
}

impl Backfill {
    /// One chunk of parents, by id with their detail lists.
    async fn read<E: Entity>(&self, page: Vec<String>) -> Result<(Vec<String>, Batch), SyncError> {
        let asks = page
            .iter()
            .map(|id| (id.clone(), self.lists.by_id(None, id, &self.klasses)))
            .collect();
        let (mut records, vanished) = fetch_by_id::<E>(&self.client, asks, &self.shaper).await?;
        let skipped = self.details.attach(&mut records, &self.client).await?;
        let mut batch = Batch::new(records, None);
        batch.vanished = vanished;
        batch.skipped_tables = skipped;
        Ok((page, batch))
    }

    /// The backfill from `start` (whose `details` says where it stands); the
    /// last batch clears `details` once every parent is done.
    pub(crate) fn batches<E: Entity>(self, start: Bookmark) -> BoxStream<'static, Result<Batch, SyncError>> {
        let this = Arc::new(self);
        async_stream::try_stream! {
            let mut bm = start;
            let mut cursor = bm.details.clone().unwrap_or_default();
            let mut this_run = 0u64;
            loop {
                if let Some(n) = this.per_run.filter(|&n| this_run >= n) {
                    let note = format!(
                        "detail tables: {n} parents read this run ({} so far); the rest in the next runs",
                        cursor.done
                    );
                    tracing::info!(stream = %this.table, "{note}");
                    yield Batch { note: Some(note), ..Batch::default() };
                    break;
                }
                let want = this.per_run.map_or(CHUNK * IN_FLIGHT, |n| (CHUNK * IN_FLIGHT).min((n - this_run) as usize));
                let ids = this.ids.ids_after(&this.table, cursor.after.clone(), want).await?;
                if ids.is_empty() {
                    tracing::info!(stream = %this.table, parents = cursor.done, "detail tables complete");
                    bm.details = None;
                    yield Batch::new(Vec::new(), Some(bm));
                    break;
                }
                // Several chunks at once (a parent's reads are sequential:
                // by id, then its lists), committed in order with the cursor.
                let chunks: Vec<Vec<String>> = ids.chunks(CHUNK).map(<[String]>::to_vec).collect();
                let read = futures::stream::iter(chunks)
                    .map(|page| {
                        let this = this.clone();
                        async move { this.read::<E>(page).await }
                    })
                    .buffered(IN_FLIGHT);
                futures::pin_mut!(read);
                while let Some(done) = read.next().await {
                    let (page, mut batch) = done?;
                    this_run += page.len() as u64;
                    cursor = DetailBackfill { after: page.last().cloned(), done: cursor.done + page.len() as u64 };
                    bm.details = Some(cursor.clone());
                    batch.bookmark = Some(bm.clone());
                    yield batch;
                }
            }
        }
        .boxed()
    }
}
