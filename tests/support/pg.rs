//! PostgreSQL for tests: which server to use (or skip), a schema per test,
//! and reading a table's rows into the same [`Cmp`] values the DuckDB reader
//! produces, so any destination can be compared with the simulator or with
//! another destination. Every function blocks and may be called from inside
//! a `#[tokio::test]`: each runs on its own thread with its own runtime.

use std::collections::HashSet;
use std::future::Future;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use kustomer::models::{
    Company, Conversation, Customer, Entity, KObject, Klass, LogicalType, Message, Note, Shortcut, TableDef, Tag, Team,
    User,
};
use kustomer::sync::dest::postgres::ident;
use kustomer_sim::{Kind, Simulator};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, Row};

use super::{expected_rows_of, Cmp};

/// The URL without a `schema=` parameter (which only the destination knows).
fn connectable(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let kept: Vec<&str> = query.split('&').filter(|p| !p.starts_with("schema=")).collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Runs `f` with a fresh connection, on its own thread and runtime; an error
/// (or a panic in `f`) comes back as `Err`.
pub fn try_with_pg<T, F, Fut>(url: &str, f: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce(Client) -> Fut + Send + 'static,
    Fut: Future<Output = T>,
{
    let url = connectable(url);
    let worker = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let (client, conn) =
                tokio_postgres::connect(&url, NoTls)
                    .await
                    .map_err(|e| match std::error::Error::source(&e) {
                        Some(why) => format!("cannot connect to the test server: {e}: {why}"),
                        None => format!("cannot connect to the test server: {e}"),
                    })?;
            let conn = tokio::spawn(conn);
            let out = f(client).await;
            conn.abort();
            Ok(out)
        })
    });
    match worker.join() {
        Ok(out) => out,
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".into())),
    }
}

