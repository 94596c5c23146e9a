//! The PostgreSQL destination: every table of a source in one schema.
//!
//! Each batch is one transaction: rows are bulk-loaded with binary `COPY`
//! into temporary staging tables (dropped at commit), then merged with
//! set-based statements (delete by key, insert from staging) together with
//! the stream's bookmark, statement for statement as the DuckDB destination
//! does. A failure anywhere rolls the whole batch back: nothing is half
//! written and no bookmark moves.
//!
//! [`Destination`] is synchronous (the engine calls it from a blocking writer
//! thread), so the destination owns a one-worker tokio runtime and blocks on
//! it for each call; it works whether or not the caller is inside a runtime.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use kustomer_models::{Cell, FlatRecord, LogicalType, TableDef};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{IsolationLevel, NoTls, SimpleQueryMessage, Transaction};

use super::runtime::OwnedRuntime;
use super::{
    Destination, IdQuery, StreamTables, Sweep, WriteBatch, WriteStats, DELETED, DELETED_AT, IS_CURRENT, SYNCED_AT,
    VALID_FROM, VALID_TO,
};
use crate::error::SyncError;

pub use super::sql::ident;
use super::sql::{column_list, comment_statements};

/// The table (in the destination's schema) holding each stream's bookmark.
pub const STATE_TABLE: &str = "_kustomer_state";

/// The schema used when the URL names none.
pub const DEFAULT_SCHEMA: &str = "kustomer";

/// Connections in the pool (shared by [`PostgresDestination::try_clone`] handles).
const POOL_SIZE: usize = 4;

/// Attempts of a batch that failed on a serialization failure, a deadlock or
/// a concurrent insert of the same key.
const ATTEMPTS: u64 = 8;

/// PostgreSQL's type for a logical type: the one place this mapping lives
/// ([`super::types::postgres`]; the wire types of binary `COPY` follow it).
pub use super::types::postgres as sql_type;

/// The wire type of a column in binary `COPY`, matching [`sql_type`].
fn copy_type(ty: LogicalType) -> Type {
    match sql_type(ty) {
        "bigint" => Type::INT8,
        "double precision" => Type::FLOAT8,
        "boolean" => Type::BOOL,
        "timestamptz" => Type::TIMESTAMPTZ,
        "jsonb" => Type::JSONB,
        _ => Type::TEXT,
    }
}

/// The name PostgreSQL stores for an identifier: at most 63 bytes
/// (`NAMEDATALEN - 1`); longer names are truncated, in DDL and queries alike.
fn stored_name(name: &str) -> &str {
    if name.len() <= 63 {
        return name;
    }
    let mut end = 63;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// An error on its way out, with the SQLSTATE that decides whether running
/// the batch again may succeed.
#[derive(Debug)]
struct Failure {
    message: String,
    code: Option<SqlState>,
}

impl Failure {
    fn new(message: String) -> Self {
        Failure { message, code: None }
    }

    /// Another transaction got in the way; the batch alone would succeed.
    fn retryable(&self) -> bool {
        // A unique violation is retried too: a writer beside us (a webhook
        // receiver) can insert a new parent between our check and our
        // insert of the same key; run again, the batch sees and replaces it.
        self.code.as_ref().is_some_and(|c| {
            *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::UNIQUE_VIOLATION
        })
    }
}

impl From<Failure> for SyncError {
    fn from(f: Failure) -> Self {
        SyncError::Destination(format!("postgres: {}", f.message))
    }
}

/// A tokio-postgres error in one line: its kind, then the server's message,
/// detail, hint and SQLSTATE (`Display` alone says only "db error").
fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{}: {} (SQLSTATE {})", db.severity(), db.message(), db.code().code());
        if let Some(d) = db.detail() {
            s.push_str(&format!("; detail: {d}"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!("; hint: {h}"));
        }
        return s;
    }
    match std::error::Error::source(e) {
        Some(src) => format!("{e}: {src}"),
        None => e.to_string(),
    }
}

fn pg(context: &str) -> impl Fn(tokio_postgres::Error) -> Failure + '_ {
    move |e| Failure {
        message: format!("{context}: {}", describe(&e)),
        code: e.code().cloned(),
    }
}

fn pool_err(context: &str) -> impl Fn(PoolError) -> Failure + '_ {
    move |e| match e {
        PoolError::Backend(e) => pg(context)(e),
        other => Failure::new(format!("{context}: {other}")),
    }
}

/// A schema of a PostgreSQL database.
pub struct PostgresDestination {
    // Declared before the runtime: the pool's connections go first.
    pool: Pool,
    rt: Arc<OwnedRuntime>,
    schema: String,
    /// Columns known to exist per table (as stored: names cut at 63 bytes),
    /// so DDL runs once per table per run.
    columns: HashMap<String, Vec<String>>,
}

