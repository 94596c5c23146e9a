//! A batch without history written without staging: the stored copies of
//! the parents it replaces are deleted with their child rows, then the
//! whole batch is appended. The same outcome as the plan's upsert (newest
//! copy wins, child rows go with their parent, the same counts), in a
//! handful of statements prepared once per connection instead of ~3 per
//! child table re-planned per batch: merges were half of the writer's time
//! in a first load, where list and search pages overlap.

use std::collections::HashMap;

use duckdb::types::Value;
use duckdb::Connection;
use kustomer_models::{Cell, FlatRecord};

use super::super::plan::Tally;
use super::super::sql::ident;
use super::super::{StreamTables, DELETED};
use super::dialect::{fail, Failure};
use super::merge::append_new;
use super::stored_id;

/// What is stored of a parent the batch may replace.
struct Stored {
    /// `updated_at`, in microseconds.
    updated_at: Option<i64>,
    deleted: bool,
}

/// Writes `records` (one per id) on `tx`: the stored copies of the ids in
/// `lookup` (those that may be stored) are read; one newer than the
/// record's keeps its place when `newest_wins` (the record is skipped), an
/// older one is deleted with its child rows; then every record not skipped
/// is appended.
pub(super) fn replace(
    tx: &Connection,
    tables: &StreamTables,
    records: &[FlatRecord],
    lookup: &[&str],
    newest_wins: bool,
) -> Result<Tally, Failure> {
    let parent = &tables.parent;
    let pt = ident(&parent.name);
    let id = parent.column_index("id");
    let updated = parent.column_index("updated_at");
    let deleted = parent.column_index(DELETED);
    let stored = if lookup.is_empty() {
        HashMap::new()
    } else {
        let sql = format!(
            "SELECT id, {}, {} FROM {pt} WHERE id IN (SELECT unnest(?))",
            updated.map_or("NULL::BIGINT".into(), |_| "epoch_us(updated_at)".to_owned()),
            deleted.map_or("false".into(), |_| format!("coalesce({}, false)", ident(DELETED))),
        );
        let what = "look up stored parents";
        let mut stmt = tx.prepare_cached(&sql).map_err(fail(what))?;
        let rows = stmt
            .query_map([id_list(lookup)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Stored {
                        updated_at: r.get(1)?,
                        deleted: r.get(2)?,
                    },
                ))
            })
            .map_err(fail(what))?;
        rows.collect::<Result<HashMap<_, _>, _>>().map_err(fail(what))?
    };
    let micros = |r: &FlatRecord| match updated.and_then(|i| r.row.get(i)) {
        Some(Cell::Timestamp(t)) => Some(t.timestamp_micros()),
        _ => None,
    };
    let is_deleted = |r: &FlatRecord| deleted.is_some_and(|i| matches!(r.row.get(i), Some(Cell::Bool(true))));
    let mut keep = Vec::with_capacity(records.len());
    let mut replaced = Vec::new();
    let mut tally = Tally::default();
    for r in records {
        let id = stored_id(id, r);
        match stored.get(id) {
            None => {
                tally.stats.inserted += 1;
                tally.stats.deleted += u64::from(is_deleted(r));
            }
            // `p.updated_at > s.updated_at`: a null on either side is not newer.
            Some(s) if newest_wins && matches!((s.updated_at, micros(r)), (Some(a), Some(b)) if a > b) => {
                continue;
            }
            Some(s) => {
                tally.stats.updated += 1;
                tally.stats.deleted += u64::from(is_deleted(r) && !s.deleted);
                replaced.push(id);
            }
        }
        keep.push(r);
    }
    if keep.len() < records.len() {
        tracing::debug!(stale = records.len() - keep.len(), "older copies skipped");
    }
    if !replaced.is_empty() {
        let list = id_list(&replaced);
        let delete = |table: &str, key: &str, what: &'static str| -> Result<(), Failure> {
            let sql = format!(
                "DELETE FROM {} WHERE {} IN (SELECT unnest(?))",
                ident(table),
                ident(key)
            );
            let mut stmt = tx.prepare_cached(&sql).map_err(fail(what))?;
            stmt.execute([&list]).map_err(fail(what))?;
            Ok(())
        };
        delete(&parent.name, "id", "delete replaced parents")?;
        for child in &tables.children {
            delete(
                &child.name,
                child.parent_column().unwrap_or("parent_id"),
                "delete replaced child rows",
            )?;
        }
    }
    tally.stats.child_rows += append_new(tx, tables, &keep)?;
    Ok(tally)
}

/// Ids as one `VARCHAR[]` parameter: the statement's text stays the same
/// whatever the count, so it is planned once.
fn id_list(ids: &[&str]) -> Value {
    Value::List(ids.iter().map(|id| Value::Text((*id).to_owned())).collect())
}
