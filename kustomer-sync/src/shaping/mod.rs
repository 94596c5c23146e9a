//! Shaping: how records become rows of this run's tables, for polls and
//! webhooks alike.
//!
//! Two steps, in this order: [`Shaper`] turns an entity into rows of the
//! model's tables plus the org's custom columns and klass tables (streams
//! call it as they read); [`Shaping`] then applies the selection's
//! projection and appends the bookkeeping columns (`_deleted`,
//! `_deleted_at`, `_synced_at`) before the writer gets the rows.

mod entity;
#[cfg(feature = "webhook")]
mod event;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kustomer_models::{Cell, FlatRecord};

use crate::dest::{last_copies, StreamTables};
use crate::select::Projection;

pub(crate) use entity::Shaper;
#[cfg(feature = "webhook")]
pub(crate) use event::EventShaping;

/// How a stream's records become rows of its tables this run.
pub(crate) struct Shaping {
    pub(crate) tables: Arc<StreamTables>,
    projection: Projection,
    /// `deleted` / `deleted_at` in the unprojected parent row.
    deleted: Option<usize>,
    deleted_at: Option<usize>,
    /// `id` in the projected parent row (hard deletes key on what is stored).
    id: usize,
}

impl Shaping {
    pub(crate) fn new(raw: &StreamTables, tables: StreamTables, projection: Projection) -> Shaping {
        let id = tables.parent.column_index("id").unwrap_or(0);
        Shaping {
            deleted: raw.parent.column_index("deleted"),
            deleted_at: raw.parent.column_index("deleted_at"),
            id,
            tables: Arc::new(tables),
            projection,
        }
    }

    /// Projects a record and appends the bookkeeping cells; returns whether
    /// the source marks it deleted.
    pub(crate) fn shape(&self, rec: &mut FlatRecord, run: DateTime<Utc>) -> bool {
        let flag = matches!(self.deleted.and_then(|i| rec.row.get(i)), Some(Cell::Bool(true)));
        let at = match self.deleted_at.and_then(|i| rec.row.get(i)) {
            Some(Cell::Timestamp(t)) => Some(*t),
            _ => None,
        };
        let deleted = flag || at.is_some();
        self.projection.apply(rec);
        let deleted_at = if deleted { at.or(Some(run)) } else { None };
        rec.row.extend([
            Cell::Bool(deleted),
            deleted_at.map_or(Cell::Null, Cell::Timestamp),
            Cell::Timestamp(run),
        ]);
        deleted
    }

    pub(crate) fn stored_id(&self, rec: &FlatRecord) -> String {
        match rec.row.get(self.id) {
            Some(Cell::Text(s)) => s.clone(),
            _ => rec.id.clone(),
        }
    }
}

/// One row per id per batch: a record read twice keeps its last copy.
fn dedupe(records: Vec<FlatRecord>) -> Vec<FlatRecord> {
    match last_copies(&records, |r| &r.id) {
        None => records,
        Some(keep) => (records.into_iter().zip(keep))
            .filter_map(|(r, k)| k.then_some(r))
            .collect(),
    }
}

/// Shapes records for their tables; with hard deletes, records the source
/// marks deleted leave as ids to remove instead.
pub(crate) fn shape_all(
    shaping: &Shaping,
    records: Vec<FlatRecord>,
    run_started: DateTime<Utc>,
    hard: bool,
) -> (Vec<FlatRecord>, Vec<String>) {
    let mut kept = Vec::with_capacity(records.len());
    let mut deletes = Vec::new();
    for mut r in dedupe(records) {
        let deleted = shaping.shape(&mut r, run_started);
        if deleted && hard {
            deletes.push(shaping.stored_id(&r));
        } else {
            kept.push(r);
        }
    }
    (kept, deletes)
}
