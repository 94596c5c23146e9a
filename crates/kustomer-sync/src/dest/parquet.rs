//! Parquet destination: a lake of append-only change files, one directory
//! per table; lake engines (DuckDB, Spark, Trino, Polars…) compute the
//! current state with the queries below.
//!
//! # Layout
//!
//! ```text
//! DIR/<table>/<run_id>-<n>.parquet    data files (n counts a table's files within a run)
//! DIR/_manifests/<run_id>.json        one per committed run
//! ```
//!
//! A `run_id` sorts by time (`20261204T150405123456Z-3fa9`: the UTC instant
//! of the run's first `prepare` or `write`, then 4 random hex digits). A
//! manifest lists the files its run added per table (with row counts and
//! `_seq` ranges), the run's `_seq` range, the hard-delete tombstones it
//! wrote, and every stream's bookmark after the run. **The lake is the
//! files the manifests list.** (A glob of `DIR/<table>/*.parquet` sees the
//! same, except after a crash inside `finish()` between the files' rename
//! and the manifest's, until the next [`ParquetDestination::open`] removes
//! those strays.)
//!
//! # Runs
//!
//! During a run each table has one open writer on
//! `DIR/<table>/.<run_id>-<n>.parquet.tmp`; every `write()` appends its rows
//! as one record batch per table and phase, so nothing of the run is held in
//! memory but the writers' current row group (at most 64 Ki rows / 32 MiB).
//! A table whose columns grow mid-run continues in file `n + 1` with the
//! wider schema. [`Destination::finish`] closes and syncs the files, renames
//! them to their final names, then writes the manifest under a temporary
//! name and renames it: that rename is the commit. Bookmarks live in memory
//! during the run and become durable only with the manifest, so they are
//! written only after the run's files are complete. A run that never
//! finishes (a crash, a failed write, the destination dropped without
//! `finish()`) stays invisible: dropping deletes its files, and `open`
//! deletes temporary files and data files no manifest lists (only names of
//! this destination's own pattern are touched), so the next
//! run starts from the last committed bookmarks and reads again. After a
//! failed write the run can no longer commit: `finish()` discards it and
//! reports the error. One process writes a directory at a time.
//!
//! # Columns
//!
//! Each table's columns come from its [`TableDef`](kustomer_models::TableDef)
//! through [`arrow_type`](super::arrow::arrow_type), the mapping DuckDB's
//! appender shares: timestamps are `Timestamp(Microsecond, "UTC")`, JSON is
//! UTF-8 with field metadata `logical_type = json`, nullability is
//! [`Column::nullable`](kustomer_models::Column::nullable) (except that a
//! parent table's non-key columns accept the NULLs of a tombstone). Every
//! file ends with `_seq` (`Int64`, not null): the destination's write
//! sequence, one value per phase of a batch (records, deletes, marks,
//! companions, sweep), strictly increasing across runs (each manifest
//! records the last one). Columns are never dropped: readers take the union
//! of a table's files by name, and a file without a column reads as NULL.
//!
//! # Current state
//!
//! In the SQL below (DuckDB), `files('t')` stands for the list of table
//! `t`'s files in the manifests, read with `union_by_name = true`.
//!
//! A **parent table**'s current row of each `id` is the one with the
//! greatest `_seq`. Rows with `_deleted` are deleted records: soft deletes
//! keep every column; hard deletes leave a tombstone holding only `id`,
//! `_deleted`, `_deleted_at`, `_synced_at` and `_seq` (the manifests list
//! them, for readers that must tell the two apart). Drop `_deleted` rows for
//! live data:
//!
//! ```sql
//! CREATE VIEW customers AS
//! SELECT * EXCLUDE (_rn) FROM (
//!   SELECT *, row_number() OVER (PARTITION BY id ORDER BY _seq DESC) AS _rn
//!   FROM read_parquet(files('customers'), union_by_name = true))
//! WHERE _rn = 1 AND NOT _deleted;
//! ```
//!
//! A **child table**'s current rows are those written with their parent's
//! current row: same parent key, same `_seq` (a parent is never written
//! without its child rows, so a rewritten parent's children are rewritten
//! with it, and a tombstone has none):
//!
//! ```sql
//! SELECT c.* FROM read_parquet(files('customer_emails'), union_by_name = true) c
//! JOIN (SELECT id, _seq, _deleted FROM (
//!         SELECT id, _seq, _deleted, row_number() OVER (PARTITION BY id ORDER BY _seq DESC) AS _rn
//!         FROM read_parquet(files('customers'), union_by_name = true)) WHERE _rn = 1) p
//!   ON c.customer_id = p.id AND c._seq = p._seq
//! WHERE NOT p._deleted;
//! ```
//!
//! A **history table** (`conversation_history`) keeps one row per version
//! (`id`, `_valid_from`); closing a version writes it again with `_valid_to`
//! set and `_is_current = false`, so its current rows are, per (`id`,
//! `_valid_from`), the one with the greatest `_seq`. A **child history
//! table** (`conversation_history_tags`) follows its history table as a
//! child follows its parent: its rows whose (`conversation_id`,
//! `_valid_from`, `_seq`) equal a current `conversation_history` row's
//! (`id`, `_valid_from`, `_seq`).
//!
//! ```sql
//! SELECT * EXCLUDE (_rn) FROM (
//!   SELECT *, row_number() OVER (PARTITION BY id, _valid_from ORDER BY _seq DESC) AS _rn
//!   FROM read_parquet(files('conversation_history'), union_by_name = true))
//! WHERE _rn = 1;
//! ```
//!
//! These views equal, row for row, the tables the DuckDB destination keeps.
//!
//! # How writes get DuckDB's results
//!
//! Newest-wins checks, [`WriteStats`], deletes and sweeps need each parent's
//! current row: the destination keeps an index per parent table (`id` →
//! `_seq`, `updated_at`, `_synced_at`, `_deleted`) and per history table
//! (`id` → current `_valid_from`, `_seq`), built the first time a table is
//! written in the process from the listed files (only those columns read),
//! then kept up to date by every write, this run's included. Whole rows are
//! needed only to write a row again: a soft sweep (the row keeps its columns
//! with `_deleted = true`, and its child rows follow it), the version a new
//! one closes, and the child rows of tables a batch leaves out (a webhook
//! event carries no detail lists). Those rows are read back from the files,
//! only the row groups whose `_seq` range holds them; a file of this run
//! still open is sealed first (the run goes on in the table's next file).
//! So no rows are kept in memory, at the cost of these (rare) reads.
//!
//! [`Destination::row_count`] counts live current rows (a parent's rows not
//! `_deleted`, the child rows of those, every current history row), and
//! [`Destination::ids`] answers from the index.
//!
//! # Limits
//!
//! - Runs commit in `finish()` only, so the webhook receiver (which commits
//!   each event) is not served by this destination.
//! - A child table a later run no longer selects is not carried along: its
//!   rows of parents rewritten since stop being current (DuckDB keeps them,
//!   stale).
//! - Files accumulate (replace tables add every row each run); compacting a
//!   table into its current rows is left to the lake engine.

