//! Writes as new rows: records (with newest-wins, child rows and history
//! versions), hard deletes as tombstones, soft deletes and sweeps as rows
//! written again marked deleted; with the stats DuckDB reports.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use kustomer_models::{Cell, Column, FlatRecord, TableDef};

use super::index::{ParentCols, Version};
use super::rows::{instant, key, micros, Fetched, Key, KeyPart, Pending};
use super::{err, ParquetDestination};
use crate::dest::{
    HistoryTable, StreamTables, Sweep, WriteBatch, WriteStats, DELETED, DELETED_AT, IS_CURRENT, SYNCED_AT, VALID_FROM,
    VALID_TO,
};
use crate::error::SyncError;

impl ParquetDestination {
    pub(super) fn write_batch(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        let WriteBatch {
            stream,
            tables,
            records,
            deletes,
            companions,
            sweep,
            mark_deleted,
            bookmark,
            newest_wins,
        } = batch;
        let mut stats = WriteStats::default();
        let now = Utc::now().trunc_subsecs(6);
        self.upsert(&tables, records, newest_wins, &mut stats)?;
        self.remove(&tables.parent, &deletes, now, &mut stats)?;
        self.mark_deleted(&tables.parent, &mark_deleted, now, &mut stats)?;
        for c in companions {
            // Companions count as their own stream's rows, not this one's.
            self.upsert(&c.tables, c.records, newest_wins, &mut WriteStats::default())?;
        }
        if let Some(s) = &sweep {
            self.sweep(&tables, s, &mut stats)?;
        }
        if let (Some(bm), Some(run)) = (bookmark, self.run.as_mut()) {
            run.bookmarks.insert(stream, bm);
        }
        Ok(stats)
    }

    /// Upserts records: parent rows by id, their child rows with them, a new
    /// version in each history table.
    pub(super) fn upsert(
        &mut self,
        tables: &StreamTables,
        records: Vec<FlatRecord>,
        newest_wins: bool,
        stats: &mut WriteStats,
    ) -> Result<(), SyncError> {
        if records.is_empty() {
            return Ok(());
        }
        let parent = &tables.parent;
        let pc = ParentCols::of(parent)?;
        let mut index = self.take_parent_index(&parent.name)?;
        let seq = self.next_seq();
        let mut kept: Vec<Kept> = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            let Some(Cell::Text(id)) = r.row.get(pc.id) else {
                return Err(err(format!("a row of {} has no text id", parent.name)));
            };
            let prev = index.get(id.as_str()).copied();
            if newest_wins {
                // An older copy never overwrites a newer row (nor do its children).
                let incoming = pc.updated_at.and_then(|j| micros(&r.row[j]));
                if let (Some(stored), Some(incoming)) = (prev.and_then(|p| p.updated_at), incoming) {
                    if stored > incoming {
                        continue;
                    }
                }
            }
            if prev.is_some() {
                stats.updated += 1;
            } else {
                stats.inserted += 1;
            }
            let deleted = pc.deleted.is_some_and(|j| r.row[j] == Cell::Bool(true));
            if deleted && !prev.is_some_and(|p| p.deleted) {
                stats.deleted += 1;
            }
            kept.push(Kept {
                rec: i,
                id: id.clone(),
                prev: prev.map(|p| p.seq),
            });
        }
        for i in 0..tables.children.len() {
            let n: usize = records.iter().map(|r| r.children.get(i).map_or(0, Vec::len)).sum();
            stats.child_rows += n as u64;
        }
        let mut pending = Pending::default();
        // Child tables the batch leaves out keep their rows: written again
        // with the parent's new `_seq`.
        let carried: HashSet<Key> = kept.iter().filter_map(|k| k.prev.map(|s| key(&k.id, &[s]))).collect();
        for (child, column) in self.registry.children_of(&parent.name) {
            if carried.is_empty() || tables.children.iter().any(|c| c.name == child) {
                continue;
            }
            for f in self.fetch(&child, &[column.as_str()], &carried)? {
                pending.push_row(&child, &f.columns, f.cells, seq);
            }
        }
        if let Some(h) = tables.history.iter().find(|h| h.source == 0) {
            self.add_versions(tables, h, &records, &kept, &pc, seq, &mut pending)?;
        }
        for k in &kept {
            index.insert(k.id.clone(), pc.entry(&records[k.rec].row, seq));
        }
        self.parents.insert(parent.name.clone(), index);

