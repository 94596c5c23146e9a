//! Streams: how each table is read. One file per way of reading (search by
//! keyset, `GET` lists, the audit-log cursor, per-parent detail lists).

mod audit;
mod backfill;
mod detail;
mod first_load;
mod list;
mod list_fallback;
mod search;

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use futures::stream::BoxStream;
use kustomer_api::Client;
use kustomer_models::{Entity, FlatRecord};

// The catalogue's streams: built by `catalog()`, run through `StreamDef`.
pub(crate) use audit::AuditLogStream;
pub(crate) use detail::Detail;
pub use detail::DetailSource;
pub use first_load::ListSource;
pub(crate) use list::{GetStream, RawStream};
pub(crate) use search::{SearchCompanion, SearchStream};

use crate::bookmark::Bookmark;
use crate::dest::{StreamTables, Sweep};
use crate::discovery::Discovery;
use crate::error::SyncError;
use crate::mode::{FirstLoadMode, Mode};

/// What a stream needs to run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamContext {
    /// The API client (shared budgets).
    pub client: Client,
    /// The stored bookmark, if any.
    pub bookmark: Option<Bookmark>,
    /// Start date for a first incremental sync.
    pub start_date: Option<DateTime<Utc>>,
    /// Search page size.
    pub search_page_size: u32,
    /// The stream's tables as resolved for this run.
    pub tables: Arc<StreamTables>,
    /// What the run discovered.
    pub discovery: Arc<Discovery>,
    /// When the run started (rows written are stamped with it).
    pub run_started: DateTime<Utc>,
    /// Child tables nobody wants this run (detail lists are not fetched).
    pub excluded: Arc<std::collections::HashSet<String>>,
    /// Only conversations whose status is done, with their messages and notes.
    pub resolved_only: bool,
    /// Reads the destination's ids (a first load's reconciliation); `None`
    /// when the stream runs without an engine.
    pub ids: Option<crate::writer::IdReader>,
    /// How a first load (or re-sync) of a search stream reads.
    pub first_load: FirstLoadMode,
    /// Which part of the detail lists this pass reads.
    pub details: DetailPass,
    /// Parents the detail backfill reads this run (`None`: all).
    pub details_per_run: Option<u64>,
}

impl StreamContext {
    /// A context to run a stream on its own, without an engine: no bookmark
    /// (from the start), search's largest pages, details read with each
    /// batch, nothing discovered (set [`StreamContext::discovery`] for the
    /// org's custom attributes), no destination to reconcile against.
    pub fn new(client: Client, tables: Arc<StreamTables>) -> Self {
        StreamContext {
            client,
            bookmark: None,
            start_date: None,
            search_page_size: 500,
            tables,
            discovery: Arc::default(),
            run_started: Utc::now().trunc_subsecs(6),
            excluded: Arc::default(),
            resolved_only: false,
            ids: None,
            first_load: FirstLoadMode::default(),
            details: DetailPass::Inline,
            details_per_run: None,
        }
    }
}

/// Which detail lists a stream's pass reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DetailPass {
    /// With each batch.
    #[default]
    Inline,
    /// The core tables: a full read leaves the detail lists for later.
    Core,
    /// Only the backfill a full read left ([`crate::bookmark::DetailBackfill`]).
    Backfill,
}

/// Flattened records of one page and the bookmark that covers them.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Batch {
    /// Records, flattened, each with a row for every table of the stream.
    pub records: Vec<FlatRecord>,
    /// Records of other streams loaded with these (by stream name): a
    /// resolved conversation's messages and notes.
    pub companions: Vec<(&'static str, Vec<FlatRecord>)>,
    /// After a complete read: rows not seen since this instant vanished
    /// (the engine fills in how they are deleted).
    pub sweep: Option<Sweep>,
    /// Ids of records the source no longer has (a fetch by id answered
    /// 404): marked deleted, or removed with hard deletes.
    pub vanished: Vec<String>,
    /// How many of these records a reconciliation fetched or found gone.
    pub reconciled: u64,
    /// The bookmark after them (incremental streams).
    pub bookmark: Option<Bookmark>,
    /// Child tables these records do not carry, with why (a detail list the
    /// API refused for want of a role): their rows are left as they are.
    pub skipped_tables: Vec<(String, String)>,
    /// Something the run report should say about how the stream read (a
    /// fallback taken).
    pub note: Option<String>,
    /// Child tables these records do not carry yet (detail lists left for
    /// after the core tables): their rows are left as they are.
    pub deferred_tables: Vec<String>,
}

