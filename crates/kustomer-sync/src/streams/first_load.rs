//! The first load of an incremental stream (and a re-sync): GET lists on the
//! org budget and search on the search budget at once, then reconciled by id
//! with the org's own counts.
//!
//! Search sees only the last two years and is the scarce budget (100
//! requests a minute); the plain GET lists see every live record at full
//! attributes on the org budget. So a first load:
//!
//! 1. picks a hand-over instant `split` inside search's window, so that the
//!    records search must read (updated at or after `split`) and those the
//!    lists must read (created before it) take about as long on their two
//!    budgets: the load then lasts about max(search floor, org floor);
//! 2. reads the lists (several pages in flight) and the search keyset from
//!    `split` at once; a list observed in ascending `createdAt` order stops
//!    at the first page created wholly after `split` (search has those);
//!    anything created, changed or deleted meanwhile has `updatedAt >=
//!    split`, so search brings it;
//! 3. reconciles: offset paging over a live list skips records that shift
//!    across a page boundary, and an unchanged skipped record never reaches
//!    search. For `updatedAt < split` it compares the rows loaded with the
//!    counts of search plus archive search (which together see every live
//!    record once), halving time ranges where they differ, and in ranges
//!    small enough enumerates ids (ids only) to fetch what is missing by
//!    `GET` by id and mark what no longer exists. Bounded rounds.
//!
//! Every step's position is in the bookmark ([`FirstLoad`]), committed with
//! the rows it covers: a killed first load resumes where it stopped.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::stream::{BoxStream, FuturesOrdered};
use futures::{StreamExt, TryStreamExt};
use kustomer_api::search::{Criterion, QueryContext, SearchQuery, SortOrder};
use kustomer_api::{BudgetKind, Client, SEARCH_PAGE_CAP};
use kustomer_models::{Cell, Entity, FlatRecord, Page};
use serde::{Deserialize, Serialize};

use super::shape::Shaper;
use crate::bookmark::Bookmark;
use crate::dest::IdQuery;
use crate::engine::IdReader;
use crate::error::SyncError;
use crate::keyset::{keyset_stream, search_page, total_of, KeysetOptions};

/// List pages requested at once per list.
const LIST_CONCURRENCY: usize = 4;
/// Records per list page (the documented maximum of most lists).
const LIST_PAGE_SIZE: u32 = 100;
/// Records per search page.
const SEARCH_PAGE_SIZE: u32 = 500;
/// Fetches by id in flight at once.
const FETCH_CONCURRENCY: usize = 8;
/// A range whose counts differ is enumerated once it holds this few records.
const ENUMERATE_BELOW: usize = 2_000;
/// Reconciliation passes over the whole range.
const ROUNDS: usize = 3;

/// Where a first load stands (part of the stream's [`Bookmark`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstLoad {
    /// The hand-over instant: lists cover records created before it, search
    /// every record updated at or after it.
    pub split: DateTime<Utc>,
    /// The next page of each list (a list absent has not started).
    #[serde(default)]
    pub next_page: BTreeMap<String, u32>,
    /// Lists read to their end (or to `split`).
    #[serde(default)]
    pub lists_done: Vec<String>,
    /// The lists are refused (no role, no endpoint): archive search, then
    /// search, read everything instead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
    /// With `fallback`: archive search was read whole.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archive_done: bool,
}

/// Where a stream's GET lists are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSource {
    /// One list (`/v1/customers`); a record is at `{path}/{id}`.
    Path(&'static str),
    /// One list per klass (`/v1/klasses/{name}`); a KObject is at
    /// `/v1/klasses/{name}/{id}` and its `type` is `kobject.{name}`.
    Klasses,
}

impl ListSource {
    /// Every list path this run.
    pub fn paths(&self, klasses: &[String]) -> Vec<String> {
        match self {
            ListSource::Path(p) => vec![(*p).to_owned()],
            ListSource::Klasses => klasses.iter().map(|k| format!("/v1/klasses/{k}")).collect(),
        }
    }