/// [`try_with_pg`], panicking on an error.
pub fn with_pg<T, F, Fut>(url: &str, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce(Client) -> Fut + Send + 'static,
    Fut: Future<Output = T>,
{
    try_with_pg(url, f).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs SQL statements.
pub fn pg_execute(url: &str, sql: &str) {
    let sql = sql.to_owned();
    with_pg(url, move |c| async move {
        c.batch_execute(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    })
}

/// The first column of the one row a query returns, as an integer.
pub fn pg_count(url: &str, sql: &str) -> i64 {
    let sql = sql.to_owned();
    with_pg(url, move |c| async move {
        let row = c.query_one(&sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        row.get::<_, i64>(0)
    })
}

/// A table's columns and their types (`information_schema` names), in order.
pub fn pg_columns(url: &str, schema: &str, table: &str) -> Vec<(String, String)> {
    let (schema, table) = (schema.to_owned(), table.to_owned());
    with_pg(url, move |c| async move {
        let rows = c
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
                &[&schema, &table],
            )
            .await
            .unwrap();
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    })
}

fn cmp_at(row: &Row, i: usize, table: &str, column: &str, ty: LogicalType) -> Cmp {
    let pg_type = row.columns()[i].type_().clone();
    let wrong = |e: tokio_postgres::Error| -> Cmp {
        panic!("{table}.{column}: PostgreSQL type {pg_type} does not hold a {ty:?}: {e}")
    };
    match ty {
        LogicalType::Text => row
            .try_get::<_, Option<String>>(i)
            .map_or_else(wrong, |v| v.map_or(Cmp::Null, Cmp::Text)),
        LogicalType::BigInt => row
            .try_get::<_, Option<i64>>(i)
            .map_or_else(wrong, |v| v.map_or(Cmp::Null, Cmp::Int)),
        LogicalType::Double => row
            .try_get::<_, Option<f64>>(i)
            .map_or_else(wrong, |v| v.map_or(Cmp::Null, |f| Cmp::Float(f.to_bits()))),
        LogicalType::Boolean => row
            .try_get::<_, Option<bool>>(i)
            .map_or_else(wrong, |v| v.map_or(Cmp::Null, Cmp::Bool)),
        LogicalType::Timestamp => row
            .try_get::<_, Option<DateTime<Utc>>>(i)
            .map_or_else(wrong, |v| v.map_or(Cmp::Null, |t| Cmp::Micros(t.timestamp_micros()))),
        LogicalType::Json => {
            assert_eq!(pg_type, Type::JSONB, "{table}.{column} is not jsonb");
            // Canonical JSON, as `Cmp` from a cell: parsed, then printed.
            row.try_get::<_, Option<serde_json::Value>>(i)
                .map_or_else(wrong, |v| v.map_or(Cmp::Null, |j| Cmp::Json(j.to_string())))
        }
        other => panic!("{table}.{column}: unexpected logical type {other:?}"),
    }
}

/// The rows of `schema.table` (its columns as `def` lists them) that
/// `filter` (an SQL condition) keeps, sorted, in the DuckDB reader's form:
/// timestamptz as microseconds, jsonb as canonical JSON, doubles as bits.
pub fn pg_rows(url: &str, schema: &str, def: &TableDef, filter: &str) -> Vec<Vec<Cmp>> {
    let cols: Vec<String> = def.columns.iter().map(|c| ident(&c.name)).collect();
    let sql = format!(
        "SELECT {} FROM {}.{} WHERE {filter}",
        cols.join(", "),
        ident(schema),
        ident(&def.name)
    );
    let def = def.clone();
    with_pg(url, move |c| async move {
        let rows = c.query(&sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        let mut out: Vec<Vec<Cmp>> = rows
            .iter()
            .map(|r| {
                def.columns
                    .iter()
                    .enumerate()
                    .map(|(i, col)| cmp_at(r, i, &def.name, &col.name, col.ty))
                    .collect()
            })
            .collect();
        out.sort();
        out
    })
}

/// Ids of a table's rows.
pub fn pg_ids(url: &str, schema: &str, table: &str) -> HashSet<String> {
    let sql = format!("SELECT id FROM {}.{}", ident(schema), ident(table));
    with_pg(url, move |c| async move {
        let rows = c.query(&sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        rows.iter().map(|r| r.get(0)).collect()
    })
}

fn assert_entity<E: Entity>(url: &str, schema: &str, sim: &Simulator, kind: Kind, include_deleted: bool) {
    let es = E::schema();
    // Every live record, and every deleted one the sync loaded (search with
    // `includeDeleted` returns them; a first load's GET lists never do).
    let stored = pg_ids(url, schema, &es.table.name);
    let expected = expected_rows_of::<E>(sim, kind, |deleted, id| {
        !deleted || (include_deleted && stored.contains(id))
    });
    // Rows of a re-read table that vanished stay, marked `_deleted`.
    let live = format!(
        "id IN (SELECT id FROM {}.{} WHERE NOT _deleted)",
        ident(schema),
        ident(&es.table.name)
    );
    for def in es.tables() {
        let filter = match def.parent_column() {
            _ if include_deleted => "true".to_owned(),
            Some(p) => live.replacen("id IN", &format!("{} IN", ident(p)), 1),
            None => live.clone(),
        };
        let got = pg_rows(url, schema, def, &filter);
        let want = &expected[&def.name];
        if &got != want {
            let missing = want.iter().filter(|r| !got.contains(r)).count();
            let extra = got.iter().filter(|r| !want.contains(r)).count();
            let first_missing = want.iter().find(|r| !got.contains(r));
            let first_extra = got.iter().find(|r| !want.contains(r));
            panic!(
                "table {}: {} rows loaded, {} expected ({missing} missing, {extra} unexpected); first missing: {first_missing:?}; first unexpected: {first_extra:?}",
                def.name,
                got.len(),
                want.len()
            );
        }
    }
}

/// Asserts that every table of a PostgreSQL schema equals the simulator's
/// data exactly (the tables `assert_destination_equals_simulator` checks).
pub fn assert_pg_equals_simulator(url: &str, schema: &str, sim: &Simulator) {
    // Search streams ask for deleted records too; GET lists never show them.
    assert_entity::<Customer>(url, schema, sim, Kind::Customer, true);
    assert_entity::<Conversation>(url, schema, sim, Kind::Conversation, true);
    assert_entity::<Message>(url, schema, sim, Kind::Message, true);
    assert_entity::<Note>(url, schema, sim, Kind::Note, true);
    assert_entity::<Company>(url, schema, sim, Kind::Company, true);
    assert_entity::<KObject>(url, schema, sim, Kind::KObject, true);
    assert_entity::<User>(url, schema, sim, Kind::User, false);
    assert_entity::<Team>(url, schema, sim, Kind::Team, false);
    assert_entity::<Tag>(url, schema, sim, Kind::Tag, false);
    assert_entity::<Shortcut>(url, schema, sim, Kind::Shortcut, false);
    assert_entity::<Klass>(url, schema, sim, Kind::Klass, false);
}

/// Skips a test (a line on the real stderr, past the test harness's capture).
fn skip(why: &str) {
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

/// The server tests use: `KUSTOMER_TEST_PG`, or else one answering on
/// 127.0.0.1:5432; `None` (the test prints why and passes) without either.
/// A server named by `KUSTOMER_TEST_PG` that does not answer fails the test.
pub fn test_server() -> Option<String> {
    if let Ok(url) = std::env::var("KUSTOMER_TEST_PG") {
        if !url.trim().is_empty() {
            if let Err(e) = try_with_pg(&url, |c| async move { c.simple_query("SELECT 1").await.map(drop) }) {
                panic!("KUSTOMER_TEST_PG is set but the server does not answer: {e}");
            }
            return Some(url);
        }
    }
    let local = SocketAddr::from(([127, 0, 0, 1], 5432));
    if TcpStream::connect_timeout(&local, Duration::from_millis(500)).is_ok() {
        return Some("postgres://postgres@127.0.0.1:5432/postgres".into());
    }
    skip("no PostgreSQL (set KUSTOMER_TEST_PG)");
    None
}

/// A schema of its own for one test (so tests run in parallel), dropped
/// with everything in it when the test ends, passed or not.
pub struct PgSchema {
    /// The server's URL (no `schema=` parameter).
    pub server: String,
    /// The schema's name.
    pub schema: String,
}

impl PgSchema {
    /// A fresh schema name for `test` on the test server; `None` to skip.
    pub fn new(test: &str) -> Option<PgSchema> {
        let server = test_server()?;
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
        let schema = format!("t_{test}_{}_{nanos:x}", std::process::id());
        assert!(schema.len() <= 63, "schema name {schema} too long");
        Some(PgSchema { server, schema })
    }

    /// The destination URL: the server with `?schema=…`.
    pub fn url(&self) -> String {
        let sep = if self.server.contains('?') { '&' } else { '?' };
        format!("{}{sep}schema={}", self.server, self.schema)
    }

    /// A table of the schema, quoted and qualified for SQL.
    pub fn table(&self, name: &str) -> String {
        format!("{}.{}", ident(&self.schema), ident(name))
    }

    /// Rows of a table of this schema (see [`pg_rows`]).
    pub fn rows(&self, def: &TableDef, filter: &str) -> Vec<Vec<Cmp>> {
        pg_rows(&self.server, &self.schema, def, filter)
    }

    /// `SELECT count(*) FROM table WHERE filter`.
    pub fn count(&self, table: &str, filter: &str) -> i64 {
        pg_count(
            &self.server,
            &format!("SELECT count(*) FROM {} WHERE {filter}", self.table(table)),
        )
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(&self.schema));
        // Never panics (this may run while a failed test unwinds).
        let _ = try_with_pg(
            &self.server,
            move |c| async move { c.batch_execute(&sql).await.map(drop) },
        );
    }
}
