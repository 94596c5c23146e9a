//! The engine: runs the selected streams concurrently on one client (one set
//! of rate budgets) into one destination writer.
//!
//! Streams fetch and flatten on the async runtime; a single writer thread
//! owns the destination and commits each batch with its bookmark. The channel
//! between them is bounded, so fetching never runs far ahead of loading and
//! memory stays flat whatever the org's size.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use futures::StreamExt;
use kustomer_api::{Client, ClientStats};
use kustomer_models::{Cell, FlatRecord, TableDef};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::bookmark::Bookmark;
use crate::catalog::{catalog, needs_discovery, Mode, StreamContext, StreamDef};
use crate::dest::{Companion, Destination, IdQuery, StreamTables, Sweep, WriteBatch, WriteStats};
use crate::discovery::Discovery;
use crate::error::SyncError;
pub use crate::options::SyncOptions;
use crate::report::{sync_runs_batch, sync_runs_table};
pub use crate::report::{RunReport, StreamReport};
use crate::select::{Projection, Selection};
use crate::skips::{skip_reason, PartialTables, Rejection};
use crate::streams::{DetailPass, DetailsMode};

/// Something that happened during a run, for progress displays.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Progress {
    /// A stream started.
    Started {
        /// Stream.
        stream: String,
    },
    /// A batch of records was fetched.
    Fetched {
        /// Stream.
        stream: String,
        /// Records in the batch.
        records: u64,
    },
    /// A stream finished (with an error message if it failed).
    Finished {
        /// Stream.
        stream: String,
        /// Why it failed, if it did.
        error: Option<String>,
    },
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Runs syncs.
///
/// ```no_run
/// # async fn run(dest: impl kustomer_sync::dest::Destination) -> Result<(), Box<dyn std::error::Error>> {
/// use kustomer_sync::{Engine, SyncOptions};
/// let client = kustomer_api::Client::builder().org("acme").token("…").build()?;
/// let options = SyncOptions::builder()
///     .exclude_tables(["audit_logs"])
///     .hash_columns(["customer_emails.email"])
///     .hash_salt("pepper")
///     .build()?;
/// // `dest`: e.g. `dest::duckdb::DuckDbDestination::open("kustomer.duckdb")?` with the `duckdb` feature.
/// let (report, _dest) = Engine::new(client, options).run(dest).await?;
/// println!("{report}");
/// # Ok(()) }
/// ```
pub struct Engine {
    client: Client,
    options: SyncOptions,
    streams: Vec<Arc<dyn StreamDef>>,
    progress: Option<ProgressFn>,
    /// Plan a first load (see [`Engine::plan_first_load`]).
    plan_first_load: bool,
}

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
    fn new(raw: &StreamTables, tables: StreamTables, projection: Projection) -> Shaping {
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

/// What a run discovered, and how each selected stream's records become rows.
pub(crate) struct Plan {
    pub(crate) discovery: Arc<Discovery>,
    /// Each stream's tables before the selection.
    pub(crate) raw: Vec<StreamTables>,
    pub(crate) shapings: Vec<Arc<Shaping>>,
}

/// What the writer thread is asked to do, in order.
pub(crate) enum WriterMsg {
    /// Commit a batch.
    Write(Box<WriteBatch>),
    /// Read something of the destination (after every batch queued before).
    Read(DestRead),
}

/// A read of the destination on the writer thread (it answers on a channel
/// of its own).
pub(crate) type DestRead = Box<dyn FnOnce(&mut dyn Destination) + Send>;

/// Asks the run's destination which ids it holds. Queries travel the same
/// ordered channel as the writes, so a stream's earlier batches are
/// committed before its query is answered.
#[derive(Clone)]
pub struct IdReader {
    tx: mpsc::Sender<WriterMsg>,
}

impl std::fmt::Debug for IdReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdReader")
    }
}

impl IdReader {
    /// Ids of `table`'s parent rows that `query` selects.
    pub async fn ids(&self, table: &str, query: IdQuery) -> Result<Vec<String>, SyncError> {
        let table = table.to_owned();
        self.ask(move |d| d.ids(&table, &query)).await
    }

    /// How many parent rows of `table` `query` selects.
    pub async fn count(&self, table: &str, query: IdQuery) -> Result<u64, SyncError> {
        let table = table.to_owned();
        self.ask(move |d| d.count_ids(&table, &query)).await
    }

    /// Up to `limit` ids of `table`'s parent rows after `after`, ascending.
    pub async fn ids_after(&self, table: &str, after: Option<String>, limit: usize) -> Result<Vec<String>, SyncError> {
        let table = table.to_owned();
        self.ask(move |d| d.ids_after(&table, after.as_deref(), limit)).await
    }