    /// Where one record may be, from its JSON:API `type` if known: a KObject
    /// of unknown klass may be under any of them.
    pub fn by_id(&self, kind: Option<&str>, id: &str, klasses: &[String]) -> Vec<String> {
        match self {
            ListSource::Path(p) => vec![format!("{p}/{id}")],
            ListSource::Klasses => match kind.and_then(|k| k.strip_prefix("kobject.")) {
                Some(k) => vec![format!("/v1/klasses/{k}/{id}")],
                None => klasses.iter().map(|k| format!("/v1/klasses/{k}/{id}")).collect(),
            },
        }
    }
}

/// What a first load needs besides its records' shaping.
pub(crate) struct FirstLoadPlan {
    pub client: Client,
    pub context: QueryContext,
    pub lists: ListSource,
    pub klasses: Vec<String>,
    pub ids: Option<IdReader>,
    pub table: String,
    pub run_started: DateTime<Utc>,
    pub start_date: Option<DateTime<Utc>>,
    /// Shapes records into rows (the stream's own shaper).
    pub shaper: Arc<Shaper>,
    /// Detail lists fetched per record (on the org budget, however read).
    pub details_per_record: usize,
}

/// One step of a first load: records, and the bookmark that covers them.
pub(crate) struct Step {
    pub records: Vec<FlatRecord>,
    pub vanished: Vec<String>,
    /// Records mended by the reconciliation (fetched or gone).
    pub mended: u64,
    pub bookmark: Bookmark,
}

/// A record's `updatedAt`.
#[derive(Debug, Deserialize)]
struct IdAt {
    #[serde(default)]
    attributes: At,
}

#[derive(Debug, Default, Deserialize)]
struct At {
    #[serde(rename = "updatedAt", default)]
    updated_at: Option<DateTime<Utc>>,
}

/// A record's id and `type`, all an enumeration needs.
#[derive(Debug, Deserialize)]
struct IdOnly {
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
}

fn counting_query(ctx: &QueryContext, from: Option<DateTime<Utc>>, before: Option<DateTime<Utc>>) -> SearchQuery {
    let field = ctx.updated_at_field();
    let mut q = SearchQuery::new(ctx.clone())
        .sort(field.clone(), SortOrder::Asc)
        .include_deleted(false);
    if let Some(t) = from {
        q = q.and(Criterion::gte(&field, t));
    }
    if let Some(t) = before {
        q = q.and(Criterion::lt(&field, t));
    }
    q
}

/// Live records updated in `[from, before)` as search plus archive search
/// count them (each sees one side of the two-year window).
async fn org_count(
    client: &Client,
    ctx: &QueryContext,
    from: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
) -> Result<usize, SyncError> {
    let q = counting_query(ctx, from, before);
    let mut n = 0;
    for archive in [false, true] {
        let p: Page<IdOnly> = search_page(client, archive, &q, 1, 1).await?;
        n += total_of(&p).unwrap_or(p.data.len());
    }
    Ok(n)
}

/// Every live record in `[from, before)`, ids only, from both searches.
async fn org_ids(
    client: &Client,
    ctx: &QueryContext,
    from: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
) -> Result<Vec<IdOnly>, SyncError> {
    let q = counting_query(ctx, from, before);
    let mut out = Vec::new();
    for archive in [false, true] {
        for page_no in 1..=SEARCH_PAGE_CAP {
            let page: Page<IdOnly> = search_page(client, archive, &q, page_no, SEARCH_PAGE_SIZE).await?;
            let more = page.links.next.is_some() && !page.data.is_empty();
            out.extend(page.data);
            if !more {
                break;
            }
        }
    }
    Ok(out)
}

