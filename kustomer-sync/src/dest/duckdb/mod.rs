//! The embedded default destination: one DuckDB file.
//!
//! Rows are bulk-appended into temporary staging tables, then merged with
//! set-based statements (delete by key, insert from staging; the plan of
//! [`super::plan`] in [`DuckDbDialect`]) inside one transaction together
//! with the stream's bookmark: a kill at any instant
//! leaves either the whole batch or none of it. A batch without history
//! skips staging and merge (`replace.rs`): the stored copies it replaces
//! are deleted, then it is appended straight into its tables.
//!
//! Keys are kept by the merge, not declared: DuckDB's key index (ART) lives
//! outside its buffer pool at ~72 bytes per key, so a declared `PRIMARY
//! KEY` made memory grow with the org and a bounded `memory_limit` fail
//! with "Out of Memory" (`repro.rs`). The merge deletes by key before it
//! inserts, a batch holds one row per key, the ids a table may hold are
//! tracked by [`known::KnownIds`], and every clone of a destination writes
//! under one lock, so each key still has one row. Tables created by an
//! older version keep their declared key, which changes nothing.

mod dialect;
mod known;
mod memory;
mod merge;
mod replace;
#[cfg(test)]
mod repro;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;
use duckdb::{params, params_from_iter, Connection};
use kustomer_models::{FlatRecord, TableDef};

use self::dialect::{fail, Failure, SqlCell};
use self::known::KnownIds;
use self::merge::id_query_sql;
use super::dialect::ErrorClass;
use super::plan::{self, Phase, Tally};
use super::{last_copies, Destination, IdQuery, StreamTables, WriteBatch, WriteStats};
use crate::error::SyncError;

pub use self::dialect::DuckDbDialect;
use super::sql::comment_statements;
pub use super::sql::ident;

/// What [`DuckDbDestination::open`] sets, for a footprint that stays flat as
/// the org grows:
/// - a bounded buffer pool (DuckDB's own default is 80 % of the machine;
///   what does not fit spills to a temp file beside the database). With no
///   key index outside the pool, 64 MB loads a million records (`repro.rs`
///   shows what an index did to that); a table wider than ~100 columns
///   raises it, since appends and checkpoints hold a block per column
///   (`memory.rs`), and 32 MB fails a checkpoint of this sync's widest;
/// - one thread: the writer is one thread already, and each extra DuckDB
///   thread kept its own buffers (18 % more CPU for the same peak);
/// - no automatic checkpoint: the destination checkpoints itself after a
///   write that leaves 16 MB of log (DuckDB's default threshold), with the
///   limit lifted to what the file's widest table needs while it runs (a
///   checkpoint that cannot pin a block invalidates the file; `memory.rs`).
pub const DEFAULT_SETTINGS: &str = "SET memory_limit = '64MB'; SET threads = 1; SET checkpoint_threshold = '1TB';";

use crate::columns::STATE_TABLE;

/// Statements a connection keeps prepared: the direct path's few per table
/// (`replace.rs`) and the bookmark's, for every table of a run.
const STATEMENTS: usize = 512;

/// DuckDB's type for a logical type: the one place this mapping lives
/// ([`crate::dest::types::duckdb`]).
pub use super::types::duckdb as sql_type;

fn db_err(context: &str) -> impl Fn(duckdb::Error) -> SyncError + '_ {
    move |e| SyncError::Destination(format!("duckdb: {context}: {e}"))
}

/// A DuckDB database file (or an in-memory database).
pub struct DuckDbDestination {
    conn: Connection,
    /// Columns known to exist per table, so DDL runs once per table per run.
    columns: HashMap<String, Vec<String>>,
    /// Per parent table written this run, the ids it may hold; shared by
    /// every clone and held by a write from its first read to its commit,
    /// so one writes at a time (a webhook receiver beside a poll): no
    /// declared key would stop two inserting the same new parent.
    known: Arc<Mutex<HashMap<String, KnownIds>>>,
    /// Columns of the widest table the memory limit was checked for.
    widest: usize,
    /// Whether tables carry the dictionary's comments (not in a scratch
    /// database no one browses).
    comments: bool,
}

