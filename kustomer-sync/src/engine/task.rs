//! One stream's task: reads its batches, shapes them and sends them to the
//! writer, then (out of its concurrency slot) the detail backfill a full
//! read left.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use kustomer_models::TableDef;
use tokio::sync::Semaphore;

use super::{Progress, ProgressFn};
use crate::dest::{Companion, Sweep, WriteBatch};
use crate::mode::Mode;
use crate::report::StreamReport;
use crate::shaping::{shape_all, Shaping};
use crate::skips::{skip_reason, PartialTables, Rejection};
use crate::streams::DetailPass;
use crate::streams::{StreamContext, StreamDef};
use crate::writer::{IdReader, WriterMsg, WriterTx};

/// Everything a stream task needs besides its definition.
#[derive(Clone)]
pub(super) struct StreamRun {
    pub(super) name: String,
    pub(super) shaping: Arc<Shaping>,
    pub(super) companions: Arc<HashMap<&'static str, Arc<Shaping>>>,
    pub(super) hard_delete: bool,
    pub(super) run_started: DateTime<Utc>,
}

/// What every stream task shares.
pub(super) struct Launch {
    pub(super) tx: WriterTx,
    pub(super) progress: Option<ProgressFn>,
    pub(super) unauthorized: Arc<Rejection>,
    /// Streams running at once.
    pub(super) limit: Arc<Semaphore>,
}

impl Launch {
    /// Runs `stream` as a task once a slot is free; its report counts the
    /// requests of `ctx.client` (a scope of its own). Then, out of the slot,
    /// the detail backfill a full read left, if any: in the background of
    /// the org budget, so it never slows the core tables of any stream.
    pub(super) fn spawn(
        &self,
        stream: Arc<dyn StreamDef>,
        run: StreamRun,
        ctx: StreamContext,
    ) -> tokio::task::JoinHandle<StreamReport> {
        let (tx, progress, unauthorized, limit) = (
            self.tx.clone(),
            self.progress.clone(),
            self.unauthorized.clone(),
            self.limit.clone(),
        );
        tokio::spawn(async move {
            let permit = limit.acquire_owned().await;
            let scoped = ctx.client.clone();
            let backfill = (stream.mode() == Mode::Update).then(|| (stream.clone(), run.clone(), ctx.clone()));
            let reader = IdReader::new(tx.clone());
            let mut report = run_stream(stream, run, ctx, tx.clone(), progress.clone(), unauthorized.clone()).await;
            drop(permit);
            if let Some((stream, run, mut ctx)) = backfill {
                let fine = report.error.is_none() && report.skipped.is_none() && !unauthorized.is_set();
                if let (true, Ok(Some(bm))) = (fine, reader.bookmark(&run.name).await) {
                    if bm.details.is_some() {
                        ctx.bookmark = Some(bm);
                        ctx.details = DetailPass::Backfill;
                        ctx.client = scoped.background();
                        report.absorb(run_stream(stream, run, ctx, tx, progress, unauthorized).await);
                    }
                }
            }
            report.client = scoped.scope_stats();
            report
        })
    }
}