impl FirstLoadPlan {
    /// The hand-over instant that balances the two budgets: search reads
    /// what was updated at or after it, the lists what was created before.
    pub(crate) async fn choose_split(&self) -> Result<DateTime<Utc>, SyncError> {
        // The newest record says what time it is on the server: records
        // changed during the load are stamped after it, so a split no later
        // than it hands every change to search.
        // Two searches: everything search sees, newest first (its total,
        // and the newest record says what time it is on the server: records
        // changed during the load are stamped after it, so a split no later
        // than it hands every change to search), and the archive's count.
        // Then assume the window's records are spread evenly in time: close
        // enough, since a misjudged split costs time, never records.
        let newest_q = SearchQuery::new(self.context.clone())
            .sort(self.context.updated_at_field(), SortOrder::Desc)
            .include_deleted(false);
        let archive_q = counting_query(&self.context, None, None);
        let (recent, archived) = futures::try_join!(
            self.client.search_page::<IdAt>(&newest_q, 1, 1),
            self.client.archive_search_page::<IdOnly>(&archive_q, 1, 1),
        )?;
        let newest: Option<DateTime<Utc>> = recent.data.first().and_then(|r| r.attributes.updated_at);
        let (recent, archived) = (total_of(&recent).unwrap_or(0), total_of(&archived).unwrap_or(0));
        // Search's window, less a day for clocks that disagree.
        let now = newest.map_or(self.run_started, |n| n.max(self.run_started));
        let window = now - Duration::days(729);
        let floor = window.max(self.start_date.unwrap_or(window));
        let newest = newest.unwrap_or(floor).max(floor);
        // Minutes per record on each budget: a list page holds 100, a search
        // page 500, and every record also costs its detail lists on the org
        // budget wherever it was read. Search takes the share that makes
        // both budgets finish together.
        let (org, search) = (
            self.client.paced_rate(BudgetKind::Org).max(1.0),
            self.client.paced_rate(BudgetKind::Search).max(1.0),
        );
        let listed = 1.0 / (f64::from(LIST_PAGE_SIZE) * org);
        let searched = 1.0 / (f64::from(SEARCH_PAGE_SIZE) * search);
        let details = self.details_per_record as f64 / org;
        let share = ((listed + details) / (searched + listed)).min(1.0);
        let target = (recent + archived) as f64 * share;
        let split = if recent as f64 <= target || recent == 0 {
            floor
        } else {
            let keep = 1.0 - target / recent as f64;
            floor + Duration::milliseconds(((newest - floor).num_milliseconds() as f64 * keep) as i64)
        };
        tracing::info!(context = self.context.as_str(), recent, archived, %split, "first load: lists before the split, search after");
        Ok(split)
    }

    /// Why the lists cannot be read (403 without the role, 404 without the
    /// endpoint), if they cannot: asked with one record of the first list.
    pub(crate) async fn lists_refused(&self) -> Result<Option<String>, SyncError> {
        let Some(path) = self.lists.paths(&self.klasses).into_iter().next() else {
            return Ok(None);
        };
        match self
            .client
            .get_page::<serde::de::IgnoredAny>(&format!("{path}?page=1&pageSize=1"))
            .await
        {
            Ok(_) => Ok(None),
            Err(e) if e.is_forbidden() || e.is_not_found() => Ok(Some(format!("GET {path}: {e}"))),
            Err(e) => Err(e.into()),
        }
    }

