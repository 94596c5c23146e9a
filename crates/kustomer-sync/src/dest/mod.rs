//! Destinations: where rows land. Every destination implements
//! [`Destination`]; the engine never knows which one it writes to.

#[cfg(feature = "duckdb")]
pub mod duckdb;

use std::sync::Arc;

use kustomer_models::{FlatRecord, TableDef};

use crate::error::SyncError;

/// The tables one stream writes: its parent table and the parent's child
/// tables (in the order of [`FlatRecord::children`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamTables {
    /// The parent table.
    pub parent: TableDef,
    /// Child tables.
    pub children: Vec<TableDef>,
}

impl StreamTables {
    /// Every table.
    pub fn all(&self) -> impl Iterator<Item = &TableDef> {
        std::iter::once(&self.parent).chain(self.children.iter())
    }
}

/// One atomic unit of work: upsert these records (their parent rows by `id`,
/// their child rows replaced wholesale) and move the stream's bookmark, all
/// or nothing.
#[derive(Debug, Clone)]
pub struct WriteBatch {
    /// The stream (bookmark key).
    pub stream: String,
    /// Its tables.
    pub tables: Arc<StreamTables>,
    /// Records; at most one per id (the engine keeps the last copy).
    pub records: Vec<FlatRecord>,
    /// The stream's new bookmark, if it moves.
    pub bookmark: Option<String>,
}

/// What a write changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Parent rows inserted (ids not present before).
    pub inserted: u64,
    /// Parent rows replaced.
    pub updated: u64,
    /// Child rows written.
    pub child_rows: u64,
}

/// A place rows are loaded into.
///
/// Implementations must make [`Destination::write`] atomic: after a crash at
/// any instant, either all of a batch (rows and bookmark) is visible or none.
pub trait Destination: Send + 'static {
    /// Creates missing tables and adds missing columns (never drops).
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError>;
    /// The stored bookmark of a stream.
    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError>;
    /// Writes a batch atomically.
    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError>;
    /// Rows in a table (for reports).
    fn row_count(&mut self, table: &str) -> Result<u64, SyncError>;
}
