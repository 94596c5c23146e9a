//! The embedded default destination: one DuckDB file.
//!
//! Rows are bulk-appended into temporary staging tables, then merged with
//! set-based statements (delete by key, insert from staging) inside one
//! transaction together with the stream's bookmark: a kill at any instant
//! leaves either the whole batch or none of it. A batch of parents none of
//! which is stored yet (most of a first load) skips staging and merge: it is
//! appended straight into its tables, the primary keys refusing it (and the
//! merge taking over) if any parent was there after all.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use duckdb::types::{TimeUnit, ToSqlOutput, Value, ValueRef};
use duckdb::{params, params_from_iter, Connection, ToSql};
use kustomer_models::{Cell, FlatRecord, LogicalType, TableDef};

use super::{
    Destination, IdQuery, StreamTables, Sweep, WriteBatch, WriteStats, DELETED, DELETED_AT, IS_CURRENT, SYNCED_AT,
    VALID_FROM, VALID_TO,
};
use crate::error::SyncError;

pub use super::sql::ident;
use super::sql::{column_list, comment_statements};

/// What [`DuckDbDestination::open`] sets. A bounded memory limit keeps a
/// sync's footprint flat as the org grows (DuckDB's own default is 80 % of
/// the machine; what does not fit spills to a temp file beside the
/// database). Checkpoints rewrite each table's key index whole, so at
/// DuckDB's default of one per 16 MB of log a large first load spent most
/// of its time in them; one per 256 MB costs a longer log replay after a
/// crash, nothing else.
pub const DEFAULT_SETTINGS: &str = "SET memory_limit = '256MB'; SET checkpoint_threshold = '256MB';";

/// The table holding each stream's bookmark.
pub const STATE_TABLE: &str = "_kustomer_state";

/// DuckDB's type for a logical type: the one place this mapping lives
/// ([`super::types::duckdb`]).
pub use super::types::duckdb as sql_type;

fn db_err(context: &str) -> impl Fn(duckdb::Error) -> SyncError + '_ {
    move |e| SyncError::Destination(format!("duckdb: {context}: {e}"))
}

/// A DuckDB database file (or an in-memory database).
pub struct DuckDbDestination {
    conn: Connection,
    /// Columns known to exist per table, so DDL runs once per table per run.
    columns: HashMap<String, Vec<String>>,
    /// Per parent table: how the append-only path for new parents fared.
    fast: HashMap<String, FastPath>,
    /// Whether tables carry the dictionary's comments (not in a scratch
    /// database no one browses).
    comments: bool,
}

/// Backoff of the append-only path: after a batch that held a stored
/// parent, the next `skip` batches of that table go straight to the merge,
/// and each further miss doubles the skip, so an incremental run (where
/// most parents exist) wastes a handful of attempts, not one per batch.
#[derive(Debug, Default, Clone, Copy)]
struct FastPath {
    skip: u32,
    misses: u32,
}