    /// Without the lists: every record archive search has (thin: scalar
    /// attributes only), as keyset batches; the bookmark stays where it is
    /// until the archive is read whole, then says so.
    pub(crate) fn archive<E: Entity>(&self, start: Bookmark) -> BoxStream<'static, Result<Step, SyncError>> {
        let mut opts = KeysetOptions::new(self.context.clone());
        opts.archive = true;
        opts.start_date = self.start_date;
        let keyset = keyset_stream::<E>(self.client.clone(), opts, Bookmark::default());
        let shaper = self.shaper.clone();
        async_stream::try_stream! {
            futures::pin_mut!(keyset);
            while let Some(b) = keyset.try_next().await? {
                let records = b.records.into_iter().map(|r| shaper.shape(r)).collect();
                yield Step { records, vanished: Vec::new(), mended: 0, bookmark: start.clone() };
            }
            let mut done = start;
            if let Some(fl) = done.first_load.as_mut() {
                fl.archive_done = true;
            }
            yield Step { records: Vec::new(), vanished: Vec::new(), mended: 0, bookmark: done };
        }
        .boxed()
    }

    /// Reads the lists and search at once from `start`, yielding steps.
    pub(crate) fn load<E: Entity>(&self, start: Bookmark) -> BoxStream<'static, Result<Step, SyncError>> {
        let fl = start.first_load.clone().expect("a first load has its state");
        let mut opts = KeysetOptions::new(self.context.clone());
        opts.page_size = SEARCH_PAGE_SIZE;
        opts.start_date = Some(fl.split);
        let keyset = keyset_stream::<E>(self.client.clone(), opts.clone(), start.clone()).map_ok(Part::Search);
        let lists = self
            .lists
            .paths(&self.klasses)
            .into_iter()
            .filter(|p| !fl.fallback && !fl.lists_done.contains(p))
            .map(|p| {
                let page = fl.next_page.get(&p).copied().unwrap_or(1);
                list_pages::<E>(self.client.clone(), p, page, fl.split, self.shaper.clone())
            })
            .collect::<Vec<_>>();
        let lists = futures::stream::iter(lists).flatten();
        let merged = futures::stream::select(keyset, lists);
        let start_date = self.start_date;
        let client = self.client.clone();
        let shaper = self.shaper.clone();
        let updated_col = shaper.tables().parent.column_index("updated_at");
        async_stream::try_stream! {
            let mut bm = start;
            futures::pin_mut!(merged);
            while let Some(part) = merged.try_next().await? {
                let records = match part {
                    Part::Search(b) => {
                        bm = adopt(bm, b.bookmark);
                        b.records.into_iter().map(|r| shaper.shape(r)).collect()
                    }
                    Part::List { path, next, records } => {
                        let fl = bm.first_load.as_mut().expect("state");
                        match next {
                            Some(n) => {
                                fl.next_page.insert(path, n);
                            }
                            None => {
                                fl.next_page.remove(&path);
                                fl.lists_done.push(path);
                            }
                        }
                        // A start date bounds the lists too.
                        records
                            .into_iter()
                            .filter(|r| start_date.is_none_or(|s| timestamp(r, updated_col).is_none_or(|u| u >= s)))
                            .collect()
                    }
                };
                yield Step { records, vanished: Vec::new(), mended: 0, bookmark: bm.clone() };
            }
            // What changed while the lists were still read after search
            // caught up (always one more search: which request the server saw
            // last is unknowable here).
            let catch_up = keyset_stream::<E>(client, opts, bm.clone());
            futures::pin_mut!(catch_up);
            while let Some(b) = catch_up.try_next().await? {
                bm = adopt(bm, b.bookmark);
                let records = b.records.into_iter().map(|r| shaper.shape(r)).collect();
                yield Step { records, vanished: Vec::new(), mended: 0, bookmark: bm.clone() };
            }
        }
        .boxed()
    }

    /// Compares what the first load wrote (updated before `split`) with the
    /// org's counts and mends the difference; yields what it fetched.
    pub(crate) fn reconcile<E: Entity>(&self, bm: Bookmark) -> BoxStream<'static, Result<Step, SyncError>> {
        let Some(ids) = self.ids.clone() else {
            return futures::stream::empty().boxed();
        };
        let split = bm.first_load.as_ref().map(|f| f.split).unwrap_or(self.run_started);
        let since = bm.full_read_started;
        let (client, ctx, table, lists) = (
            self.client.clone(),
            self.context.clone(),
            self.table.clone(),
            self.lists,
        );
        let klasses = self.klasses.clone();
        let from = self.start_date;
        let shaper = self.shaper.clone();
        async_stream::try_stream! {
            for round in 1..=ROUNDS {
                let mut ranges: Vec<(Option<DateTime<Utc>>, DateTime<Utc>)> = vec![(from, split)];
                let mut mended = 0usize;
                while let Some((lo, hi)) = ranges.pop() {
                    let q = IdQuery { updated_from: lo, updated_before: Some(hi), synced_since: since };
                    // Counted, not listed: the first range is all history.
                    let loaded = match ids.count(&table, q.clone()).await {
                        Ok(n) => n as usize,
                        Err(e) => {
                            tracing::warn!(table = %table, error = %e, "first load not reconciled: the destination cannot list ids");
                            return;
                        }
                    };
                    let expected = org_count(&client, &ctx, lo, Some(hi)).await?;
                    if loaded == expected {
                        continue;
                    }
                    let lo_t = lo.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
                    if expected + loaded > ENUMERATE_BELOW && hi - lo_t > Duration::milliseconds(1) {
                        let mid = lo_t + (hi - lo_t) / 2;
                        ranges.push((Some(mid), hi));
                        ranges.push((lo, mid));
                        continue;
                    }
                    tracing::info!(table = %table, round, loaded, expected, from = ?lo, before = %hi, "first load: mending a range");
                    let loaded = ids.ids(&table, q).await?;
                    let org: Vec<IdOnly> = org_ids(&client, &ctx, lo, Some(hi)).await?;
                    let have: HashSet<&str> = loaded.iter().map(String::as_str).collect();
                    let known: HashSet<&str> = org.iter().map(|r| r.id.as_str()).collect();
                    // Missing here, or here but not in the org's answer: ask by id.
                    let mut asks: Vec<(String, Vec<String>)> = org
                        .iter()
                        .filter(|r| !have.contains(r.id.as_str()))
                        .map(|r| (r.id.clone(), lists.by_id(Some(&r.kind).filter(|k| !k.is_empty()).map(String::as_str), &r.id, &klasses)))
                        .collect();
                    asks.extend(
                        loaded
                            .iter()
                            .filter(|id| !known.contains(id.as_str()))
                            .map(|id| (id.clone(), lists.by_id(None, id, &klasses))),
                    );
                    mended += asks.len();
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
                    let mut records = Vec::new();
                    let mut vanished = Vec::new();
                    for (id, r) in fetched {
                        match r {
                            Some(r) => records.push(shaper.shape(r)),
                            None => vanished.push(id),
                        }
                    }
                    let mended = (records.len() + vanished.len()) as u64;
                    yield Step { records, vanished, mended, bookmark: bm.clone() };
                }
                if mended == 0 {
                    break;
                }
            }
        }
        .boxed()
    }
}