mod convert;
mod files;
mod index;
pub mod manifest;
mod registry;
mod rows;
mod store;
mod write;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use self::convert::SEQ;
use self::convert::{int_at, text_at};
use self::files::{FileRef, OpenFile};
use self::index::{ParentEntry, Version};
use self::manifest::{FileEntry, Manifest, SeqRange, TableEntry, MANIFESTS};
use self::registry::{Registry, TableKind};
use self::rows::validate;
use super::{Destination, IdQuery, StreamTables, WriteBatch, WriteStats, VALID_FROM};
use crate::error::SyncError;

fn err(msg: impl std::fmt::Display) -> SyncError {
    SyncError::Destination(format!("parquet: {msg}"))
}

/// A table's files: committed ones, the ones this run sealed, and the one open.
#[derive(Default)]
struct TableFiles {
    files: Vec<FileRef>,
    open: Option<OpenFile>,
    /// Files this run started (the next one's `n`).
    parts: usize,
}

/// What the manifests say.
#[derive(Debug, Default)]
struct Committed {
    bookmarks: BTreeMap<String, String>,
    last_seq: i64,
    tombstones: HashMap<String, HashSet<(String, i64)>>,
}

/// The run in progress (uncommitted).
#[derive(Debug)]
struct Run {
    id: String,
    started_at: DateTime<Utc>,
    bookmarks: BTreeMap<String, String>,
    tombstones: BTreeMap<String, Vec<(String, i64)>>,
    first_seq: Option<i64>,
}