impl std::fmt::Debug for DuckDbDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuckDbDestination")
            .field("tables", &self.columns.len())
            .finish()
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
        Ok(DuckDbDestination {
            comments: false,
            ..Self::in_memory()?
        })
    }

    fn with_connection(conn: Connection) -> Result<Self, SyncError> {
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {STATE_TABLE} (stream VARCHAR PRIMARY KEY, bookmark VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL)"
        ))
        .map_err(db_err("create state table"))?;
        Ok(DuckDbDestination {
            conn,
            columns: HashMap::new(),
            fast: HashMap::new(),
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
        let pk: Vec<String> = def.primary_key.iter().map(|k| ident(k)).collect();
        // Parent (and history) keys are enforced: they make upserts exact and
        // refuse the append-only path when a parent is already stored. A
        // child table's key (parent key, position) is kept by construction,
        // since child rows are only ever replaced with their parent, so it
        // is not indexed: the index cost a quarter of the load rate and
        // memory that grows with the table.
        let key = if def.parent.is_some() {
            String::new()
        } else {
            format!(", PRIMARY KEY ({})", pk.join(", "))
        };
        let ddl = format!(
            "CREATE TABLE IF NOT EXISTS {} ({}{key})",
            ident(&def.name),
            cols.join(", ")
        );
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

struct SqlCell<'a>(&'a Cell);

impl ToSql for SqlCell<'_> {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Cell::Null => ToSqlOutput::Owned(Value::Null),
            Cell::Bool(b) => ToSqlOutput::Owned(Value::Boolean(*b)),
            Cell::Int(i) => ToSqlOutput::Owned(Value::BigInt(*i)),
            Cell::Float(f) => ToSqlOutput::Owned(Value::Double(*f)),
            Cell::Text(s) | Cell::Json(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Cell::Timestamp(t) => ToSqlOutput::Owned(Value::Timestamp(TimeUnit::Microsecond, t.timestamp_micros())),
            _ => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// The staging type of a logical type: JSON is staged as text and cast
/// (so validated) when it is inserted into its table.
fn stage_type(ty: LogicalType) -> &'static str {
    match ty {
        LogicalType::Json => "VARCHAR",
        other => sql_type(other),
    }
}

/// Stages rows of `def` in a temp table and returns its name. Rows go in as
/// Arrow record batches through the appender: one data chunk per 2,048 rows
/// instead of one call per cell.
fn stage<'r>(
    tx: &Connection,
    def: &TableDef,
    slot: usize,
    rows: impl Iterator<Item = &'r Vec<Cell>>,
) -> Result<String, SyncError> {
    let name = format!("_stage_{slot}");
    let cols: Vec<String> = def
        .columns
        .iter()
        .map(|c| format!("{} {}", ident(&c.name), stage_type(c.ty)))
        .collect();
    tx.execute_batch(&format!("CREATE OR REPLACE TEMP TABLE {name} ({})", cols.join(", ")))
        .map_err(db_err("create staging table"))?;
    let rows: Vec<&Vec<Cell>> = rows.collect();
    let batch = super::arrow::record_batch(def, &rows, None)?;
    let mut app = tx
        .appender_to_catalog_and_db(&name, "temp", "main")
        .map_err(db_err("appender"))?;
    app.append_record_batch(batch).map_err(db_err("append"))?;
    app.flush().map_err(db_err("flush"))?;
    Ok(name)
}

