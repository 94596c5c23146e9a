//! Delta Lake destination: one Delta table per catalogue table, on local
//! disk (`delta:///DIR`, `file:///DIR`) or S3-compatible storage
//! (`s3://bucket/prefix`, configured by the `AWS_*` variables), written
//! through delta-rs. Any Delta reader (Spark, DuckDB's `delta_scan`,
//! Polars, the `deltalake` Python package) sees each table's current state:
//! the same rows as the DuckDB destination.
//!
//! # How a batch is written
//!
//! DuckDB's destination holds the reference semantics (upserts, newest
//! wins, child rows replaced with their parent, history versions, soft and
//! hard deletes, sweeps), so a batch is computed by it, on only the rows the
//! batch can touch:
//!
//! 1. per table, the data files holding any of the batch's parent ids (in
//!    the table's owner-key column: `id`, or the parent key of a child
//!    table; each file's keys are read once per process), or every file of
//!    the parent table (and, for a hard sweep, of the stream's tables) when
//!    the batch sweeps;
//! 2. those files are loaded into an in-memory DuckDB destination, which
//!    writes the batch;
//! 3. each table whose files were loaded or which gained rows is committed:
//!    `remove` of the loaded files and `add` of their replacement (sorted by
//!    owner key), in one Delta commit that carries a `txn` action
//!    (app id `kustomer/<writer>/<stream>`, version = the writer's batch
//!    number).
//!
//! No DataFusion (delta-rs's `merge` needs it, and it would be the biggest
//! crate of the build): DuckDB, already compiled, does the merging.
//!
//! # Exactly once, crashes, concurrency
//!
//! Delta commits per table, so a batch is one commit per table it changes,
//! then one to `_kustomer_state` (a Delta table of bookmarks: `stream`,
//! `bookmark`, `updated_at`), made only once every data commit is durable.
//! A crash between them leaves the bookmark behind: the next run reads the
//! same records again and writes them again, which changes nothing (an
//! upsert of the same rows). Commits never rebase: a writer that loses the
//! race for version N (the sync beside a webhook receiver, each with its own
//! writer id) reloads, recomputes the batch and commits again; a table whose
//! `txn` already holds the batch's version (a commit whose answer was lost)
//! is not written twice. On S3 the race is settled by a conditional put.
//!
//! # Small files
//!
//! Every changed table gains a file per batch. Past `compact_files` active
//! files under 8 MB (`?compact=N` on the URL, default 32; 0 turns it off),
//! the smallest are compacted into one file of about 8 MB (a commit with
//! `dataChange = false`, which readers and streaming consumers skip). `?vacuum=HOURS` deletes, at the
//! end of a run, files no version younger than that needs (Delta's default
//! retention, 168 hours, is the minimum accepted).

mod bridge;
mod lake;
mod s3;
mod scratch;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use deltalake_core::kernel::Transaction;
use kustomer_models::{Column, LogicalType, TableDef};
use url::Url;

use self::lake::{err, FileRef, LakeTable};
use super::duckdb::DuckDbDestination;
use super::runtime::OwnedRuntime;
use super::{Destination, IdQuery, StreamTables, WriteBatch, WriteStats};
use crate::error::SyncError;

use crate::columns::STATE_TABLE;
const DEFAULT_COMPACT: usize = 32;
/// A compaction writes files of about this size (Parquet bytes): it holds
/// their rows in memory (1 M rows: 947 MB peak at 8 MB, 2 GB at 32 MB).
const COMPACT_BYTES: i64 = 8 << 20;
const RETRIES: u32 = 12;

/// A directory (or bucket prefix) of Delta tables.
pub struct DeltaDestination {
    rt: Arc<OwnedRuntime>,
    root: Url,
    /// This writer: part of its `txn` app ids.
    writer: String,
    /// The writer's last batch number (its `txn` versions).
    seq: i64,
    tables: HashMap<String, LakeTable>,
    defs: HashMap<String, TableDef>,
    compact_files: usize,
    vacuum_hours: Option<u64>,
}

