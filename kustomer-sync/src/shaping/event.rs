//! A webhook event's record shaped as a poll of its stream shapes it, so a
//! table fed by both ends the same.

use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use kustomer_models::{Entity, FlatRecord};

use super::{Shaper, Shaping};
use crate::dest::StreamTables;

/// How one stream's events become rows.
pub(crate) struct EventShaping {
    shaper: Shaper,
    shaping: Arc<Shaping>,
    /// Per-parent detail lists (events, drafts…) the event does not carry:
    /// empty slots for the projection, and left out of the write so stored
    /// detail rows stay.
    detail_slots: usize,
    keep: usize,
    tables: Arc<StreamTables>,
}

impl EventShaping {
    /// Events shaped by `shaper`, then as the stream's `shaping` (planned
    /// from its unprojected tables `raw`) shapes a poll's records.
    pub(crate) fn new(shaper: Shaper, raw: &StreamTables, shaping: Arc<Shaping>) -> EventShaping {
        let own = shaper.tables().children.len();
        let own_names: Vec<String> = raw.children[..own].iter().map(|c| c.name.clone()).collect();
        let t = &shaping.tables;
        // Children come first in the projected list, details after.
        let keep = t.children.iter().take_while(|c| own_names.contains(&c.name)).count();
        let tables = StreamTables {
            parent: t.parent.clone(),
            children: t.children[..keep].to_vec(),
            history: t.history.iter().filter(|h| h.source <= keep).cloned().collect(),
        };
        EventShaping {
            shaper,
            detail_slots: raw.children.len() - own,
            keep,
            tables: Arc::new(tables),
            shaping,
        }
    }

    /// The tables an event writes (the stream's, less its detail lists).
    pub(crate) fn tables(&self) -> &Arc<StreamTables> {
        &self.tables
    }

    /// One event's record as rows, and whether the source marks it deleted.
    pub(crate) fn shape<E: Entity>(&self, e: E) -> (FlatRecord, bool) {
        let mut rec = self.shaper.shape(e);
        rec.children
            .extend(std::iter::repeat_with(Vec::new).take(self.detail_slots));
        let deleted = self.shaping.shape(&mut rec, Utc::now().trunc_subsecs(6));
        rec.children.truncate(self.keep);
        (rec, deleted)
    }

    /// The id a shaped record is stored under.
    pub(crate) fn stored_id(&self, rec: &FlatRecord) -> String {
        self.shaping.stored_id(rec)
    }
}
