//! The engine: runs the selected streams concurrently on one client (one set
//! of rate budgets) into one destination writer.
//!
//! Streams fetch and flatten on the async runtime; a single writer thread
//! owns the destination and commits each batch with its bookmark. The channel
//! between them is bounded, so fetching never runs far ahead of loading and
//! memory stays flat whatever the org's size.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use kustomer_api::{Client, ClientStats};
use tokio::sync::{mpsc, Semaphore};

use crate::bookmark::Bookmark;
use crate::catalog::{catalog, needs_discovery, Mode, StreamContext, StreamDef};
use crate::dest::{Destination, StreamTables, WriteBatch, WriteStats};
use crate::discovery::Discovery;
use crate::error::SyncError;

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Streams to run (table names); `None` runs every stream.
    pub tables: Option<Vec<String>>,
    /// Lower bound of the first sync of incremental streams; `None` reads all history.
    pub start_date: Option<DateTime<Utc>>,
    /// Search page size (max 500).
    pub search_page_size: u32,
    /// Streams running at once.
    pub max_concurrent_streams: usize,
    /// Batches buffered between fetching and loading.
    pub channel_capacity: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            tables: None,
            start_date: None,
            search_page_size: 500,
            max_concurrent_streams: 4,
            channel_capacity: 8,
        }
    }
}

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

/// The outcome of one stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamReport {
    /// Stream name.
    pub name: String,
    /// Its mode.
    pub mode: Option<Mode>,
    /// Records fetched (after de-duplication).
    pub records: u64,
    /// What the destination changed.
    pub written: WriteStats,
    /// The error that stopped it, if any.
    pub error: Option<String>,
    /// Why it was skipped (the token lacks a role), if it was.
    pub skipped: Option<String>,
    /// Every table the stream writes this run (parent first).
    pub tables: Vec<String>,
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// Per stream, in catalogue order.
    pub streams: Vec<StreamReport>,
    /// What the client did during the run.
    pub client: ClientStats,
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
}

/// Runs syncs.
///
/// ```no_run
/// # async fn run(dest: impl kustomer_sync::dest::Destination) -> Result<(), Box<dyn std::error::Error>> {
/// use kustomer_sync::{Engine, SyncOptions};
/// let client = kustomer_api::Client::builder().org("acme").token("…").build()?;
/// // `dest`: e.g. `dest::duckdb::DuckDbDestination::open("kustomer.duckdb")?` with the `duckdb` feature.
/// let (report, _dest) = Engine::new(client, SyncOptions::default()).run(dest).await?;
/// println!("{} streams", report.streams.len());
/// # Ok(()) }
/// ```
pub struct Engine {
    client: Client,
    options: SyncOptions,
    streams: Vec<Arc<dyn StreamDef>>,
    progress: Option<ProgressFn>,
}

impl Engine {
    /// A sync over the whole catalogue.
    pub fn new(client: Client, options: SyncOptions) -> Self {
        Engine {
            client,
            options,
            streams: catalog(),
            progress: None,
        }
    }

    /// Sets a progress callback.
    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// The streams this sync will run.
    pub fn selected(&self) -> Result<Vec<Arc<dyn StreamDef>>, SyncError> {
        let Some(wanted) = &self.options.tables else {
            return Ok(self.streams.clone());
        };
        for w in wanted {
            if !self.streams.iter().any(|s| s.name() == w) {
                let known: Vec<&str> = self.streams.iter().map(|s| s.name()).collect();
                return Err(SyncError::Config(format!(
                    "unknown table {w:?}; known: {}",
                    known.join(", ")
                )));
            }
        }
        Ok(self
            .streams
            .iter()
            .filter(|s| wanted.iter().any(|w| w == s.name()))
            .cloned()
            .collect())
    }