    /// A stream's stored bookmark.
    pub(crate) async fn bookmark(&self, stream: &str) -> Result<Option<Bookmark>, SyncError> {
        let name = stream.to_owned();
        let text = self.ask(move |d| d.bookmark(&name)).await?;
        text.map(|t| Bookmark::from_json(&t))
            .transpose()
            .map_err(|e| SyncError::Bookmark {
                stream: stream.to_owned(),
                message: e.to_string(),
            })
    }

    async fn ask<T: Send + 'static>(
        &self,
        read: impl FnOnce(&mut dyn Destination) -> Result<T, SyncError> + Send + 'static,
    ) -> Result<T, SyncError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || SyncError::Destination("the destination stopped".into());
        let msg = WriterMsg::Read(Box::new(move |d| {
            let _ = reply.send(read(d));
        }));
        self.tx.send(msg).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Everything a stream task needs besides its definition.
#[derive(Clone)]
struct StreamRun {
    name: String,
    shaping: Arc<Shaping>,
    companions: Arc<HashMap<&'static str, Arc<Shaping>>>,
    hard_delete: bool,
    run_started: DateTime<Utc>,
}

impl Engine {
    /// A sync over the whole catalogue.
    pub fn new(client: Client, options: SyncOptions) -> Self {
        Engine {
            client,
            options,
            streams: catalog(),
            progress: None,
            plan_first_load: false,
        }
    }

    /// When a run is the first load of some incremental stream, plans it
    /// as `sync --check` does ([`crate::check()`]) while the load starts, logs
    /// the plan, and puts its estimate in the report ([`RunReport::plan`]),
    /// beside the actual time. Costs a request per table and a few searches.
    pub fn plan_first_load(mut self, yes: bool) -> Self {
        self.plan_first_load = yes;
        self
    }

    /// Sets a progress callback.
    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// The streams this sync will run (by their static tables; klass tables
    /// are known only once the run discovers them).
    pub fn selected(&self) -> Result<Vec<Arc<dyn StreamDef>>, SyncError> {
        self.options.validate()?;
        let selection = Selection::new(&self.options)?;
        let empty = Discovery::default();
        let statics: Vec<(Arc<dyn StreamDef>, StreamTables)> =
            self.streams.iter().map(|s| (s.clone(), s.tables(&empty))).collect();
        let known: Vec<&str> = statics
            .iter()
            .flat_map(|(_, t)| t.data().map(|d| d.name.as_str()))
            .collect();
        selection.check_tables(&known)?;
        // Klass tables are named only after discovery: asking for one runs kobjects.
        let wants_klass = (self.options.tables.iter().flatten()).any(|t| t.starts_with("kobject_"))
            && !self.options.exclude_tables.iter().any(|t| t == "kobjects");
        Ok(statics
            .into_iter()
            .filter(|(s, t)| selection.wants_stream(t) || (wants_klass && s.name() == "kobjects"))
            .map(|(s, _)| s)
            .collect())
    }

    /// Discovers what the streams need and shapes this run's tables: the
    /// selection's projection, the bookkeeping columns, history tables.
    pub(crate) async fn plan(
        &self,
        client: &Client,
        streams: &[Arc<dyn StreamDef>],
        selection: &Selection,
    ) -> Result<Plan, SyncError> {
        let names: Vec<&str> = streams.iter().map(|s| s.name()).collect();
        let (resources, klasses) = needs_discovery(&names);
        let discovery = Arc::new(Discovery::discover(client, &resources, klasses).await?);
        let raw: Vec<StreamTables> = streams.iter().map(|s| s.tables(&discovery)).collect();
        selection.check_columns(raw.iter())?;
        let mut shapings: Vec<Arc<Shaping>> = Vec::new();
        for (s, r) in streams.iter().zip(&raw) {
            let (mut t, projection) = selection.project(r)?;
            t = t.with_system_columns();
            if self.options.history && s.name() == "conversations" {
                if let Some(singular) = s.singular() {
                    t = t.with_history(singular);
                }
            }
            shapings.push(Arc::new(Shaping::new(r, t, projection)));
        }
        Ok(Plan {
            discovery,
            raw,
            shapings,
        })
    }

    /// The client this engine's runs use (with the run's usage ceiling).
    pub(crate) fn run_client(&self) -> Result<Client, SyncError> {
        Ok(match self.options.usage_ceiling {
            Some(share) => self.client.with_usage_ceiling(share)?,
            None => self.client.clone(),
        })
    }