impl std::fmt::Debug for PostgresDestination {
    // Never the URL: it may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDestination")
            .field("schema", &self.schema)
            .field("tables", &self.columns.len())
            .finish()
    }
}

impl PostgresDestination {
    /// Connects to a `postgres://` (or `postgresql://`) URL; an optional
    /// `schema=NAME` query parameter selects the schema (default
    /// [`DEFAULT_SCHEMA`]). Creates the schema and the bookmark table if
    /// missing. Errors never contain the URL.
    pub fn connect_url(url: &str) -> Result<Self, SyncError> {
        let (url, schema) = split_schema(url)?;
        Self::connect(&url, schema.as_deref().unwrap_or(DEFAULT_SCHEMA))
    }

    /// Connects to a URL and uses `schema` (which wins over a `schema=`
    /// parameter of the URL).
    pub fn connect(url: &str, schema: &str) -> Result<Self, SyncError> {
        let (url, _) = split_schema(url)?;
        if schema.is_empty() {
            return Err(SyncError::Config("postgres: the schema name is empty".into()));
        }
        let secrets = password_of(&url);
        let redact = |mut msg: String| {
            for s in secrets.iter().filter(|s| !s.is_empty()) {
                msg = msg.replace(s.as_str(), "***");
            }
            msg
        };
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| SyncError::Config(format!("postgres: invalid URL: {}", redact(describe(&e)))))?;
        if config.get_application_name().is_none() {
            config.application_name("kustomer-rs");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(30));
        }
        let rt = OwnedRuntime::start(1, "postgres")?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| SyncError::Destination(format!("postgres: pool: {e}")))?;
        let dest = PostgresDestination {
            pool,
            rt: Arc::new(rt),
            schema: schema.to_owned(),
            columns: HashMap::new(),
        };
        dest.block_on(setup(&dest.pool, &dest.schema))
            .map_err(|f| SyncError::Destination(format!("postgres: {}", redact(f.message))))?;
        Ok(dest)
    }

    /// The schema every table lives in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Another handle on the same database and schema, sharing the
    /// connection pool, for a webhook receiver writing beside a poll.
    pub fn try_clone(&self) -> Result<Self, SyncError> {
        Ok(PostgresDestination {
            pool: self.pool.clone(),
            rt: self.rt.clone(),
            schema: self.schema.clone(),
            columns: HashMap::new(),
        })
    }

    /// Runs `f` on the destination's runtime.
    fn block_on<F>(&self, f: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        self.rt.block_on(f)
    }

    fn table(&self, name: &str) -> String {
        qualified(&self.schema, name)
    }
}

fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", ident(schema), ident(table))
}

/// Splits a `schema=NAME` parameter off a URL: tokio-postgres refuses
/// parameters it does not know.
fn split_schema(url: &str) -> Result<(String, Option<String>), SyncError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None));
    };
    let mut schema = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("schema", v)) => schema = Some(percent_decode(v)?),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, schema))
}

fn percent_decode(s: &str) -> Result<String, SyncError> {
    let bad = || SyncError::Config("postgres: the schema parameter is not valid percent-encoded UTF-8".into());
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// The URL's password, as written and percent-decoded, to keep it out of
/// error messages.
fn password_of(url: &str) -> Vec<String> {
    let Some((_, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return Vec::new();
    };
    let Some((_, password)) = userinfo.split_once(':') else {
        return Vec::new();
    };
    let mut out = vec![password.to_owned()];
    if let Ok(decoded) = percent_decode(password) {
        out.push(decoded);
    }
    out
}

/// The schema and the bookmark table.
async fn setup(pool: &Pool, schema: &str) -> Result<(), Failure> {
    let client = pool.get().await.map_err(pool_err("connect"))?;
    // `CREATE SCHEMA IF NOT EXISTS` needs the CREATE privilege even when the
    // schema exists: ask first, so a user who may only write into it can.
    let exists = client
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .await
        .map_err(pg("read schemas"))?
        .is_some();
    if !exists {
        client
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", ident(schema)))
            .await
            .map_err(pg("create schema"))?;
    }
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {} (stream text PRIMARY KEY, bookmark text NOT NULL, updated_at timestamptz NOT NULL)",
            qualified(schema, STATE_TABLE)
        ))
        .await
        .map_err(pg("create state table"))
}