impl std::fmt::Debug for DeltaDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeltaDestination")
            .field("root", &self.root.as_str())
            .field("tables", &self.tables.len())
            .finish()
    }
}

impl DeltaDestination {
    /// Opens `delta:///DIR`, `file:///DIR` or `s3://bucket/prefix` (with
    /// optional `?compact=N&vacuum=HOURS`).
    pub fn open(spec: &str) -> Result<Self, SyncError> {
        let (base, query) = spec.split_once('?').unwrap_or((spec, ""));
        let mut root = if let Some(path) = base.strip_prefix("delta://") {
            let path = std::path::absolute(path).map_err(|e| SyncError::Config(format!("--dest {spec}: {e}")))?;
            std::fs::create_dir_all(&path).map_err(|e| err(format!("{}: {e}", path.display())))?;
            Url::from_directory_path(&path).map_err(|()| SyncError::Config(format!("--dest {spec}: not a path")))?
        } else {
            if base.starts_with("file://") {
                let path = base.trim_start_matches("file://");
                std::fs::create_dir_all(path).map_err(|e| err(format!("{path}: {e}")))?;
            } else if base.starts_with("s3://") {
                s3::register();
            } else {
                return Err(SyncError::Config(format!("--dest {spec}: not a Delta location")));
            }
            Url::parse(base).map_err(|e| SyncError::Config(format!("--dest {spec}: {e}")))?
        };
        if !root.path().ends_with('/') {
            root.set_path(&format!("{}/", root.path()));
        }
        let mut compact_files = DEFAULT_COMPACT;
        let mut vacuum_hours = None;
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            let bad = || SyncError::Config(format!("--dest {spec}: bad option {kv}"));
            match kv.split_once('=') {
                Some(("compact", n)) => compact_files = n.parse().map_err(|_| bad())?,
                Some(("vacuum", h)) => vacuum_hours = Some(h.parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        }
        Ok(DeltaDestination {
            rt: Arc::new(OwnedRuntime::start(2, "delta")?),
            root,
            writer: writer_id(),
            seq: 0,
            tables: HashMap::new(),
            defs: HashMap::new(),
            compact_files,
            vacuum_hours,
        })
    }

    /// Another writer on the same tables (a webhook receiver beside a poll):
    /// its own writer id, so its `txn` versions never mix with ours.
    pub fn try_clone(&self) -> Result<Self, SyncError> {
        Ok(DeltaDestination {
            rt: self.rt.clone(),
            root: self.root.clone(),
            writer: writer_id(),
            seq: 0,
            tables: HashMap::new(),
            defs: self.defs.clone(),
            compact_files: self.compact_files,
            vacuum_hours: self.vacuum_hours,
        })
    }

    /// Table `name`'s current rows, in an in-memory DuckDB destination (to
    /// query or compare; empty if the table does not exist).
    pub fn read_table(&mut self, name: &str) -> Result<DuckDbDestination, SyncError> {
        let rt = self.rt.clone();
        rt.block_on(self.snapshot(name))
    }

    /// How many data files table `name`'s current version has.
    pub fn active_files(&mut self, name: &str) -> Result<usize, SyncError> {
        let rt = self.rt.clone();
        rt.block_on(async { Ok(self.table(name).await?.files()?.len()) })
    }

    /// The tables under the root (the directories holding a Delta log).
    pub fn list_tables(&mut self) -> Result<Vec<String>, SyncError> {
        let root = self.root.clone();
        self.rt.block_on(async move {
            let store = deltalake_core::logstore::store_for(&root, std::iter::empty::<(String, String)>())
                .map_err(|e| err(format!("list tables: {e}")))?;
            let listed = store
                .list_with_delimiter(None)
                .await
                .map_err(|e| err(format!("list tables: {e}")))?;
            let mut names: Vec<String> = listed
                .common_prefixes
                .iter()
                .filter_map(|p| p.parts().next_back().map(|s| s.as_ref().to_owned()))
                .collect();
            names.sort();
            Ok(names)
        })
    }

    /// The URL of table `name`.
    pub fn table_url(&self, name: &str) -> String {
        format!("{}{name}", self.root)
    }

    /// Table `name`, opened once and brought to its newest version.
    async fn table(&mut self, name: &str) -> Result<&mut LakeTable, SyncError> {
        if !self.tables.contains_key(name) {
            let t = LakeTable::open(&self.root, &HashMap::new(), name).await?;
            self.tables.insert(name.to_owned(), t);
        } else {
            self.tables.get_mut(name).expect("present").refresh().await?;
        }
        Ok(self.tables.get_mut(name).expect("present"))
    }

    async fn ensure(&mut self, def: &TableDef) -> Result<(), SyncError> {
        // Once per definition, not per batch: each time costs a read of the
        // table's log (a request on S3). A new custom attribute makes a new
        // definition, which is ensured again.
        if self.defs.get(&def.name) == Some(def) {
            return Ok(());
        }
        let schema = bridge::delta_schema(&super::arrow::schema(def, Some("UTC")));
        // The data dictionary's meanings, as Spark and Databricks show them:
        // the table's `description` and each field's `comment` metadata.
        let comments: HashMap<String, String> = def
            .columns
            .iter()
            .filter_map(|c| Some((c.name.clone(), super::sql::column_comment(def, c)?)))
            .collect();
        let about = crate::docs::table_doc(def);
        self.table(&def.name).await?.ensure(&schema, &comments, &about).await?;
        self.defs.insert(def.name.clone(), def.clone());
        Ok(())
    }

    /// Writes the batch's rows (not its bookmark) once.
    async fn write_once(&mut self, batch: &WriteBatch, app: &str, version: i64) -> Result<WriteStats, SyncError> {
        // Which parents each stream's tables must show the batch.
        let mut groups: Vec<(&StreamTables, HashSet<&str>, bool)> = Vec::new();
        let mut ids: HashSet<&str> = batch.records.iter().map(|r| r.id.as_str()).collect();
        ids.extend(batch.deletes.iter().map(String::as_str));
        ids.extend(batch.mark_deleted.iter().map(String::as_str));
        groups.push((&batch.tables, ids, batch.sweep.is_some()));
        for c in &batch.companions {
            groups.push((&c.tables, c.records.iter().map(|r| r.id.as_str()).collect(), false));
        }
        let hard_sweep = batch.sweep.as_ref().is_some_and(|s| s.hard);
        let mut scratch = DuckDbDestination::scratch()?;
        // Per table: the files loaded (to remove) and its owner key.
        let mut loaded: Vec<(TableDef, Vec<FileRef>, bool)> = Vec::new();
        for (tables, ids, sweeps) in &groups {
            scratch.prepare(tables)?;
            for def in tables.all() {
                if loaded.iter().any(|(d, ..)| d.name == def.name) {
                    continue;
                }
                self.ensure(def).await?;
                let key = owner_key(def);
                let t = self.table(&def.name).await?;
                let whole = *sweeps && (def.name == tables.parent.name || hard_sweep);
                let files = if whole {
                    t.files()?
                } else {
                    t.files_with(&key, ids).await?
                };
                let mut batches = Vec::new();
                for f in &files {
                    batches.extend(t.read(&f.path, None).await?);
                }
                scratch::fill(&mut scratch, def, &t.columns()?, &batches)?;
                let done = t.txn_version(app).await?.is_some_and(|v| v >= version);
                loaded.push((def.clone(), files, done));
            }
        }
        // Every phase of the merge plan but the bookmark, whose commit to
        // the lake is `write`'s, after the data (`plan::WRITE_ORDER`).
        let stats = scratch.write_batch(batch, false)?;
        for (def, files, done) in loaded {
            if done {
                continue;
            }
            let key = owner_key(&def);
            let out = scratch::rows(&scratch, &def, &key)?;
            if files.is_empty() && out.iter().all(|b| b.num_rows() == 0) {
                continue;
            }
            let txn = Transaction::new(app, version);
            // The version the rows were read at, not a newer one: a commit
            // since then must fail this one (and the batch is recomputed).
            let t = self.tables.get_mut(&def.name).expect("opened above");
            t.commit(&files, out, Some(&key), Some(txn), true).await?;
        }
        Ok(stats)
    }

    /// Rewrites `_kustomer_state` with `stream`'s bookmark set (or removed).
    async fn save_bookmark(
        &mut self,
        stream: &str,
        bookmark: Option<&str>,
        txn: Option<Transaction>,
    ) -> Result<(), SyncError> {
        self.ensure(&scratch::state_def()).await?;
        let t = self.table(STATE_TABLE).await?;
        let files = t.files()?;
        let mut rows = scratch::read_state(t, &files).await?;
        rows.retain(|(s, _)| s != stream);
        if let Some(b) = bookmark {
            rows.push((stream.to_owned(), b.to_owned()));
        }
        rows.sort();
        let out = scratch::state_batch(&rows)?;
        t.commit(&files, vec![out], None, txn, true).await
    }

    async fn read_bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        let t = self.table(STATE_TABLE).await?;
        let files = t.files()?;
        let rows = scratch::read_state(t, &files).await?;
        Ok(rows.into_iter().find(|(s, _)| s == stream).map(|(_, b)| b))
    }

