//! Table definitions: the one description of each table's columns that DDL,
//! loaders, snapshots and docs all derive from.

use std::borrow::Cow;

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
    /// What the column means, in one line: the data dictionary, `--describe`
    /// and the databases' column comments all read it. Not serialized: the
    /// dictionary is where it is published, not every schema snapshot.
    #[serde(skip)]
    pub doc: Option<Cow<'static, str>>,
    /// Where the value comes from in the API's JSON (`attributes.updatedAt`,
    /// `relationships.customer.data.id`), or `(sync)` for bookkeeping.
    #[serde(skip)]
    pub source: Option<Cow<'static, str>>,
}

impl Column {
    /// A nullable column.
    pub fn new(name: impl Into<String>, ty: LogicalType) -> Self {
        Column {
            name: name.into(),
            ty,
            nullable: true,
            doc: None,
            source: None,
        }
    }

    /// A NOT NULL column (keys).
    pub fn required(name: impl Into<String>, ty: LogicalType) -> Self {
        Column {
            name: name.into(),
            ty,
            nullable: false,
            doc: None,
            source: None,
        }
    }

    /// With its one-line meaning.
    pub fn with_doc(mut self, doc: impl Into<Cow<'static, str>>) -> Self {
        self.doc = Some(doc.into());
        self
    }

    /// With the API field it comes from.
    pub fn with_source(mut self, source: impl Into<Cow<'static, str>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Documented as `doc` and `source` unless it already is (the generic
    /// meaning of a column never overrides a specific one).
    pub fn or_doc(mut self, doc: &str, source: &str) -> Self {
        if self.doc.is_none() {
            self.doc = Some(Cow::Owned(doc.to_owned()));
        }
        if self.source.is_none() {
            self.source = Some(Cow::Owned(source.to_owned()));
        }
        self
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
