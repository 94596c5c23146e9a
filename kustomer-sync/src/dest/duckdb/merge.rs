//! DuckDB's I/O for a merge plan: staging through the Arrow appender,
//! statements on the batch's transaction, and the appends of the direct
//! path ([`super::replace`]).

use duckdb::{params_from_iter, Connection};
use kustomer_models::{Cell, FlatRecord, LogicalType, TableDef};

use super::super::plan::{Phase, Planned, Rows, Step, Tally};
use super::super::sql::ident;
use super::super::IdQuery;
use super::super::{StreamTables, WriteStats, SYNCED_AT};
use super::dialect::{fail, Failure, SqlCell};
use crate::error::SyncError;

/// Runs a plan's steps on `tx`, counting on from `tally`.
pub(super) fn run(tx: &Connection, plan: &[Planned<'_>], mut tally: Tally) -> Result<WriteStats, Failure> {
    for p in plan {
        if tally.skips(&p.step) {
            continue;
        }
        let n = match &p.step {
            Step::Stage { name, def, rows } => {
                stage(tx, name, def, rows)?;
                0
            }
            Step::Run {
                sql,
                args,
                what,
                effect,
                ..
            } => {
                let params = params_from_iter(args.iter().map(SqlCell));
                if p.phase == Phase::Bookmark {
                    // The same statement every transaction, on a table that
                    // never changes: parsed and planned once per connection
                    // (the others read staging tables replaced per batch).
                    let mut stmt = tx.prepare_cached(sql).map_err(fail(what))?;
                    stmt.execute(params).map_err(fail(what))? as u64
                } else if effect.is_count() {
                    let n: i64 = tx.query_row(sql, params, |r| r.get(0)).map_err(fail(what))?;
                    n as u64
                } else {
                    tx.execute(sql, params).map_err(fail(what))? as u64
                }
            }
        };
        tally.record(p.phase, &p.step, n);
    }
    Ok(tally.stats)
}

/// Stages rows in a fresh temp table. Rows go in as Arrow record batches
/// through the appender: one data chunk per 2,048 rows instead of one call
/// per cell.
fn stage(tx: &Connection, name: &str, def: &TableDef, rows: &Rows<'_>) -> Result<(), Failure> {
    use super::super::dialect::Dialect;
    tx.execute_batch(&super::DuckDbDialect.create_staging(name, def))
        .map_err(fail("create staging table"))?;
    let cells = rows.cells();
    let rows: Vec<&[Cell]> = cells.iter().map(|r| r.as_slice()).collect();
    let batch = super::super::arrow::record_batch(def, &rows, None)?;
    let mut app = tx
        .appender_to_catalog_and_db(name, "temp", "main")
        .map_err(fail("appender"))?;
    app.append_record_batch(batch).map_err(fail("append"))?;
    app.flush().map_err(fail("flush"))
}

/// Appends parents none of which is stored (any stored copy was deleted
/// first), with their child rows, straight into their tables: no staging,
/// no merge (child rows of a new parent cannot exist: they go with it).
/// Only for tables whose columns are exactly the definition's, in order
/// (the appender fills every column). Returns the child rows appended.
pub(super) fn append_new(tx: &Connection, tables: &StreamTables, records: &[&FlatRecord]) -> Result<u64, Failure> {
    let append = |def: &TableDef, rows: Vec<&Vec<Cell>>, what: &str| -> Result<(), Failure> {
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
                        ))
                        .into());
                    }
                }
            }
        }
        let batch = super::super::arrow::record_batch(def, &rows, None)?;
        let mut app = tx.appender(&def.name).map_err(fail(what))?;
        app.append_record_batch(batch).map_err(fail(what))?;
        app.flush().map_err(fail(what))
    };
    append(
        &tables.parent,
        records.iter().map(|r| &r.row).collect(),
        "append parent rows",
    )?;
    let mut child_rows = 0;
    for (i, child) in tables.children.iter().enumerate() {
        let rows: Vec<&Vec<Cell>> = records
            .iter()
            .flat_map(|r| r.children.get(i).into_iter().flatten())
            .collect();
        child_rows += rows.len() as u64;
        append(child, rows, "append child rows")?;
    }
    Ok(child_rows)
}

/// The condition and arguments of an [`IdQuery`] (`?` placeholders).
pub(super) fn id_query_sql(q: &IdQuery) -> (String, Vec<Cell>) {
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