impl std::fmt::Debug for DuckDbDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuckDbDestination")
            .field("tables", &self.columns.len())
            .finish()
    }
}

/// DuckDB checkpoints a file when its last connection closes, at the limit
/// it has then: the log left by the last writes is checkpointed here first,
/// with room ([`memory::checkpoint`]).
impl Drop for DuckDbDestination {
    fn drop(&mut self) {
        if let Err(e) = memory::checkpoint(&self.conn, 1) {
            tracing::warn!("closing the DuckDB file: {e}");
        }
    }
}

impl DuckDbDestination {
    /// Opens (or creates) a database file, with [`DEFAULT_SETTINGS`]
    /// (change them with `SET` on [`connection`](Self::connection), or open
    /// the connection yourself and use [`from_connection`](Self::from_connection)).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SyncError> {
        let path = path.as_ref();
        let conn = Connection::open(path)
            .map_err(|e| SyncError::Destination(format!("cannot open DuckDB file {}: {e}", path.display())))?;
        conn.execute_batch(DEFAULT_SETTINGS).map_err(db_err("settings"))?;
        Self::with_connection(conn)
    }

    /// An in-memory database (tests, dry runs).
    pub fn in_memory() -> Result<Self, SyncError> {
        Self::with_connection(Connection::open_in_memory().map_err(db_err("open in memory"))?)
    }

    /// A destination on a connection opened by the caller (with its own
    /// configuration: memory limit, threads, read-only for a dry check…).
    pub fn from_connection(conn: Connection) -> Result<Self, SyncError> {
        Self::with_connection(conn)
    }

    /// An in-memory database to compute in (the Delta destination's
    /// batches): no comments on its tables.
    #[cfg(feature = "delta")]
    pub(crate) fn scratch() -> Result<Self, SyncError> {
        let mut scratch = Self::in_memory()?;
        scratch.comments = false;
        Ok(scratch)
    }

    fn with_connection(conn: Connection) -> Result<Self, SyncError> {
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {STATE_TABLE} (stream VARCHAR PRIMARY KEY, bookmark VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL)"
        ))
        .map_err(db_err("create state table"))?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Ok(DuckDbDestination {
            conn,
            columns: HashMap::new(),
            known: Arc::default(),
            widest: 0,
            comments: true,
        })
    }

    /// The underlying connection, for queries.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn existing_columns(&self, table: &str) -> Result<Vec<String>, SyncError> {
        let mut stmt = self
            .conn
            .prepare("SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position")
            .map_err(db_err("read columns"))?;
        let rows = stmt
            .query_map(params![table], |r| r.get::<_, String>(0))
            .map_err(db_err("read columns"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err("read columns"))
    }

    /// Creates `def`'s table or adds the columns it lacks (never drops).
    pub(crate) fn ensure_table(&mut self, def: &TableDef) -> Result<(), SyncError> {
        if let Some(known) = self.columns.get(&def.name) {
            if def.columns.iter().all(|c| known.contains(&c.name)) {
                return Ok(());
            }
        }
        let cols: Vec<String> = def
            .columns
            .iter()
            .map(|c| {
                let null = if c.nullable { "" } else { " NOT NULL" };
                format!("{} {}{null}", ident(&c.name), sql_type(c.ty))
            })
            .collect();
        // No declared key: the merge keeps it (the module's docs say why).
        let ddl = format!("CREATE TABLE IF NOT EXISTS {} ({})", ident(&def.name), cols.join(", "));
        self.conn.execute_batch(&ddl).map_err(db_err("create table"))?;
        // Schema evolution: add what is missing, never drop what is there.
        let mut existing = self.existing_columns(&def.name)?;
        for c in &def.columns {
            if !existing.contains(&c.name) {
                tracing::info!(table = %def.name, column = %c.name, "adding column");
                self.conn
                    .execute_batch(&format!(
                        "ALTER TABLE {} ADD COLUMN {} {}",
                        ident(&def.name),
                        ident(&c.name),
                        sql_type(c.ty)
                    ))
                    .map_err(db_err("add column"))?;
                existing.push(c.name.clone());
            }
        }
        if self.comments {
            self.comment(def)?;
        }
        if existing.len() > self.widest {
            memory::ensure_room(&self.conn, existing.len())?;
            self.widest = existing.len();
        }
        self.columns.insert(def.name.clone(), existing);
        Ok(())
    }

    /// Brings the table's and its columns' comments to their meanings
    /// (`COMMENT ON`), so a SQL client browsing the file shows them.
    fn comment(&self, def: &TableDef) -> Result<(), SyncError> {
        let err = db_err("read comments");
        let mut stmt = (self.conn)
            .prepare("SELECT comment FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?")
            .map_err(&err)?;
        let table: Vec<Option<String>> = (stmt.query_map(params![def.name], |r| r.get(0)).map_err(&err)?)
            .collect::<Result<_, _>>()
            .map_err(&err)?;
        let mut stmt = (self.conn)
            .prepare("SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?")
            .map_err(&err)?;
        let stored: HashMap<String, Option<String>> = (stmt
            .query_map(params![def.name], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&err)?)
        .collect::<Result<_, _>>()
        .map_err(&err)?;
        let stored_table = table.into_iter().next().flatten();
        let sql = comment_statements(&ident(&def.name), def, stored_table.as_deref(), &stored, |n| n);
        if !sql.is_empty() {
            self.conn.execute_batch(&sql.join(";\n")).map_err(db_err("comment"))?;
        }
        Ok(())
    }
}