/// Upserts records into a stream's tables: parent rows by id, child rows
/// replaced with their parent, a new version in each history table.
fn upsert(
    tx: &Connection,
    tables: &StreamTables,
    records: &[FlatRecord],
    newest_wins: bool,
    stats: &mut WriteStats,
) -> Result<(), SyncError> {
    if records.is_empty() {
        return Ok(());
    }
    let parent = &tables.parent;
    let stage_parent = stage(tx, parent, 0, records.iter().map(|r| &r.row))?;
    let pt = ident(&parent.name);
    let mut stale = 0;
    if newest_wins && parent.column_index("updated_at").is_some() {
        // An older copy never overwrites a newer row (its children go with it:
        // child rows below are taken only for parents still staged).
        stale = tx
            .execute(
                &format!(
                    "DELETE FROM {stage_parent} s WHERE EXISTS
                       (SELECT 1 FROM {pt} p WHERE p.id = s.id AND p.updated_at > s.updated_at)"
                ),
                [],
            )
            .map_err(db_err("skip stale copies"))?;
        if stale > 0 {
            tracing::debug!(table = %parent.name, stale, "older copies skipped");
        }
    }
    let staged = (records.len() - stale) as i64;
    let existing: i64 = tx
        .query_row(
            &format!("SELECT count(*) FROM {pt} WHERE id IN (SELECT id FROM {stage_parent})"),
            [],
            |r| r.get(0),
        )
        .map_err(db_err("count existing"))?;
    stats.updated += existing as u64;
    stats.inserted += (staged - existing).max(0) as u64;
    if parent.column_index(DELETED).is_some() {
        let d = ident(DELETED);
        let newly: i64 = tx
            .query_row(
                &format!(
                    "SELECT count(*) FROM {stage_parent} s LEFT JOIN {pt} p ON p.id = s.id
                     WHERE s.{d} AND NOT coalesce(p.{d}, false)"
                ),
                [],
                |r| r.get(0),
            )
            .map_err(db_err("count deleted"))?;
        stats.deleted += newly as u64;
    }
    let history = |source: usize| tables.history.iter().find(|h| h.source == source);
    if let Some(h) = history(0) {
        // The version each record starts: its updatedAt (or, without one, this run).
        let from = match parent.column_index("updated_at") {
            Some(_) => format!("coalesce(s.updated_at, s.{})", ident(SYNCED_AT)),
            None => format!("s.{}", ident(SYNCED_AT)),
        };
        let ht = ident(&h.def.name);
        let vf = ident(VALID_FROM);
        // A version older than one already stored (a late, stale copy) is not history.
        tx.execute_batch(&format!(
            "CREATE OR REPLACE TEMP TABLE _versions AS
               SELECT id, {from} AS {vf} FROM {stage_parent} s
               WHERE NOT EXISTS (SELECT 1 FROM {ht} h WHERE h.id = s.id AND h.{vf} > {from})"
        ))
        .map_err(db_err("stage versions"))?;
    }
    let cols = column_list(parent, "");
    // Rows of parents seen before are replaced; a batch of new parents (a
    // first load) has nothing to delete, and skipping the deletes spares a
    // scan of every child table per batch.
    let replacing = existing > 0;
    if replacing {
        tx.execute_batch(&format!("DELETE FROM {pt} WHERE id IN (SELECT id FROM {stage_parent})"))
            .map_err(db_err("merge parent rows"))?;
    }
    tx.execute_batch(&format!("INSERT INTO {pt} ({cols}) SELECT {cols} FROM {stage_parent}"))
        .map_err(db_err("merge parent rows"))?;
    if let Some(h) = history(0) {
        let ht = ident(&h.def.name);
        let select = format!(
            "SELECT {}, v.{} FROM {stage_parent} s JOIN _versions v ON v.id = s.id",
            column_list(parent, "s."),
            ident(VALID_FROM)
        );
        add_versions(tx, &ht, "id", &select, &cols)?;
    }
    // Children follow their parent: replaced wholesale.
    for (i, child) in tables.children.iter().enumerate() {
        let ct = ident(&child.name);
        let pcol = ident(child.parent_column().unwrap_or("parent_id"));
        if replacing {
            tx.execute_batch(&format!(
                "DELETE FROM {ct} WHERE {pcol} IN (SELECT id FROM {stage_parent})"
            ))
            .map_err(db_err("delete child rows"))?;
        }
        let n: usize = records.iter().map(|r| r.children.get(i).map_or(0, Vec::len)).sum();
        let cols = column_list(child, "");
        let stage_child = if n > 0 {
            let rows = records.iter().flat_map(|r| r.children.get(i).into_iter().flatten());
            let stage_child = stage(tx, child, 1, rows)?;
            tx.execute_batch(&format!(
                "INSERT INTO {ct} ({cols}) SELECT {cols} FROM {stage_child}
                 WHERE {pcol} IN (SELECT id FROM {stage_parent})"
            ))
            .map_err(db_err("insert child rows"))?;
            stats.child_rows += n as u64;
            Some(stage_child)
        } else {
            None
        };
        if let Some(h) = history(i + 1) {
            let ht = ident(&h.def.name);
            let select = match &stage_child {
                Some(sc) => format!(
                    "SELECT {}, v.{} FROM {sc} c JOIN _versions v ON v.id = c.{pcol}",
                    column_list(child, "c."),
                    ident(VALID_FROM)
                ),
                None => String::new(),
            };
            add_versions(tx, &ht, &pcol, &select, &cols)?;
        }
    }
    Ok(())
}

