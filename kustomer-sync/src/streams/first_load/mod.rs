//! The first load of an incremental stream (and a re-sync): search for
//! the last two years, the GET lists for what is older, then an exact check
//! by id.
//!
//! No query of the API reaches past its 10,000th record (GET lists and
//! search alike), search sees only the last two years, and archive search
//! sees the rest but thin (scalar attributes) and may be missing (a role,
//! a plan). So a first load:
//!
//! 1. hands the two years to search at full attributes: the keyset from the
//!    split (the window's start), which also brings everything created,
//!    changed or deleted while the load runs;
//! 2. reads the GET lists at the same time on the org budget, for what is
//!    older (full attributes, 100 a request); a list seen in ascending
//!    `createdAt` order stops at the first page created wholly after the
//!    split, and no list is paged past the 10,000-record window;
//! 3. reconciles exactly ([`reconcile`]): the org's ids before the split,
//!    enumerated by keyset through archive search and search, against the
//!    destination's, range by range; what is missing (beyond a list's
//!    window, or skipped by offset paging over a live list) is fetched by
//!    `GET` by id, and what the org no longer has is marked vanished.
//!    Without archive search, records untouched for two years are loaded as
//!    far as the lists reach and reported unverified.
//!
//! Every step's position is in the bookmark ([`FirstLoad`](crate::bookmark::FirstLoad)), committed with
//! the rows it covers: a killed first load resumes where it stopped.

mod lists;
mod per_parent;
mod reconcile;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::search::{QueryContext, SearchQuery, SortOrder};
use kustomer_api::Client;
use kustomer_models::{Cell, Entity, FlatRecord};

use self::lists::{list_pages, ListEnd};
pub(crate) use self::reconcile::fetch_by_id;
use crate::bookmark::Bookmark;
use crate::error::SyncError;
use crate::keyset::{keyset_stream, IdAt, KeysetOptions};
use crate::shaping::Shaper;
use crate::writer::IdReader;

/// Records per search page.
const SEARCH_PAGE_SIZE: u32 = 500;
/// Search's window (two years) less a day, for clocks that disagree.
const WINDOW: Duration = Duration::days(729);

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
#[derive(Clone)]
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
}

/// One step of a first load: records, and the bookmark that covers them.
pub(crate) struct Step {
    pub records: Vec<FlatRecord>,
    pub vanished: Vec<String>,
    /// Records mended by the reconciliation (fetched or gone).
    pub mended: u64,
    pub bookmark: Bookmark,
}

/// Whether an error says this endpoint is not for us (no endpoint, no role,
/// a billing feature, a refused field), as opposed to a failure to retry or
/// a token that works nowhere.
pub(super) fn refused(e: &kustomer_api::Error) -> bool {
    !e.is_unauthorized() && matches!(e.status(), Some(400 | 401 | 403 | 404))
}

impl FirstLoadPlan {
    /// Search's window as the server sees it, less a day.
    pub(crate) fn window_floor(&self) -> DateTime<Utc> {
        self.run_started - WINDOW
    }

    /// The hand-over instant, and why archive search cannot be read (if it
    /// cannot). Search reads its whole window at full attributes (the
    /// reconciliation enumerates it anyway, so handing it part of the
    /// window to the lists would save no search request); the lists read
    /// what is older. The newest record says what time it is on the server.
    pub(crate) async fn choose_split(&self) -> Result<(DateTime<Utc>, Option<String>), SyncError> {
        let newest_q = SearchQuery::new(self.context.clone())
            .sort(self.context.updated_at_field(), SortOrder::Desc)
            .include_deleted(false);
        let recent = self.client.search_page::<IdAt>(&newest_q, 1, 1).await?;
        let newest = recent.data.first().and_then(|r| r.attributes.updated_at);
        let now = newest.map_or(self.run_started, |n| n.max(self.run_started));
        let floor = now - WINDOW;
        let split = floor.max(self.start_date.unwrap_or(floor));
        let archive_refused = self.archive_refused().await?;
        tracing::info!(context = self.context.as_str(), %split, archive = archive_refused.is_none(), "first load: search from the split, lists before it");
        Ok((split, archive_refused))
    }

    /// Why archive search cannot be read, asked with one record.
    async fn archive_refused(&self) -> Result<Option<String>, SyncError> {
        if self.context == QueryContext::Note {
            return Ok(Some("archive search has no note fields".to_owned()));
        }
        let q = SearchQuery::new(self.context.clone())
            .sort(self.context.updated_at_field(), SortOrder::Asc)
            .include_deleted(false);
        match self.client.archive_search_page::<IdAt>(&q, 1, 1).await {
            Ok(_) => Ok(None),
            Err(e) if refused(&e) => Ok(Some(format!("archive search refused: {e}"))),
            Err(e) => Err(e.into()),
        }
    }

    /// Why the lists cannot be read (a role, no endpoint), if they cannot:
    /// asked with one record of the first list.
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
            Err(e) if refused(&e) => Ok(Some(format!("GET {path}: {e}"))),
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
        let refused = start.first_load.as_ref().and_then(|f| f.archive_refused.clone());
        let keyset = keyset_stream::<E>(self.client.clone(), opts, Bookmark::default());
        let (shaper, table) = (self.shaper.clone(), self.table.clone());
        async_stream::try_stream! {
            match refused {
                Some(why) => tracing::warn!(stream = %table, "records untouched for two years are not loaded: {why}"),
                None => {
                    futures::pin_mut!(keyset);
                    while let Some(b) = keyset.try_next().await? {
                        let records = b.records.into_iter().map(|r| shaper.shape(r)).collect();
                        yield Step { records, vanished: Vec::new(), mended: 0, bookmark: start.clone() };
                    }
                }
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
                    Part::List { path, end, records } => {
                        let fl = bm.first_load.as_mut().expect("state");
                        match end {
                            ListEnd::More(n) => {
                                fl.next_page.insert(path, n);
                            }
                            ListEnd::Done => {
                                fl.next_page.remove(&path);
                                fl.lists_done.push(path);
                            }
                            ListEnd::Windowed(why) => {
                                fl.next_page.remove(&path);
                                fl.lists_done.push(path);
                                fl.lists_windowed.push(why);
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
}

enum Part<E> {
    Search(crate::keyset::KeysetBatch<E>),
    List {
        path: String,
        /// How the list goes on.
        end: ListEnd,
        records: Vec<FlatRecord>,
    },
}

/// The keyset's new position, keeping the first load's own state (the
/// keyset started from an older copy of it).
fn adopt(current: Bookmark, keyset: Bookmark) -> Bookmark {
    Bookmark {
        first_load: current.first_load,
        full_read_started: current.full_read_started,
        details: current.details,
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
