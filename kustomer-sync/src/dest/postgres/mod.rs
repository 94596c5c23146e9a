//! The PostgreSQL destination: every table of a source in one schema.
//!
//! Each batch is one transaction: rows are bulk-loaded with binary `COPY`
//! into temporary staging tables (dropped at commit), then merged with
//! set-based statements (delete by key, insert from staging) together with
//! the stream's bookmark: the merge plan every SQL destination runs
//! ([`super::plan`]), in [`PostgresDialect`]. A failure anywhere rolls the
//! whole batch back: nothing is half written and no bookmark moves.
//!
//! [`Destination`] is synchronous (the engine calls it from a blocking writer
//! thread), so the destination owns a one-worker tokio runtime and blocks on
//! it for each call; it works whether or not the caller is inside a runtime.

mod connect;
mod copy;
mod dialect;
mod statements;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use kustomer_models::TableDef;
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

use self::connect::{ensure_table, password_of, setup, split_schema, stored_name};
use self::dialect::{describe, pg, pool_err, qualified, Failure};
use self::statements::{id_query_sql, write_once};
use super::runtime::OwnedRuntime;
use super::{Destination, IdQuery, StreamTables, WriteBatch, WriteStats};
use crate::error::SyncError;

pub use self::dialect::PostgresDialect;
pub use super::sql::ident;

use crate::columns::STATE_TABLE;

/// The schema used when the URL names none.
pub const DEFAULT_SCHEMA: &str = "kustomer";

/// Connections in the pool (shared by [`PostgresDestination::try_clone`] handles).
const POOL_SIZE: usize = 4;

/// Attempts of a batch that failed on a serialization failure, a deadlock or
/// a concurrent insert of the same key.
const ATTEMPTS: u64 = 8;

/// PostgreSQL's type for a logical type: the one place this mapping lives
/// ([`crate::dest::types::postgres`]; the wire types of binary `COPY` follow it).
pub use super::types::postgres as sql_type;

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