impl Batch {
    /// Records and the bookmark after them.
    pub fn new(records: Vec<FlatRecord>, bookmark: Option<Bookmark>) -> Self {
        Batch {
            records,
            bookmark,
            ..Batch::default()
        }
    }
}

/// A stream of the catalogue.
pub trait StreamDef: Send + Sync {
    /// Stream name (= its parent table).
    fn name(&self) -> &str;
    /// Its mode.
    fn mode(&self) -> Mode;
    /// The role a token needs to read it (named when the API refuses).
    fn role(&self) -> String;
    /// The tables it fills this run.
    fn tables(&self, discovery: &Discovery) -> StreamTables;
    /// Its batches, lazily.
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>>;
    /// The singular of its entity (`conversation`), which names history tables.
    fn singular(&self) -> Option<&str> {
        None
    }
    /// Streams whose records this one loads itself in resolved-only runs
    /// (those streams do not run on their own then).
    fn companions(&self, resolved_only: bool) -> Vec<&'static str> {
        let _ = resolved_only;
        Vec::new()
    }
    /// The one small request that tells whether the token may read the
    /// stream, and what a full read costs (`sync --check`); `None`: not probed.
    fn probe(&self) -> Option<Probe> {
        None
    }
}

/// How `sync --check` asks a stream's endpoint with one small request, and
/// what its read costs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Probe {
    /// An incremental stream: one search (`pageSize=1`) in `context`,
    /// counted within search's window and in archive search. A first load
    /// also reads `lists` and, for every record, its detail lists.
    Search {
        /// The search context.
        context: kustomer_api::search::QueryContext,
        /// The first load's GET lists, if any.
        lists: Option<ListSource>,
        /// Search may refuse the context (400): the list is then read in full.
        list_fallback: bool,
        /// Per-parent detail lists (one request per record each).
        details: Vec<ProbeDetail>,
    },
    /// A paged GET list, asked with `page=1&pageSize=1`; a full read takes one
    /// request per `page_size` records, and `per_record` more per record.
    List {
        /// The list's path (its query, if any, kept).
        path: String,
        /// Records per request of a full read.
        page_size: u32,
        /// Requests per record besides the pages (a schedule's holidays).
        per_record: u32,
    },
    /// Endpoints read in one request each (an object, a body of its own
    /// shape): the first is asked.
    Fixed {
        /// Every path a full read requests.
        paths: Vec<String>,
    },
    /// A cursor list (`count=1` asked), `page_size` entries a request.
    Cursor {
        /// The path.
        path: String,
        /// Entries per request.
        page_size: u32,
    },
}

/// A per-parent detail list of a [`Probe::Search`] stream.
#[derive(Clone)]
#[non_exhaustive]
pub struct ProbeDetail {
    /// The detail table.
    pub table: String,
    /// Reads one parent's list (asked with the first record search found).
    pub source: Arc<dyn DetailSource>,
}

impl ProbeDetail {
    /// The detail `source`, filling `table`.
    pub fn new(table: impl Into<String>, source: Arc<dyn DetailSource>) -> Self {
        ProbeDetail {
            table: table.into(),
            source,
        }
    }
}

impl std::fmt::Debug for ProbeDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeDetail")
            .field("table", &self.table)
            .field("role", &self.source.role())
            .finish()
    }
}

/// The fixed tables of an entity.
pub(crate) fn entity_tables<E: Entity>() -> StreamTables {
    let s = E::schema();
    StreamTables::new(s.table.clone(), s.children.clone())
}

/// `org.permission.<resource>.read` from an API path (`/v1/routing/queues` → `routing`).
pub(crate) fn role_for_path(path: &str) -> String {
    let first = path.trim_start_matches('/').split('/').nth(1).unwrap_or("");
    format!("org.permission.{}.read", first.replace('-', "_"))
}
