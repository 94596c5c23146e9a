//! The merge plan: from a [`WriteBatch`] and its table definitions to the
//! ordered steps every SQL destination runs in one transaction. Pure (no
//! I/O); a destination supplies its [`Dialect`] and runs the steps, and the
//! write order ([`WRITE_ORDER`]) is defined here only.
//!
//! Each stream's upsert stages the parent rows, drops stale copies (newest
//! wins), counts what it replaces, replaces parent rows by id and child rows
//! with their parent, and adds a version to each history table.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use kustomer_models::{Cell, Column, FlatRecord, LogicalType, TableDef};

use super::dialect::{Dialect, Temp};
use super::sql::{column_list, ident};
use super::{
    StreamTables, Sweep, WriteBatch, WriteStats, DELETED, DELETED_AT, IS_CURRENT, SYNCED_AT, VALID_FROM, VALID_TO,
};

/// The parts of a batch's write, in the order every destination writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The batch's records: parent rows, child rows, history versions.
    Upsert,
    /// Parents removed with their child rows ([`WriteBatch::deletes`]).
    Remove,
    /// Parents marked deleted ([`WriteBatch::mark_deleted`]).
    MarkDeleted,
    /// Other streams' records ([`WriteBatch::companions`]), not counted.
    Companions,
    /// Rows a complete read did not see ([`WriteBatch::sweep`]).
    Sweep,
    /// The stream's bookmark, last.
    Bookmark,
}

/// The write order: the one place it is written.
pub const WRITE_ORDER: [Phase; 6] = [
    Phase::Upsert,
    Phase::Remove,
    Phase::MarkDeleted,
    Phase::Companions,
    Phase::Sweep,
    Phase::Bookmark,
];

/// Rows a staging step loads.
#[derive(Debug, Clone)]
pub enum Rows<'a> {
    /// The records' parent rows.
    Parents(&'a [FlatRecord]),
    /// The records' rows of child table `i`.
    Children(&'a [FlatRecord], usize),
    /// Ids, one row each.
    Ids(&'a [String]),
}

impl<'a> Rows<'a> {
    /// The rows, as cells.
    pub fn cells(&self) -> Vec<Cow<'a, Vec<Cell>>> {
        match *self {
            Rows::Parents(r) => r.iter().map(|r| Cow::Borrowed(&r.row)).collect(),
            Rows::Children(r, i) => r
                .iter()
                .flat_map(|r| r.children.get(i).into_iter().flatten())
                .map(Cow::Borrowed)
                .collect(),
            Rows::Ids(ids) => ids.iter().map(|id| Cow::Owned(vec![Cell::Text(id.clone())])).collect(),
        }
    }
}

/// What a statement's result means for the batch's [`WriteStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing counted.
    None,
    /// Rows affected: stale staged copies dropped (newest wins).
    Stale,
    /// A count (`SELECT count(*)`): stored parents the batch replaces, of
    /// `staged` records.
    Existing {
        /// Records staged.
        staged: usize,
    },
    /// A count: parents the batch newly marks deleted.
    NewlyDeleted,
    /// Rows affected: parents removed or marked deleted.
    Deleted,
    /// Rows affected: parents a sweep marked deleted.
    Swept,
    /// That many child rows written.
    ChildRows(u64),
}

impl Effect {
    /// Whether the statement is a `count(*)` query (else its result is the
    /// rows it changed).
    pub fn is_count(self) -> bool {
        matches!(self, Effect::Existing { .. } | Effect::NewlyDeleted)
    }
}

/// One step of a plan.
#[derive(Debug, Clone)]
pub enum Step<'a> {
    /// Creates staging table `name` ([`Dialect::create_staging`]) and
    /// bulk-loads `rows` into it, the engine's fastest way.
    Stage {
        /// The staging table.
        name: String,
        /// Its columns.
        def: Cow<'a, TableDef>,
        /// The rows.
        rows: Rows<'a>,
    },
    /// Runs one statement.
    Run {
        /// The statement, with the dialect's placeholders.
        sql: String,
        /// Its parameters.
        args: Vec<Cell>,
        /// What it does (error context).
        what: &'static str,
        /// What its result counts.
        effect: Effect,
        /// Only when the batch replaces stored parents (a first load's
        /// batch of new parents skips the deletes: a scan of each table).
        if_replacing: bool,
    },
}

/// A step and the phase it belongs to.
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    /// Its phase.
    pub phase: Phase,
    /// The step.
    pub step: Step<'a>,
}