    /// This engine's options.
    pub fn options(&self) -> &SyncOptions {
        &self.options
    }

    /// The selection of this engine's options.
    #[cfg(feature = "webhook")]
    pub(crate) fn selection(&self) -> Result<Selection, SyncError> {
        Selection::new(&self.options)
    }

    /// Runs every selected stream into `dest` and hands the destination back.
    ///
    /// A stream that fails is reported and the others go on; one the token
    /// lacks the role for (a 403, or a 401 while the token works elsewhere),
    /// or a full re-read this org does not serve (404), is skipped; a
    /// rejected token ([`kustomer_api::Error::Unauthorized`]) stops the whole
    /// run at once with that error. The destination
    /// failing stops the run with its error; nothing uncommitted is visible.
    /// Every run appends its report to `_sync_runs`.
    pub async fn run<D: Destination>(&self, dest: D) -> Result<(RunReport, D), SyncError> {
        // Microseconds: what destinations store, so a row's `_synced_at`
        // compares equal to the run that wrote it.
        let started_at = Utc::now().trunc_subsecs(6);
        let streams = self.selected()?;
        let selection = Selection::new(&self.options)?;
        let client = self.run_client()?;
        let before = client.stats();

        // Streams loaded by another one (resolved-only: messages and notes
        // come with their conversations) do not run on their own.
        let mut loaded_by: HashMap<&'static str, String> = HashMap::new();
        for s in &streams {
            for c in s.companions(self.options.resolved_only) {
                loaded_by.insert(c, s.name().to_owned());
            }
        }
        let Plan {
            discovery,
            raw,
            shapings,
        } = self.plan(&client, &streams, &selection).await?;
        let companions: Arc<HashMap<&'static str, Arc<Shaping>>> = Arc::new(
            streams
                .iter()
                .zip(&shapings)
                .filter_map(|(s, sh)| {
                    let (&name, _) = loaded_by.get_key_value(s.name())?;
                    Some((name, sh.clone()))
                })
                .collect(),
        );

        // Prepare tables, forget re-synced bookmarks and read the others, on
        // a blocking thread.
        let prep: Vec<(String, Arc<StreamTables>, bool)> = streams
            .iter()
            .zip(&shapings)
            .map(|(s, sh)| {
                let resync = sh.tables.data().any(|t| self.options.resyncs(&t.name)) || self.options.resyncs(s.name());
                (s.name().to_owned(), sh.tables.clone(), resync)
            })
            .collect();
        let (mut dest, bookmarks) = tokio::task::spawn_blocking(move || -> Result<_, SyncError> {
            let mut dest = dest;
            let runs = StreamTables::new(sync_runs_table(), Vec::new());
            let all: Vec<&StreamTables> = std::iter::once(&runs)
                .chain(prep.iter().map(|(_, t, _)| &**t))
                .collect();
            dest.prepare_all(&all)?;
            let mut bookmarks = HashMap::new();
            for (name, _, resync) in &prep {
                if *resync {
                    tracing::info!(stream = %name, "re-sync: bookmark forgotten, reading in full");
                    dest.reset(name)?;
                    continue;
                }
                if let Some(text) = dest.bookmark(name)? {
                    let bm = Bookmark::from_json(&text).map_err(|e| SyncError::Bookmark {
                        stream: name.clone(),
                        message: e.to_string(),
                    })?;
                    bookmarks.insert(name.clone(), bm);
                }
            }
            Ok((dest, bookmarks))
        })
        .await
        .map_err(|e| SyncError::Destination(format!("writer thread: {e}")))??;