        let mut records: Vec<Option<FlatRecord>> = records.into_iter().map(Some).collect();
        let mut parent_rows = Vec::with_capacity(kept.len());
        let mut child_rows: Vec<Vec<Vec<Cell>>> = vec![Vec::new(); tables.children.len()];
        for k in &kept {
            let Some(r) = records[k.rec].take() else { continue };
            parent_rows.push(r.row);
            for (rows, out) in r.children.into_iter().zip(child_rows.iter_mut()) {
                out.extend(rows);
            }
        }
        pending.push_rows(&parent.name, &parent.columns, parent_rows, seq);
        for (child, rows) in tables.children.iter().zip(child_rows) {
            pending.push_rows(&child.name, &child.columns, rows, seq);
        }
        self.flush(pending)
    }

    /// New versions in the history tables, as DuckDB's `add_versions`: a
    /// version older than the newest stored one is skipped, a replayed one
    /// replaces itself, and the current version of each id closes where the
    /// new one starts (written again with `_valid_to` and `_is_current = false`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_versions(
        &mut self,
        tables: &StreamTables,
        h: &HistoryTable,
        records: &[FlatRecord],
        kept: &[Kept],
        pc: &ParentCols,
        seq: i64,
        pending: &mut Pending,
    ) -> Result<(), SyncError> {
        let hname = h.def.name.as_str();
        let mut index = self.take_history_index(hname)?;
        let mut versions: Vec<(usize, String, i64)> = Vec::new();
        // Current versions that close, and every current version written again.
        let mut closing: HashSet<Key> = HashSet::new();
        let mut rewritten: HashSet<Key> = HashSet::new();
        let mut closes_at: HashMap<String, i64> = HashMap::new();
        for k in kept {
            let row = &records[k.rec].row;
            let from = pc
                .updated_at
                .and_then(|j| micros(&row[j]))
                .or_else(|| pc.synced_at.and_then(|j| micros(&row[j])))
                .ok_or_else(|| err(format!("{hname}: {} has neither updated_at nor {SYNCED_AT}", k.id)))?;
            if let Some(v) = index.get(&k.id) {
                if v.valid_from > from {
                    continue;
                }
                let current = key(&k.id, &[v.valid_from, v.seq]);
                if v.valid_from < from {
                    closing.insert(current.clone());
                    closes_at.insert(k.id.clone(), from);
                }
                rewritten.insert(current);
            }
            versions.push((k.rec, k.id.clone(), from));
        }
        let closed = |f: Fetched, def: Option<&TableDef>| {
            let to = match f.key.first() {
                Some(KeyPart::Text(id)) => closes_at.get(id).copied(),
                _ => None,
            };
            let to = to.map_or(Cell::Null, instant);
            f.with(&[(VALID_TO, to), (IS_CURRENT, Cell::Bool(false))], def)
        };
        for f in self.fetch(hname, &["id", VALID_FROM], &closing)? {
            let (cols, cells) = closed(f, Some(&h.def));
            pending.push_row(hname, &cols, cells, seq);
        }
        for (ch, column) in self.registry.history_children_of(hname) {
            // Child versions of this batch's tables close with their parent's;
            // those of tables it leaves out stay as they are.
            let def = tables.history.iter().find(|x| x.def.name == ch).map(|x| &x.def);
            let keys = if def.is_some() { &closing } else { &rewritten };
            for f in self.fetch(&ch, &[column.as_str(), VALID_FROM], keys)? {
                if def.is_some() {
                    let (cols, cells) = closed(f, def);
                    pending.push_row(&ch, &cols, cells, seq);
                } else {
                    pending.push_row(&ch, &f.columns, f.cells, seq);
                }
            }
        }
        let opened = |from: i64| [instant(from), Cell::Null, Cell::Bool(true)];
        let rows: Vec<Vec<Cell>> = versions
            .iter()
            .map(|(rec, _, from)| records[*rec].row.iter().cloned().chain(opened(*from)).collect())
            .collect();
        pending.push_rows(hname, &h.def.columns, rows, seq);
        for x in tables.history.iter().filter(|x| x.source > 0) {
            let rows: Vec<Vec<Cell>> = versions
                .iter()
                .flat_map(|(rec, _, from)| {
                    records[*rec]
                        .children
                        .get(x.source - 1)
                        .into_iter()
                        .flatten()
                        .map(move |c| c.iter().cloned().chain(opened(*from)).collect())
                })
                .collect();
            pending.push_rows(&x.def.name, &x.def.columns, rows, seq);
        }
        for (_, id, from) in versions {
            index.insert(id, Version { valid_from: from, seq });
        }
        self.histories.insert(hname.to_owned(), index);
        Ok(())
    }

    /// Tombstones for parents removed (hard deletes).
    pub(super) fn tombstones(
        &mut self,
        parent: &TableDef,
        ids: &[String],
        at: DateTime<Utc>,
        seq: i64,
    ) -> Result<(), SyncError> {
        if parent.column_index(DELETED).is_none() {
            return Err(err(format!("{} has no {DELETED} column for tombstones", parent.name)));
        }
        let cols: Vec<Column> = ["id", DELETED, DELETED_AT, SYNCED_AT]
            .iter()
            .filter_map(|n| parent.column_index(n).map(|i| parent.columns[i].clone()))
            .collect();
        let rows = ids
            .iter()
            .map(|id| {
                cols.iter()
                    .map(|c| match c.name.as_str() {
                        "id" => Cell::Text(id.clone()),
                        DELETED => Cell::Bool(true),
                        _ => Cell::Timestamp(at),
                    })
                    .collect()
            })
            .collect();
        let mut pending = Pending::default();
        pending.push_rows(&parent.name, &cols, rows, seq);
        self.flush(pending)?;
        if let Some(run) = &mut self.run {
            run.tombstones
                .entry(parent.name.clone())
                .or_default()
                .extend(ids.iter().map(|id| (id.clone(), seq)));
        }
        Ok(())
    }

    /// Removes parents (hard deletes): a tombstone for each id present.
    pub(super) fn remove(
        &mut self,
        parent: &TableDef,
        ids: &[String],
        at: DateTime<Utc>,
        stats: &mut WriteStats,
    ) -> Result<(), SyncError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut index = self.take_parent_index(&parent.name)?;
        let mut gone = Vec::new();
        for id in ids {
            if index.remove(id).is_some() {
                gone.push(id.clone());
            }
        }
        self.parents.insert(parent.name.clone(), index);
        if gone.is_empty() {
            return Ok(());
        }
        let seq = self.next_seq();
        self.tombstones(parent, &gone, at, seq)?;
        stats.deleted += gone.len() as u64;
        Ok(())
    }

    /// Marks (soft) or removes (hard) parents a complete read did not see.
    pub(super) fn sweep(&mut self, tables: &StreamTables, s: &Sweep, stats: &mut WriteStats) -> Result<(), SyncError> {
        let parent = &tables.parent;
        let index = self.take_parent_index(&parent.name)?;
        let before = s.before.timestamp_micros();
        let since = s.since.as_ref().map(|(c, t)| (c.as_str(), t.timestamp_micros()));
        // The index holds `updated_at`; another bounding column is read from the rows.
        let by_index = matches!(since, Some(("updated_at", _)));
        let mut found: Vec<(String, i64)> = index
            .iter()
            .filter(|(_, e)| e.synced_at.is_none_or(|t| t < before) && (s.hard || !e.deleted))
            .filter(|(_, e)| match since {
                Some((_, t)) if by_index => e.updated_at.is_some_and(|u| u >= t),
                _ => true,
            })
            .map(|(id, e)| (id.clone(), e.seq))
            .collect();
        self.parents.insert(parent.name.clone(), index);
        found.sort();
        if found.is_empty() {
            return Ok(());
        }
        if let (Some((col, t)), false) = (since, by_index) {
            let keys: HashSet<Key> = found.iter().map(|(id, seq)| key(id, &[*seq])).collect();
            let rows = self.fetch(&parent.name, &["id"], &keys)?;
            let left: HashSet<&Key> = rows
                .iter()
                .filter(|f| f.cell(col).and_then(micros).is_some_and(|v| v >= t))
                .map(|f| &f.key)
                .collect();
            found.retain(|(id, seq)| left.contains(&key(id, &[*seq])));
            if found.is_empty() {
                return Ok(());
            }
        }
        let n = found.len() as u64;
        if s.hard {
            let ids: Vec<String> = found.into_iter().map(|(id, _)| id).collect();
            if let Some(index) = self.parents.get_mut(&parent.name) {
                for id in &ids {
                    index.remove(id);
                }
            }
            let seq = self.next_seq();
            self.tombstones(parent, &ids, s.at, seq)?;
        } else {
            self.mark(parent, &found, s.at)?;
            tracing::info!(table = %parent.name, rows = n, "rows no longer in the source marked deleted");
        }
        stats.deleted += n;
        Ok(())
    }

    /// Marks parents deleted by id (soft: a fetch by id found them gone).
    pub(super) fn mark_deleted(
        &mut self,
        parent: &TableDef,
        ids: &[String],
        at: DateTime<Utc>,
        stats: &mut WriteStats,
    ) -> Result<(), SyncError> {
        if ids.is_empty() || parent.column_index(DELETED).is_none() {
            return Ok(());
        }
        let index = self.take_parent_index(&parent.name)?;
        let mut found: Vec<(String, i64)> = ids
            .iter()
            .filter_map(|id| index.get(id).filter(|e| !e.deleted).map(|e| (id.clone(), e.seq)))
            .collect();
        self.parents.insert(parent.name.clone(), index);
        found.sort();
        found.dedup();
        if !found.is_empty() {
            self.mark(parent, &found, at)?;
        }
        stats.deleted += found.len() as u64;
        Ok(())
    }

    /// Writes parents (`id`, current `_seq`) again marked deleted: every
    /// column kept (`_synced_at` too), `_deleted_at` kept or set to `at`;
    /// their current child rows are written again with them.
    pub(super) fn mark(
        &mut self,
        parent: &TableDef,
        found: &[(String, i64)],
        at: DateTime<Utc>,
    ) -> Result<(), SyncError> {
        let keys: HashSet<Key> = found.iter().map(|(id, seq)| key(id, &[*seq])).collect();
        let rows = self.fetch(&parent.name, &["id"], &keys)?;
        if rows.len() != found.len() {
            return Err(err(format!(
                "{}: {} current rows indexed, {} found in the files",
                parent.name,
                found.len(),
                rows.len()
            )));
        }
        let seq = self.next_seq();
        let mut pending = Pending::default();
        let def = self.registry.defs.get(&parent.name).cloned();
        for f in rows {
            let deleted_at = match f.cell(DELETED_AT) {
                Some(c @ Cell::Timestamp(_)) => c.clone(),
                _ => Cell::Timestamp(at),
            };
            let (cols, cells) = f.with(&[(DELETED, Cell::Bool(true)), (DELETED_AT, deleted_at)], def.as_ref());
            pending.push_row(&parent.name, &cols, cells, seq);
        }
        for (child, column) in self.registry.children_of(&parent.name) {
            for f in self.fetch(&child, &[column.as_str()], &keys)? {
                pending.push_row(&child, &f.columns, f.cells, seq);
            }
        }
        if let Some(index) = self.parents.get_mut(&parent.name) {
            for (id, _) in found {
                if let Some(e) = index.get_mut(id) {
                    e.deleted = true;
                    e.seq = seq;
                }
            }
        }
        self.flush(pending)
    }
}

/// A record a write keeps (not stale): its index in the batch, its id, and
/// the `_seq` of the row it replaces.
pub(super) struct Kept {
    pub(super) rec: usize,
    pub(super) id: String,
    pub(super) prev: Option<i64>,
}