    /// A table's rows in an in-memory DuckDB destination (for `ids`).
    async fn snapshot(&mut self, name: &str) -> Result<DuckDbDestination, SyncError> {
        let known = self.defs.get(name).cloned();
        let t = self.table(name).await?;
        let columns = t.columns()?;
        let def = known.unwrap_or_else(|| scratch::def_of(name, &columns));
        let mut batches = Vec::new();
        for f in t.files()? {
            batches.extend(t.read(&f.path, None).await?);
        }
        let mut scratch = DuckDbDestination::scratch()?;
        scratch::fill(&mut scratch, &def, &columns, &batches)?;
        Ok(scratch)
    }

    /// Compacts the tables past the file threshold into one file each.
    async fn compact(&mut self, names: &[String]) -> Result<(), SyncError> {
        let limit = self.compact_files;
        if limit == 0 {
            return Ok(());
        }
        for name in names {
            let Some(def) = self.defs.get(name).cloned() else {
                continue;
            };
            // The table as this batch's commit left it, not read again: if
            // another writer committed since, the compaction's commit fails
            // and waits for a later batch.
            let Some(t) = self.tables.get_mut(name) else {
                continue;
            };
            // Only small files, smallest first, up to about one target
            // file's worth: the memory a compaction takes stays bounded
            // however large the table grows, and files that reached the
            // target size are left alone.
            let mut small: Vec<FileRef> = t.files()?.into_iter().filter(|f| f.size < COMPACT_BYTES).collect();
            if small.len() <= limit {
                continue;
            }
            small.sort_by_key(|f| f.size);
            let mut total = 0;
            let files: Vec<FileRef> = small
                .into_iter()
                .take_while(|f| {
                    let take = total < COMPACT_BYTES;
                    total += f.size;
                    take
                })
                .collect();
            if files.len() < 2 {
                continue;
            }
            let mut batches = Vec::new();
            for f in &files {
                batches.extend(t.read(&f.path, None).await?);
            }
            let key = owner_key(&def);
            // Sorted by owner key, so a batch's ids hit few files afterwards.
            let sorted = scratch::sort(&def, &t.columns()?, &batches, &key)?;
            match t.commit(&files, sorted, Some(&key), None, false).await {
                // A writer got there first: compact another time.
                Err(e) if is_conflict(&e) => {}
                other => other?,
            }
            tracing::info!(table = %name, files = files.len(), "compacted");
        }
        Ok(())
    }
}