/// Appends a batch of parents none of which is stored yet (a first load),
/// with their child rows, straight into their tables: no staging, no merge.
/// The parent's primary key is the check: a parent already there fails
/// the append with a constraint error, and the caller rolls back and merges
/// instead (child rows of a new parent cannot exist: they go with it). Only for tables whose columns are exactly the
/// definition's, in order (the appender fills every column).
fn append_new(
    tx: &Connection,
    tables: &StreamTables,
    records: &[FlatRecord],
    stats: &mut WriteStats,
) -> Result<(), SyncError> {
    let append = |def: &TableDef, rows: Vec<&Vec<Cell>>, what: &str| -> Result<(), SyncError> {
        if rows.is_empty() {
            return Ok(());
        }
        // The merge validates JSON by casting from text; an append does not.
        for (c, col) in def
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.ty == LogicalType::Json)
        {
            for row in &rows {
                if let Some(Cell::Json(text)) = row.get(c) {
                    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
                        return Err(SyncError::Destination(format!(
                            "duckdb: {what}: malformed JSON in {}.{}: {e}",
                            def.name, col.name
                        )));
                    }
                }
            }
        }
        let batch = super::arrow::record_batch(def, &rows, None)?;
        let mut app = tx.appender(&def.name).map_err(db_err(what))?;
        app.append_record_batch(batch).map_err(db_err(what))?;
        app.flush().map_err(db_err(what))
    };
    append(
        &tables.parent,
        records.iter().map(|r| &r.row).collect(),
        "append parent rows",
    )?;
    for (i, child) in tables.children.iter().enumerate() {
        let rows: Vec<&Vec<Cell>> = records
            .iter()
            .flat_map(|r| r.children.get(i).into_iter().flatten())
            .collect();
        stats.child_rows += rows.len() as u64;
        append(child, rows, "append child rows")?;
    }
    stats.inserted += records.len() as u64;
    if let Some(d) = tables.parent.column_index(DELETED) {
        stats.deleted += records
            .iter()
            .filter(|r| matches!(r.row.get(d), Some(Cell::Bool(true))))
            .count() as u64;
    }
    Ok(())
}

/// Records new versions in a history table: a version replayed replaces
/// itself, the current version of each parent in `_versions` closes where
/// the new one starts (validity stays contiguous), then the new rows go in.
/// `select` yields the source columns then `_valid_from` (empty: no rows).
fn add_versions(tx: &Connection, ht: &str, key: &str, select: &str, cols: &str) -> Result<(), SyncError> {
    let (vf, vt, cur) = (ident(VALID_FROM), ident(VALID_TO), ident(IS_CURRENT));
    tx.execute_batch(&format!(
        "DELETE FROM {ht} WHERE EXISTS (SELECT 1 FROM _versions v WHERE v.id = {ht}.{key} AND v.{vf} = {ht}.{vf});
         UPDATE {ht} SET {vt} = v.{vf}, {cur} = false FROM _versions v WHERE {ht}.{key} = v.id AND {ht}.{cur};"
    ))
    .map_err(db_err("close versions"))?;
    if !select.is_empty() {
        tx.execute_batch(&format!(
            "INSERT INTO {ht} ({cols}, {vf}, {vt}, {cur}) SELECT *, NULL, true FROM ({select})"
        ))
        .map_err(db_err("insert versions"))?;
    }
    Ok(())
}

/// Removes parents (and their child rows) whose id is in `ids`.
fn remove(tx: &Connection, tables: &StreamTables, ids: &[String], stats: &mut WriteStats) -> Result<(), SyncError> {
    if ids.is_empty() {
        return Ok(());
    }
    tx.execute_batch("CREATE OR REPLACE TEMP TABLE _removed (id VARCHAR)")
        .map_err(db_err("stage deletes"))?;
    let mut app = tx
        .appender_to_catalog_and_db("_removed", "temp", "main")
        .map_err(db_err("appender"))?;
    for id in ids {
        app.append_row(params![id]).map_err(db_err("append"))?;
    }
    app.flush().map_err(db_err("flush"))?;
    drop(app);
    for child in &tables.children {
        let pcol = ident(child.parent_column().unwrap_or("parent_id"));
        tx.execute_batch(&format!(
            "DELETE FROM {} WHERE {pcol} IN (SELECT id FROM _removed)",
            ident(&child.name)
        ))
        .map_err(db_err("delete child rows"))?;
    }
    let n = tx
        .execute(
            &format!(
                "DELETE FROM {} WHERE id IN (SELECT id FROM _removed)",
                ident(&tables.parent.name)
            ),
            [],
        )
        .map_err(db_err("delete rows"))?;
    stats.deleted += n as u64;
    Ok(())
}

