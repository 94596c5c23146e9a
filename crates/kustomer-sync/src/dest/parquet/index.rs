//! The in-memory indexes: per parent table, each id's current row (`_seq`,
//! `updated_at`, `_synced_at`, `_deleted`); per history table, each id's
//! current version. Built from the files the first time a table is written
//! in the process (only those columns read), then kept by every write.

use std::collections::{HashMap, HashSet};

use kustomer_models::{Cell, TableDef};

use super::convert::{bool_at, int_at, text_at, SEQ};
use super::rows::micros;
use super::{err, ParquetDestination};
use crate::dest::{DELETED, SYNCED_AT, VALID_FROM};
use crate::error::SyncError;

/// What the index knows of a parent's current row.
#[derive(Debug, Clone, Copy)]
pub(super) struct ParentEntry {
    pub(super) seq: i64,
    pub(super) updated_at: Option<i64>,
    pub(super) synced_at: Option<i64>,
    pub(super) deleted: bool,
}

/// A history table's current version of an id.
#[derive(Debug, Clone, Copy)]
pub(super) struct Version {
    pub(super) valid_from: i64,
    pub(super) seq: i64,
}

/// Where the bookkeeping columns of a parent table are.
pub(super) struct ParentCols {
    pub(super) id: usize,
    pub(super) updated_at: Option<usize>,
    pub(super) deleted: Option<usize>,
    pub(super) synced_at: Option<usize>,
}

impl ParentCols {
    pub(super) fn of(def: &TableDef) -> Result<ParentCols, SyncError> {
        Ok(ParentCols {
            id: def
                .column_index("id")
                .ok_or_else(|| err(format!("table {} has no id column", def.name)))?,
            updated_at: def.column_index("updated_at"),
            deleted: def.column_index(DELETED),
            synced_at: def.column_index(SYNCED_AT),
        })
    }

    pub(super) fn entry(&self, row: &[Cell], seq: i64) -> ParentEntry {
        let ts = |i: Option<usize>| i.and_then(|i| row.get(i)).and_then(micros);
        ParentEntry {
            seq,
            updated_at: ts(self.updated_at),
            synced_at: ts(self.synced_at),
            deleted: self.deleted.and_then(|i| row.get(i)) == Some(&Cell::Bool(true)),
        }
    }
}

impl ParquetDestination {
    pub(super) fn tombstoned(&self, table: &str) -> HashSet<(String, i64)> {
        let mut out = self.committed.tombstones.get(table).cloned().unwrap_or_default();
        if let Some(run) = self.run.as_ref().and_then(|r| r.tombstones.get(table)) {
            out.extend(run.iter().cloned());
        }
        out
    }

    /// The index of a parent table (loaded from its files the first time),
    /// taken out of `self` while a write uses it.
    pub(super) fn take_parent_index(&mut self, table: &str) -> Result<HashMap<String, ParentEntry>, SyncError> {
        if let Some(index) = self.parents.remove(table) {
            return Ok(index);
        }
        let mut index: HashMap<String, ParentEntry> = HashMap::new();
        self.scan(table, &["id", "updated_at", DELETED, SYNCED_AT, SEQ], |b| {
            let s = b.schema();
            let (Ok(id), Ok(seq)) = (s.index_of("id"), s.index_of(SEQ)) else {
                return Ok(());
            };
            let updated = s.index_of("updated_at").ok();
            let deleted = s.index_of(DELETED).ok();
            let synced = s.index_of(SYNCED_AT).ok();
            for row in 0..b.num_rows() {
                let (Some(i), Some(q)) = (text_at(b, id, row), int_at(b, seq, row)) else {
                    continue;
                };
                if index.get(i).is_some_and(|e| e.seq >= q) {
                    continue;
                }
                index.insert(
                    i.to_owned(),
                    ParentEntry {
                        seq: q,
                        updated_at: updated.and_then(|c| int_at(b, c, row)),
                        synced_at: synced.and_then(|c| int_at(b, c, row)),
                        deleted: deleted.and_then(|c| bool_at(b, c, row)).unwrap_or(false),
                    },
                );
            }
            Ok(())
        })?;
        // A hard-deleted id is absent, as in a table it was deleted from.
        let gone = self.tombstoned(table);
        if !gone.is_empty() {
            index.retain(|id, e| !gone.contains(&(id.clone(), e.seq)));
        }
        Ok(index)
    }

    pub(super) fn take_history_index(&mut self, table: &str) -> Result<HashMap<String, Version>, SyncError> {
        if let Some(index) = self.histories.remove(table) {
            return Ok(index);
        }
        let mut index: HashMap<String, Version> = HashMap::new();
        self.scan(table, &["id", VALID_FROM, SEQ], |b| {
            let s = b.schema();
            let (Ok(id), Ok(vf), Ok(seq)) = (s.index_of("id"), s.index_of(VALID_FROM), s.index_of(SEQ)) else {
                return Ok(());
            };
            for row in 0..b.num_rows() {
                let (Some(i), Some(from), Some(q)) = (text_at(b, id, row), int_at(b, vf, row), int_at(b, seq, row))
                else {
                    continue;
                };
                if index.get(i).is_some_and(|v| (v.valid_from, v.seq) >= (from, q)) {
                    continue;
                }
                index.insert(
                    i.to_owned(),
                    Version {
                        valid_from: from,
                        seq: q,
                    },
                );
            }
            Ok(())
        })?;
        Ok(index)
    }
}