        let first_load = streams
            .iter()
            .any(|s| s.mode() == Mode::Update && !bookmarks.contains_key(s.name()));
        let plan = (self.plan_first_load && first_load).then(|| {
            let read_whole = |s: &&Arc<dyn StreamDef>| s.mode() == Mode::Replace || !bookmarks.contains_key(s.name());
            let full: Vec<_> = streams.iter().filter(read_whole).cloned().collect();
            crate::check::spawn_plan(client.scoped(), full, self.options.clone())
        });
        let (tx, mut rx) = mpsc::channel::<WriterMsg>(self.options.channel_capacity.max(1));
        let writer = tokio::task::spawn_blocking(move || -> (D, BTreeMap<String, WriteStats>, Option<SyncError>) {
            let mut stats: BTreeMap<String, WriteStats> = BTreeMap::new();
            // Group commit: batches that queued up while the destination was
            // busy go in together, one transaction per stream, so small pages
            // (a list page is 100 records) do not each pay a transaction.
            let mut groups: Vec<Group> = Vec::new();
            let flush = |dest: &mut D, groups: Vec<Group>, stats: &mut BTreeMap<String, WriteStats>| {
                for Group { batch, .. } in groups {
                    let stream = batch.stream.clone();
                    *stats.entry(stream).or_default() += dest.write(batch)?;
                }
                Ok::<(), SyncError>(())
            };
            while let Some(first) = rx.blocking_recv() {
                let mut msgs = vec![first];
                while msgs.len() < 64 {
                    match rx.try_recv() {
                        Ok(m) => msgs.push(m),
                        Err(_) => break,
                    }
                }
                for msg in msgs {
                    match msg {
                        WriterMsg::Write(batch) => {
                            let batch = *batch;
                            let rest = match groups.iter().position(|g| g.batch.stream == batch.stream) {
                                Some(i) => groups[i].merge(batch).map(|b| (Some(groups.remove(i)), b)),
                                None => Some((None, batch)),
                            };
                            if let Some((pending, batch)) = rest {
                                // Not mergeable: what was pending for the stream goes first.
                                if let Err(e) = flush(&mut dest, pending.into_iter().collect(), &mut stats) {
                                    return (dest, stats, Some(e));
                                }
                                groups.push(Group::new(batch));
                            }
                        }
                        WriterMsg::Read(read) => {
                            if let Err(e) = flush(&mut dest, std::mem::take(&mut groups), &mut stats) {
                                return (dest, stats, Some(e));
                            }
                            read(&mut dest);
                        }
                    }
                }
                if let Err(e) = flush(&mut dest, std::mem::take(&mut groups), &mut stats) {
                    return (dest, stats, Some(e));
                }
            }
            (dest, stats, None)
        });

        let unauthorized = Arc::new(Rejection::default());
        let launch = Launch {
            tx: tx.clone(),
            progress: self.progress.clone(),
            unauthorized: unauthorized.clone(),
            limit: Arc::new(Semaphore::new(self.options.max_concurrent_streams.max(1))),
        };
        let mut tasks = Vec::new();
        for ((stream, shaping), r) in streams.iter().cloned().zip(shapings).zip(&raw) {
            let name = stream.name().to_owned();
            if let Some(by) = loaded_by.get(name.as_str()) {
                tasks.push(tokio::spawn(std::future::ready(StreamReport {
                    name,
                    mode: Some(stream.mode()),
                    skipped: Some(format!("resolved-only: loaded with {by}")),
                    tables: shaping.tables.all().map(|t| t.name.clone()).collect(),
                    ..Default::default()
                })));
                continue;
            }
            let ctx = StreamContext {
                client: client.scoped(),
                bookmark: bookmarks.get(&name).cloned(),
                start_date: self.options.start_date,
                search_page_size: self.options.search_page_size,
                tables: shaping.tables.clone(),
                discovery: discovery.clone(),
                run_started: started_at,
                excluded: Arc::new(selection.excluded_children(r)),
                resolved_only: self.options.resolved_only,
                // Reconciling compares stored ids and instants with the
                // source's: only possible when both are stored as sent.
                ids: ["id", "updated_at"]
                    .iter()
                    .all(|c| selection.keeps_plain(&name, c))
                    .then(|| IdReader { tx: tx.clone() }),
                first_load: self.options.first_load,
                details: match self.options.details {
                    DetailsMode::Inline => DetailPass::Inline,
                    _ => DetailPass::Core,
                },
                details_per_run: self.options.details_per_run,
            };
            let run = StreamRun {
                name,
                shaping,
                companions: companions.clone(),
                hard_delete: self.options.hard_delete,
                run_started: started_at,
            };
            tasks.push(launch.spawn(stream, run, ctx));
        }
        drop(tx);

        let mut reports = Vec::new();
        for t in tasks {
            reports.push(
                t.await
                    .map_err(|e| SyncError::Destination(format!("stream task: {e}")))?,
            );
        }
        drop(launch);
        let (dest, written, write_error) = writer
            .await
            .map_err(|e| SyncError::Destination(format!("writer thread: {e}")))?;
        if let Some(e) = write_error {
            return Err(e);
        }
        for r in &mut reports {
            if let Some(w) = written.get(&r.name) {
                r.written = *w;
            }
        }
        let plan = match plan {
            Some(task) => task.await.ok().flatten(),
            None => None,
        };
        let after = client.stats();
        let report = RunReport {
            started_at,
            finished_at: Utc::now(),
            streams: reports,
            client: ClientStats {
                requests: after.requests - before.requests,
                search_requests: after.search_requests - before.search_requests,
                throttled: after.throttled - before.throttled,
                retries: after.retries - before.retries,
            },
            usage_ceiling: client.usage_ceiling(),
            plan,
        };
        let runs = sync_runs_batch(&report);
        let dest = tokio::task::spawn_blocking(move || -> Result<D, SyncError> {
            let mut dest = dest;
            dest.write(runs)?;
            dest.finish()?;
            Ok(dest)
        })
        .await
        .map_err(|e| SyncError::Destination(format!("writer thread: {e}")))??;
        tracing::info!("sync finished\n{report}");
        if let Some(e) = unauthorized.error() {
            return Err(e);
        }
        Ok((report, dest))
    }
}

