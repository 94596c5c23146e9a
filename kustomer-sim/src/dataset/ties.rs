//! Bulk updates: groups of records that share one `updatedAt` to the millisecond.
//!
//! Real orgs get these from imports, workflows and bulk edits, and they are what
//! breaks naive keyset paging: a client must cope with more records at one instant
//! than a page holds.

use serde_json::Value;

use crate::rng::Rng;
use crate::row::Row;
use crate::time::{self, DAY, HOUR, MS};

/// Share of each kind that takes part in a bulk update.
const SHARE_PERCENT: usize = 6;
/// The largest group sharing one instant (bigger than the largest search page).
const MAX_GROUP: usize = 700;

/// Moves about 6 % of `rows` (at least 3 when there are 10 or more) into groups of
/// up to [`MAX_GROUP`] records sharing one `updatedAt` (and `modifiedAt`).
///
/// A group's instant lies after every member's previous `updatedAt`, so the data stays
/// consistent: it is an update that happened after the members' last change.
pub(crate) fn bulk_update(rows: &mut [Row], rng: &mut Rng, now: i64, span: i64) {
    let n = rows.len();
    if n < 10 {
        return;
    }
    let mut remaining = (n * SHARE_PERCENT / 100).max(3);
    let mut taken = vec![false; n];
    // The cached `updatedAt` is 0 when it is missing or malformed: then `now`.
    let updated: Vec<i64> = (rows.iter())
        .map(|r| match r.meta.updated {
            0 => now,
            t => t,
        })
        .collect();
    for _attempt in 0..8 {
        if remaining == 0 {
            break;
        }
        let size = remaining.min(MAX_GROUP);
        let pivot = rng.range(now - span / 4, now - DAY);
        let eligible: Vec<usize> = (0..n)
            .filter(|&i| !taken[i] && updated[i] <= pivot && !rows[i].meta.deleted)
            .collect();
        let members = rng.sample(&eligible, size);
        let at = time::format((pivot + rng.range(0, HOUR)).min(now - MS));
        for &i in &members {
            taken[i] = true;
            rows[i].edit(|value| {
                if let Some(attrs) = value.get_mut("attributes").and_then(Value::as_object_mut) {
                    attrs.insert("updatedAt".into(), Value::String(at.clone()));
                    if attrs.contains_key("modifiedAt") {
                        attrs.insert("modifiedAt".into(), Value::String(at.clone()));
                    }
                }
            });
        }
        remaining -= members.len().min(remaining);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn demo_sized_kinds_get_ties_larger_than_a_search_page() {
        let now = 1_800_000_000 * time::SEC;
        let span = 540 * DAY;
        let mut rng = Rng::new(5);
        let mut rows: Vec<Row> = (0..12_000)
            .map(|i| {
                let at = time::format(now - span + i * (span / 12_000));
                Row::new(&serde_json::json!({"id": i.to_string(), "attributes": {"updatedAt": at, "deleted": false}}))
            })
            .collect();
        bulk_update(&mut rows, &mut rng, now, span);
        let mut counts: HashMap<i64, usize> = HashMap::new();
        for r in &rows {
            *counts.entry(r.meta.updated).or_default() += 1;
        }
        let mut groups: Vec<usize> = counts.into_values().filter(|&n| n > 1).collect();
        groups.sort_unstable();
        assert_eq!(groups, [20, 700]);
    }
}
