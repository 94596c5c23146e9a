//! The engine: runs the selected streams concurrently on one client (one set
//! of rate budgets) into one destination.
//!
//! Streams fetch and flatten on the async runtime ([`task`]); the
//! [`crate::writer`] thread owns the destination and commits each batch with
//! its bookmark.

mod task;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use kustomer_api::{Client, ClientStats};
use tokio::sync::Semaphore;

use crate::catalog::catalog;
use crate::dest::{Destination, StreamTables};
use crate::error::SyncError;
use crate::mode::{DetailsMode, Mode};
use crate::options::SyncOptions;
use crate::report::{sync_runs_batch, sync_runs_table, RunReport, StreamReport};
use crate::run_plan::RunPlan;
use crate::select::Selection;
use crate::shaping::Shaping;
use crate::skips::Rejection;
use crate::streams::DetailPass;
use crate::streams::{StreamContext, StreamDef};
use crate::writer::IdReader;
use task::{Launch, StreamRun};

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
        crate::run_plan::select(&self.streams, &self.options)
    }

    /// This engine's options.
    pub fn options(&self) -> &SyncOptions {
        &self.options
    }

    /// A webhook sink writing into `dest` with this engine's options: the
    /// tables it would sync (of customers, conversations, messages, users,
    /// teams and tags), shaped as a sync shapes them. Runs discovery (custom
    /// attributes) once, now.
    #[cfg(feature = "webhook")]
    pub async fn webhook_sink<D: Destination>(&self, dest: D) -> Result<crate::DestinationSink, SyncError> {
        let streams = self.selected()?;
        crate::webhook_sink::DestinationSink::open(&self.client, &self.options, &streams, dest).await
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
        let client = crate::run_plan::run_client(&self.client, &self.options)?;
        let before = client.stats();

        // Streams loaded by another one (resolved-only: messages and notes
        // come with their conversations) do not run on their own.
        let mut loaded_by: HashMap<&'static str, String> = HashMap::new();
        for s in &streams {
            for c in s.companions(self.options.resolved_only) {
                loaded_by.insert(c, s.name().to_owned());
            }
        }
        let RunPlan {
            discovery,
            raw,
            shapings,
        } = crate::run_plan::plan(&client, &streams, &selection, &self.options).await?;
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

        // Prepare tables, forget re-synced bookmarks and read the others.
        let prep: Vec<crate::writer::Prep> = streams
            .iter()
            .zip(&shapings)
            .map(|(s, sh)| {
                let resync = sh.tables.data().any(|t| self.options.resyncs(&t.name)) || self.options.resyncs(s.name());
                (s.name().to_owned(), sh.tables.clone(), resync)
            })
            .collect();
        let runs = StreamTables::new(sync_runs_table(), Vec::new());
        let (dest, bookmarks) = crate::writer::prepare(dest, runs, prep).await?;

        let first_load = streams
            .iter()
            .any(|s| s.mode() == Mode::Update && !bookmarks.contains_key(s.name()));
        let plan = (self.plan_first_load && first_load).then(|| {
            let read_whole = |s: &&Arc<dyn StreamDef>| s.mode() == Mode::Replace || !bookmarks.contains_key(s.name());
            let full: Vec<_> = streams.iter().filter(read_whole).cloned().collect();
            crate::check::spawn_plan(client.scoped(), full, self.options.clone())
        });
        let (tx, writer) = crate::writer::spawn(dest, self.options.channel_capacity);

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
                    .then(|| IdReader::new(tx.clone())),
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
        let dest = crate::writer::finish(dest, runs).await?;
        tracing::info!("sync finished\n{report}");
        if let Some(e) = unauthorized.error() {
            return Err(e);
        }
        Ok((report, dest))
    }
}