impl Destination for DuckDbDestination {
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        for def in tables.all() {
            self.ensure_table(def)?;
        }
        Ok(())
    }

    fn prepare_all(&mut self, all: &[&StreamTables]) -> Result<(), SyncError> {
        // One commit for a run's DDL, not one per table (~100 at the start
        // of a full sync, each a write-ahead-log flush).
        self.conn.execute_batch("BEGIN").map_err(db_err("begin"))?;
        let done = all
            .iter()
            .try_for_each(|t| self.prepare(t))
            .and_then(|()| self.conn.execute_batch("COMMIT").map_err(db_err("commit")));
        if done.is_err() {
            let _ = self.conn.execute_batch("ROLLBACK");
            // What the cache learnt may have been rolled back.
            self.columns.clear();
        }
        done
    }

    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT bookmark FROM {STATE_TABLE} WHERE stream = ?"))
            .map_err(db_err("read bookmark"))?;
        let mut rows = stmt.query(params![stream]).map_err(db_err("read bookmark"))?;
        match rows.next().map_err(db_err("read bookmark"))? {
            Some(row) => Ok(Some(row.get(0).map_err(db_err("read bookmark"))?)),
            None => Ok(None),
        }
    }

    fn reset(&mut self, stream: &str) -> Result<(), SyncError> {
        self.conn
            .execute(&format!("DELETE FROM {STATE_TABLE} WHERE stream = ?"), params![stream])
            .map_err(db_err("reset bookmark"))?;
        Ok(())
    }

    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        self.write_batch(&batch, true)
    }

    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        let (cond, args) = id_query_sql(query);
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT id FROM {} WHERE {cond}", ident(table)))
            .map_err(db_err("read ids"))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter().map(SqlCell)), |r| r.get::<_, String>(0))
            .map_err(db_err("read ids"))?;
        rows.collect::<Result<_, _>>().map_err(db_err("read ids"))
    }

    fn ids_after(&mut self, table: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, SyncError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT id FROM {} WHERE ? IS NULL OR id > ? ORDER BY id LIMIT {limit}",
                ident(table)
            ))
            .map_err(db_err("read ids"))?;
        let rows = stmt
            .query_map(duckdb::params![after, after], |r| r.get::<_, String>(0))
            .map_err(db_err("read ids"))?;
        rows.collect::<Result<_, _>>().map_err(db_err("read ids"))
    }

    fn count_ids(&mut self, table: &str, query: &IdQuery) -> Result<u64, SyncError> {
        let (cond, args) = id_query_sql(query);
        let n: i64 = self
            .conn
            .query_row(
                &format!("SELECT count(*) FROM {} WHERE {cond}", ident(table)),
                params_from_iter(args.iter().map(SqlCell)),
                |r| r.get(0),
            )
            .map_err(db_err("count ids"))?;
        Ok(n as u64)
    }

    fn row_count(&mut self, table: &str) -> Result<u64, SyncError> {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {}", ident(table)), [], |r| r.get(0))
            .map_err(db_err("count rows"))?;
        Ok(n as u64)
    }
}

