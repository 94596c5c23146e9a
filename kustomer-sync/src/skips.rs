//! What a run does instead of failing a stream, and what stops it:
//!
//! - a rejected token ([`kustomer_api::Error::Unauthorized`]) stops every
//!   stream, and the run ends with that one error ([`Rejection`]);
//! - a missing role (a 403, or a 401 while the token works elsewhere) skips
//!   the stream, naming the role ([`skip_reason`]);
//! - a full re-read whose first request answers 404 is an endpoint this org
//!   does not serve (`/v1/assistants` has no public reference): skipped;
//! - a detail list refused for want of a role skips that child table only:
//!   its batches are written without it ([`PartialTables`]), so the table
//!   keeps the rows it had.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use crate::dest::{StreamTables, WriteBatch};
use crate::error::SyncError;
use crate::mode::Mode;

/// The first rejection of the token this run, shared by every stream.
#[derive(Debug, Default)]
pub(crate) struct Rejection(OnceLock<(String, String)>);

impl Rejection {
    /// Records `e` (a rejected token) unless one was recorded already.
    pub(crate) fn record(&self, e: &SyncError) {
        let first = match e {
            SyncError::Api(kustomer_api::Error::Unauthorized { path, message }) => (path.clone(), message.clone()),
            other => ("(sync stopped)".to_owned(), other.to_string()),
        };
        let _ = self.0.set(first);
    }

    /// Whether the token was rejected.
    pub(crate) fn is_set(&self) -> bool {
        self.0.get().is_some()
    }

    /// The run's error: the first rejection.
    pub(crate) fn error(&self) -> Option<SyncError> {
        let (path, message) = self.0.get()?.clone();
        Some(SyncError::Api(kustomer_api::Error::Unauthorized { path, message }))
    }
}

/// Why a stream that failed with `e` is skipped rather than failed, if it
/// is: a missing `role`, or (for a full re-read that read nothing yet) an
/// endpoint the org does not serve.
pub(crate) fn skip_reason(e: &SyncError, role: &str, mode: Mode, read_any: bool) -> Option<String> {
    if e.is_forbidden() {
        return Some(format!("the API token lacks the role to read it ({role}): {e}"));
    }
    if mode == Mode::Replace && !read_any && e.is_not_found() {
        return Some(format!("not served by this org ({e})"));
    }
    None
}

/// The stream's tables without some child tables, made once per set.
#[derive(Default)]
pub(crate) struct PartialTables {
    made: HashMap<Vec<usize>, Arc<StreamTables>>,
}

impl PartialTables {
    /// `wb` as batches that leave the child tables `skipped` untouched: its
    /// records with their tables minus those children (a destination
    /// replaces only the child tables a batch names), and, when it also
    /// deletes, marks or sweeps, those with the full tables after them
    /// (children of removed parents go too), with the bookmark. Empty
    /// batches are dropped.
    pub(crate) fn split(&mut self, mut wb: WriteBatch, skipped: &[String]) -> Vec<WriteBatch> {
        let mut drop: Vec<usize> = (wb.tables.children.iter().enumerate())
            .filter(|(_, c)| skipped.contains(&c.name))
            .map(|(i, _)| i)
            .collect();
        drop.sort_unstable();
        if drop.is_empty() {
            return vec![wb].into_iter().filter(|b| !is_empty(b)).collect();
        }
        let full = wb.tables.clone();
        let reduced = self
            .made
            .entry(drop.clone())
            .or_insert_with(|| Arc::new(without_children(&full, &drop)))
            .clone();
        let mut records = std::mem::take(&mut wb.records);
        for r in &mut records {
            for &i in drop.iter().rev() {
                if i < r.children.len() {
                    r.children.remove(i);
                }
            }
        }
        let mut first = WriteBatch::new(wb.stream.clone(), reduced, records);
        first.companions = std::mem::take(&mut wb.companions);
        first.newest_wins = wb.newest_wins;
        let rest_needed = !wb.deletes.is_empty() || !wb.mark_deleted.is_empty() || wb.sweep.is_some();
        if !rest_needed {
            first.bookmark = wb.bookmark.take();
        }
        vec![first, wb].into_iter().filter(|b| !is_empty(b)).collect()
    }
}