/// Creates a table if missing and adds its missing columns (never drops);
/// returns the columns it now has.
async fn ensure_table(pool: &Pool, schema: &str, def: &TableDef) -> Result<Vec<String>, Failure> {
    let mut client = pool.get().await.map_err(pool_err("connect"))?;
    let table = qualified(schema, &def.name);
    let mut cols: Vec<String> = def
        .columns
        .iter()
        .map(|c| {
            let null = if c.nullable { "" } else { " NOT NULL" };
            format!("{} {}{null}", ident(&c.name), sql_type(c.ty))
        })
        .collect();
    if !def.primary_key.is_empty() {
        let pk: Vec<String> = def.primary_key.iter().map(|k| ident(k)).collect();
        cols.push(format!("PRIMARY KEY ({})", pk.join(", ")));
    }
    let mut tx = tokio_postgres::Client::transaction(&mut client)
        .await
        .map_err(pg("begin"))?;
    // Two handles preparing the same new table at once would both try to
    // create it (`IF NOT EXISTS` does not cover a concurrent creation): the
    // table's DDL is serialized by a transaction-scoped advisory lock.
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&table])
        .await
        .map_err(pg("lock table definition"))?;
    tx.batch_execute(&format!("CREATE TABLE IF NOT EXISTS {table} ({})", cols.join(", ")))
        .await
        .map_err(pg("create table"))?;
    // Schema evolution: add what is missing, never drop what is there.
    let rows = tx
        .query(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
            &[&schema, &stored_name(&def.name)],
        )
        .await
        .map_err(pg("read columns"))?;
    let mut existing: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    for c in &def.columns {
        let name = stored_name(&c.name);
        if !existing.iter().any(|e| e == name) {
            tracing::info!(table = %def.name, column = %c.name, "adding column");
            tx.batch_execute(&format!(
                "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {} {}",
                ident(&c.name),
                sql_type(c.ty)
            ))
            .await
            .map_err(pg("add column"))?;
            existing.push(name.to_owned());
        }
    }
    comment(&mut tx, &table, def).await;
    tx.commit().await.map_err(pg("commit table definition"))?;
    Ok(existing)
}

/// Brings the table's and its columns' comments to their meanings
/// (`COMMENT ON`), so a SQL client browsing the schema shows them. Only the
/// table's owner may comment: a role that may just write into a table made
/// by another gets a warning, not a failed sync (a savepoint keeps the
/// table definition's transaction alive).
async fn comment(tx: &mut tokio_postgres::Transaction<'_>, table: &str, def: &TableDef) {
    let done: Result<(), Failure> = async {
        let sp = tx.savepoint("kustomer_comments").await.map_err(pg("savepoint"))?;
        let stored_table: Option<String> = sp
            .query_one("SELECT obj_description(to_regclass($1), 'pg_class')", &[&table])
            .await
            .map_err(pg("read comments"))?
            .get(0);
        let rows = sp
            .query(
                "SELECT attname::text, col_description(attrelid, attnum) FROM pg_attribute
                 WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
                &[&table],
            )
            .await
            .map_err(pg("read comments"))?;
        let stored: HashMap<String, Option<String>> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let sql = comment_statements(table, def, stored_table.as_deref(), &stored, stored_name);
        if !sql.is_empty() {
            sp.batch_execute(&sql.join(";\n")).await.map_err(pg("comment"))?;
        }
        sp.commit().await.map_err(pg("release savepoint"))
    }
    .await;
    if let Err(e) = done {
        tracing::warn!(table = %def.name, error = %e.message, "cannot comment the table (only its owner may); comments skipped");
    }
}

/// A cell as binary `COPY` sends it.
#[derive(Debug)]
struct PgCell<'a>(&'a Cell);