/// The steps of a batch, in [`WRITE_ORDER`]; `now` is the instant written
/// to `_deleted_at` of parents marked deleted.
pub fn plan<'a>(batch: &'a WriteBatch, d: &dyn Dialect, now: DateTime<Utc>) -> Vec<Planned<'a>> {
    let mut p = Planner {
        d,
        steps: Vec::new(),
        phase: Phase::Upsert,
        temps: 0,
    };
    for phase in WRITE_ORDER {
        p.phase = phase;
        match phase {
            Phase::Upsert => p.upsert(&batch.tables, &batch.records, batch.newest_wins),
            Phase::Remove => p.remove(&batch.tables, &batch.deletes),
            Phase::MarkDeleted => p.mark_deleted(&batch.tables, &batch.mark_deleted, now),
            Phase::Companions => {
                for c in &batch.companions {
                    p.upsert(&c.tables, &c.records, batch.newest_wins);
                }
            }
            Phase::Sweep => {
                if let Some(s) = &batch.sweep {
                    p.sweep(&batch.tables, s);
                }
            }
            Phase::Bookmark => {
                if let Some(bm) = &batch.bookmark {
                    p.bookmark(&batch.stream, bm);
                }
            }
        }
    }
    p.steps
}

/// A plan's running totals, as a destination runs its steps.
#[derive(Debug, Default)]
pub struct Tally {
    /// What the batch changed so far.
    pub stats: WriteStats,
    stale: u64,
    existing: u64,
}

impl Tally {
    /// Whether to skip `step` given the results so far.
    pub fn skips(&self, step: &Step<'_>) -> bool {
        matches!(step, Step::Run { if_replacing: true, .. } if self.existing == 0)
    }

    /// Notes a step done; `n` is its count or rows affected (0 for staging).
    pub fn record(&mut self, phase: Phase, step: &Step<'_>, n: u64) {
        let effect = match step {
            Step::Stage {
                rows: Rows::Parents(_), ..
            } => {
                // A new upsert: its own stale and existing counts.
                self.stale = 0;
                self.existing = 0;
                return;
            }
            Step::Stage { .. } => return,
            Step::Run { effect, .. } => *effect,
        };
        if let Effect::Existing { .. } = effect {
            self.existing = n;
        }
        if effect == Effect::Stale {
            self.stale = n;
            if n > 0 {
                tracing::debug!(stale = n, "older copies skipped");
            }
        }
        if effect == Effect::Swept && n > 0 {
            tracing::info!(rows = n, "rows no longer in the source marked deleted");
        }
        // Companions count as their own stream's rows, not this one's.
        if phase == Phase::Companions {
            return;
        }
        let s = &mut self.stats;
        match effect {
            Effect::Existing { staged } => {
                let staged = (staged as u64).saturating_sub(self.stale);
                s.updated += n;
                s.inserted += staged.saturating_sub(n);
            }
            Effect::NewlyDeleted | Effect::Deleted | Effect::Swept => s.deleted += n,
            Effect::ChildRows(rows) => s.child_rows += rows,
            Effect::None | Effect::Stale => {}
        }
    }
}

struct Planner<'a, 'd> {
    d: &'d dyn Dialect,
    steps: Vec<Planned<'a>>,
    phase: Phase,
    temps: usize,
}