fn is_empty(b: &WriteBatch) -> bool {
    b.records.is_empty()
        && b.deletes.is_empty()
        && b.companions.is_empty()
        && b.sweep.is_none()
        && b.mark_deleted.is_empty()
        && b.bookmark.is_none()
}

/// `t` without the children at `drop` (sorted), history tables following.
fn without_children(t: &StreamTables, drop: &[usize]) -> StreamTables {
    let kept: Vec<usize> = (0..t.children.len()).filter(|i| !drop.contains(i)).collect();
    StreamTables {
        parent: t.parent.clone(),
        children: kept.iter().map(|&i| t.children[i].clone()).collect(),
        history: t
            .history
            .iter()
            .filter_map(|h| {
                let source = match h.source {
                    0 => 0,
                    s => kept.iter().position(|&i| i == s - 1)? + 1,
                };
                Some(crate::dest::HistoryTable { source, ..h.clone() })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dest::Sweep;
    use kustomer_models::{Cell, Column, FlatRecord, LogicalType, TableDef};

    fn def(name: &str, parent: Option<&str>) -> TableDef {
        TableDef {
            name: name.into(),
            columns: vec![Column::required("id", LogicalType::Text)],
            primary_key: vec!["id".into()],
            parent: parent.map(|p| kustomer_models::ParentKey {
                table: p.into(),
                column: "conversation_id".into(),
            }),
        }
    }

    #[test]
    fn a_skipped_child_table_is_left_out_and_deletes_go_with_the_full_tables() {
        let tables = StreamTables::new(
            def("conversations", None),
            vec![
                def("conversation_tags", Some("conversations")),
                def("conversation_events", Some("conversations")),
                def("conversation_times", Some("conversations")),
            ],
        )
        .with_history("conversation");
        assert_eq!(tables.history.len(), 4);
        let tables = Arc::new(tables);
        let rec = FlatRecord {
            id: "c".into(),
            row: vec![Cell::Text("c".into())],
            children: vec![
                vec![vec![Cell::Text("t".into())]],
                vec![vec![Cell::Text("e".into())]],
                vec![],
            ],
        };
        let mut wb = WriteBatch::new("conversations", tables.clone(), vec![rec]);
        wb.bookmark = Some("{}".into());
        let mut partial = PartialTables::default();
        let out = partial.split(wb.clone(), &["conversation_events".into()]);
        assert_eq!(out.len(), 1);
        let names: Vec<&str> = out[0].tables.all().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "conversations",
                "conversation_tags",
                "conversation_times",
                "conversation_history",
                "conversation_history_tags",
                "conversation_history_times"
            ]
        );
        assert_eq!(
            out[0].tables.history.iter().map(|h| h.source).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(out[0].records[0].children.len(), 2);
        assert_eq!(out[0].bookmark.as_deref(), Some("{}"));

        wb.deletes = vec!["gone".into()];
        wb.sweep = Some(Sweep {
            before: chrono::Utc::now(),
            since: None,
            hard: true,
            at: chrono::Utc::now(),
        });
        let again = partial.split(wb.clone(), &["conversation_events".into()]);
        assert_eq!(again.len(), 2);
        assert!(Arc::ptr_eq(&again[0].tables, &out[0].tables), "made once");
        assert!(again[0].bookmark.is_none() && again[0].deletes.is_empty());
        assert!(Arc::ptr_eq(&again[1].tables, &tables));
        assert_eq!(again[1].deletes, ["gone"]);
        assert_eq!(again[1].bookmark.as_deref(), Some("{}"));
        assert!(again[1].records.is_empty());

        // Nothing skipped (or not among the tables): unchanged; empty batches dropped.
        assert_eq!(partial.split(wb, &["other".into()]).len(), 1);
        let empty = WriteBatch::new("conversations", tables, Vec::new());
        assert!(partial.split(empty, &[]).is_empty());
    }
}
