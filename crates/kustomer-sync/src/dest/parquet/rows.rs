//! Rows in flight: the keys that find a row to write again, the rows one
//! phase of a write appends, rows read back from the files, and the checks
//! a batch passes before anything is written.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kustomer_models::{Cell, Column, FlatRecord, TableDef};

use super::err;
use crate::dest::StreamTables;
use crate::error::SyncError;

pub(super) fn micros(c: &Cell) -> Option<i64> {
    match c {
        Cell::Timestamp(t) => Some(t.timestamp_micros()),
        _ => None,
    }
}

pub(super) fn instant(micros: i64) -> Cell {
    DateTime::<Utc>::from_timestamp_micros(micros).map_or(Cell::Null, Cell::Timestamp)
}

/// A row's key columns, then its `_seq`: what a row to write again is found by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum KeyPart {
    Null,
    Text(String),
    Int(i64),
}

pub(super) type Key = Vec<KeyPart>;

pub(super) fn key(id: &str, rest: &[i64]) -> Key {
    std::iter::once(KeyPart::Text(id.to_owned()))
        .chain(rest.iter().map(|v| KeyPart::Int(*v)))
        .collect()
}

/// Rows of one table waiting to be appended, aligned with `columns`
/// (shorter rows end in NULLs).
#[derive(Default)]
pub(super) struct Rows {
    pub(super) columns: Vec<Column>,
    pub(super) rows: Vec<(Vec<Cell>, i64)>,
}

/// The rows one phase of a write appends, per table.
#[derive(Default)]
pub(super) struct Pending(pub(super) BTreeMap<String, Rows>);

impl Pending {
    pub(super) fn push_rows(&mut self, table: &str, cols: &[Column], rows: Vec<Vec<Cell>>, seq: i64) {
        if rows.is_empty() {
            return;
        }
        if !self.0.contains_key(table) {
            self.0.insert(table.to_owned(), Rows::default());
        }
        let t = self.0.get_mut(table).expect("inserted");
        if t.columns.is_empty() {
            t.columns = cols.to_vec();
        }
        let prefix = cols.len() <= t.columns.len() && cols.iter().zip(&t.columns).all(|(a, b)| a.name == b.name);
        if prefix {
            t.rows.extend(rows.into_iter().map(|r| (r, seq)));
            return;
        }
        let map: Vec<usize> = cols
            .iter()
            .map(|c| match t.columns.iter().position(|k| k.name == c.name) {
                Some(i) => i,
                None => {
                    t.columns.push(c.clone());
                    t.columns.len() - 1
                }
            })
            .collect();
        let width = t.columns.len();
        for r in rows {
            let mut out = vec![Cell::Null; width];
            for (cell, &j) in r.into_iter().zip(&map) {
                out[j] = cell;
            }
            t.rows.push((out, seq));
        }
    }

    pub(super) fn push_row(&mut self, table: &str, cols: &[Column], row: Vec<Cell>, seq: i64) {
        self.push_rows(table, cols, vec![row], seq);
    }
}

/// A row read back from a file, to be written again.
pub(super) struct Fetched {
    pub(super) columns: Arc<Vec<Column>>,
    pub(super) key: Key,
    pub(super) cells: Vec<Cell>,
}

impl Fetched {
    /// Its columns and cells with `name` set to `value` (added if the file
    /// predates the column).
    pub(super) fn with(self, sets: &[(&str, Cell)], def: Option<&TableDef>) -> (Vec<Column>, Vec<Cell>) {
        let mut cols = (*self.columns).clone();
        let mut cells = self.cells;
        for (name, value) in sets {
            match cols.iter().position(|c| c.name == *name) {
                Some(i) => cells[i] = value.clone(),
                None => {
                    let col = def
                        .and_then(|d| d.column_index(name).map(|i| d.columns[i].clone()))
                        .unwrap_or_else(|| Column::new(*name, kustomer_models::LogicalType::Text));
                    cols.push(col);
                    cells.push(value.clone());
                }
            }
        }
        (cols, cells)
    }

    pub(super) fn cell(&self, name: &str) -> Option<&Cell> {
        self.columns.iter().position(|c| c.name == name).map(|i| &self.cells[i])
    }
}

pub(super) fn check_row(def: &TableDef, row: &[Cell]) -> Result<(), SyncError> {
    if row.len() != def.columns.len() {
        return Err(err(format!(
            "row for {} has {} cells, table has {} columns",
            def.name,
            row.len(),
            def.columns.len()
        )));
    }
    Ok(())
}

pub(super) fn validate(tables: &StreamTables, records: &[FlatRecord]) -> Result<(), SyncError> {
    for r in records {
        check_row(&tables.parent, &r.row)?;
        for (c, rows) in tables.children.iter().zip(&r.children) {
            for row in rows {
                check_row(c, row)?;
            }
        }
    }
    for h in &tables.history {
        let source = match h.source {
            0 => Some(&tables.parent),
            i => tables.children.get(i - 1),
        };
        match source {
            Some(s) if s.columns.len() + 3 == h.def.columns.len() => {}
            _ => {
                return Err(err(format!(
                    "history table {} does not match its source table",
                    h.def.name
                )))
            }
        }
    }
    Ok(())
}
