//! Destinations: where rows land. Every destination implements
//! [`Destination`]; the engine never knows which one it writes to.
//!
//! The SQL destinations share one merge: [`plan`] turns a [`WriteBatch`]
//! into ordered steps (in [`plan::WRITE_ORDER`]) written in a
//! [`dialect::Dialect`]; each destination only runs them (its staging and
//! statement I/O). The Delta destination computes the same plan in an
//! in-memory DuckDB database and commits the result per table.

#[cfg(feature = "duckdb")]
pub mod arrow;
#[cfg(feature = "delta")]
pub mod delta;
#[cfg(any(feature = "duckdb", feature = "postgres"))]
pub mod dialect;
#[cfg(feature = "duckdb")]
pub mod duckdb;
#[cfg(any(feature = "duckdb", feature = "postgres"))]
pub mod plan;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "postgres", feature = "delta"))]
mod runtime;
#[cfg(any(feature = "duckdb", feature = "postgres"))]
pub mod sql;
pub mod types;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kustomer_models::{Column, FlatRecord, LogicalType, TableDef};

use crate::error::SyncError;

/// The tables one stream writes: its parent table and the parent's child
/// tables (in the order of [`FlatRecord::children`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamTables {
    /// The parent table.
    pub parent: TableDef,
    /// Child tables.
    pub children: Vec<TableDef>,
    /// History tables (history mode): one row per observed version of a
    /// parent (or of its child rows), derived from the tables above.
    pub history: Vec<HistoryTable>,
}

/// A history table: every version of the rows of one of the stream's tables.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryTable {
    /// Which table it keeps versions of: 0 = the parent, `i + 1` = `children[i]`.
    pub source: usize,
    /// Its definition: the source's columns, then [`VALID_FROM`], [`VALID_TO`]
    /// and [`IS_CURRENT`]; keyed by the source's key plus [`VALID_FROM`].
    pub def: TableDef,
}

pub use crate::columns::{DELETED, DELETED_AT, IS_CURRENT, STATE_TABLE, SYNCED_AT, VALID_FROM, VALID_TO};

impl StreamTables {
    /// Tables of a parent and its children, without history.
    pub fn new(parent: TableDef, children: Vec<TableDef>) -> Self {
        StreamTables {
            parent,
            children,
            history: Vec::new(),
        }
    }

    /// Every table, history tables last.
    pub fn all(&self) -> impl Iterator<Item = &TableDef> {
        std::iter::once(&self.parent)
            .chain(self.children.iter())
            .chain(self.history.iter().map(|h| &h.def))
    }

    /// The parent and its child tables (what a record's rows fill).
    pub fn data(&self) -> impl Iterator<Item = &TableDef> {
        std::iter::once(&self.parent).chain(self.children.iter())
    }

    /// Adds the bookkeeping columns every parent table carries:
    /// [`DELETED`], [`DELETED_AT`], [`SYNCED_AT`] (the engine fills them).
    pub fn with_system_columns(mut self) -> Self {
        self.parent.columns.extend([
            Column::required(DELETED, LogicalType::Boolean),
            Column::new(DELETED_AT, LogicalType::Timestamp),
            Column::required(SYNCED_AT, LogicalType::Timestamp),
        ]);
        self
    }

    /// Adds history tables for the parent (`{singular}_history`) and for the
    /// child tables named `{singular}_{field}` (`{singular}_history_{field}`).
    pub fn with_history(mut self, singular: &str) -> Self {
        let prefix = format!("{singular}_");
        let mut history = vec![HistoryTable {
            source: 0,
            def: history_def(&self.parent, format!("{singular}_history")),
        }];
        for (i, c) in self.children.iter().enumerate() {
            if let Some(field) = c.name.strip_prefix(&prefix) {
                history.push(HistoryTable {
                    source: i + 1,
                    def: history_def(c, format!("{singular}_history_{field}")),
                });
            }
        }
        self.history = history;
        self
    }
}

fn history_def(source: &TableDef, name: String) -> TableDef {
    let mut def = source.clone();
    def.name = name;
    def.columns.extend([
        Column::required(VALID_FROM, LogicalType::Timestamp),
        Column::new(VALID_TO, LogicalType::Timestamp),
        Column::required(IS_CURRENT, LogicalType::Boolean),
    ]);
    def.primary_key.push(VALID_FROM.to_owned());
    def
}

