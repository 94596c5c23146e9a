//! What the destination knows of every table it has seen: its columns
//! (never fewer than before), and how its current rows are found.

use std::collections::HashMap;

use kustomer_models::{Column, TableDef};

use super::err;
use crate::dest::{StreamTables, DELETED, SYNCED_AT, VALID_FROM};
use crate::error::SyncError;

/// How a table's current rows are found.
#[derive(Debug, Clone)]
pub(super) enum TableKind {
    Parent,
    Child { parent: String, column: String },
    History,
    ChildHistory { history: String, column: String },
}

/// Every table seen in this process: its columns (the union of its
/// definitions: columns are never dropped) and how it relates to others.
#[derive(Debug, Default)]
pub(super) struct Registry {
    pub(super) defs: HashMap<String, TableDef>,
    pub(super) kinds: HashMap<String, TableKind>,
    /// Parent table → its child tables and their parent-key columns.
    pub(super) children: HashMap<String, Vec<(String, String)>>,
    /// History table → its child history tables and their parent-key columns.
    pub(super) history_children: HashMap<String, Vec<(String, String)>>,
}

fn parent_column(def: &TableDef) -> String {
    def.parent_column().unwrap_or("parent_id").to_owned()
}

impl Registry {
    pub(super) fn register(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        let parent = &tables.parent.name;
        self.def(&tables.parent, TableKind::Parent);
        for c in &tables.children {
            let column = parent_column(c);
            self.def(
                c,
                TableKind::Child {
                    parent: parent.clone(),
                    column: column.clone(),
                },
            );
            let known = self.children.entry(parent.clone()).or_default();
            if !known.iter().any(|(n, _)| *n == c.name) {
                known.push((c.name.clone(), column));
            }
        }
        let root = tables.history.iter().find(|h| h.source == 0);
        for h in &tables.history {
            if h.source == 0 {
                self.def(&h.def, TableKind::History);
                continue;
            }
            let Some(root) = root else {
                return Err(err(format!(
                    "history table {} needs its parent's history table",
                    h.def.name
                )));
            };
            let column = parent_column(&h.def);
            self.def(
                &h.def,
                TableKind::ChildHistory {
                    history: root.def.name.clone(),
                    column: column.clone(),
                },
            );
            let known = self.history_children.entry(root.def.name.clone()).or_default();
            if !known.iter().any(|(n, _)| *n == h.def.name) {
                known.push((h.def.name.clone(), column));
            }
        }
        Ok(())
    }

    fn def(&mut self, def: &TableDef, kind: TableKind) {
        // Every write registers its tables: most often, nothing new.
        if self.defs.get(&def.name) == Some(def) {
            return;
        }
        self.kinds.insert(def.name.clone(), kind);
        match self.defs.get_mut(&def.name) {
            None => {
                self.defs.insert(def.name.clone(), def.clone());
            }
            Some(known) => {
                // Like ALTER TABLE ADD COLUMN: known columns keep their place.
                for c in &def.columns {
                    match known.columns.iter_mut().find(|k| k.name == c.name) {
                        Some(k) if k != c => *k = c.clone(),
                        Some(_) => {}
                        None => known.columns.push(c.clone()),
                    }
                }
                known.primary_key = def.primary_key.clone();
                known.parent = def.parent.clone();
            }
        }
    }

    pub(super) fn children_of(&self, parent: &str) -> Vec<(String, String)> {
        self.children.get(parent).cloned().unwrap_or_default()
    }

    pub(super) fn history_children_of(&self, history: &str) -> Vec<(String, String)> {
        self.history_children.get(history).cloned().unwrap_or_default()
    }
}

/// The columns of a table's new file: its known columns, then any other
/// the previous file or the incoming rows have (nullable: rows lack them).
pub(super) fn file_columns(def: Option<&TableDef>, previous: &[Column], incoming: &[Column]) -> Vec<Column> {
    let mut out: Vec<Column> = def.map(|d| d.columns.clone()).unwrap_or_default();
    for c in previous.iter().chain(incoming) {
        if !out.iter().any(|o| o.name == c.name) {
            out.push(Column {
                nullable: true,
                ..c.clone()
            });
        }
    }
    // A parent table's tombstones hold only its key and bookkeeping columns.
    let has = |n: &str| out.iter().any(|c| c.name == n);
    if has(DELETED) && !has(VALID_FROM) {
        let pk: &[String] = def.map(|d| d.primary_key.as_slice()).unwrap_or_default();
        for c in &mut out {
            if !(pk.contains(&c.name) || c.name == "id" || c.name == DELETED || c.name == SYNCED_AT) {
                c.nullable = true;
            }
        }
    }
    out
}
