//! Cells: the values of one row, in the order of its table's columns.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::table::LogicalType;

/// One value of a row. A row is a `Vec<Cell>` aligned with
/// [`TableDef::columns`](crate::TableDef::columns).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Text(String),
    /// A UTC instant.
    Timestamp(DateTime<Utc>),
    /// JSON text (already serialized).
    Json(String),
}

impl Cell {
    /// Whether the cell is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The cell's text, for `Text` and `Json` cells.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Text(s) | Cell::Json(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this cell can be stored in a column of type `ty` (NULL fits any).
    pub fn fits(&self, ty: LogicalType) -> bool {
        matches!(
            (self, ty),
            (Cell::Null, _)
                | (Cell::Bool(_), LogicalType::Boolean)
                | (Cell::Int(_), LogicalType::BigInt)
                | (Cell::Float(_), LogicalType::Double)
                | (Cell::Text(_), LogicalType::Text)
                | (Cell::Timestamp(_), LogicalType::Timestamp)
                | (Cell::Json(_), LogicalType::Json)
        )
    }
}

/// A row: one cell per column of its table.
pub type Row = Vec<Cell>;
