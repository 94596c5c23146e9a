//! What a run did: per-stream reports, the printed summary, and the rows of
//! the `_sync_runs` table every run appends to (the extraction log and
//! loading report users audit a connector by).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use kustomer_api::ClientStats;
use kustomer_models::{Cell, Column, FlatRecord, LogicalType, TableDef};

use crate::dest::{StreamTables, WriteBatch, WriteStats};
use crate::mode::Mode;

pub(crate) use crate::columns::SYNC_RUNS_TABLE;

/// The outcome of one stream.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StreamReport {
    /// Stream name.
    pub name: String,
    /// Its mode.
    pub mode: Option<Mode>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Records fetched (after de-duplication).
    pub records: u64,
    /// Records a first load's reconciliation fetched by id or found gone
    /// (what offset paging over the live lists skipped).
    pub reconciled: u64,
    /// What the destination changed.
    pub written: WriteStats,
    /// Requests, 429s and retries of this stream.
    pub client: ClientStats,
    /// The error that stopped it, if any.
    pub error: Option<String>,
    /// Why it did not run (a missing role; loaded by another stream), if it did not.
    pub skipped: Option<String>,
    /// Every table the stream writes this run (parent first).
    pub tables: Vec<String>,
    /// Child tables it did not load, with why (a detail list refused for want
    /// of a role): their rows were left as they were.
    pub skipped_tables: BTreeMap<String, String>,
    /// How it read, where that differs from the usual (a fallback taken).
    pub notes: Vec<String>,
}

impl StreamReport {
    /// Adds a later pass of the same stream (the detail backfill).
    pub(crate) fn absorb(&mut self, later: StreamReport) {
        self.finished_at = later.finished_at.or(self.finished_at);
        self.records += later.records;
        self.reconciled += later.reconciled;
        self.client.requests += later.client.requests;
        self.client.search_requests += later.client.search_requests;
        self.client.throttled += later.client.throttled;
        self.client.retries += later.client.retries;
        self.error = self.error.take().or(later.error);
        for (table, why) in later.skipped_tables {
            self.skipped_tables.entry(table).or_insert(why);
        }
        self.notes.extend(later.notes);
    }