/// A directory of Parquet files: append-only change files per table and a
/// manifest per committed run (see the [module docs](self)).
pub struct ParquetDestination {
    dir: PathBuf,
    committed: Committed,
    registry: Registry,
    tables: HashMap<String, TableFiles>,
    parents: HashMap<String, HashMap<String, ParentEntry>>,
    histories: HashMap<String, HashMap<String, Version>>,
    /// The last `_seq` used.
    seq: i64,
    run: Option<Run>,
    /// Why the run can no longer commit.
    poisoned: Option<String>,
}

impl std::fmt::Debug for ParquetDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetDestination")
            .field("dir", &self.dir)
            .field("run", &self.run.as_ref().map(|r| &r.id))
            .field("last_seq", &self.seq)
            .finish()
    }
}

/// A sortable run id: the UTC instant to the microsecond, then 4 random hex digits.
fn new_run_id(now: DateTime<Utc>) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(now.timestamp_nanos_opt().unwrap_or_default());
    h.write_u32(std::process::id());
    format!("{}-{:04x}", now.format("%Y%m%dT%H%M%S%6fZ"), h.finish() as u16)
}

/// Whether a file name is one of this destination's data files
/// (`<run_id>-<n>.parquet`): `open` never deletes anything else.
fn is_data_file(name: &str) -> bool {
    let Some((run, n)) = name.strip_suffix(".parquet").and_then(|s| s.rsplit_once('-')) else {
        return false;
    };
    let b = run.as_bytes();
    !n.is_empty()
        && n.bytes().all(|c| c.is_ascii_digit())
        && b.len() == 27
        && b[8] == b'T'
        && b[21] == b'Z'
        && b[22] == b'-'
        && b[..8].iter().chain(&b[9..21]).all(u8::is_ascii_digit)
        && b[23..].iter().all(u8::is_ascii_hexdigit)
}

/// Deletes what an uncommitted run left: temporary files, and data files
/// no manifest lists.
fn remove_strays(dir: &Path, listed: &HashSet<PathBuf>) -> Result<(), SyncError> {
    let io = |p: &Path, e: std::io::Error| err(format!("{}: {e}", p.display()));
    for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let entry = entry.map_err(|e| io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == MANIFESTS || name.starts_with('.') || !entry.path().is_dir() {
            continue;
        }
        let table_dir = entry.path();
        for f in std::fs::read_dir(&table_dir).map_err(|e| io(&table_dir, e))? {
            let f = f.map_err(|e| io(&table_dir, e))?;
            let fname = f.file_name().to_string_lossy().into_owned();
            let path = f.path();
            let temp = fname
                .strip_prefix('.')
                .and_then(|s| s.strip_suffix(".tmp"))
                .is_some_and(is_data_file);
            let stray = is_data_file(&fname) && !listed.contains(&path);
            if temp || stray {
                tracing::info!(file = %path.display(), "removing a file of a run that never committed");
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            }
        }
    }
    Ok(())
}

