//! The in-memory DuckDB a batch is computed in: Delta rows go in, the
//! DuckDB destination writes the batch, the tables' rows come out.

use std::sync::Arc;

use arrow_array::{Array, RecordBatch, StringArray};
use chrono::Utc;
use kustomer_models::{Cell, Column, LogicalType, ParentKey, TableDef};

use super::lake::{err, FileRef, LakeTable};
use super::{bridge, column_of, STATE_TABLE};
use crate::dest::duckdb::{sql_type, DuckDbDestination};
use crate::dest::sql::ident;
use crate::error::SyncError;

fn db_err(what: &'static str) -> impl Fn(duckdb::Error) -> SyncError {
    move |e| err(format!("scratch {what}: {e}"))
}

/// Makes `def`'s table in `scratch`, with the columns the Delta table has
/// and `def` lacks (columns are never dropped, so an older definition's
/// columns stay and read as NULL in new rows), and appends the Delta rows
/// `batches` (arrow 60, any column order).
pub fn fill(
    scratch: &mut DuckDbDestination,
    def: &TableDef,
    delta: &[(String, arrow_schema::DataType)],
    batches: &[RecordBatch],
) -> Result<(), SyncError> {
    let mut wide = def.clone();
    wide.columns.extend(
        delta
            .iter()
            .filter(|(n, _)| def.column_index(n).is_none())
            .map(|(n, t)| column_of(n, t)),
    );
    scratch.ensure_table(&wide)?;
    if batches.iter().all(|b| b.num_rows() == 0) {
        return Ok(());
    }
    let conn = scratch.connection();
    // Staged with JSON as text: the insert below casts (as DuckDB's own staging does).
    let mut staged = wide;
    for c in &mut staged.columns {
        if c.ty == LogicalType::Json {
            c.ty = LogicalType::Text;
        }
        c.nullable = true;
    }
    let cols: Vec<String> = staged
        .columns
        .iter()
        .map(|c| format!("{} {}", ident(&c.name), sql_type(c.ty)))
        .collect();
    conn.execute_batch(&format!("CREATE OR REPLACE TEMP TABLE _load ({})", cols.join(", ")))
        .map_err(db_err("staging"))?;
    let schema = Arc::new(crate::dest::arrow::schema(&staged, None));
    {
        let mut app = conn
            .appender_to_catalog_and_db("_load", "temp", "main")
            .map_err(db_err("appender"))?;
        for b in batches.iter().filter(|b| b.num_rows() > 0) {
            app.append_record_batch(bridge::conform(b, &schema)?)
                .map_err(db_err("append"))?;
        }
        app.flush().map_err(db_err("flush"))?;
    }
    conn.execute_batch(&format!(
        "INSERT INTO {} BY NAME SELECT * FROM _load; DROP TABLE _load",
        ident(&def.name)
    ))
    .map_err(db_err("load"))
}

/// Every row of `def`'s table, sorted by `key`.
pub fn rows(scratch: &DuckDbDestination, def: &TableDef, key: &str) -> Result<Vec<RecordBatch>, SyncError> {
    let mut stmt = scratch
        .connection()
        .prepare(&format!("SELECT * FROM {} ORDER BY {}", ident(&def.name), ident(key)))
        .map_err(db_err("read"))?;
    let out = stmt.query_arrow([]).map_err(db_err("read"))?.collect();
    Ok(out)
}

/// `batches` of table `def` sorted by `key` (a compaction's output).
pub fn sort(
    def: &TableDef,
    delta: &[(String, arrow_schema::DataType)],
    batches: &[RecordBatch],
    key: &str,
) -> Result<Vec<RecordBatch>, SyncError> {
    let mut scratch = DuckDbDestination::scratch()?;
    let mut def = def.clone();
    // No key to enforce: the rows are already the table's.
    def.primary_key.clear();
    def.parent.get_or_insert(ParentKey {
        table: String::new(),
        column: key.to_owned(),
    });
    fill(&mut scratch, &def, delta, batches)?;
    rows(&scratch, &def, key)
}

/// A definition for a table known only by its Delta schema: no key is
/// declared (which columns form it is not in the schema; the rows are
/// already the table's).
pub fn def_of(name: &str, columns: &[(String, arrow_schema::DataType)]) -> TableDef {
    let first = columns.first().map_or_else(|| "id".to_owned(), |(n, _)| n.clone());
    TableDef {
        name: name.to_owned(),
        columns: columns.iter().map(|(n, t)| column_of(n, t)).collect(),
        primary_key: Vec::new(),
        parent: Some(ParentKey {
            table: String::new(),
            column: first,
        }),
    }
}

/// `_kustomer_state`: one row per stream.
pub fn state_def() -> TableDef {
    TableDef {
        name: STATE_TABLE.into(),
        columns: vec![
            Column::required("stream", LogicalType::Text),
            Column::required("bookmark", LogicalType::Text),
            Column::required("updated_at", LogicalType::Timestamp),
        ],
        primary_key: vec!["stream".into()],
        parent: None,
    }
}

/// The bookmarks `files` hold: (stream, bookmark).
pub async fn read_state(t: &LakeTable, files: &[FileRef]) -> Result<Vec<(String, String)>, SyncError> {
    let mut out = Vec::new();
    for f in files {
        for b in t.read(&f.path, Some(&["stream", "bookmark"])).await? {
            let col = |name: &str| {
                b.column_by_name(name)
                    .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
                    .ok_or_else(|| err(format!("{STATE_TABLE}: no text column {name}")))
            };
            let (s, bm) = (col("stream")?, col("bookmark")?);
            for i in 0..b.num_rows() {
                if !s.is_null(i) && !bm.is_null(i) {
                    out.push((s.value(i).to_owned(), bm.value(i).to_owned()));
                }
            }
        }
    }
    Ok(out)
}

pub fn state_batch(rows: &[(String, String)]) -> Result<RecordBatch, SyncError> {
    let now = Utc::now();
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|(s, b)| vec![Cell::Text(s.clone()), Cell::Text(b.clone()), Cell::Timestamp(now)])
        .collect();
    crate::dest::arrow::record_batch(&state_def(), &cells, Some("UTC"))
}