impl<'a> Planner<'a, '_> {
    fn temp(&mut self, role: Temp) -> String {
        self.temps += 1;
        self.d.temp_name(role, self.temps)
    }

    fn push(&mut self, step: Step<'a>) {
        self.steps.push(Planned {
            phase: self.phase,
            step,
        });
    }

    fn run(&mut self, sql: String, what: &'static str, effect: Effect) {
        self.run_with(sql, Vec::new(), what, effect, false);
    }

    fn run_with(&mut self, sql: String, args: Vec<Cell>, what: &'static str, effect: Effect, if_replacing: bool) {
        self.push(Step::Run {
            sql,
            args,
            what,
            effect,
            if_replacing,
        });
    }

    fn stage(&mut self, role: Temp, def: Cow<'a, TableDef>, rows: Rows<'a>) -> String {
        let name = self.temp(role);
        self.push(Step::Stage {
            name: name.clone(),
            def,
            rows,
        });
        name
    }

    /// Parent rows by id, child rows replaced with their parent, a new
    /// version in each history table.
    fn upsert(&mut self, tables: &'a StreamTables, records: &'a [FlatRecord], newest_wins: bool) {
        if records.is_empty() {
            return;
        }
        let d = self.d;
        let parent = &tables.parent;
        let sp = self.stage(Temp::Parents, Cow::Borrowed(parent), Rows::Parents(records));
        let pt = d.table(&parent.name);
        for (sql, what) in d.after_parents_staged(&sp, &pt) {
            self.run(sql, what, Effect::None);
        }
        if newest_wins && parent.column_index("updated_at").is_some() {
            // An older copy never overwrites a newer row (its children go with
            // it: child rows below are taken only for parents still staged).
            self.run(
                format!(
                    "DELETE FROM {sp} s WHERE EXISTS
                       (SELECT 1 FROM {pt} p WHERE p.id = s.id AND p.updated_at > s.updated_at)"
                ),
                "skip stale copies",
                Effect::Stale,
            );
        }
        self.run(
            format!("SELECT count(*) FROM {pt} WHERE id IN (SELECT id FROM {sp})"),
            "count existing",
            Effect::Existing { staged: records.len() },
        );
        if parent.column_index(DELETED).is_some() {
            let del = ident(DELETED);
            self.run(
                format!(
                    "SELECT count(*) FROM {sp} s LEFT JOIN {pt} p ON p.id = s.id
                     WHERE s.{del} AND NOT coalesce(p.{del}, false)"
                ),
                "count deleted",
                Effect::NewlyDeleted,
            );
        }
        let history = |source: usize| tables.history.iter().find(|h| h.source == source);
        let versions = self.temp(Temp::Versions);
        let vf = ident(VALID_FROM);
        if let Some(h) = history(0) {
            // The version each record starts: its updatedAt (or, without one, this run).
            let from = match parent.column_index("updated_at") {
                Some(_) => format!("coalesce(s.updated_at, s.{})", ident(SYNCED_AT)),
                None => format!("s.{}", ident(SYNCED_AT)),
            };
            let ht = d.table(&h.def.name);
            // A version older than one already stored (a late, stale copy) is not history.
            let select = format!(
                "SELECT id, {from} AS {vf} FROM {sp} s
                   WHERE NOT EXISTS (SELECT 1 FROM {ht} h WHERE h.id = s.id AND h.{vf} > {from})"
            );
            self.run(d.create_temp_as(&versions, &select), "stage versions", Effect::None);
        }
        let cols = column_list(parent, "");
        self.run_with(
            format!("DELETE FROM {pt} WHERE id IN (SELECT id FROM {sp})"),
            Vec::new(),
            "merge parent rows",
            Effect::None,
            true,
        );
        self.run(
            format!("INSERT INTO {pt} ({cols}) SELECT {cols} FROM {sp}"),
            "merge parent rows",
            Effect::None,
        );
        if let Some(h) = history(0) {
            let select = format!(
                "SELECT {}, v.{vf} FROM {sp} s JOIN {versions} v ON v.id = s.id",
                column_list(parent, "s.")
            );
            self.add_versions(&h.def.name, &versions, "id", Some(select), &cols);
        }
        // Children follow their parent: replaced wholesale.
        for (i, child) in tables.children.iter().enumerate() {
            let ct = d.table(&child.name);
            let pcol = ident(child.parent_column().unwrap_or("parent_id"));
            self.run_with(
                format!("DELETE FROM {ct} WHERE {pcol} IN (SELECT id FROM {sp})"),
                Vec::new(),
                "delete child rows",
                Effect::None,
                true,
            );
            let n: usize = records.iter().map(|r| r.children.get(i).map_or(0, Vec::len)).sum();
            let cols = column_list(child, "");
            let select = (n > 0).then(|| {
                let sc = self.stage(Temp::Children, Cow::Borrowed(child), Rows::Children(records, i));
                self.run(
                    format!(
                        "INSERT INTO {ct} ({cols}) SELECT {cols} FROM {sc}
                         WHERE {pcol} IN (SELECT id FROM {sp})"
                    ),
                    "insert child rows",
                    Effect::ChildRows(n as u64),
                );
                format!(
                    "SELECT {}, v.{vf} FROM {sc} c JOIN {versions} v ON v.id = c.{pcol}",
                    column_list(child, "c.")
                )
            });
            if let Some(h) = history(i + 1) {
                self.add_versions(&h.def.name, &versions, &pcol, select, &cols);
            }
        }
    }

    /// New versions in history table `table`: a version replayed replaces
    /// itself, the current version of each parent in `versions` closes
    /// where the new one starts (validity stays contiguous), then the new
    /// rows go in. `select` yields the source columns then `_valid_from`.
    fn add_versions(&mut self, table: &str, versions: &str, key: &str, select: Option<String>, cols: &str) {
        let ht = self.d.table(table);
        let (vf, vt, cur) = (ident(VALID_FROM), ident(VALID_TO), ident(IS_CURRENT));
        self.run(
            format!(
                "DELETE FROM {ht} WHERE EXISTS (SELECT 1 FROM {versions} v WHERE v.id = {ht}.{key} AND v.{vf} = {ht}.{vf})"
            ),
            "close versions",
            Effect::None,
        );
        self.run(
            format!(
                "UPDATE {ht} SET {vt} = v.{vf}, {cur} = false FROM {versions} v WHERE {ht}.{key} = v.id AND {ht}.{cur}"
            ),
            "close versions",
            Effect::None,
        );
        if let Some(select) = select {
            let null = self.d.null_timestamp();
            self.run(
                format!("INSERT INTO {ht} ({cols}, {vf}, {vt}, {cur}) SELECT *, {null}, true FROM ({select}) AS x"),
                "insert versions",
                Effect::None,
            );
        }
    }

    /// Removes parents (and their child rows) whose id is in `ids`.
    fn remove(&mut self, tables: &'a StreamTables, ids: &'a [String]) {
        if ids.is_empty() {
            return;
        }
        let staged = self.stage(Temp::Ids, Cow::Owned(ids_def()), Rows::Ids(ids));
        self.remove_where(tables, &format!("IN (SELECT id FROM {staged})"), &[]);
    }

    /// Deletes the parents whose id is `cond` (`IN (…)`), child rows first.
    fn remove_where(&mut self, tables: &StreamTables, cond: &str, args: &[Cell]) {
        for child in &tables.children {
            let pcol = ident(child.parent_column().unwrap_or("parent_id"));
            let ct = self.d.table(&child.name);
            self.run_with(
                format!("DELETE FROM {ct} WHERE {pcol} {cond}"),
                args.to_vec(),
                "delete child rows",
                Effect::None,
                false,
            );
        }
        let pt = self.d.table(&tables.parent.name);
        self.run_with(
            format!("DELETE FROM {pt} WHERE id {cond}"),
            args.to_vec(),
            "delete rows",
            Effect::Deleted,
            false,
        );
    }

    /// Marks parents deleted (soft) by id; their child rows stay.
    fn mark_deleted(&mut self, tables: &'a StreamTables, ids: &'a [String], at: DateTime<Utc>) {
        if ids.is_empty() || tables.parent.column_index(DELETED).is_none() {
            return;
        }
        let staged = self.stage(Temp::Ids, Cow::Owned(ids_def()), Rows::Ids(ids));
        let (del, da) = (ident(DELETED), ident(DELETED_AT));
        let sql = format!(
            "UPDATE {} SET {del} = true, {da} = coalesce({da}, {}) WHERE id IN (SELECT id FROM {staged}) AND NOT coalesce({del}, false)",
            self.d.table(&tables.parent.name),
            self.d.param(1)
        );
        self.run_with(sql, vec![Cell::Timestamp(at)], "mark deleted", Effect::Deleted, false);
    }

    /// Marks (or removes) parent rows a complete read did not see.
    fn sweep(&mut self, tables: &'a StreamTables, sweep: &Sweep) {
        let pt = self.d.table(&tables.parent.name);
        let (del, da, sa) = (ident(DELETED), ident(DELETED_AT), ident(SYNCED_AT));
        // Soft: mark what is not marked yet (the first parameter is the
        // instant written to `_deleted_at`). Hard: remove whatever was not
        // seen, marked earlier or not.
        let mut args = if sweep.hard {
            vec![]
        } else {
            vec![Cell::Timestamp(sweep.at)]
        };
        args.push(Cell::Timestamp(sweep.before));
        let mut cond = format!("({sa} IS NULL OR {sa} < {})", self.d.param(args.len()));
        if !sweep.hard {
            cond.push_str(&format!(" AND NOT coalesce({del}, false)"));
        }
        if let Some((col, since)) = &sweep.since {
            args.push(Cell::Timestamp(*since));
            cond.push_str(&format!(" AND {} >= {}", ident(col), self.d.param(args.len())));
        }
        if sweep.hard {
            let vanished = format!("IN (SELECT id FROM {pt} WHERE {cond})");
            // The parent rows go last: the child rows' condition reads them.
            return self.remove_where(tables, &vanished, &args);
        }
        let sql = format!(
            "UPDATE {pt} SET {del} = true, {da} = coalesce({da}, {}) WHERE {cond}",
            self.d.param(1)
        );
        self.run_with(sql, args, "mark vanished rows", Effect::Swept, false);
    }

    /// Moves the stream's bookmark.
    fn bookmark(&mut self, stream: &str, bookmark: &str) {
        let sql = format!(
            "INSERT INTO {} (stream, bookmark, updated_at) VALUES ({}, {}, {})
             ON CONFLICT (stream) DO UPDATE SET bookmark = excluded.bookmark, updated_at = excluded.updated_at",
            self.d.table(STATE_TABLE),
            self.d.param(1),
            self.d.param(2),
            self.d.now()
        );
        let args = vec![Cell::Text(stream.to_owned()), Cell::Text(bookmark.to_owned())];
        self.run_with(sql, args, "write bookmark", Effect::None, false);
    }
}

use crate::columns::STATE_TABLE;

/// A staging table of ids.
fn ids_def() -> TableDef {
    TableDef {
        name: "_ids".into(),
        columns: vec![Column::required("id", LogicalType::Text)],
        primary_key: Vec::new(),
        parent: None,
    }
}

#[cfg(all(test, feature = "duckdb", feature = "postgres"))]
mod tests;
