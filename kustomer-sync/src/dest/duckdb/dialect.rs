//! DuckDB's dialect: `?` parameters, temp tables replaced in place, JSON
//! staged as text, and how its errors are classified.

use duckdb::types::{TimeUnit, ToSqlOutput, Value, ValueRef};
use duckdb::ToSql;
use kustomer_models::{Cell, LogicalType, TableDef};

use super::super::dialect::{Dialect, ErrorClass, Temp};
use super::super::sql::ident;
use super::super::types::duckdb as sql_type;
use crate::error::SyncError;

/// DuckDB's SQL.
#[derive(Debug, Clone, Copy, Default)]
pub struct DuckDbDialect;

impl Dialect for DuckDbDialect {
    fn table(&self, name: &str) -> String {
        ident(name)
    }

    fn param(&self, _: usize) -> String {
        "?".into()
    }

    // Fixed names, replaced by each batch (`CREATE OR REPLACE`): a staged
    // child table's rows are freed when the next child table is staged.
    fn temp_name(&self, role: Temp, _: usize) -> String {
        match role {
            Temp::Parents => "_stage_0",
            Temp::Children => "_stage_1",
            Temp::Versions => "_versions",
            Temp::Ids => "_removed",
        }
        .into()
    }

    fn create_staging(&self, name: &str, def: &TableDef) -> String {
        let cols: Vec<String> = def
            .columns
            .iter()
            .map(|c| format!("{} {}", ident(&c.name), stage_type(c.ty)))
            .collect();
        format!("CREATE OR REPLACE TEMP TABLE {name} ({})", cols.join(", "))
    }

    fn create_temp_as(&self, name: &str, select: &str) -> String {
        format!("CREATE OR REPLACE TEMP TABLE {name} AS {select}")
    }

    fn null_timestamp(&self) -> &'static str {
        "NULL"
    }

    fn now(&self) -> &'static str {
        "now()::TIMESTAMP"
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

/// The one place a DuckDB error is classified. DuckDB's C API has an error
/// type (`duckdb_result_error_type`: `DUCKDB_ERROR_TRANSACTION`,
/// `DUCKDB_ERROR_CONSTRAINT`…), but the duckdb crate (1.2) destroys the
/// result before asking and keeps only the message and a generic state, so
/// the class is read from the message's class name ("TransactionContext
/// Error: … Conflict", "Constraint Error: Duplicate key").
pub(crate) fn classify(e: &duckdb::Error) -> ErrorClass {
    let msg = e.to_string();
    if msg.contains("onflict") {
        ErrorClass::Conflict
    } else if msg.contains("onstraint") {
        ErrorClass::KeyViolation
    } else {
        ErrorClass::Other
    }
}

/// A DuckDB error on its way out, with its class.
#[derive(Debug)]
pub(crate) struct Failure {
    pub message: String,
    pub class: ErrorClass,
}

impl From<Failure> for SyncError {
    fn from(f: Failure) -> Self {
        SyncError::Destination(f.message)
    }
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Self {
        let message = match e {
            SyncError::Destination(m) => m,
            other => other.to_string(),
        };
        Failure {
            message,
            class: ErrorClass::Other,
        }
    }
}

/// Wraps a DuckDB error with what was being done.
pub(crate) fn fail(context: &str) -> impl Fn(duckdb::Error) -> Failure + '_ {
    move |e| Failure {
        class: classify(&e),
        message: format!("duckdb: {context}: {e}"),
    }
}

/// A cell as a DuckDB parameter.
pub(crate) struct SqlCell<'a>(pub &'a Cell);

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