impl DuckDbDestination {
    /// Another destination on the same database (a second connection), for
    /// a webhook receiver writing beside a poll.
    pub fn try_clone(&self) -> Result<Self, SyncError> {
        let conn = self.conn.try_clone().map_err(db_err("clone connection"))?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Ok(DuckDbDestination {
            conn,
            columns: HashMap::new(),
            known: self.known.clone(),
            widest: 0,
            comments: self.comments,
        })
    }

    /// [`Destination::write`] on a borrowed batch (a caller that may need
    /// the batch again: the Delta destination recomputes it after a lost
    /// commit race); without `bookmark`, every phase of the plan but the
    /// bookmark (the Delta destination moves its own).
    pub(crate) fn write_batch(&mut self, batch: &WriteBatch, bookmark: bool) -> Result<WriteStats, SyncError> {
        self.prepare(&batch.tables)?;
        for c in &batch.companions {
            self.prepare(&c.tables)?;
        }
        let known = self.known.clone();
        let mut known = known.lock().unwrap_or_else(PoisonError::into_inner);
        let stats = self.write_locked(&mut known, batch, bookmark)?;
        // Under the write lock: no clone is mid-transaction.
        memory::checkpoint(&self.conn, memory::CHECKPOINT_EVERY)?;
        Ok(stats)
    }

