//! Keyset reading of search: past the 100-page cap and past any number of
//! records sharing one `updatedAt`, with no loss, no endless loop, and no
//! record emitted twice for the same position.
//!
//! Offset paging over a live, `updatedAt`-sorted result skips records (one
//! updated on page 1 moves to the end and page 2 starts a record later), so
//! every request is page 1 of `updatedAt >= bookmark`, and the records the
//! bookmark already covers are dropped by id. Only when a whole page shares
//! one instant does the stream page through that instant (a tie window,
//! `gte T` and `lte T`), repeating the window until the ids seen account for
//! the server's total, since a tie window can shrink while it is read.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures::Stream;
use kustomer_api::search::{Criterion, QueryContext, SearchQuery, SortOrder};
use kustomer_api::{Client, RESULT_WINDOW, SEARCH_PAGE_CAP};
use kustomer_models::{Entity, Page};

use crate::bookmark::Bookmark;
use crate::error::SyncError;

/// How a keyset stream reads.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct KeysetOptions {
    /// Which search context (`conversation`, …).
    pub context: QueryContext,
    /// Records per request (the server clamps at 500).
    pub page_size: u32,
    /// Lower bound of a first sync (no bookmark yet); `None` reads all history.
    pub start_date: Option<DateTime<Utc>>,
    /// Extra criteria (`conversation_status equals done`, …).
    pub filters: Vec<Criterion>,
    /// Ask for deleted records too, so their `deleted` flag is loaded.
    pub include_deleted: bool,
    /// How many times a tie window is re-read when its count falls short.
    pub max_tie_passes: u32,
    /// Read archive search (records untouched for two years, thin) instead
    /// of search.
    pub archive: bool,
}

impl KeysetOptions {
    /// Defaults for a context: 500 per page, deleted records included.
    pub fn new(context: QueryContext) -> Self {
        KeysetOptions {
            context,
            page_size: 500,
            start_date: None,
            filters: Vec::new(),
            include_deleted: true,
            max_tie_passes: 4,
            archive: false,
        }
    }

    /// Records per request.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n;
        self
    }

    /// Lower bound of a first sync.
    pub fn start_date(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.start_date = at;
        self
    }

    /// Adds a criterion.
    pub fn filter(mut self, c: Criterion) -> Self {
        self.filters.push(c);
        self
    }

    /// Whether deleted records are asked for too.
    pub fn include_deleted(mut self, yes: bool) -> Self {
        self.include_deleted = yes;
        self
    }

    /// How many times a tie window is re-read.
    pub fn max_tie_passes(mut self, n: u32) -> Self {
        self.max_tie_passes = n;
        self
    }

    /// Reads archive search instead of search.
    pub fn archive(mut self, yes: bool) -> Self {
        self.archive = yes;
        self
    }
}

/// Records of one page and the bookmark that covers them (and everything
/// before). A destination that commits both together can never lose or
/// double-count across a crash.
#[derive(Debug)]
#[non_exhaustive]
pub struct KeysetBatch<E> {
    /// New records, in the order read.
    pub records: Vec<E>,
    /// The position after these records.
    pub bookmark: Bookmark,
}

/// One page of search, or of archive search.
pub(crate) async fn search_page<T: serde::de::DeserializeOwned>(
    client: &Client,
    archive: bool,
    q: &SearchQuery,
    page: u32,
    page_size: u32,
) -> Result<Page<T>, SyncError> {
    Ok(match archive {
        true => client.archive_search_page(q, page, page_size).await?,
        false => client.search_page(q, page, page_size).await?,
    })
}

/// A search item's id and `updatedAt`: all a count, a probe or the server's
/// clock needs, without decoding the whole record.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct IdAt {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub attributes: IdAtAttributes,
}

/// [`IdAt`]'s attributes.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct IdAtAttributes {
    #[serde(rename = "updatedAt", default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// The server's count of a search's matches (`meta.total`), if it gave one.
pub(crate) fn total_of<T>(page: &Page<T>) -> Option<usize> {
    page.meta.total.map(|c| c.0.max(0) as usize)
}

fn base_query(opts: &KeysetOptions) -> SearchQuery {
    let mut q = SearchQuery::new(opts.context.clone())
        .sort(opts.context.updated_at_field(), SortOrder::Asc)
        .include_deleted(opts.include_deleted);
    q.and.extend(opts.filters.iter().cloned());
    q
}

/// The last page number a query may ask for at `page_size`: the 100-page
/// cap, or the 10,000-record window, whichever comes first.
pub(crate) fn last_page(page_size: usize) -> u32 {
    (RESULT_WINDOW as usize / page_size.max(1)).clamp(1, SEARCH_PAGE_CAP as usize) as u32
}

/// Whether a query counted `total` matches holds more than fit in `capacity`
/// records. A total at the window itself may be a capped count
/// (Elasticsearch's `track_total_hits`), so it never counts as exact.
pub(crate) fn overflows(total: usize, capacity: usize) -> bool {
    total > capacity || total >= RESULT_WINDOW as usize
}

/// Effective page size: the server may clamp what was asked for.
fn served_page_size<E>(page: &Page<E>, asked: u32) -> usize {
    page.meta
        .page_size
        .map(|c| c.0.max(1) as usize)
        .unwrap_or(asked as usize)
        .min(asked as usize)
}