async fn run_stream(
    stream: Arc<dyn StreamDef>,
    run: StreamRun,
    ctx: StreamContext,
    tx: WriterTx,
    progress: Option<ProgressFn>,
    unauthorized: Arc<Rejection>,
) -> StreamReport {
    let name = run.name.clone();
    let emit = |p: Progress| {
        if let Some(f) = &progress {
            f(p)
        }
    };
    emit(Progress::Started { stream: name.clone() });
    let mode = stream.mode();
    let mut report = StreamReport {
        name: name.clone(),
        mode: Some(mode),
        started_at: Some(Utc::now()),
        tables: run.shaping.tables.all().map(|t| t.name.clone()).collect(),
        ..Default::default()
    };
    let hard = run.hard_delete && mode == Mode::Update;
    let mut skipped = None;
    let mut read_any = false;
    let mut partial = PartialTables::default();
    let mut batches = stream.batches(ctx);
    let error = loop {
        if unauthorized.is_set() {
            break Some("stopped: the API token was rejected".to_owned());
        }
        let Some(batch) = batches.next().await else {
            // A complete full re-read: rows it did not see vanished.
            if mode == Mode::Replace {
                let mut wb = WriteBatch::new(name.clone(), run.shaping.tables.clone(), Vec::new());
                wb.sweep = Some(Sweep {
                    before: run.run_started,
                    since: None,
                    hard: run.hard_delete,
                    at: run.run_started,
                });
                if tx.send(WriterMsg::Write(Box::new(wb))).await.is_err() {
                    break Some("the destination stopped".to_owned());
                }
            }
            break None;
        };
        let mut batch = match batch {
            Ok(b) => b,
            Err(e) => {
                if e.is_unauthorized() {
                    unauthorized.record(&e);
                    tracing::error!(stream = %name, error = %e, "the API token was rejected; stopping the sync");
                } else if let Some(why) = skip_reason(&e, &stream.role(), mode, read_any) {
                    tracing::warn!(stream = %name, "skipped: {why}");
                    skipped = Some(why);
                    break None;
                } else {
                    tracing::error!(stream = %name, error = %e, "stream failed");
                }
                break Some(e.to_string());
            }
        };
        read_any = true;
        report.reconciled += batch.reconciled;
        report.notes.extend(batch.note.take());
        let mut skipped_tables: Vec<String> = batch.skipped_tables.iter().map(|(t, _)| t.clone()).collect();
        skipped_tables.append(&mut batch.deferred_tables);
        for (table, why) in std::mem::take(&mut batch.skipped_tables) {
            report.skipped_tables.entry(table).or_insert(why);
        }
        let (records, deletes) = shape_all(&run.shaping, batch.records, run.run_started, hard);
        let fetched = (records.len() + deletes.len()) as u64;
        report.records += fetched;
        emit(Progress::Fetched {
            stream: name.clone(),
            records: fetched,
        });
        let mut wb = WriteBatch::new(name.clone(), run.shaping.tables.clone(), records);
        wb.deletes = deletes;
        for (companion, recs) in batch.companions {
            // A companion whose table the selection excludes is not written.
            if let Some(sh) = run.companions.get(companion) {
                let (records, _) = shape_all(sh, recs, run.run_started, false);
                wb.companions.push(Companion {
                    tables: sh.tables.clone(),
                    records,
                });
            }
        }
        wb.sweep = batch.sweep.and_then(|mut s| {
            s.hard = run.hard_delete;
            s.at = run.run_started;
            sweep_fits(&run.shaping.tables.parent, s, &name)
        });
        wb.mark_deleted = batch.vanished;
        if hard {
            wb.deletes.append(&mut wb.mark_deleted);
        }
        wb.bookmark = batch.bookmark.map(|b| b.to_json());
        // Keyset pages, list pages, fetches by id and webhook events can
        // cross: the newest copy wins.
        wb.newest_wins = mode == Mode::Update;
        let mut sent = true;
        for wb in partial.split(wb, &skipped_tables) {
            sent = sent && tx.send(WriterMsg::Write(Box::new(wb))).await.is_ok();
        }
        if !sent {
            break Some("the destination stopped".to_owned());
        }
    };
    emit(Progress::Finished {
        stream: name,
        error: error.clone().or_else(|| skipped.clone()),
    });
    report.finished_at = Some(Utc::now());
    report.error = error;
    report.skipped = skipped;
    report
}

/// A sweep bounded by a column the selection excluded cannot be applied
/// safely: skip it rather than mark rows outside the read's window.
fn sweep_fits(parent: &TableDef, sweep: Sweep, stream: &str) -> Option<Sweep> {
    match &sweep.since {
        Some((col, _)) if parent.column_index(col).is_none() => {
            tracing::warn!(stream, column = %col, "deletes not computed: the column bounding the read is excluded");
            None
        }
        _ => Some(sweep),
    }
}