/// Rows that vanished: after a complete read, parent rows last written before
/// `before` were not seen and no longer exist in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// Rows whose [`SYNCED_AT`] is earlier than this were not seen.
    pub before: DateTime<Utc>,
    /// Only rows whose column is at or after this instant (a read that
    /// covered a window, such as search's two years, says nothing of older rows).
    pub since: Option<(String, DateTime<Utc>)>,
    /// Remove them (with their child rows) instead of marking them deleted.
    pub hard: bool,
    /// The instant written to [`DELETED_AT`].
    pub at: DateTime<Utc>,
}

/// Records of another stream loaded together with a batch (a resolved
/// conversation's messages and notes), upserted the same way.
#[derive(Debug, Clone)]
pub struct Companion {
    /// The other stream's tables.
    pub tables: Arc<StreamTables>,
    /// Its records.
    pub records: Vec<FlatRecord>,
}

/// One atomic unit of work: upsert these records (their parent rows by `id`,
/// their child rows replaced wholesale) and move the stream's bookmark, all
/// or nothing.
#[derive(Debug, Clone)]
pub struct WriteBatch {
    /// The stream (bookmark key).
    pub stream: String,
    /// Its tables.
    pub tables: Arc<StreamTables>,
    /// Records; at most one per id (the engine keeps the last copy).
    pub records: Vec<FlatRecord>,
    /// Ids of parents removed from the destination with their child rows
    /// (deleted records, when deletes are hard).
    pub deletes: Vec<String>,
    /// Rows of other streams' tables written in the same transaction.
    pub companions: Vec<Companion>,
    /// Marks (or removes) rows that vanished, after the records are written.
    pub sweep: Option<Sweep>,
    /// Ids of parents to mark deleted (soft) because the source no longer has
    /// them (a fetch by id answered 404); their child rows stay.
    pub mark_deleted: Vec<String>,
    /// The stream's new bookmark, if it moves.
    pub bookmark: Option<String>,
    /// Skip records older (by `updated_at`) than the row already stored:
    /// webhook events and polls arrive in any order, and the newest wins.
    pub newest_wins: bool,
}

impl WriteBatch {
    /// A batch of records and a bookmark, nothing else.
    pub fn new(stream: impl Into<String>, tables: Arc<StreamTables>, records: Vec<FlatRecord>) -> Self {
        WriteBatch {
            stream: stream.into(),
            tables,
            records,
            deletes: Vec::new(),
            companions: Vec::new(),
            sweep: None,
            mark_deleted: Vec::new(),
            bookmark: None,
            newest_wins: false,
        }
    }
}

/// What a write changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Parent rows inserted (ids not present before).
    pub inserted: u64,
    /// Parent rows replaced.
    pub updated: u64,
    /// Child rows written.
    pub child_rows: u64,
    /// Parent rows marked deleted or removed.
    pub deleted: u64,
}

impl std::ops::AddAssign for WriteStats {
    fn add_assign(&mut self, o: WriteStats) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.child_rows += o.child_rows;
        self.deleted += o.deleted;
    }
}

/// Which parent rows [`Destination::ids`] returns: every bound is optional
/// and they combine with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdQuery {
    /// `updated_at >= from`.
    pub updated_from: Option<DateTime<Utc>>,
    /// `updated_at < before`.
    pub updated_before: Option<DateTime<Utc>>,
    /// Written at or after this instant (`_synced_at >= since`).
    pub synced_since: Option<DateTime<Utc>>,
}

