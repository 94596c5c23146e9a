//! The exact check of a first load: every id the org has before the split,
//! enumerated by keyset (never by offset, so nothing slips between pages,
//! and no query passes the 10,000-record window), against the ids the
//! destination holds for the same range. What is missing is fetched by id;
//! what the org no longer has is fetched too, and marked vanished on a 404.
//!
//! Counts are never compared: a record skipped by a list and one deleted
//! meanwhile in the same range cancel out in a count, not in a set of ids.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::search::{Criterion, QueryContext};
use kustomer_api::Client;
use kustomer_models::{Entity, FlatRecord};

use super::{FirstLoadPlan, Step};
use crate::bookmark::Bookmark;
use crate::dest::IdQuery;
use crate::error::SyncError;
use crate::keyset::{keyset_stream, KeysetOptions};
use crate::shaping::Shaper;

/// Fetches by id in flight at once.
const FETCH_CONCURRENCY: usize = 8;
/// Org ids compared with the destination's at once (bounds memory).
const CHUNK: usize = 5_000;

/// Where the org's ids before the split come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Archive search: records untouched for two years.
    Archive,
    /// Search: the last two years.
    Search,
}

impl FirstLoadPlan {
    /// Compares what the first load wrote (updated before the split) with
    /// the org's ids and mends the difference; yields what it fetched.
    /// Records older than search's window are checked through their
    /// conversations instead when archive search cannot enumerate them
    /// (notes), or when that takes fewer requests (see
    /// [`FirstLoadPlan::per_parent_path`]).
    pub(crate) fn reconcile<E: Entity>(&self, bm: Bookmark) -> BoxStream<'static, Result<Step, SyncError>> {
        let plan = self.clone();
        async_stream::try_stream! {
            let steps = match plan.per_parent_path(&bm).await? {
                // Archive search can enumerate messages: the threads bring
                // most of them, then the check by id finds the rest (those
                // of deleted conversations, whose threads are gone) and
                // what the org no longer has.
                Some(path) if plan.context == QueryContext::Message => plan
                    .reconcile_per_parent::<E>(bm.clone(), path)
                    .chain(plan.reconcile_by_search::<E>(bm, false))
                    .boxed(),
                Some(path) => plan
                    .reconcile_by_search::<E>(bm.clone(), true)
                    .chain(plan.reconcile_per_parent::<E>(bm, path))
                    .boxed(),
                None => plan.reconcile_by_search::<E>(bm, false),
            };
            for await step in steps {
                yield step?;
            }
        }
        .boxed()
    }

    /// The org's ids from archive search and search, range by range.
    /// With `per_parent`, only search's window: what is older is checked
    /// per conversation.
    fn reconcile_by_search<E: Entity>(
        &self,
        bm: Bookmark,
        per_parent: bool,
    ) -> BoxStream<'static, Result<Step, SyncError>> {
        let Some(ids) = self.ids.clone() else {
            return futures::stream::empty().boxed();
        };
        let fl = bm
            .first_load
            .clone()
            .unwrap_or_else(|| crate::bookmark::FirstLoad::new(self.run_started));
        let split = fl.split;
        let since = bm.full_read_started;
        let archive_refused = fl.archive_refused.clone();
        let (client, table, lists, klasses) = (
            self.client.clone(),
            self.table.clone(),
            self.lists,
            self.klasses.clone(),
        );
        let shaper = self.shaper.clone();
        let mut opts = KeysetOptions::new(self.context.clone());
        opts.include_deleted = false;
        opts.start_date = self.start_date;
        opts.filters.push(Criterion::lt(self.context.updated_at_field(), split));
        // Without archive search, only search's two years can be checked
        // (records older than that are, by their conversations, if so).
        let floor = self.window_floor();
        async_stream::try_stream! {
            let sources: &[Source] = match archive_refused {
                _ if per_parent => &[Source::Search],
                None => &[Source::Archive, Source::Search],
                Some(ref why) => {
                    tracing::warn!(
                        table = %table,
                        "first load: records untouched for two years cannot be verified ({why}); \
                         those the GET lists did not reach are not loaded"
                    );
                    &[Source::Search]
                }
            };
            let mut lo: Option<DateTime<Utc>> = match archive_refused {
                None if !per_parent => opts.start_date,
                _ => Some(floor.max(opts.start_date.unwrap_or(floor))),
            };
            let mut buf: Vec<(String, String, Option<DateTime<Utc>>)> = Vec::new();
            for &source in sources {
                let mut o = opts.clone();
                o.archive = source == Source::Archive;
                let keyset = keyset_stream::<E>(client.clone(), o, Bookmark::default());
                futures::pin_mut!(keyset);
                while let Some(b) = keyset.try_next().await? {
                    for r in b.records {
                        buf.push((r.id().to_owned(), r.kind().to_owned(), r.updated_at()));
                    }
                    if buf.len() < CHUNK {
                        continue;
                    }
                    // Flush everything strictly before the newest instant: the
                    // records at that instant may go on in the next page.
                    let Some(hi) = buf.iter().filter_map(|r| r.2).max() else { continue };
                    let (done, rest): (Vec<_>, Vec<_>) = buf.into_iter().partition(|r| r.2.is_some_and(|t| t < hi));
                    buf = rest;
                    if done.is_empty() {
                        continue;
                    }
                    let q = IdQuery { updated_from: lo, updated_before: Some(hi), synced_since: since };
                    let step = mend::<E>(&client, &ids, &table, q, done, lists, &klasses, &shaper, &bm).await?;
                    lo = Some(hi);
                    if let Some(step) = step {
                        yield step;
                    }
                }
            }
            let q = IdQuery { updated_from: lo, updated_before: Some(split), synced_since: since };
            if let Some(step) = mend::<E>(&client, &ids, &table, q, buf, lists, &klasses, &shaper, &bm).await? {
                yield step;
            }
        }
        .boxed()
    }
}

