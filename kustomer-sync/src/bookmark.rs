//! Incremental bookmarks: where a keyset stream resumes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The position of an incremental stream.
///
/// Search sorts on `updatedAt` alone and orders records sharing one instant
/// arbitrarily, so an instant is not a position by itself: the bookmark also
/// holds the ids already loaded at exactly `updated_at`. Records at that
/// instant that are not in `ids_at` are still to come. When every record at
/// the instant is known to be loaded (after a tie window), `complete` is set
/// and the next query starts strictly after it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Bookmark {
    /// The last `updatedAt` loaded.
    pub updated_at: Option<DateTime<Utc>>,
    /// Ids loaded whose `updatedAt` equals [`Bookmark::updated_at`].
    #[serde(default)]
    pub ids_at: BTreeSet<String>,
    /// Every record at `updated_at` is loaded.
    #[serde(default)]
    pub complete: bool,
    /// Set while a full read (a first sync, or a re-sync) is under way: the
    /// start of the run that began it. When the read completes, rows written
    /// before this instant were not seen and are marked deleted; a crash in
    /// between resumes the read and keeps the instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_read_started: Option<DateTime<Utc>>,
    /// Set while a first load from the GET lists is under way: where each
    /// list stands, and the instant search took over from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_load: Option<FirstLoad>,
    /// Set once a full read that left the per-parent detail tables for
    /// later is complete, until every parent has them (see
    /// [`DetailBackfill`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<DetailBackfill>,
}

/// Where the detail tables' backfill stands: the parents are read again by
/// id with their detail lists, in ascending id order of the destination's
/// rows, after every stream's core tables are loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DetailBackfill {
    /// The last parent id done (none yet: from the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Parents done so far.
    #[serde(default)]
    pub done: u64,
}

/// Where a first load stands (part of the stream's [`Bookmark`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FirstLoad {
    /// The hand-over instant: lists cover records created before it, search
    /// every record updated at or after it.
    pub split: DateTime<Utc>,
    /// The next page of each list (a list absent has not started).
    #[serde(default)]
    pub next_page: BTreeMap<String, u32>,
    /// Lists read to their end (or to `split`).
    #[serde(default)]
    pub lists_done: Vec<String>,
    /// The lists are refused (no role, no endpoint): archive search, then
    /// search, read everything instead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
    /// With `fallback`: archive search was read whole.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archive_done: bool,
    /// Why archive search cannot be read (no endpoint, no role, no note
    /// fields), if it cannot: what is older than two years goes unverified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_refused: Option<String>,
    /// Lists that hold more than a query may reach, with why: the
    /// reconciliation fetches the rest by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists_windowed: Vec<String>,
}

impl FirstLoad {
    /// A first load handing over at `split`.
    pub(crate) fn new(split: DateTime<Utc>) -> FirstLoad {
        FirstLoad {
            split,
            next_page: BTreeMap::new(),
            lists_done: Vec::new(),
            fallback: false,
            archive_done: false,
            archive_refused: None,
            lists_windowed: Vec::new(),
        }
    }
}

impl Bookmark {
    /// Whether a record was already loaded at this position.
    pub fn covers(&self, id: &str, updated_at: Option<DateTime<Utc>>) -> bool {
        match (self.updated_at, updated_at) {
            (Some(b), Some(u)) if u < b => true,
            (Some(b), Some(u)) if u == b => self.complete || self.ids_at.contains(id),
            _ => false,
        }
    }

    /// Moves the position past a loaded record.
    pub fn advance(&mut self, id: &str, updated_at: Option<DateTime<Utc>>) {
        let Some(u) = updated_at else { return };
        match self.updated_at {
            Some(b) if u < b => {}
            Some(b) if u == b => {
                self.ids_at.insert(id.to_owned());
            }
            _ => {
                self.updated_at = Some(u);
                self.ids_at.clear();
                self.ids_at.insert(id.to_owned());
                self.complete = false;
            }
        }
    }

    /// Serializes for the destination's state table.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a bookmark always serializes")
    }

    /// Parses a stored bookmark.
    pub fn from_json(text: &str) -> Result<Bookmark, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<DateTime<Utc>> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn ties_are_tracked_by_id_not_order() {
        let mut b = Bookmark::default();
        b.advance("b", t("2024-01-01T00:00:00Z"));
        b.advance("a", t("2024-01-01T00:00:00Z"));
        assert!(b.covers("a", t("2024-01-01T00:00:00Z")));
        // An id that sorts before the loaded ones is still to come.
        assert!(!b.covers("0", t("2024-01-01T00:00:00Z")));
        assert!(b.covers("zzz", t("2023-12-31T00:00:00Z")));
        b.advance("c", t("2024-01-02T00:00:00Z"));
        assert_eq!(b.ids_at.len(), 1);
        let back = Bookmark::from_json(&b.to_json()).unwrap();
        assert_eq!(back, b);
    }
}