/// The condition and arguments of an [`IdQuery`] (`?` placeholders).
fn id_query_sql(q: &IdQuery) -> (String, Vec<Cell>) {
    let mut cond = vec!["true".to_owned()];
    let mut args = Vec::new();
    if let Some(t) = q.updated_from {
        cond.push("updated_at >= ?".into());
        args.push(Cell::Timestamp(t));
    }
    if let Some(t) = q.updated_before {
        cond.push("updated_at < ?".into());
        args.push(Cell::Timestamp(t));
    }
    if let Some(t) = q.synced_since {
        cond.push(format!("{} >= ?", ident(SYNCED_AT)));
        args.push(Cell::Timestamp(t));
    }
    (cond.join(" AND "), args)
}

/// Marks parents deleted (soft) by id; their child rows stay.
fn mark_deleted(
    tx: &Connection,
    tables: &StreamTables,
    ids: &[String],
    at: DateTime<Utc>,
    stats: &mut WriteStats,
) -> Result<(), SyncError> {
    if ids.is_empty() || tables.parent.column_index(DELETED).is_none() {
        return Ok(());
    }
    let (d, da) = (ident(DELETED), ident(DELETED_AT));
    let mut stmt = tx
        .prepare(&format!(
            "UPDATE {} SET {d} = true, {da} = coalesce({da}, ?) WHERE id = ? AND NOT coalesce({d}, false)",
            ident(&tables.parent.name)
        ))
        .map_err(db_err("mark deleted"))?;
    for id in ids {
        let n = stmt
            .execute(params_from_iter([
                SqlCell(&Cell::Timestamp(at)),
                SqlCell(&Cell::Text(id.clone())),
            ]))
            .map_err(db_err("mark deleted"))?;
        stats.deleted += n as u64;
    }
    Ok(())
}