/// Records one group commit holds at most.
const GROUP_RECORDS: usize = 20_000;

/// Batches of one stream committed together, with the position of each
/// record id in it (kept as batches join, not rebuilt per batch).
struct Group {
    batch: WriteBatch,
    index: HashMap<String, usize>,
}

impl Group {
    fn new(batch: WriteBatch) -> Group {
        let index = batch
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Group { batch, index }
    }

    /// Appends `b` when writing both as one batch equals writing them in
    /// turn: this group carries only records and a bookmark (no deletes,
    /// marks, sweep or companions that `b`'s records would have to follow),
    /// both write the same tables the same way, and the group stays
    /// bounded. Returns `b` when it cannot merge.
    fn merge(&mut self, b: WriteBatch) -> Option<WriteBatch> {
        let a = &mut self.batch;
        let plain = a.deletes.is_empty() && a.mark_deleted.is_empty() && a.sweep.is_none() && a.companions.is_empty();
        if !plain
            || !Arc::ptr_eq(&a.tables, &b.tables)
            || a.newest_wins != b.newest_wins
            || a.records.len() + b.records.len() > GROUP_RECORDS
        {
            return Some(b);
        }
        let updated = a.tables.parent.column_index("updated_at");
        let at = |r: &FlatRecord| match updated.and_then(|i| r.row.get(i)) {
            Some(Cell::Timestamp(t)) => Some(*t),
            _ => None,
        };
        for r in b.records {
            match self.index.get(&r.id) {
                // In turn, the later copy wins unless newest-wins keeps a newer one.
                Some(&i) => {
                    if !(a.newest_wins && at(&a.records[i]) > at(&r)) {
                        a.records[i] = r;
                    }
                }
                None => {
                    self.index.insert(r.id.clone(), a.records.len());
                    a.records.push(r);
                }
            }
        }
        a.deletes = b.deletes;
        a.mark_deleted = b.mark_deleted;
        a.companions = b.companions;
        a.sweep = b.sweep;
        if b.bookmark.is_some() {
            a.bookmark = b.bookmark;
        }
        None
    }
}

/// One row per id per batch: a record read twice keeps its last copy.
fn dedupe(records: Vec<FlatRecord>) -> Vec<FlatRecord> {
    if records.len() < 2 {
        return records;
    }
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        last.insert(r.id.as_str(), i);
    }
    if last.len() == records.len() {
        return records;
    }
    let keep: HashSet<usize> = last.into_values().collect();
    records
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, r)| r)
        .collect()
}

/// Shapes records for their tables; with hard deletes, records the source
/// marks deleted leave as ids to remove instead.
fn shape_all(
    shaping: &Shaping,
    records: Vec<FlatRecord>,
    run: &StreamRun,
    hard: bool,
) -> (Vec<FlatRecord>, Vec<String>) {
    let mut kept = Vec::with_capacity(records.len());
    let mut deletes = Vec::new();
    for mut r in dedupe(records) {
        let deleted = shaping.shape(&mut r, run.run_started);
        if deleted && hard {
            deletes.push(shaping.stored_id(&r));
        } else {
            kept.push(r);
        }
    }
    (kept, deletes)
}

/// What every stream task shares.
struct Launch {
    tx: mpsc::Sender<WriterMsg>,
    progress: Option<ProgressFn>,
    unauthorized: Arc<Rejection>,
    /// Streams running at once.
    limit: Arc<Semaphore>,
}

impl Launch {
    /// Runs `stream` as a task once a slot is free; its report counts the
    /// requests of `ctx.client` (a scope of its own). Then, out of the slot,
    /// the detail backfill a full read left, if any: in the background of
    /// the org budget, so it never slows the core tables of any stream.
    fn spawn(
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
            let reader = IdReader { tx: tx.clone() };
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
    tx: mpsc::Sender<WriterMsg>,
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
        let (records, deletes) = shape_all(&run.shaping, batch.records, &run, hard);
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
                let (records, _) = shape_all(sh, recs, &run, false);
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