    /// `ok`, `failed` or `skipped`.
    pub fn status(&self) -> &'static str {
        match (&self.error, &self.skipped) {
            (Some(_), _) => "failed",
            (None, Some(_)) => "skipped",
            (None, None) => "ok",
        }
    }

    /// The notes and skipped child tables, as one text (`None` if neither).
    pub fn remarks(&self) -> Option<String> {
        let parts: Vec<String> = (self.notes.iter().cloned())
            .chain(self.skipped_tables.iter().map(|(t, why)| format!("{t} skipped: {why}")))
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RunReport {
    /// When the run started (also its id, and the `_synced_at` of the rows it wrote).
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Per stream, in catalogue order.
    pub streams: Vec<StreamReport>,
    /// What the client did during the run.
    pub client: ClientStats,
    /// The share of the org's rate limit the run was paced to.
    pub usage_ceiling: f64,
    /// A first load's plan, when the engine was asked for one
    /// ([`crate::Engine::plan_first_load`]): its estimate beside the actual time.
    pub plan: Option<crate::check::LoadPlan>,
}

impl RunReport {
    /// Whether every stream succeeded.
    pub fn is_success(&self) -> bool {
        self.streams.iter().all(|s| s.error.is_none())
    }

    /// A stream's report.
    pub fn stream(&self, name: &str) -> Option<&StreamReport> {
        self.streams.iter().find(|s| s.name == name)
    }

    /// The run's id in `_sync_runs`.
    pub fn run_id(&self) -> String {
        self.started_at.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

impl fmt::Display for RunReport {
    /// The summary the `sync` example prints: one line per stream.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<34} {:<8} {:>9} {:>9} {:>9} {:>8} {:>10} {:>8} {:>6}  status",
            "table", "mode", "records", "inserted", "updated", "deleted", "child rows", "requests", "429s"
        )?;
        for s in &self.streams {
            let status = match (&s.error, &s.skipped) {
                (Some(e), _) => format!("failed: {e}"),
                (None, Some(why)) => format!("skipped: {why}"),
                (None, None) => "ok".to_owned(),
            };
            let status = match s.remarks() {
                Some(r) => format!("{status} ({r})"),
                None => status,
            };
            writeln!(
                f,
                "{:<34} {:<8} {:>9} {:>9} {:>9} {:>8} {:>10} {:>8} {:>6}  {status}",
                s.name,
                s.mode.map_or("", Mode::as_str),
                s.records,
                s.written.inserted,
                s.written.updated,
                s.written.deleted,
                s.written.child_rows,
                s.client.requests,
                s.client.throttled,
            )?;
        }
        let secs = (self.finished_at - self.started_at).num_milliseconds() as f64 / 1000.0;
        write!(
            f,
            "{} requests ({} search), {} throttled (429), {} retried, in {secs:.1} s",
            self.client.requests, self.client.search_requests, self.client.throttled, self.client.retries
        )?;
        if let Some(p) = &self.plan {
            write!(
                f,
                "\nfirst load: planned {}{} ({} requests, {} search) at the usage ceiling, took {secs:.1} s",
                if p.lower_bound { "≥ " } else { "" },
                crate::check::duration(p.estimate_minutes),
                p.org_requests + p.search_requests,
                p.search_requests,
            )?;
        }
        Ok(())
    }
}

/// The definition of [`SYNC_RUNS_TABLE`].
pub(crate) fn sync_runs_table() -> TableDef {
    use LogicalType::*;
    // (name, type, nullable, meaning)
    let cols = [
        ("id", Text, false, "`{run_id}/{table}`: one row per table per run"),
        ("run_id", Text, false, "The run: its start instant (RFC 3339, UTC)"),
        ("table_name", Text, false, "The stream (its parent table)"),
        (
            "mode",
            Text,
            true,
            "How the table is kept: `update`, `replace` or `append`",
        ),
        ("status", Text, false, "Outcome: `ok`, `failed` or `skipped`"),
        ("started_at", Timestamp, true, "When the stream started (UTC)"),
        ("finished_at", Timestamp, true, "When the stream finished (UTC)"),
        ("records", BigInt, false, "Records read"),
        ("inserted", BigInt, false, "Parent rows inserted"),
        ("updated", BigInt, false, "Parent rows replaced"),
        ("deleted", BigInt, false, "Parent rows marked deleted or removed"),
        ("child_rows", BigInt, false, "Child rows written"),
        ("requests", BigInt, false, "API requests sent"),
        ("throttled", BigInt, false, "Requests answered 429 (rate limited)"),
        ("retries", BigInt, false, "Requests retried"),
        ("error", Text, true, "Why the stream failed or was skipped"),
        (
            "notes",
            Text,
            true,
            "What the run says about how the stream read (a fallback taken)",
        ),
    ];
    TableDef {
        name: SYNC_RUNS_TABLE.to_owned(),
        columns: cols
            .into_iter()
            .map(|(n, t, nullable, doc)| {
                let c = if nullable {
                    Column::new(n, t)
                } else {
                    Column::required(n, t)
                };
                c.with_doc(doc).with_source("(sync)")
            })
            .collect(),
        primary_key: vec!["id".to_owned()],
        parent: None,
    }
}

/// The `_sync_runs` rows of a run, as a batch for any destination.
pub(crate) fn sync_runs_batch(report: &RunReport) -> WriteBatch {
    let run_id = report.run_id();
    let ts = |t: Option<DateTime<Utc>>| t.map_or(Cell::Null, Cell::Timestamp);
    let n = |v: u64| Cell::Int(v as i64);
    let records = report
        .streams
        .iter()
        .map(|s| {
            let id = format!("{run_id}/{}", s.name);
            FlatRecord {
                id: id.clone(),
                row: vec![
                    Cell::Text(id),
                    Cell::Text(run_id.clone()),
                    Cell::Text(s.name.clone()),
                    s.mode.map_or(Cell::Null, |m| Cell::Text(m.as_str().to_owned())),
                    Cell::Text(s.status().to_owned()),
                    ts(s.started_at),
                    ts(s.finished_at),
                    n(s.records),
                    n(s.written.inserted),
                    n(s.written.updated),
                    n(s.written.deleted),
                    n(s.written.child_rows),
                    n(s.client.requests),
                    n(s.client.throttled),
                    n(s.client.retries),
                    s.error
                        .clone()
                        .or_else(|| s.skipped.clone())
                        .map_or(Cell::Null, Cell::Text),
                    s.remarks().map_or(Cell::Null, Cell::Text),
                ],
                children: Vec::new(),
            }
        })
        .collect();
    WriteBatch::new(
        SYNC_RUNS_TABLE,
        Arc::new(StreamTables::new(sync_runs_table(), Vec::new())),
        records,
    )
}
