//! Table definitions: the one description of each table's columns that DDL,
//! loaders, snapshots and docs all derive from.

use serde::Serialize;

/// The logical type of a column. Each destination maps these to its own types
/// in exactly one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LogicalType {
    /// UTF-8 text.
    Text,
    /// 64-bit signed integer.
    BigInt,
    /// 64-bit float (Kustomer numbers are JSON numbers; `Num` customs included).
    Double,
    /// Boolean.
    Boolean,
    /// A UTC instant with microsecond precision.
    Timestamp,
    /// JSON text, kept exactly as the API sent it.
    Json,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// snake_case column name.
    pub name: String,
    /// Logical type.
    pub ty: LogicalType,
    /// Whether the column may hold NULL.
    pub nullable: bool,
}

impl Column {
    /// A nullable column.
    pub fn new(name: impl Into<String>, ty: LogicalType) -> Self {
        Column {
            name: name.into(),
            ty,
            nullable: true,
        }
    }

    /// A NOT NULL column (keys).
    pub fn required(name: impl Into<String>, ty: LogicalType) -> Self {
        Column {
            name: name.into(),
            ty,
            nullable: false,
        }
    }
}

/// How a child table points at its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParentKey {
    /// The parent table's name.
    pub table: String,
    /// The column of the child table that holds the parent's `id`.
    pub column: String,
}

/// A table: its name, columns, primary key and, for child tables, its parent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDef {
    /// Table name (`customers`, `customer_emails`, `kobject_order`).
    pub name: String,
    /// Columns in load order; every row of the table has one cell per column.
    pub columns: Vec<Column>,
    /// Primary-key column names: `id` for parents, (parent key, `_position`) for children.
    pub primary_key: Vec<String>,
    /// Set on child tables.
    pub parent: Option<ParentKey>,
}

/// Name of the position column on every child table.
pub const POSITION_COLUMN: &str = "_position";
/// Name of the JSON column that keeps whatever this crate does not model.
pub const EXTRA_COLUMN: &str = "_extra";

impl TableDef {
    /// Index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column that references the parent (child tables only).
    pub fn parent_column(&self) -> Option<&str> {
        self.parent.as_ref().map(|p| p.column.as_str())
    }
}