/// Marks (or removes) parent rows a complete read did not see.
fn sweep(tx: &Connection, tables: &StreamTables, sweep: &Sweep, stats: &mut WriteStats) -> Result<(), SyncError> {
    let pt = ident(&tables.parent.name);
    let (d, da, sa) = (ident(DELETED), ident(DELETED_AT), ident(SYNCED_AT));
    // Soft: mark what is not marked yet. Hard: remove whatever was not seen,
    // marked earlier or not.
    let mut cond = format!("({sa} IS NULL OR {sa} < ?)");
    if !sweep.hard {
        cond.push_str(&format!(" AND NOT coalesce({d}, false)"));
    }
    let mut args = vec![Cell::Timestamp(sweep.before)];
    if let Some((col, since)) = &sweep.since {
        cond.push_str(&format!(" AND {} >= ?", ident(col)));
        args.push(Cell::Timestamp(*since));
    }
    if sweep.hard {
        let ids: Vec<String> = {
            let mut stmt = tx
                .prepare(&format!("SELECT id FROM {pt} WHERE {cond}"))
                .map_err(db_err("find vanished rows"))?;
            let rows = stmt
                .query_map(params_from_iter(args.iter().map(SqlCell)), |r| r.get::<_, String>(0))
                .map_err(db_err("find vanished rows"))?;
            rows.collect::<Result<_, _>>().map_err(db_err("find vanished rows"))?
        };
        return remove(tx, tables, &ids, stats);
    }
    let mut all = vec![Cell::Timestamp(sweep.at)];
    all.extend(args);
    let n = tx
        .execute(
            &format!("UPDATE {pt} SET {d} = true, {da} = coalesce({da}, ?) WHERE {cond}"),
            params_from_iter(all.iter().map(SqlCell)),
        )
        .map_err(db_err("mark vanished rows"))?;
    if n > 0 {
        tracing::info!(table = %tables.parent.name, rows = n, "rows no longer in the source marked deleted");
    }
    stats.deleted += n as u64;
    Ok(())
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
        self.write_batch(&batch)
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
        Ok(DuckDbDestination {
            conn: self.conn.try_clone().map_err(db_err("clone connection"))?,
            columns: HashMap::new(),
            fast: HashMap::new(),
            comments: self.comments,
        })
    }

    /// [`Destination::write`] on a borrowed batch (a caller that may need
    /// the batch again: the Delta destination recomputes it after a lost
    /// commit race).
    pub(crate) fn write_batch(&mut self, batch: &WriteBatch) -> Result<WriteStats, SyncError> {
        self.prepare(&batch.tables)?;
        for c in &batch.companions {
            self.prepare(&c.tables)?;
        }
        // Another connection to the same database (a webhook receiver beside
        // a poll) can touch the same rows: DuckDB then aborts one transaction
        // as a conflict, and it is simply run again.
        if self.fast_path_fits(batch) {
            match self.write_once(batch, true) {
                Ok(stats) => {
                    // Back to trying every batch (no allocation per batch).
                    self.fast.remove(&batch.tables.parent.name);
                    return Ok(stats);
                }
                // A parent was already stored: merge instead, and back off.
                Err(SyncError::Destination(msg)) if msg.contains("onstraint") => {
                    let f = self.fast.entry(batch.tables.parent.name.clone()).or_default();
                    f.misses = (f.misses + 1).min(6);
                    f.skip = 1 << f.misses;
                    tracing::debug!(table = %batch.tables.parent.name, skip = f.skip, "append-only path refused: {msg}");
                }
                Err(e) => return Err(e),
            }
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.write_once(batch, false) {
                Err(SyncError::Destination(msg)) if attempt < 8 && msg.contains("onflict") => {
                    tracing::debug!(attempt, "transaction conflict; retrying: {msg}");
                    std::thread::sleep(std::time::Duration::from_millis(5 * attempt));
                }
                other => return other,
            }
        }
    }

    /// Whether the batch may try [`append_new`]: records and no history
    /// (versions need the merge), tables laid out as defined, and not
    /// backing off after a recent miss.
    fn fast_path_fits(&mut self, batch: &WriteBatch) -> bool {
        let t = &batch.tables;
        if batch.records.is_empty() || !t.history.is_empty() {
            return false;
        }
        let laid_out = |def: &TableDef| {
            self.columns
                .get(&def.name)
                .is_some_and(|cols| cols.iter().eq(def.columns.iter().map(|c| &c.name)))
        };
        if !laid_out(&t.parent) || !t.children.iter().all(laid_out) {
            return false;
        }
        match self.fast.get_mut(&t.parent.name) {
            Some(f) if f.skip > 0 => {
                f.skip -= 1;
                false
            }
            _ => true,
        }
    }

    fn write_once(&mut self, batch: &WriteBatch, append_only: bool) -> Result<WriteStats, SyncError> {
        let tx = self.conn.transaction().map_err(db_err("begin"))?;
        let mut stats = WriteStats::default();
        if append_only {
            append_new(&tx, &batch.tables, &batch.records, &mut stats)?;
        } else {
            upsert(&tx, &batch.tables, &batch.records, batch.newest_wins, &mut stats)?;
        }
        remove(&tx, &batch.tables, &batch.deletes, &mut stats)?;
        mark_deleted(&tx, &batch.tables, &batch.mark_deleted, Utc::now(), &mut stats)?;
        for c in &batch.companions {
            // Companions count as their own stream's rows, not this one's.
            upsert(
                &tx,
                &c.tables,
                &c.records,
                batch.newest_wins,
                &mut WriteStats::default(),
            )?;
        }
        if let Some(s) = &batch.sweep {
            sweep(&tx, &batch.tables, s, &mut stats)?;
        }
        if let Some(bm) = &batch.bookmark {
            tx.execute(
                &format!(
                    "INSERT INTO {STATE_TABLE} VALUES (?, ?, now()::TIMESTAMP) ON CONFLICT (stream) DO UPDATE SET bookmark = excluded.bookmark, updated_at = excluded.updated_at"
                ),
                params![batch.stream, bm],
            )
            .map_err(db_err("write bookmark"))?;
        }
        tx.commit().map_err(db_err("commit"))?;
        Ok(stats)
    }
}