impl ParquetDestination {
    /// Opens (or creates) a lake directory: reads the manifests (bookmarks,
    /// files, the last `_seq`) and deletes what a run that never committed
    /// left behind.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, SyncError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
        let manifests = manifest::read_all(&dir).map_err(err)?;
        let mut committed = Committed::default();
        let mut tables: HashMap<String, TableFiles> = HashMap::new();
        let mut listed = HashSet::new();
        for m in &manifests {
            committed.last_seq = committed.last_seq.max(m.last_seq);
            committed.bookmarks.clone_from(&m.bookmarks);
            for (table, entry) in &m.tables {
                let tf = tables.entry(table.clone()).or_default();
                for f in &entry.files {
                    let path = dir.join(&f.path);
                    if !path.is_file() {
                        return Err(err(format!("manifest {} lists {}, which is missing", m.run_id, f.path)));
                    }
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    tf.files.push(FileRef {
                        path: path.clone(),
                        name,
                        rows: f.rows,
                        min_seq: f.min_seq,
                        max_seq: f.max_seq,
                        committed: true,
                    });
                    listed.insert(path);
                }
                committed
                    .tombstones
                    .entry(table.clone())
                    .or_default()
                    .extend(entry.tombstones.iter().cloned());
            }
        }
        remove_strays(&dir, &listed)?;
        Ok(ParquetDestination {
            dir,
            seq: committed.last_seq,
            committed,
            registry: Registry::default(),
            tables,
            parents: HashMap::new(),
            histories: HashMap::new(),
            run: None,
            poisoned: None,
        })
    }

    /// The lake's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn begin(&mut self) -> Result<(), SyncError> {
        if let Some(why) = &self.poisoned {
            return Err(err(format!(
                "an earlier write of this run failed, so it cannot commit ({why})"
            )));
        }
        if self.run.is_none() {
            let now = Utc::now();
            self.run = Some(Run {
                id: new_run_id(now),
                started_at: now,
                bookmarks: self.committed.bookmarks.clone(),
                tombstones: BTreeMap::new(),
                first_seq: None,
            });
        }
        Ok(())
    }

    fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        if let Some(run) = &mut self.run {
            run.first_seq.get_or_insert(self.seq);
        }
        self.seq
    }

    /// Throws away the run in progress: its files, and the indexes that saw it.
    fn abort(&mut self) {
        for tf in self.tables.values_mut() {
            if let Some(open) = tf.open.take() {
                open.discard();
            }
            tf.files.retain(|f| {
                if !f.committed {
                    let _ = std::fs::remove_file(&f.path);
                }
                f.committed
            });
            tf.parts = 0;
        }
        self.parents.clear();
        self.histories.clear();
        self.seq = self.committed.last_seq;
        self.run = None;
        self.poisoned = None;
    }

    /// Seals every file, renames them, commits the manifest.
    fn commit(&mut self) -> Result<(), SyncError> {
        let names: Vec<String> = self.tables.keys().cloned().collect();
        for t in &names {
            self.seal(t)?;
        }
        let run = self.run.as_ref().ok_or_else(|| err("no run"))?;
        let mut entries: BTreeMap<String, TableEntry> = BTreeMap::new();
        for (table, tf) in &mut self.tables {
            let table_dir = self.dir.join(table);
            let mut renamed = false;
            for f in tf.files.iter_mut().filter(|f| !f.committed) {
                let to = table_dir.join(&f.name);
                std::fs::rename(&f.path, &to).map_err(|e| err(format!("rename {}: {e}", f.path.display())))?;
                f.path = to;
                renamed = true;
                entries.entry(table.clone()).or_default().files.push(FileEntry {
                    path: format!("{table}/{}", f.name),
                    rows: f.rows,
                    min_seq: f.min_seq,
                    max_seq: f.max_seq,
                });
            }
            if renamed {
                manifest::sync_dir(&table_dir).map_err(err)?;
            }
        }
        for (table, ts) in &run.tombstones {
            entries.entry(table.clone()).or_default().tombstones.clone_from(ts);
        }
        let m = Manifest {
            version: 1,
            run_id: run.id.clone(),
            started_at: run.started_at,
            committed_at: Utc::now(),
            seq: run.first_seq.map(|first| SeqRange { first, last: self.seq }),
            last_seq: self.seq,
            tables: entries,
            bookmarks: run.bookmarks.clone(),
        };
        manifest::commit(&self.dir, &m).map_err(err)?;
        for tf in self.tables.values_mut() {
            for f in &mut tf.files {
                f.committed = true;
            }
            tf.parts = 0;
        }
        let run = self.run.take().expect("checked above");
        self.committed.bookmarks = run.bookmarks;
        self.committed.last_seq = self.seq;
        for (table, ts) in run.tombstones {
            self.committed.tombstones.entry(table).or_default().extend(ts);
        }
        tracing::debug!(run = %m.run_id, "parquet run committed");
        Ok(())
    }
}