/// A lazy stream of batches from `start` onwards. Nothing is requested
/// before the first poll; the stream ends when it has caught up.
pub fn keyset_stream<E: Entity>(
    client: Client,
    opts: KeysetOptions,
    start: Bookmark,
) -> impl Stream<Item = Result<KeysetBatch<E>, SyncError>> + Send + 'static {
    async_stream::try_stream! {
        let field = opts.context.updated_at_field();
        let mut bm = start;
        loop {
            let mut q = base_query(&opts);
            match (bm.updated_at, bm.complete) {
                (None, _) => {
                    if let Some(s) = opts.start_date {
                        q = q.and(Criterion::gte(&field, s));
                    }
                }
                (Some(t), false) => q = q.and(Criterion::gte(&field, t)),
                (Some(t), true) => q = q.and(Criterion::gt(&field, t)),
            }
            let page: Page<E> = search_page(&client, opts.archive, &q, 1, opts.page_size).await?;
            let full = page.data.len() >= served_page_size(&page, opts.page_size);
            let first = page.data.first().and_then(Entity::updated_at);
            let last = page.data.last().and_then(Entity::updated_at);
            if let (true, Some(at)) = (full && first == last, first) {
                // A whole page at one instant: the group may be larger than a
                // page, so read it as a tie window before moving on.
                for await batch in tie_window::<E>(client.clone(), opts.clone(), at, bm.clone()) {
                    let batch = batch?;
                    bm = batch.bookmark.clone();
                    yield batch;
                }
                continue;
            }
            // A short page is not the end while the server says more follow
            // (a proxy or a busy shard can serve fewer than asked for).
            let more = page.links.next.is_some();
            let before = bm.clone();
            let mut records = Vec::with_capacity(page.data.len());
            for r in page.data {
                let (id, at) = (r.id().to_owned(), r.updated_at());
                if bm.covers(&id, at) {
                    continue;
                }
                bm.advance(&id, at);
                records.push(r);
            }
            let moved = bm != before;
            if !records.is_empty() || moved {
                yield KeysetBatch { records, bookmark: bm.clone() };
            }
            if !more || (!full && !moved) {
                break;
            }
            if !moved {
                // A full page that taught us nothing; never loop on it.
                Err(SyncError::Stalled { context: opts.context.as_str().to_owned(), at: bm.updated_at })?;
            }
        }
    }
}

/// Reads every record whose `updatedAt` is exactly `at`, by page number,
/// repeating a pass until the distinct ids seen reach the server's total.
/// A group larger than a query can page through (the 100-page cap, and the
/// 10,000-record window before it at 500 a page) is split by `createdAt`
/// (which never exceeds `updatedAt`) into windows that fit, halving the
/// range as needed.
fn tie_window<E: Entity>(
    client: Client,
    opts: KeysetOptions,
    at: DateTime<Utc>,
    start: Bookmark,
) -> impl Stream<Item = Result<KeysetBatch<E>, SyncError>> + Send + 'static {
    async_stream::try_stream! {
        let field = opts.context.updated_at_field();
        let created = opts.context.created_at_field();
        let mut bm = start;
        if bm.updated_at != Some(at) {
            bm.updated_at = Some(at);
            bm.ids_at.clear();
            bm.complete = false;
        }
        // Windows still to read, as inclusive createdAt ranges (None = unbounded).
        let mut windows: Vec<Option<(DateTime<Utc>, DateTime<Utc>)>> = vec![None];
        while let Some(window) = windows.pop() {
            let mut q = base_query(&opts).and(Criterion::gte(&field, at)).and(Criterion::lte(&field, at));
            if let Some((lo, hi)) = window {
                q = q.and(Criterion::gte(&created, lo)).and(Criterion::lte(&created, hi));
            }
            let mut seen: BTreeSet<String> = BTreeSet::new();
            let mut pass = 1;
            'pass: loop {
                let mut total = None;
                let mut page_no = 1u32;
                loop {
                    let page: Page<E> = search_page(&client, opts.archive, &q, page_no, opts.page_size).await?;
                    total = total_of(&page).or(total);
                    let served = served_page_size(&page, opts.page_size);
                    let cap = last_page(served);
                    if page_no == 1 && total.is_some_and(|t| overflows(t, served * cap as usize)) {
                        let (lo, hi) = window.unwrap_or((DateTime::<Utc>::UNIX_EPOCH, at));
                        if hi <= lo {
                            Err(SyncError::TieGroupTooLarge {
                                context: opts.context.as_str().to_owned(),
                                at,
                                total: total.unwrap_or(0),
                            })?;
                        }
                        let mid = lo + (hi - lo) / 2;
                        windows.push(Some((mid + chrono::Duration::milliseconds(1), hi)));
                        windows.push(Some((lo, mid)));
                        break 'pass;
                    }
                    let more = page.links.next.is_some() && !page.data.is_empty() && page_no < cap;
                    let mut records = Vec::new();
                    for r in page.data {
                        let id = r.id().to_owned();
                        seen.insert(id.clone());
                        if r.updated_at() != Some(at) || bm.covers(&id, Some(at)) {
                            continue;
                        }
                        bm.advance(&id, Some(at));
                        records.push(r);
                    }
                    if !records.is_empty() {
                        yield KeysetBatch { records, bookmark: bm.clone() };
                    }
                    if !more {
                        break;
                    }
                    page_no += 1;
                }
                // A window only shrinks (records leave it when updated), and a
                // record leaving shifts the others back a slot: if we saw fewer
                // ids than the server counts, one may have slipped past a page
                // boundary, so read the window again.
                match total {
                    Some(t) if seen.len() < t && pass < opts.max_tie_passes => {
                        tracing::debug!(context = opts.context.as_str(), %at, seen = seen.len(), total = t, pass, "re-reading tie window");
                        pass += 1;
                    }
                    _ => break,
                }
            }
        }
        bm.complete = true;
        yield KeysetBatch { records: Vec::new(), bookmark: bm };
    }
}