/// One range: the org's ids (with their `type`) against the destination's.
#[allow(clippy::too_many_arguments)]
async fn mend<E: Entity>(
    client: &Client,
    ids: &crate::writer::IdReader,
    table: &str,
    q: IdQuery,
    org: Vec<(String, String, Option<DateTime<Utc>>)>,
    lists: super::ListSource,
    klasses: &[String],
    shaper: &Arc<Shaper>,
    bm: &Bookmark,
) -> Result<Option<Step>, SyncError> {
    let loaded = ids.ids(table, q.clone()).await?;
    let have: HashSet<&str> = loaded.iter().map(String::as_str).collect();
    let known: HashSet<&str> = org.iter().map(|r| r.0.as_str()).collect();
    // Missing here, or here but not in the org's answer: ask by id.
    let mut asks: Vec<(String, Vec<String>)> = org
        .iter()
        .filter(|r| !have.contains(r.0.as_str()))
        .map(|r| {
            let kind = Some(r.1.as_str()).filter(|k| !k.is_empty());
            (r.0.clone(), lists.by_id(kind, &r.0, klasses))
        })
        .collect();
    asks.extend(
        loaded
            .iter()
            .filter(|id| !known.contains(id.as_str()))
            .map(|id| (id.clone(), lists.by_id(None, id, klasses))),
    );
    if asks.is_empty() {
        return Ok(None);
    }
    tracing::info!(table, from = ?q.updated_from, before = ?q.updated_before, loaded = loaded.len(), org = org.len(), asks = asks.len(), "first load: mending a range by id");
    let (records, vanished) = fetch_by_id::<E>(client, asks, shaper).await?;
    let mended = (records.len() + vanished.len()) as u64;
    Ok(Some(Step {
        records,
        vanished,
        mended,
        bookmark: bm.clone(),
    }))
}

/// Fetches each record by id (the first of its paths that has it): those
/// found, shaped, and the ids none has (gone from the org).
pub(crate) async fn fetch_by_id<E: Entity>(
    client: &Client,
    asks: Vec<(String, Vec<String>)>,
    shaper: &Arc<Shaper>,
) -> Result<(Vec<FlatRecord>, Vec<String>), SyncError> {
    let c = client.clone();
    let fetched: Vec<(String, Option<E>)> = futures::stream::iter(asks)
        .map(move |(id, paths)| {
            let c = c.clone();
            async move {
                for path in paths {
                    match c.get_one::<E>(&path).await {
                        Ok(r) => return Ok((id, Some(r))),
                        Err(e) if e.is_not_found() => continue,
                        Err(e) => return Err(SyncError::from(e)),
                    }
                }
                Ok((id, None))
            }
        })
        .buffer_unordered(FETCH_CONCURRENCY)
        .try_collect()
        .await?;
    let (mut records, mut vanished) = (Vec::new(), Vec::new());
    for (id, r) in fetched {
        match r {
            Some(r) => records.push(shaper.shape(r)),
            None => vanished.push(id),
        }
    }
    Ok((records, vanished))
}