impl ToSql for PgCell<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // The std impls, checked: a cell that does not fit its column is an
        // error, never bytes the server would misread.
        match self.0 {
            Cell::Null => Ok(IsNull::Yes),
            Cell::Bool(b) => b.to_sql_checked(ty, out),
            Cell::Int(i) => i.to_sql_checked(ty, out),
            Cell::Float(f) => f.to_sql_checked(ty, out),
            Cell::Timestamp(t) => t.to_sql_checked(ty, out),
            Cell::Text(s) => s.as_str().to_sql_checked(ty, out),
            Cell::Json(s) => {
                if *ty == Type::JSONB {
                    // jsonb's binary form: a version byte, then the text.
                    out.put_u8(1);
                }
                out.put_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            other => Err(format!("unsupported cell {other:?}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// JSON text with each `\u0000` escape replaced by `\uFFFD`, or `None` when
/// it has none. Other escapes (`\\u0000` is a backslash then `u0000`) stay.
fn replace_json_nul(s: &str) -> Option<String> {
    if !s.contains("\\u0000") {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut changed = false;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let esc = &rest[i..];
        if let Some(after) = esc.strip_prefix("\\u0000") {
            out.push_str("\\uFFFD");
            rest = after;
            changed = true;
        } else {
            // The backslash and the character it escapes.
            let end = esc[1..].chars().next().map_or(1, |c| 1 + c.len_utf8());
            out.push_str(&esc[..end]);
            rest = &esc[end..];
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// A copy of `row` that PostgreSQL can store, or `None` when it already can.
///
/// PostgreSQL cannot store NUL: `jsonb` rejects the escape `\u0000` and
/// `text` the character. Rather than fail the batch (and every later run on
/// the same record), such JSON stores `\uFFFD` (U+FFFD, the replacement
/// character) in its place and such text U+FFFD itself, with a warning
/// naming the table and column.
fn storable_row(def: &TableDef, row: &[Cell]) -> Option<Vec<Cell>> {
    let needs = |c: &Cell| match c {
        Cell::Json(s) => s.contains("\\u0000"),
        Cell::Text(s) => s.contains('\0'),
        _ => false,
    };
    if !row.iter().any(needs) {
        return None;
    }
    let fixed = row
        .iter()
        .zip(&def.columns)
        .map(|(cell, col)| {
            let replaced = match cell {
                Cell::Json(s) => replace_json_nul(s).map(Cell::Json),
                Cell::Text(s) if s.contains('\0') => Some(Cell::Text(s.replace('\0', "\u{FFFD}"))),
                _ => None,
            };
            match replaced {
                Some(c) => {
                    tracing::warn!(table = %def.name, column = %col.name, "NUL (which PostgreSQL cannot store) replaced with U+FFFD");
                    c
                }
                None => cell.clone(),
            }
        })
        .collect();
    Some(fixed)
}

/// One batch's transaction, and the temp tables it created (each dropped at
/// commit, so names are never reused within a transaction).
struct Tx<'a, 't> {
    tx: &'a Transaction<'t>,
    schema: &'a str,
    temps: usize,
}

impl Tx<'_, '_> {
    fn table(&self, name: &str) -> String {
        qualified(self.schema, name)
    }

    fn temp_name(&mut self, prefix: &str) -> String {
        self.temps += 1;
        format!("pg_temp.{prefix}_{}", self.temps)
    }

    /// Runs statements (no parameters, one round trip).
    async fn batch(&self, sql: &str, context: &str) -> Result<(), Failure> {
        self.tx.batch_execute(sql).await.map_err(pg(context))
    }

    /// Rows the (last) statement changed.
    async fn affected(&self, sql: &str, context: &str) -> Result<u64, Failure> {
        let msgs = self.tx.simple_query(sql).await.map_err(pg(context))?;
        Ok(msgs
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::CommandComplete(n) => Some(*n),
                _ => None,
            })
            .next_back()
            .unwrap_or(0))
    }

    /// The first column of the first row, as a number (`count(*)`).
    async fn count(&self, sql: &str, context: &str) -> Result<i64, Failure> {
        let msgs = self.tx.simple_query(sql).await.map_err(pg(context))?;
        msgs.iter()
            .find_map(|m| match m {
                SimpleQueryMessage::Row(r) => r.get(0),
                _ => None,
            })
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Failure::new(format!("{context}: no count returned")))
    }
}

/// Stages rows of `def` in a temp table with binary `COPY` and returns its name.
async fn stage<'r>(
    tx: &mut Tx<'_, '_>,
    def: &TableDef,
    rows: impl Iterator<Item = &'r Vec<Cell>> + Send,
) -> Result<String, Failure> {
    let name = tx.temp_name("_stage");
    let cols: Vec<String> = def
        .columns
        .iter()
        .map(|c| format!("{} {}", ident(&c.name), sql_type(c.ty)))
        .collect();
    tx.batch(
        &format!("CREATE TEMP TABLE {name} ({}) ON COMMIT DROP", cols.join(", ")),
        "create staging table",
    )
    .await?;
    let types: Vec<Type> = def.columns.iter().map(|c| copy_type(c.ty)).collect();
    let sink = tx
        .tx
        .copy_in(&format!(
            "COPY {name} ({}) FROM STDIN (FORMAT binary)",
            column_list(def, "")
        ))
        .await
        .map_err(pg("copy"))?;
    let copy_err = format!("copy rows of {}", def.name);
    let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
    for row in rows {
        if row.len() != def.columns.len() {
            // Dropping the writer aborts the COPY; the transaction rolls back.
            return Err(Failure::new(format!(
                "row for {} has {} cells, table has {} columns",
                def.name,
                row.len(),
                def.columns.len()
            )));
        }
        let fixed = storable_row(def, row);
        // Collected: a `map(PgCell)` held across the await is not `Send` for
        // every lifetime, which the runtime's futures must be.
        let cells: Vec<PgCell<'_>> = fixed.as_deref().unwrap_or(row).iter().map(PgCell).collect();
        writer.as_mut().write_raw(cells).await.map_err(pg(&copy_err))?;
    }
    writer.as_mut().finish().await.map_err(pg(&copy_err))?;
    Ok(name)
}

/// Upserts records into a stream's tables: parent rows by id, child rows
/// replaced with their parent, a new version in each history table.
async fn upsert(
    tx: &mut Tx<'_, '_>,
    tables: &StreamTables,
    records: &[FlatRecord],
    newest_wins: bool,
    stats: &mut WriteStats,
) -> Result<(), Failure> {
    if records.is_empty() {
        return Ok(());
    }
    let parent = &tables.parent;
    let stage_parent = stage(tx, parent, records.iter().map(|r| &r.row)).await?;
    // Every statement below looks parents up by the staged ids: give the
    // planner the staging table's real size.
    tx.batch(&format!("ANALYZE {stage_parent}"), "analyze staging table")
        .await?;
    let pt = tx.table(&parent.name);
    // Lock the stored parents first, in one order: another handle writing
    // the same records (a webhook receiver beside a poll) waits here until
    // this batch commits, so the checks below read what this batch replaces.
    // (A parent both insert anew makes the later insert a unique violation,
    // and that batch runs again.)
    tx.batch(
        &format!("SELECT 1 FROM {pt} WHERE id IN (SELECT id FROM {stage_parent}) ORDER BY id FOR UPDATE"),
        "lock parent rows",
    )
    .await?;
    let mut stale = 0;
    if newest_wins && parent.column_index("updated_at").is_some() {
        // An older copy never overwrites a newer row (its children go with it:
        // child rows below are taken only for parents still staged).
        stale = tx
            .affected(
                &format!(
                    "DELETE FROM {stage_parent} s WHERE EXISTS
                       (SELECT 1 FROM {pt} p WHERE p.id = s.id AND p.updated_at > s.updated_at)"
                ),
                "skip stale copies",
            )
            .await? as usize;
        if stale > 0 {
            tracing::debug!(table = %parent.name, stale, "older copies skipped");
        }
    }
    let staged = (records.len() - stale) as i64;
    let existing = tx
        .count(
            &format!("SELECT count(*) FROM {pt} WHERE id IN (SELECT id FROM {stage_parent})"),
            "count existing",
        )
        .await?;
    stats.updated += existing as u64;
    stats.inserted += (staged - existing).max(0) as u64;
    if parent.column_index(DELETED).is_some() {
        let d = ident(DELETED);
        let newly = tx
            .count(
                &format!(
                    "SELECT count(*) FROM {stage_parent} s LEFT JOIN {pt} p ON p.id = s.id
                     WHERE s.{d} AND NOT coalesce(p.{d}, false)"
                ),
                "count deleted",
            )
            .await?;
        stats.deleted += newly as u64;
    }
    let history = |source: usize| tables.history.iter().find(|h| h.source == source);
    let versions = tx.temp_name("_versions");
    if let Some(h) = history(0) {
        // The version each record starts: its updatedAt (or, without one, this run).
        let from = match parent.column_index("updated_at") {
            Some(_) => format!("coalesce(s.updated_at, s.{})", ident(SYNCED_AT)),
            None => format!("s.{}", ident(SYNCED_AT)),
        };
        let ht = tx.table(&h.def.name);
        let vf = ident(VALID_FROM);
        // A version older than one already stored (a late, stale copy) is not history.
        tx.batch(
            &format!(
                "CREATE TEMP TABLE {versions} ON COMMIT DROP AS
                   SELECT id, {from} AS {vf} FROM {stage_parent} s
                   WHERE NOT EXISTS (SELECT 1 FROM {ht} h WHERE h.id = s.id AND h.{vf} > {from})"
            ),
            "stage versions",
        )
        .await?;
    }
    let cols = column_list(parent, "");
    // Rows of parents seen before are replaced; a batch of new parents (a
    // first load) has nothing to delete, and skipping the deletes spares a
    // scan of every child table per batch.
    let replacing = existing > 0;
    if replacing {
        tx.batch(
            &format!("DELETE FROM {pt} WHERE id IN (SELECT id FROM {stage_parent})"),
            "merge parent rows",
        )
        .await?;
    }
    tx.batch(
        &format!("INSERT INTO {pt} ({cols}) SELECT {cols} FROM {stage_parent}"),
        "merge parent rows",
    )
    .await?;
    if let Some(h) = history(0) {
        let ht = tx.table(&h.def.name);
        let select = format!(
            "SELECT {}, v.{} FROM {stage_parent} s JOIN {versions} v ON v.id = s.id",
            column_list(parent, "s."),
            ident(VALID_FROM)
        );
        add_versions(tx, &ht, &versions, "id", &select, &cols).await?;
    }
    // Children follow their parent: replaced wholesale.
    for (i, child) in tables.children.iter().enumerate() {
        let ct = tx.table(&child.name);
        let pcol = ident(child.parent_column().unwrap_or("parent_id"));
        if replacing {
            tx.batch(
                &format!("DELETE FROM {ct} WHERE {pcol} IN (SELECT id FROM {stage_parent})"),
                "delete child rows",
            )
            .await?;
        }
        let n: usize = records.iter().map(|r| r.children.get(i).map_or(0, Vec::len)).sum();
        let cols = column_list(child, "");
        let stage_child = if n > 0 {
            let rows = records.iter().flat_map(|r| r.children.get(i).into_iter().flatten());
            let stage_child = stage(tx, child, rows).await?;
            tx.batch(
                &format!(
                    "INSERT INTO {ct} ({cols}) SELECT {cols} FROM {stage_child}
                     WHERE {pcol} IN (SELECT id FROM {stage_parent})"
                ),
                "insert child rows",
            )
            .await?;
            stats.child_rows += n as u64;
            Some(stage_child)
        } else {
            None
        };
        if let Some(h) = history(i + 1) {
            let ht = tx.table(&h.def.name);
            let select = match &stage_child {
                Some(sc) => format!(
                    "SELECT {}, v.{} FROM {sc} c JOIN {versions} v ON v.id = c.{pcol}",
                    column_list(child, "c."),
                    ident(VALID_FROM)
                ),
                None => String::new(),
            };
            add_versions(tx, &ht, &versions, &pcol, &select, &cols).await?;
        }
    }
    Ok(())
}

/// Records new versions in a history table: a version replayed replaces
/// itself, the current version of each parent in `versions` closes where
/// the new one starts (validity stays contiguous), then the new rows go in.
/// `select` yields the source columns then `_valid_from` (empty: no rows).
async fn add_versions(
    tx: &Tx<'_, '_>,
    ht: &str,
    versions: &str,
    key: &str,
    select: &str,
    cols: &str,
) -> Result<(), Failure> {
    let (vf, vt, cur) = (ident(VALID_FROM), ident(VALID_TO), ident(IS_CURRENT));
    tx.batch(
        &format!(
            "DELETE FROM {ht} h WHERE EXISTS (SELECT 1 FROM {versions} v WHERE v.id = h.{key} AND v.{vf} = h.{vf});
             UPDATE {ht} h SET {vt} = v.{vf}, {cur} = false FROM {versions} v WHERE h.{key} = v.id AND h.{cur};"
        ),
        "close versions",
    )
    .await?;
    if !select.is_empty() {
        tx.batch(
            &format!(
                "INSERT INTO {ht} ({cols}, {vf}, {vt}, {cur}) SELECT *, NULL::timestamptz, true FROM ({select}) AS x"
            ),
            "insert versions",
        )
        .await?;
    }
    Ok(())
}

/// Removes parents (and their child rows) whose id is in `ids`.
async fn remove(tx: &Tx<'_, '_>, tables: &StreamTables, ids: &[String], stats: &mut WriteStats) -> Result<(), Failure> {
    if ids.is_empty() {
        return Ok(());
    }
    for child in &tables.children {
        let pcol = ident(child.parent_column().unwrap_or("parent_id"));
        tx.tx
            .execute(
                &format!("DELETE FROM {} WHERE {pcol} = ANY($1)", tx.table(&child.name)),
                &[&ids],
            )
            .await
            .map_err(pg("delete child rows"))?;
    }
    let n = tx
        .tx
        .execute(
            &format!("DELETE FROM {} WHERE id = ANY($1)", tx.table(&tables.parent.name)),
            &[&ids],
        )
        .await
        .map_err(pg("delete rows"))?;
    stats.deleted += n;
    Ok(())
}

/// The condition and arguments of an [`IdQuery`] (`$n` placeholders).
fn id_query_sql(q: &IdQuery) -> (String, Vec<DateTime<Utc>>) {
    let mut cond = vec!["true".to_owned()];
    let mut args = Vec::new();
    let mut push = |sql: String, t: DateTime<Utc>| {
        args.push(t);
        cond.push(format!("{sql} ${}", args.len()));
    };
    if let Some(t) = q.updated_from {
        push("updated_at >=".into(), t);
    }
    if let Some(t) = q.updated_before {
        push("updated_at <".into(), t);
    }
    if let Some(t) = q.synced_since {
        push(format!("{} >=", ident(SYNCED_AT)), t);
    }
    (cond.join(" AND "), args)
}

/// Marks parents deleted (soft) by id; their child rows stay.
async fn mark_deleted(
    tx: &Tx<'_, '_>,
    tables: &StreamTables,
    ids: &[String],
    at: DateTime<Utc>,
    stats: &mut WriteStats,
) -> Result<(), Failure> {
    if ids.is_empty() || tables.parent.column_index(DELETED).is_none() {
        return Ok(());
    }
    let (d, da) = (ident(DELETED), ident(DELETED_AT));
    let n = tx
        .tx
        .execute(
            &format!(
                "UPDATE {} SET {d} = true, {da} = coalesce({da}, $1) WHERE id = ANY($2) AND NOT coalesce({d}, false)",
                tx.table(&tables.parent.name)
            ),
            &[&at, &ids],
        )
        .await
        .map_err(pg("mark deleted"))?;
    stats.deleted += n;
    Ok(())
}

/// Marks (or removes) parent rows a complete read did not see.
async fn sweep(tx: &Tx<'_, '_>, tables: &StreamTables, sweep: &Sweep, stats: &mut WriteStats) -> Result<(), Failure> {
    let pt = tx.table(&tables.parent.name);
    let (d, da, sa) = (ident(DELETED), ident(DELETED_AT), ident(SYNCED_AT));
    // Soft: mark what is not marked yet (`$1` is the instant written to
    // `_deleted_at`). Hard: remove whatever was not seen, marked earlier or not.
    let mut args = if sweep.hard { vec![] } else { vec![sweep.at] };
    args.push(sweep.before);
    let mut cond = format!("({sa} IS NULL OR {sa} < ${})", args.len());
    if !sweep.hard {
        cond.push_str(&format!(" AND NOT coalesce({d}, false)"));
    }
    if let Some((col, since)) = &sweep.since {
        args.push(*since);
        cond.push_str(&format!(" AND {} >= ${}", ident(col), args.len()));
    }
    let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
    if sweep.hard {
        let rows = tx
            .tx
            .query(&format!("SELECT id FROM {pt} WHERE {cond}"), &params)
            .await
            .map_err(pg("find vanished rows"))?;
        let ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        return remove(tx, tables, &ids, stats).await;
    }
    let n = tx
        .tx
        .execute(
            &format!("UPDATE {pt} SET {d} = true, {da} = coalesce({da}, $1) WHERE {cond}"),
            &params,
        )
        .await
        .map_err(pg("mark vanished rows"))?;
    if n > 0 {
        tracing::info!(table = %tables.parent.name, rows = n, "rows no longer in the source marked deleted");
    }
    stats.deleted += n;
    Ok(())
}

/// One attempt at a batch: everything in one transaction, bookmark last.
async fn write_once(pool: &Pool, schema: &str, batch: &WriteBatch) -> Result<WriteStats, Failure> {
    let mut client = pool.get().await.map_err(pool_err("connect"))?;
    // READ COMMITTED whatever the server's default: each parent's rows are
    // locked before they are read (see `upsert`), so another writer waits
    // instead of failing, and a contended row (a bookmark two handles move)
    // never starves one of them into endless serialization failures.
    let tx = tokio_postgres::Client::build_transaction(&mut client)
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await
        .map_err(pg("begin"))?;
    let mut t = Tx {
        tx: &tx,
        schema,
        temps: 0,
    };
    let mut stats = WriteStats::default();
    upsert(&mut t, &batch.tables, &batch.records, batch.newest_wins, &mut stats).await?;
    remove(&t, &batch.tables, &batch.deletes, &mut stats).await?;
    mark_deleted(&t, &batch.tables, &batch.mark_deleted, Utc::now(), &mut stats).await?;
    for c in &batch.companions {
        // Companions count as their own stream's rows, not this one's.
        upsert(
            &mut t,
            &c.tables,
            &c.records,
            batch.newest_wins,
            &mut WriteStats::default(),
        )
        .await?;
    }
    if let Some(s) = &batch.sweep {
        sweep(&t, &batch.tables, s, &mut stats).await?;
    }
    if let Some(bm) = &batch.bookmark {
        tx.execute(
            &format!(
                "INSERT INTO {} (stream, bookmark, updated_at) VALUES ($1, $2, now())
                 ON CONFLICT (stream) DO UPDATE SET bookmark = excluded.bookmark, updated_at = excluded.updated_at",
                t.table(STATE_TABLE)
            ),
            &[&batch.stream, bm],
        )
        .await
        .map_err(pg("write bookmark"))?;
    }
    // Dropped uncommitted (any `?` above), the transaction rolls back.
    tx.commit().await.map_err(pg("commit"))?;
    Ok(stats)
}

impl Destination for PostgresDestination {
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        let missing: Vec<&TableDef> = tables
            .all()
            .filter(|def| {
                !self.columns.get(&def.name).is_some_and(|known| {
                    def.columns
                        .iter()
                        .all(|c| known.iter().any(|k| k == stored_name(&c.name)))
                })
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let (pool, schema) = (&self.pool, self.schema.as_str());
        let done = self.block_on(async {
            let mut done = Vec::new();
            for def in &missing {
                done.push((def.name.clone(), ensure_table(pool, schema, def).await?));
            }
            Ok::<_, Failure>(done)
        })?;
        self.columns.extend(done);
        Ok(())
    }

    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        let sql = format!("SELECT bookmark FROM {} WHERE stream = $1", self.table(STATE_TABLE));
        let row = self.block_on(async {
            let client = self.pool.get().await.map_err(pool_err("connect"))?;
            client.query_opt(&sql, &[&stream]).await.map_err(pg("read bookmark"))
        })?;
        Ok(row.map(|r| r.get(0)))
    }

    fn reset(&mut self, stream: &str) -> Result<(), SyncError> {
        let sql = format!("DELETE FROM {} WHERE stream = $1", self.table(STATE_TABLE));
        self.block_on(async {
            let client = self.pool.get().await.map_err(pool_err("connect"))?;
            client.execute(&sql, &[&stream]).await.map_err(pg("reset bookmark"))
        })?;
        Ok(())
    }

    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        self.prepare(&batch.tables)?;
        for c in &batch.companions {
            self.prepare(&c.tables)?;
        }
        // Another handle on the same tables (a webhook receiver beside a
        // poll) can deadlock with this batch or race it on a key; the batch
        // is simply run again.
        let (pool, schema) = (&self.pool, self.schema.as_str());
        let stats = self.block_on(async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                match write_once(pool, schema, &batch).await {
                    Err(f) if attempt < ATTEMPTS && f.retryable() => {
                        tracing::debug!(attempt, "transaction conflict; retrying: {}", f.message);
                        tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
                    }
                    other => return other,
                }
            }
        })?;
        Ok(stats)
    }

    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        let (cond, args) = id_query_sql(query);
        let sql = format!("SELECT id FROM {} WHERE {cond}", self.table(table));
        let rows = self.block_on(async {
            let client = self.pool.get().await.map_err(pool_err("connect"))?;
            let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
            client.query(&sql, &params).await.map_err(pg("read ids"))
        })?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn ids_after(&mut self, table: &str, after: Option<&str>, limit: usize) -> Result<Vec<String>, SyncError> {
        let sql = format!(
            "SELECT id FROM {} WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT {limit}",
            self.table(table)
        );
        let rows = self.block_on(async {
            let client = self.pool.get().await.map_err(pool_err("connect"))?;
            client.query(&sql, &[&after]).await.map_err(pg("read ids"))
        })?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn count_ids(&mut self, table: &str, query: &IdQuery) -> Result<u64, SyncError> {
        let (cond, args) = id_query_sql(query);
        let sql = format!("SELECT count(*) FROM {} WHERE {cond}", self.table(table));
        let n: i64 = self.block_on(async {
            let client = self.pool.get().await.map_err(pool_err("connect"))?;
            let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a as &(dyn ToSql + Sync)).collect();
            let row = client.query_one(&sql, &params).await.map_err(pg("count ids"))?;
            Ok::<_, Failure>(row.get(0))
        })?;
        Ok(n as u64)
    }

    fn row_count(&mut self, table: &str) -> Result<u64, SyncError> {
        let sql = format!("SELECT count(*) FROM {}", self.table(table));
        let n: i64 = self.block_on(async {
            let client = self.pool.get().await.map_err(pool_err("connect"))?;
            let row = client.query_one(&sql, &[]).await.map_err(pg("count rows"))?;
            Ok::<_, Failure>(row.get(0))
        })?;
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_parameter_is_split_off() {
        let (url, schema) = split_schema("postgres://u:p@h:5/db?sslmode=disable&schema=my%20s").unwrap();
        assert_eq!(url, "postgres://u:p@h:5/db?sslmode=disable");
        assert_eq!(schema.as_deref(), Some("my s"));
        let (url, schema) = split_schema("postgresql://h/db?schema=x").unwrap();
        assert_eq!((url.as_str(), schema.as_deref()), ("postgresql://h/db", Some("x")));
        let (url, schema) = split_schema("postgres://h/db").unwrap();
        assert_eq!((url.as_str(), schema), ("postgres://h/db", None));
    }

    #[test]
    fn the_password_is_found_for_redaction() {
        assert_eq!(password_of("postgres://u:p%40ss@h:5/db"), vec!["p%40ss", "p@ss"]);
        assert!(password_of("postgres://u@h/db").is_empty());
        assert!(password_of("postgres://h/db?user=a").is_empty());
    }

    #[test]
    fn nul_escapes_in_json_are_replaced_and_nothing_else() {
        assert_eq!(replace_json_nul(r#"{"a":"x"}"#), None);
        assert_eq!(
            replace_json_nul(r#"{"a":"x\u0000y","b":"\\u0000","c":"é\u0000"}"#).as_deref(),
            Some(r#"{"a":"x\uFFFDy","b":"\\u0000","c":"é\uFFFD"}"#)
        );
        assert_eq!(replace_json_nul(r#"["\\\u0000"]"#).as_deref(), Some(r#"["\\\uFFFD"]"#));
        // An escaped backslash then `u0000`: not an escape of NUL.
        assert_eq!(replace_json_nul(r#"["\\u0000"]"#), None);
    }

    #[test]
    fn long_names_are_cut_as_postgres_stores_them() {
        let long = "é".repeat(40);
        assert_eq!(stored_name(&long).len(), 62);
        assert_eq!(stored_name("short"), "short");
    }

    #[test]
    fn every_logical_type_has_a_copy_type() {
        for (ty, want) in [
            (LogicalType::Text, Type::TEXT),
            (LogicalType::BigInt, Type::INT8),
            (LogicalType::Double, Type::FLOAT8),
            (LogicalType::Boolean, Type::BOOL),
            (LogicalType::Timestamp, Type::TIMESTAMPTZ),
            (LogicalType::Json, Type::JSONB),
        ] {
            assert_eq!(copy_type(ty), want);
        }
    }
}
