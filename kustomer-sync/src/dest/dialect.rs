//! What differs between SQL engines, and nothing else: how a table and a
//! parameter are written, how staging tables are made, a few typed
//! literals, and how an error is classified. The merge itself
//! ([`super::plan`]) is written once against this trait.

use kustomer_models::TableDef;

/// The staging tables a merge plan uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temp {
    /// A batch's parent rows.
    Parents,
    /// One child table's rows.
    Children,
    /// The versions a batch starts in a history table (`id`, `_valid_from`).
    Versions,
    /// Ids of parents to remove or mark deleted.
    Ids,
}

/// How an engine's error bears on running the batch again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Another transaction got in the way (serialization failure, deadlock,
    /// write-write conflict): the batch alone would succeed.
    Conflict,
    /// A key already present (a unique or primary-key violation).
    KeyViolation,
    /// Anything else.
    Other,
}

/// An engine's SQL dialect.
pub trait Dialect {
    /// A table as statements name it (quoted; qualified by a schema if any).
    fn table(&self, name: &str) -> String;
    /// The `n`th statement parameter (1-based).
    fn param(&self, n: usize) -> String;
    /// The name of the `seq`th temp table of a batch, for `role`.
    fn temp_name(&self, role: Temp, seq: usize) -> String;
    /// Creates an empty staging table `name` with `def`'s columns.
    fn create_staging(&self, name: &str, def: &TableDef) -> String;
    /// Creates temp table `name` from a query.
    fn create_temp_as(&self, name: &str, select: &str) -> String;
    /// Statements (with what each does) run once a batch's parent rows are
    /// staged in `stage`, before anything reads them; `table` is the parent table.
    fn after_parents_staged(&self, stage: &str, table: &str) -> Vec<(String, &'static str)> {
        let _ = (stage, table);
        Vec::new()
    }
    /// A NULL of the timestamp type (where its type cannot be inferred).
    fn null_timestamp(&self) -> &'static str;
    /// The current instant, as the bookmark table stores it.
    fn now(&self) -> &'static str;
}