/// A place rows are loaded into.
///
/// Implementations must make [`Destination::write`] atomic: after a crash at
/// any instant, either all of a batch (rows and bookmark) is visible or none.
pub trait Destination: Send + 'static {
    /// Creates missing tables and adds missing columns (never drops).
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError>;
    /// The stored bookmark of a stream.
    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError>;
    /// Forgets a stream's bookmark (re-sync): its next read is a full one.
    fn reset(&mut self, stream: &str) -> Result<(), SyncError>;
    /// Writes a batch atomically.
    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError>;
    /// Rows in a table (for reports).
    fn row_count(&mut self, table: &str) -> Result<u64, SyncError>;
    /// Called once at the end of a run, after every batch (and the run's
    /// `_sync_runs` rows) was written. A destination that commits per run
    /// at the end of a run (Delta's vacuum) does it here.
    fn finish(&mut self) -> Result<(), SyncError> {
        Ok(())
    }
    /// Prepares several streams' tables at the start of a run; a destination
    /// where each DDL statement is a commit of its own does them in one.
    fn prepare_all(&mut self, all: &[&StreamTables]) -> Result<(), SyncError> {
        all.iter().try_for_each(|t| self.prepare(t))
    }
    /// Ids of the parent rows of `table` that `query` selects, deleted rows
    /// included (a first load's reconciliation compares them with the
    /// source's own counts). A destination that cannot answer says so with
    /// an error, and the reconciliation is skipped with a warning.
    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        let _ = (table, query);
        Err(SyncError::Destination("this destination cannot list ids".into()))
    }
    /// How many rows [`ids`](Self::ids) would return; destinations that can
    /// count without listing should (a reconciliation counts whole history).
    fn count_ids(&mut self, table: &str, query: &IdQuery) -> Result<u64, SyncError> {
        Ok(self.ids(table, query)?.len() as u64)
    }
    /// Up to `limit` ids of `table`'s parent rows after `after`, in
    /// ascending order (a backfill's cursor). Destinations that can seek
    /// should: this lists every id.
    fn ids_after(&mut self, table: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, SyncError> {
        let mut ids = self.ids(table, &IdQuery::default())?;
        ids.sort_unstable();
        let from = after.map_or(0, |a| ids.partition_point(|id| id.as_str() <= a));
        Ok(ids.into_iter().skip(from).take(limit).collect())
    }
}

/// Any destination, chosen at run time (`--dest` URL forms).
impl Destination for Box<dyn Destination> {
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        (**self).prepare(tables)
    }
    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        (**self).bookmark(stream)
    }
    fn reset(&mut self, stream: &str) -> Result<(), SyncError> {
        (**self).reset(stream)
    }
    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        (**self).write(batch)
    }
    fn row_count(&mut self, table: &str) -> Result<u64, SyncError> {
        (**self).row_count(table)
    }
    fn finish(&mut self) -> Result<(), SyncError> {
        (**self).finish()
    }
    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        (**self).ids(table, query)
    }
    fn count_ids(&mut self, table: &str, query: &IdQuery) -> Result<u64, SyncError> {
        (**self).count_ids(table, query)
    }
    fn ids_after(&mut self, table: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, SyncError> {
        (**self).ids_after(table, after, limit)
    }
    fn prepare_all(&mut self, all: &[&StreamTables]) -> Result<(), SyncError> {
        (**self).prepare_all(all)
    }
}

/// Opens the destination a `--dest` value names:
/// `postgres://…` (or `postgresql://…`; schema `kustomer` unless the URL
/// has `?schema=NAME`), Delta Lake (`delta:///DIR`,
/// `file:///DIR`, `s3://bucket/prefix`), or else a DuckDB file path.
/// Each form needs its cargo feature.
pub fn open(spec: &str) -> Result<Box<dyn Destination>, SyncError> {
    #[allow(unused_variables)] // with every feature on, no form is missing
    let missing = |feature: &str| {
        SyncError::Config(format!(
            "--dest {spec}: this build lacks the `{feature}` feature of kustomer-sync"
        ))
    };
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return Ok(Box::new(postgres::PostgresDestination::connect_url(spec)?));
        #[cfg(not(feature = "postgres"))]
        return Err(missing("postgres"));
    }
    if spec.starts_with("parquet://") {
        // The change-file format of earlier releases: Delta replaced it.
        return Err(SyncError::Config(format!(
            "--dest {spec}: the Parquet change-file destination was replaced by Delta Lake: use delta:///DIR"
        )));
    }
    if ["delta://", "file://", "s3://"].iter().any(|p| spec.starts_with(p)) {
        #[cfg(feature = "delta")]
        return Ok(Box::new(delta::DeltaDestination::open(spec)?));
        #[cfg(not(feature = "delta"))]
        return Err(missing("delta"));
    }
    #[cfg(feature = "duckdb")]
    return Ok(Box::new(duckdb::DuckDbDestination::open(spec)?));
    #[cfg(not(feature = "duckdb"))]
    Err(missing("duckdb"))
}

/// Which of `records` to keep so each key appears once, the last copy
/// winning; `None` when the keys are distinct already (the usual case).
pub(crate) fn last_copies<'a>(records: &'a [FlatRecord], key: impl Fn(&'a FlatRecord) -> &'a str) -> Option<Vec<bool>> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        last.insert(key(r), i);
    }
    if last.len() == records.len() {
        return None;
    }
    let mut keep = vec![false; records.len()];
    for i in last.into_values() {
        keep[i] = true;
    }
    Some(keep)
}