/// The column naming a row's parent: `id`, or a child table's parent key.
fn owner_key(def: &TableDef) -> String {
    match &def.parent {
        Some(p) => p.column.clone(),
        None => def.primary_key.first().cloned().unwrap_or_else(|| "id".into()),
    }
}

fn writer_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}-{:x}", nanos & 0xffff_ffff_ffff, std::process::id())
}

/// A lost commit race (another writer committed the version first).
fn is_conflict(e: &SyncError) -> bool {
    matches!(e, SyncError::Conflict(_))
}

impl Destination for DeltaDestination {
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        let rt = self.rt.clone();
        rt.block_on(async {
            for def in tables.all() {
                self.ensure(def).await?;
            }
            Ok(())
        })
    }

    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        let rt = self.rt.clone();
        rt.block_on(self.read_bookmark(stream))
    }

    fn reset(&mut self, stream: &str) -> Result<(), SyncError> {
        let rt = self.rt.clone();
        rt.block_on(async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                match self.save_bookmark(stream, None, None).await {
                    Err(e) if is_conflict(&e) && attempt < RETRIES => continue,
                    other => return other,
                }
            }
        })
    }

    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        self.seq += 1;
        let version = self.seq;
        let app = format!("kustomer/{}/{}", self.writer, batch.stream);
        let rt = self.rt.clone();
        rt.block_on(async {
            let mut attempt = 0;
            let stats = loop {
                attempt += 1;
                match self.write_once(&batch, &app, version).await {
                    Err(e) if is_conflict(&e) && attempt < RETRIES => {
                        tracing::debug!(attempt, "delta commit conflict; recomputing: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(10 * u64::from(attempt))).await;
                    }
                    other => break other?,
                }
            };
            // The bookmark moves only once every data commit is durable.
            if let Some(bm) = &batch.bookmark {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    let txn = Transaction::new(&app, version);
                    match self.save_bookmark(&batch.stream, Some(bm), Some(txn)).await {
                        Err(e) if is_conflict(&e) && attempt < RETRIES => {
                            // Landed after all (a lost answer)?
                            let t = self.table(STATE_TABLE).await?;
                            if t.txn_version(&app).await?.is_some_and(|v| v >= version) {
                                break;
                            }
                        }
                        other => break other?,
                    }
                }
            }
            let names: Vec<String> = batch
                .tables
                .all()
                .chain(batch.companions.iter().flat_map(|c| c.tables.all()))
                .map(|d| d.name.clone())
                .collect();
            self.compact(&names).await?;
            Ok(stats)
        })
    }

    fn row_count(&mut self, table: &str) -> Result<u64, SyncError> {
        let rt = self.rt.clone();
        rt.block_on(async {
            let t = self.table(table).await?;
            let mut n = 0;
            for f in t.files()? {
                n += match f.rows {
                    Some(r) => r as u64,
                    None => t.read(&f.path, None).await?.iter().map(|b| b.num_rows() as u64).sum(),
                };
            }
            Ok(n)
        })
    }

    fn finish(&mut self) -> Result<(), SyncError> {
        let Some(hours) = self.vacuum_hours else { return Ok(()) };
        let names: Vec<String> = self.tables.keys().cloned().collect();
        let rt = self.rt.clone();
        rt.block_on(async {
            for name in names {
                let t = self.table(&name).await?;
                let vacuumed = t
                    .table
                    .clone()
                    .vacuum()
                    .with_retention_period(chrono::Duration::hours(hours as i64))
                    .await
                    .map_err(|e| err(format!("{name}: vacuum: {e}")))?;
                t.table = vacuumed.0;
            }
            Ok(())
        })
    }

    // Id queries run on the table's current rows, in DuckDB.
    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        self.read_table(table)?.ids(table, query)
    }

    fn count_ids(&mut self, table: &str, query: &IdQuery) -> Result<u64, SyncError> {
        self.read_table(table)?.count_ids(table, query)
    }

    fn ids_after(&mut self, table: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, SyncError> {
        self.read_table(table)?.ids_after(table, after, limit)
    }
}

/// A column of a type Delta gave back (for tables we did not define this run).
pub(crate) fn column_of(name: &str, ty: &arrow_schema::DataType) -> Column {
    use arrow_schema::DataType as T;
    let lt = match ty {
        T::Int64 | T::Int32 => LogicalType::BigInt,
        T::Float64 => LogicalType::Double,
        T::Boolean => LogicalType::Boolean,
        T::Timestamp(..) => LogicalType::Timestamp,
        _ => LogicalType::Text,
    };
    Column::new(name, lt)
}
