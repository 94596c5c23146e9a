//! End-to-end benchmark: a full sync of the simulator with per-request
//! latency and a rate limit, against the floor the rate limit allows.
//!
//! ```text
//! cargo run --release --example bench_sync
//! cargo run --release --example bench_sync -- --rate-limit 1000 --latency-ms 50-200 --scale 2
//! cargo run --release --example bench_sync -- --load-rows 1000000     # DuckDB load rate only
//! cargo run --release --example bench_sync -- --load-rows 200000 --dest s3://bucket/lake  # or any --dest
//! ```
//! Prints requests, 429s, wall time, the floor (requests ÷ allowed rate under
//! the usage ceiling, per budget) and wall ÷ floor.

use std::time::{Duration, Instant};

use clap::Parser;
use kustomer::api::Client;
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::Destination;
use kustomer::sync::{Engine, SyncOptions};
use kustomer_sim::{OrgSize, SimConfig, Simulator};

#[path = "../benches/support/messages.rs"]
mod messages;
use messages::Messages;

#[derive(Parser, Debug)]
struct Args {
    /// The org's rate limit per minute.
    #[arg(long, default_value_t = 6_000)]
    rate_limit: u32,
    /// The search sub-limit per minute.
    #[arg(long, default_value_t = 600)]
    search_rate_limit: u32,
    /// Per-request latency range in milliseconds, e.g. 50-200.
    #[arg(long, default_value = "50-200")]
    latency_ms: String,
    /// Share of the limits the sync may use.
    #[arg(long, default_value_t = 0.9)]
    usage_ceiling: f64,
    /// Org size multiplier (1: 200 customers, 400 conversations, 1,200 messages, …).
    #[arg(long, default_value_t = 1)]
    scale: usize,
    /// Streams at once.
    #[arg(long, default_value_t = 8)]
    streams: usize,
    /// Only measure the DuckDB load rate with this many rows (parent + child).
    #[arg(long)]
    load_rows: Option<usize>,
    /// Records per write batch in the load-rate run (a search page is 500).
    #[arg(long, default_value_t = 2_000)]
    batch_records: usize,
    /// Skip the per-parent detail tables (for memory runs on large orgs).
    #[arg(long)]
    search_only: bool,
    /// DuckDB settings to run on the connection first, e.g. "SET memory_limit = '256MB'".
    #[arg(long, default_value = "")]
    duckdb_sql: String,
    /// The load-rate run's destination, as the sync example's `--dest`
    /// (default: a DuckDB file in a temporary directory).
    #[arg(long, requires = "load_rows")]
    dest: Option<String>,
}

fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Some(rows) = args.load_rows {
        return load_rate(rows, args.batch_records, &args.duckdb_sql, args.dest.as_deref());
    }
    let (lo, hi) = args
        .latency_ms
        .split_once('-')
        .map(|(a, b)| (a.parse::<u64>(), b.parse::<u64>()))
        .and_then(|(a, b)| Some((a.ok()?, b.ok()?)))
        .ok_or_else(|| anyhow::anyhow!("--latency-ms LO-HI"))?;
    let s = args.scale;
    let sim = Simulator::start(SimConfig {
        size: OrgSize::scaled(s),
        org_rate_limit: Some(args.rate_limit),
        search_rate_limit: Some(args.search_rate_limit),
        latency: Duration::from_millis(lo)..Duration::from_millis(hi.max(lo + 1)),
        ..SimConfig::default()
    })
    .await?;
    let client = Client::builder()
        .base_url(sim.base_url())
        .token(sim.token())
        .rate_limit(args.rate_limit)
        .search_rate_limit(args.search_rate_limit)
        .usage_ceiling(args.usage_ceiling)
        .build()?;
    let dir = tempfile::tempdir()?;
    let dest = DuckDbDestination::open(dir.path().join("bench.duckdb"))?;
    if !args.duckdb_sql.is_empty() {
        dest.connection().execute_batch(&args.duckdb_sql)?;
    }
    let mut options = SyncOptions::default().with_max_concurrent_streams(args.streams);
    if args.search_only {
        options.exclude_tables = [
            "conversation_events",
            "conversation_times",
            "conversation_forwards",
            "conversation_attachments",
            "customer_drafts",
            "customer_merges",
        ]
        .map(String::from)
        .to_vec();
    }
    // The simulator lives in this process: what the sync adds is the peak
    // minus what is resident before it starts.
    let before_sync = status_mb("VmRSS:");
    let started = Instant::now();
    let (report, _dest) = Engine::new(client, options).run(dest).await?;
    let wall = started.elapsed().as_secs_f64();
    let c = report.client;
    let per_sec = |per_min: u32| per_min as f64 * args.usage_ceiling / 60.0;
    // Search requests draw on both budgets; every request draws on the org's.
    let org_floor = c.requests as f64 / per_sec(args.rate_limit);
    let search_floor = c.search_requests as f64 / per_sec(args.search_rate_limit);
    let floor = org_floor.max(search_floor);
    let records: u64 = report.streams.iter().map(|s| s.records).sum();
    let rows: u64 = report
        .streams
        .iter()
        .map(|s| s.written.inserted + s.written.updated + s.written.child_rows)
        .sum();
    println!(
        "org limit {}/min, search {}/min, ceiling {:.2}, latency {lo}-{hi} ms, scale {s}",
        args.rate_limit, args.search_rate_limit, args.usage_ceiling
    );
    println!("records            {records}");
    println!("rows written       {rows}");
    println!("requests           {} ({} search)", c.requests, c.search_requests);
    println!("429s               {}", c.throttled);
    println!("wall               {wall:.1} s");
    println!("floor              {floor:.1} s (org {org_floor:.1} s, search {search_floor:.1} s)");
    println!("wall / floor       {:.3}", wall / floor);
    let peak = peak_rss_mb();
    println!("peak RSS           {peak:.0} MB ({before_sync:.0} MB resident before the sync, simulator included: the sync added {:.0} MB)", peak - before_sync);
    sim.shutdown().await;
    Ok(())
}

/// Rows per second into a destination (DuckDB unless `spec` names another)
/// through its bulk path: messages (with their child rows) replicated under
/// new ids, in batches of 2,000. `benches/load.rs` measures the same batches
/// per write; this run measures a whole load, its end and its peak memory.
fn load_rate(target: usize, per_batch: usize, duckdb_sql: &str, spec: Option<&str>) -> anyhow::Result<()> {
    let mut messages = Messages::generate();
    let mut load = |dest: &mut dyn Destination| -> anyhow::Result<(usize, Duration)> {
        dest.prepare(messages.tables())?;
        // Batches are made as they go (untimed), so resident memory is the
        // destination's, not a pre-built copy of every row.
        let mut rows = 0usize;
        let mut writing = Duration::ZERO;
        while rows < target {
            let (batch, n) = messages.fresh(per_batch);
            rows += n;
            let batch = messages.batch(batch);
            let started = Instant::now();
            dest.write(batch)?;
            writing += started.elapsed();
        }
        Ok((rows, writing))
    };
    let dir = tempfile::tempdir()?;
    // The end of the load is part of its cost, so it is timed too: DuckDB's
    // checkpoint (what commits left in the write-ahead log is written into
    // the file), another destination's `finish`.
    let (rows, writing, checkpoint) = match spec {
        Some(spec) => {
            let mut dest = kustomer::sync::dest::open(spec)?;
            let (rows, writing) = load(&mut *dest)?;
            let started = Instant::now();
            dest.finish()?;
            (rows, writing, started.elapsed())
        }
        None => {
            let mut db = DuckDbDestination::open(dir.path().join("load.duckdb"))?;
            if !duckdb_sql.is_empty() {
                db.connection().execute_batch(duckdb_sql)?;
            }
            let (rows, writing) = load(&mut db)?;
            let started = Instant::now();
            db.connection().execute_batch("CHECKPOINT")?;
            (rows, writing, started.elapsed())
        }
    };
    let secs = (writing + checkpoint).as_secs_f64();
    println!(
        "loaded {rows} rows (messages + child rows) in batches of {per_batch} records, {secs:.2} s ({:.2} s to finish): {:.0} rows/s",
        checkpoint.as_secs_f64(),
        rows as f64 / secs
    );
    println!("peak RSS           {:.0} MB", peak_rss_mb());
    Ok(())
}