    /// [`write_batch`](Self::write_batch) under the write lock.
    fn write_locked(
        &mut self,
        known: &mut HashMap<String, KnownIds>,
        batch: &WriteBatch,
        bookmark: bool,
    ) -> Result<WriteStats, SyncError> {
        let batch = one_per_id(batch);
        if let Some(lookup) = self.maybe_stored(known, &batch)? {
            match self.write_once(&batch, Some(&lookup), bookmark) {
                Ok(stats) => {
                    note_written(known, &batch);
                    return Ok(stats);
                }
                // A key declared by an older version refused a parent a
                // connection of the caller's own wrote: merge instead.
                Err(f) if f.class == ErrorClass::KeyViolation => {
                    tracing::debug!(table = %batch.tables.parent.name, "direct path refused: {}", f.message);
                }
                Err(f) => return Err(f.into()),
            }
        }
        // A connection of the caller's own writing the same rows makes
        // DuckDB abort one transaction as a conflict: it is simply run again.
        tracing::debug!(table = %batch.tables.parent.name, records = batch.records.len(), "merging");
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.write_once(&batch, None, bookmark) {
                Err(f) if attempt < 8 && f.class == ErrorClass::Conflict => {
                    tracing::debug!(attempt, "transaction conflict; retrying: {}", f.message);
                    std::thread::sleep(std::time::Duration::from_millis(5 * attempt));
                }
                Ok(stats) => {
                    note_written(known, &batch);
                    return Ok(stats);
                }
                Err(f) => return Err(f.into()),
            }
        }
    }

    /// When the batch may take [`replace::replace`] (records, no history:
    /// versions need the merge; tables laid out as defined: the appender
    /// fills every column), the ids of its parents that may be stored.
    fn maybe_stored<'b>(
        &mut self,
        known: &mut HashMap<String, KnownIds>,
        batch: &'b WriteBatch,
    ) -> Result<Option<Vec<&'b str>>, SyncError> {
        let t = &batch.tables;
        if batch.records.is_empty() || !t.history.is_empty() {
            return Ok(None);
        }
        let laid_out = |def: &TableDef| {
            self.columns
                .get(&def.name)
                .is_some_and(|cols| cols.iter().eq(def.columns.iter().map(|c| &c.name)))
        };
        if !laid_out(&t.parent) || !t.children.iter().all(laid_out) {
            return Ok(None);
        }
        if !known.contains_key(&t.parent.name) {
            let ids = self.stored_ids(&t.parent.name)?;
            known.insert(t.parent.name.clone(), ids);
        }
        let ids = &known[&t.parent.name];
        let id = t.parent.column_index("id");
        let maybe = batch.records.iter().map(|r| stored_id(id, r));
        Ok(Some(maybe.filter(|s| ids.may_contain(s)).collect()))
    }

    /// The ids `table` holds, read once per run (nothing on a first load).
    fn stored_ids(&mut self, table: &str) -> Result<KnownIds, SyncError> {
        let n = self.row_count(table)?;
        let mut known = KnownIds::with_capacity(n as usize * 2);
        if n > 0 {
            let mut stmt = (self.conn)
                .prepare(&format!("SELECT id FROM {}", ident(table)))
                .map_err(db_err("read ids"))?;
            let mut rows = stmt.query([]).map_err(db_err("read ids"))?;
            while let Some(row) = rows.next().map_err(db_err("read ids"))? {
                if let Some(id) = row.get::<_, Option<String>>(0).map_err(db_err("read ids"))? {
                    known.insert(&id);
                }
            }
        }
        Ok(known)
    }

    /// One transaction: with `lookup` (the ids that may be stored), the
    /// batch's records go the direct way ([`replace::replace`]) and the
    /// plan's upsert is left out; without, they go through the plan.
    fn write_once(
        &mut self,
        batch: &WriteBatch,
        lookup: Option<&[&str]>,
        bookmark: bool,
    ) -> Result<WriteStats, Failure> {
        let mut plan = plan::plan(batch, &DuckDbDialect, Utc::now());
        plan.retain(|p| match p.phase {
            Phase::Bookmark => bookmark,
            Phase::Upsert => lookup.is_none(),
            _ => true,
        });
        let tx = self.conn.transaction().map_err(fail("begin"))?;
        let tally = match lookup {
            Some(lookup) => replace::replace(&tx, &batch.tables, &batch.records, lookup, batch.newest_wins)?,
            None => Tally::default(),
        };
        let stats = merge::run(&tx, &plan, tally)?;
        tx.commit().map_err(fail("commit"))?;
        Ok(stats)
    }
}

/// The batch with one record per id, the last copy kept (what the engine
/// sends already; without a declared key a second copy would be a second row).
fn one_per_id(batch: &WriteBatch) -> Cow<'_, WriteBatch> {
    let id = batch.tables.parent.column_index("id");
    let Some(keep) = last_copies(&batch.records, |r| stored_id(id, r)) else {
        return Cow::Borrowed(batch);
    };
    let mut b = batch.clone();
    let mut keep = keep.into_iter();
    b.records.retain(|_| keep.next().unwrap_or(true));
    Cow::Owned(b)
}

/// The key a parent row is stored under: its `id` cell (which a selection
/// may hash), else the record's id.
pub(super) fn stored_id(id: Option<usize>, r: &FlatRecord) -> &str {
    match id.and_then(|i| r.row.get(i)) {
        Some(kustomer_models::Cell::Text(s)) => s,
        _ => &r.id,
    }
}

/// Notes the ids a batch wrote in the tables whose ids are tracked.
fn note_written(known: &mut HashMap<String, KnownIds>, batch: &WriteBatch) {
    let groups = std::iter::once((&batch.tables, &batch.records))
        .chain(batch.companions.iter().map(|c| (&c.tables, &c.records)));
    for (tables, records) in groups {
        if let Some(ids) = known.get_mut(&tables.parent.name) {
            let id = tables.parent.column_index("id");
            records.iter().for_each(|r| ids.insert(stored_id(id, r)));
        }
    }
}