impl Destination for ParquetDestination {
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        self.begin()?;
        self.registry.register(tables)
    }

    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        let map = self.run.as_ref().map_or(&self.committed.bookmarks, |r| &r.bookmarks);
        Ok(map.get(stream).cloned())
    }

    fn reset(&mut self, stream: &str) -> Result<(), SyncError> {
        self.begin()?;
        if let Some(run) = &mut self.run {
            run.bookmarks.remove(stream);
        }
        Ok(())
    }

    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        self.begin()?;
        validate(&batch.tables, &batch.records)?;
        for c in &batch.companions {
            validate(&c.tables, &c.records)?;
        }
        self.registry.register(&batch.tables)?;
        for c in &batch.companions {
            self.registry.register(&c.tables)?;
        }
        self.write_batch(batch).inspect_err(|e| {
            // Part of the batch may be in the run's files: the run can no
            // longer commit (`finish` discards it).
            self.poisoned = Some(e.to_string());
        })
    }

    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        let micros = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros());
        let (from, before, since) = (
            micros(query.updated_from),
            micros(query.updated_before),
            micros(query.synced_since),
        );
        let index = self.take_parent_index(table)?;
        let mut ids: Vec<String> = index
            .iter()
            .filter(|(_, e)| {
                from.is_none_or(|f| e.updated_at.is_some_and(|u| u >= f))
                    && before.is_none_or(|b| e.updated_at.is_some_and(|u| u < b))
                    && since.is_none_or(|s| e.synced_at.is_some_and(|v| v >= s))
            })
            .map(|(id, _)| id.clone())
            .collect();
        self.parents.insert(table.to_owned(), index);
        ids.sort();
        Ok(ids)
    }

    fn row_count(&mut self, table: &str) -> Result<u64, SyncError> {
        let kind = self
            .registry
            .kinds
            .get(table)
            .cloned()
            .ok_or_else(|| err(format!("unknown table {table}")))?;
        let mut n = 0u64;
        match kind {
            TableKind::Parent => {
                let index = self.take_parent_index(table)?;
                n = index.values().filter(|e| !e.deleted).count() as u64;
                self.parents.insert(table.to_owned(), index);
            }
            TableKind::Child { parent, column } => {
                // Rows of live parents' current versions.
                let index = self.take_parent_index(&parent)?;
                let res = self.scan(table, &[column.as_str(), SEQ], |b| {
                    let s = b.schema();
                    let (Ok(p), Ok(q)) = (s.index_of(&column), s.index_of(SEQ)) else {
                        return Ok(());
                    };
                    for row in 0..b.num_rows() {
                        if let (Some(id), Some(seq)) = (text_at(b, p, row), int_at(b, q, row)) {
                            if index.get(id).is_some_and(|e| !e.deleted && e.seq == seq) {
                                n += 1;
                            }
                        }
                    }
                    Ok(())
                });
                self.parents.insert(parent, index);
                res?;
            }
            TableKind::History | TableKind::ChildHistory { .. } => {
                let (history, column) = match &kind {
                    TableKind::ChildHistory { history, column } => (history.clone(), column.clone()),
                    _ => (table.to_owned(), "id".to_owned()),
                };
                // The current `_seq` of every version (id, _valid_from).
                let mut current: HashMap<(String, i64), i64> = HashMap::new();
                self.scan(&history, &["id", VALID_FROM, SEQ], |b| {
                    let s = b.schema();
                    let (Ok(i), Ok(v), Ok(q)) = (s.index_of("id"), s.index_of(VALID_FROM), s.index_of(SEQ)) else {
                        return Ok(());
                    };
                    for row in 0..b.num_rows() {
                        if let (Some(id), Some(vf), Some(seq)) =
                            (text_at(b, i, row), int_at(b, v, row), int_at(b, q, row))
                        {
                            let e = current.entry((id.to_owned(), vf)).or_insert(seq);
                            *e = (*e).max(seq);
                        }
                    }
                    Ok(())
                })?;
                if history == table {
                    n = current.len() as u64;
                } else {
                    self.scan(table, &[column.as_str(), VALID_FROM, SEQ], |b| {
                        let s = b.schema();
                        let (Ok(p), Ok(v), Ok(q)) = (s.index_of(&column), s.index_of(VALID_FROM), s.index_of(SEQ))
                        else {
                            return Ok(());
                        };
                        for row in 0..b.num_rows() {
                            if let (Some(id), Some(vf), Some(seq)) =
                                (text_at(b, p, row), int_at(b, v, row), int_at(b, q, row))
                            {
                                if current.get(&(id.to_owned(), vf)) == Some(&seq) {
                                    n += 1;
                                }
                            }
                        }
                        Ok(())
                    })?;
                }
            }
        }
        Ok(n)
    }

    fn finish(&mut self) -> Result<(), SyncError> {
        if let Some(why) = self.poisoned.clone() {
            self.abort();
            return Err(err(format!("the run was not committed: a write failed ({why})")));
        }
        if self.run.is_none() {
            return Ok(());
        }
        self.commit().inspect_err(|_| self.abort())
    }
}

impl Drop for ParquetDestination {
    /// An unfinished run stays invisible: its files are deleted.
    fn drop(&mut self) {
        if self.run.is_some() {
            self.abort();
        }
    }
}