enum Part<E> {
    Search(crate::keyset::KeysetBatch<E>),
    List {
        path: String,
        /// The next page to read, `None` at the end.
        next: Option<u32>,
        records: Vec<FlatRecord>,
    },
}

/// The pages of one list from `page` on, several in flight. A list seen in
/// ascending `createdAt` order ends at the first page created wholly at or
/// after `split`: search reads those.
fn list_pages<E: Entity>(
    client: Client,
    path: String,
    page: u32,
    split: DateTime<Utc>,
    shaper: Arc<Shaper>,
) -> BoxStream<'static, Result<Part<E>, SyncError>> {
    let created_col = shaper.tables().parent.column_index("created_at");
    async_stream::try_stream! {
        let mut next = page;
        let mut in_flight = FuturesOrdered::new();
        let mut ascending = true;
        let mut last_created: Option<DateTime<Utc>> = None;
        loop {
            while in_flight.len() < LIST_CONCURRENCY {
                let (c, q) = (client.clone(), format!("{path}?page={next}&pageSize={LIST_PAGE_SIZE}"));
                in_flight.push_back(async move { c.get_page::<E>(&q).await });
                next += 1;
            }
            let Some(res) = in_flight.next().await else { break };
            let p: Page<E> = res?;
            let page_no = next - in_flight.len() as u32 - 1;
            let end = p.links.next.is_none() || p.data.is_empty();
            let records: Vec<FlatRecord> = p.data.into_iter().map(|r| shaper.shape(r)).collect();
            let created: Vec<Option<DateTime<Utc>>> = records.iter().map(|r| timestamp(r, created_col)).collect();
            for c in &created {
                match (c, last_created) {
                    (Some(c), Some(l)) if *c < l => ascending = false,
                    (None, _) => ascending = false,
                    _ => {}
                }
                if c.is_some() {
                    last_created = *c;
                }
            }
            let past_split = ascending && !created.is_empty() && created.iter().all(|c| c.is_some_and(|c| c >= split));
            let done = end || past_split;
            yield Part::List { path: path.clone(), next: (!done).then_some(page_no + 1), records };
            if done {
                break;
            }
        }
    }
    .boxed()
}

/// The keyset's new position, keeping the first load's own state (the
/// keyset started from an older copy of it).
fn adopt(current: Bookmark, keyset: Bookmark) -> Bookmark {
    Bookmark {
        first_load: current.first_load,
        full_read_started: current.full_read_started,
        ..keyset
    }
}

/// A timestamp cell of a record's parent row.
fn timestamp(r: &FlatRecord, col: Option<usize>) -> Option<DateTime<Utc>> {
    match r.row.get(col?) {
        Some(Cell::Timestamp(t)) => Some(*t),
        _ => None,
    }
}
