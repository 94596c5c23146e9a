//! PostgreSQL's dialect: `$n` parameters, schema-qualified tables, staging
//! tables dropped at commit, and errors classified by SQLSTATE.

use deadpool_postgres::PoolError;
use kustomer_models::TableDef;
use tokio_postgres::error::SqlState;

use super::super::dialect::{Dialect, ErrorClass, Temp};
use super::super::sql::ident;
use super::sql_type;
use crate::error::SyncError;

/// PostgreSQL's SQL, for the tables of one schema.
#[derive(Debug, Clone, Copy)]
pub struct PostgresDialect<'a> {
    /// The schema every table lives in.
    pub schema: &'a str,
}

impl Dialect for PostgresDialect<'_> {
    fn table(&self, name: &str) -> String {
        qualified(self.schema, name)
    }

    fn param(&self, n: usize) -> String {
        format!("${n}")
    }

    // Each dropped at commit, so names are never reused within a transaction.
    fn temp_name(&self, role: Temp, seq: usize) -> String {
        let prefix = match role {
            Temp::Parents | Temp::Children => "_stage",
            Temp::Versions => "_versions",
            Temp::Ids => "_ids",
        };
        format!("pg_temp.{prefix}_{seq}")
    }

    fn create_staging(&self, name: &str, def: &TableDef) -> String {
        let cols: Vec<String> = def
            .columns
            .iter()
            .map(|c| format!("{} {}", ident(&c.name), sql_type(c.ty)))
            .collect();
        format!("CREATE TEMP TABLE {name} ({}) ON COMMIT DROP", cols.join(", "))
    }

    fn create_temp_as(&self, name: &str, select: &str) -> String {
        format!("CREATE TEMP TABLE {name} ON COMMIT DROP AS {select}")
    }

    fn after_parents_staged(&self, stage: &str, table: &str) -> Vec<(String, &'static str)> {
        vec![
            // Every statement after looks parents up by the staged ids: give
            // the planner the staging table's real size.
            (format!("ANALYZE {stage}"), "analyze staging table"),
            // Lock the stored parents first, in one order: another handle
            // writing the same records (a webhook receiver beside a poll)
            // waits here until this batch commits, so the checks after read
            // what this batch replaces. (A parent both insert anew makes the
            // later insert a unique violation, and that batch runs again.)
            (
                format!("SELECT 1 FROM {table} WHERE id IN (SELECT id FROM {stage}) ORDER BY id FOR UPDATE"),
                "lock parent rows",
            ),
        ]
    }

    fn null_timestamp(&self) -> &'static str {
        "NULL::timestamptz"
    }

    fn now(&self) -> &'static str {
        "now()"
    }
}

/// `"schema"."table"`.
pub(super) fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", ident(schema), ident(table))
}

/// An error on its way out, with the SQLSTATE that decides whether running
/// the batch again may succeed.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) message: String,
    pub(super) code: Option<SqlState>,
}

impl Failure {
    pub(super) fn new(message: String) -> Self {
        Failure { message, code: None }
    }

    /// Another transaction got in the way; the batch alone would succeed.
    pub(super) fn retryable(&self) -> bool {
        // A key violation is retried too: a writer beside us (a webhook
        // receiver) can insert a new parent between our check and our
        // insert of the same key; run again, the batch sees and replaces it.
        matches!(
            self.code.as_ref().map(classify),
            Some(ErrorClass::Conflict | ErrorClass::KeyViolation)
        )
    }
}

/// The one place a SQLSTATE is classified.
pub(super) fn classify(code: &SqlState) -> ErrorClass {
    if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        ErrorClass::Conflict
    } else if *code == SqlState::UNIQUE_VIOLATION {
        ErrorClass::KeyViolation
    } else {
        ErrorClass::Other
    }
}

impl From<Failure> for SyncError {
    fn from(f: Failure) -> Self {
        SyncError::Destination(format!("postgres: {}", f.message))
    }
}

/// A tokio-postgres error in one line: its kind, then the server's message,
/// detail, hint and SQLSTATE (`Display` alone says only "db error").
pub(super) fn describe(e: &tokio_postgres::Error) -> String {
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

pub(super) fn pg(context: &str) -> impl Fn(tokio_postgres::Error) -> Failure + '_ {
    move |e| Failure {
        message: format!("{context}: {}", describe(&e)),
        code: e.code().cloned(),
    }
}

pub(super) fn pool_err(context: &str) -> impl Fn(PoolError) -> Failure + '_ {
    move |e| match e {
        PoolError::Backend(e) => pg(context)(e),
        other => Failure::new(format!("{context}: {other}")),
    }
}