    /// Runs every selected stream into `dest` and hands the destination back.
    ///
    /// A stream that fails (a 403 on its entity, say) is reported and the
    /// others go on; a 401 stops the whole run at once. The destination
    /// failing stops the run with its error; nothing uncommitted is visible.
    pub async fn run<D: Destination>(&self, dest: D) -> Result<(RunReport, D), SyncError> {
        let started_at = Utc::now();
        let before = self.client.stats();
        let streams = self.selected()?;
        let names: Vec<&str> = streams.iter().map(|s| s.name()).collect();
        let (resources, klasses) = needs_discovery(&names);
        let discovery = Arc::new(Discovery::discover(&self.client, &resources, klasses).await?);
        let tables: Vec<(String, Arc<StreamTables>)> = streams
            .iter()
            .map(|s| (s.name().to_owned(), Arc::new(s.tables(&discovery))))
            .collect();

        // Prepare tables and read bookmarks on a blocking thread.
        let prep_tables = tables.clone();
        let (mut dest, bookmarks) = tokio::task::spawn_blocking(move || -> Result<_, SyncError> {
            let mut dest = dest;
            let mut bookmarks = HashMap::new();
            for (name, t) in &prep_tables {
                dest.prepare(t)?;
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

        let (tx, mut rx) = mpsc::channel::<WriteBatch>(self.options.channel_capacity.max(1));
        let writer = tokio::task::spawn_blocking(move || -> (D, BTreeMap<String, WriteStats>, Option<SyncError>) {
            let mut stats: BTreeMap<String, WriteStats> = BTreeMap::new();
            while let Some(batch) = rx.blocking_recv() {
                let stream = batch.stream.clone();
                match dest.write(batch) {
                    Ok(s) => {
                        let e = stats.entry(stream).or_default();
                        e.inserted += s.inserted;
                        e.updated += s.updated;
                        e.child_rows += s.child_rows;
                    }
                    Err(err) => return (dest, stats, Some(err)),
                }
            }
            (dest, stats, None)
        });

        let unauthorized = Arc::new(AtomicBool::new(false));
        let limit = Arc::new(Semaphore::new(self.options.max_concurrent_streams.max(1)));
        let mut tasks = Vec::new();
        for (stream, (name, t)) in streams.iter().cloned().zip(tables) {
            let ctx = StreamContext {
                client: self.client.clone(),
                bookmark: bookmarks.get(&name).cloned(),
                start_date: self.options.start_date,
                search_page_size: self.options.search_page_size,
                tables: t.clone(),
                discovery: discovery.clone(),
            };
            let tx = tx.clone();
            let progress = self.progress.clone();
            let unauthorized = unauthorized.clone();
            let limit = limit.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await;
                run_stream(stream, name, t, ctx, tx, progress, unauthorized).await
            }));
        }
        drop(tx);

        let mut reports = Vec::new();
        for t in tasks {
            reports.push(
                t.await
                    .map_err(|e| SyncError::Destination(format!("stream task: {e}")))?,
            );
        }
        let (dest, written, write_error) = writer
            .await
            .map_err(|e| SyncError::Destination(format!("writer thread: {e}")))?;
        if let Some(e) = write_error {
            return Err(e);
        }
        if unauthorized.load(Ordering::SeqCst) {
            let msg = reports.iter().find_map(|r| r.error.clone()).unwrap_or_default();
            return Err(SyncError::Api(kustomer_api::Error::Api {
                status: 401,
                method: "GET".into(),
                path: "(sync stopped)".into(),
                errors: vec![],
                snippet: Some(format!("the API token was rejected: {msg}")),
            }));
        }
        for r in &mut reports {
            if let Some(w) = written.get(&r.name) {
                r.written = *w;
            }
        }
        let after = self.client.stats();
        let client = ClientStats {
            requests: after.requests - before.requests,
            search_requests: after.search_requests - before.search_requests,
            throttled: after.throttled - before.throttled,
            retries: after.retries - before.retries,
        };
        Ok((
            RunReport {
                started_at,
                finished_at: Utc::now(),
                streams: reports,
                client,
            },
            dest,
        ))
    }
}

async fn run_stream(
    stream: Arc<dyn StreamDef>,
    name: String,
    tables: Arc<StreamTables>,
    ctx: StreamContext,
    tx: mpsc::Sender<WriteBatch>,
    progress: Option<ProgressFn>,
    unauthorized: Arc<AtomicBool>,
) -> StreamReport {
    let emit = |p: Progress| {
        if let Some(f) = &progress {
            f(p)
        }
    };
    emit(Progress::Started { stream: name.clone() });
    let mut report = StreamReport {
        name: name.clone(),
        mode: Some(stream.mode()),
        tables: tables.all().map(|t| t.name.clone()).collect(),
        ..Default::default()
    };
    let mut skipped = None;
    let mut batches = stream.batches(ctx);
    let error = loop {
        if unauthorized.load(Ordering::SeqCst) {
            break Some("stopped: the API token was rejected".to_owned());
        }
        let Some(batch) = batches.next().await else { break None };
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                if e.is_unauthorized() {
                    unauthorized.store(true, Ordering::SeqCst);
                    tracing::error!(stream = %name, error = %e, "the API token was rejected; stopping the sync");
                } else if e.is_forbidden() {
                    let why = format!("the API token lacks the role to read it ({}): {e}", stream.role());
                    tracing::warn!(stream = %name, "skipped: {why}");
                    skipped = Some(why);
                    break None;
                } else {
                    tracing::error!(stream = %name, error = %e, "stream failed");
                }
                break Some(e.to_string());
            }
        };
        // One row per id per batch: a record read twice keeps its last copy.
        let mut records = batch.records;
        if records.len() > 1 {
            let mut last: HashMap<&str, usize> = HashMap::with_capacity(records.len());
            for (i, r) in records.iter().enumerate() {
                last.insert(r.id.as_str(), i);
            }
            if last.len() < records.len() {
                let keep: std::collections::HashSet<usize> = last.into_values().collect();
                records = records
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| keep.contains(i))
                    .map(|(_, r)| r)
                    .collect();
            }
        }
        report.records += records.len() as u64;
        emit(Progress::Fetched {
            stream: name.clone(),
            records: records.len() as u64,
        });
        let wb = WriteBatch {
            stream: name.clone(),
            tables: tables.clone(),
            records,
            bookmark: batch.bookmark.map(|b| b.to_json()),
        };
        if tx.send(wb).await.is_err() {
            break Some("the destination stopped".to_owned());
        }
    };
    emit(Progress::Finished {
        stream: name,
        error: error.clone().or_else(|| skipped.clone()),
    });
    report.error = error;
    report.skipped = skipped;
    report
}
