//! The main job: sync a Kustomer org (or the offline simulator) into DuckDB.
//!
//! ```text
//! cargo run --release --example sync -- --simulate
//! KUSTOMER_API_TOKEN=… cargo run --release --example sync -- --org acme
//! KUSTOMER_API_TOKEN=… cargo run --release --example sync -- --region eu --tables customers,conversations
//! KUSTOMER_API_TOKEN=… cargo run --release --example sync -- --org acme --check   # test the connection, plan the first load
//! cargo run --release --example sync -- --describe customers   # the data dictionary (`--json` for tools)
//! ```
//! A second run loads only what changed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use clap::Parser;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use kustomer::api::{Client, Region};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::Destination;
use kustomer::sync::{DetailsMode, Engine, FirstLoadMode, HashSalt, Progress, SyncOptions};
use kustomer_sim::{OrgSize, SimConfig, Simulator};

/// Sync a Kustomer org into a DuckDB file.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Start the offline simulator with a demo org and sync it (no account needed).
    #[arg(long)]
    simulate: bool,
    /// API base URL: scheme, host and port (the client appends /v1/…).
    #[arg(long, conflicts_with_all = ["org", "region", "simulate"])]
    base_url: Option<String>,
    /// Org name (the sign-in subdomain): uses https://{org}.api.kustomerapp.com.
    #[arg(long, conflicts_with_all = ["region", "simulate"])]
    org: Option<String>,
    /// Regional host: us, eu or in.
    #[arg(long, conflicts_with = "simulate")]
    region: Option<String>,
    /// Where to load: a DuckDB file, `postgres://user:password@host:port/db[?schema=kustomer]`,
    /// or Delta Lake (`delta:///DIR`, `s3://bucket/prefix`).
    #[arg(long, default_value = "kustomer.duckdb")]
    dest: String,
    /// DuckDB's memory limit (default 64MB), e.g. 256MB: higher trades footprint for
    /// load speed.
    #[arg(long, value_parser = memory_size)]
    duckdb_memory_limit: Option<String>,
    /// A TOML file of sync options (the names below, in snake_case); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// First sync of incremental tables starts here (YYYY-MM-DD or RFC 3339); default: all history.
    #[arg(long)]
    start_date: Option<String>,
    /// Only these tables (comma-separated), e.g. customers,conversations.
    #[arg(long, value_delimiter = ',')]
    tables: Option<Vec<String>>,
    /// Never these tables (comma-separated); a parent takes its child tables with it.
    #[arg(long, value_delimiter = ',')]
    exclude_tables: Option<Vec<String>>,
    /// Never write these columns (comma-separated table.column).
    #[arg(long, value_delimiter = ',')]
    exclude_columns: Option<Vec<String>>,
    /// Store these columns as salted SHA-256 hex (comma-separated table.column).
    #[arg(long, value_delimiter = ',')]
    hash_columns: Option<Vec<String>>,
    /// The salt for --hash-columns.
    #[arg(long, env = "KUSTOMER_HASH_SALT", hide_env_values = true)]
    hash_salt: Option<String>,
    /// Remove deleted rows instead of marking them _deleted.
    #[arg(long)]
    hard_delete: bool,
    /// Keep every observed version of conversations in conversation_history.
    #[arg(long)]
    history: bool,
    /// Reload these tables in full (comma-separated, or * for all).
    #[arg(long, value_delimiter = ',')]
    resync: Option<Vec<String>>,
    /// Load only done conversations, with their messages and notes.
    #[arg(long)]
    resolved_only: bool,
    /// Share of the org's rate limit this sync may use (0.25–0.90; default 0.90).
    #[arg(long)]
    usage_ceiling: Option<f64>,
    /// The org's plan limit per minute, if known (adopted from the server's headers otherwise).
    #[arg(long)]
    rate_limit: Option<u32>,
    /// The org's search sub-limit per minute, if known (100/min otherwise).
    #[arg(long)]
    search_rate_limit: Option<u32>,
    /// How a first load reads incremental tables: `lists` (GET lists and search at once,
    /// all history) or `search-only` (the last two years).
    #[arg(long)]
    first_load: Option<String>,
    /// When a first load (or re-sync) reads the per-parent detail tables (events, times,
    /// forwards, attachments, drafts, merges): `after-core` (every core table first; the
    /// default) or `inline`.
    #[arg(long)]
    details: Option<String>,
    /// Parents whose detail tables one run backfills, per stream (default: all).
    #[arg(long)]
    details_per_run: Option<u64>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
    /// Test the connection and plan the first load, writing nothing: verify the token,
    /// ask every table's endpoint once (naming missing roles), count each incremental
    /// table, and estimate the first load's time at the usage ceiling.
    #[arg(long)]
    check: bool,
    /// Print the data dictionary and exit (no token needed): the list of tables, or
    /// one table's columns with their type per destination, meaning and API source.
    #[arg(long, value_name = "TABLE", num_args = 0..=1, default_missing_value = "")]
    describe: Option<String>,
    /// With `--describe`: as JSON, for tools.
    #[arg(long, requires = "describe")]
    json: bool,
}

/// `--dest`, with `--duckdb-memory-limit` applied when it names a DuckDB file.
fn open_destination(args: &Args) -> Result<Box<dyn Destination>, String> {
    let is_duckdb = ![
        "postgres://",
        "postgresql://",
        "parquet://",
        "delta://",
        "file://",
        "s3://",
    ]
    .iter()
    .any(|p| args.dest.starts_with(p));
    match &args.duckdb_memory_limit {
        Some(limit) if is_duckdb => {
            let db = DuckDbDestination::open(&args.dest).map_err(|e| e.to_string())?;
            (db.connection())
                .execute_batch(&format!("SET memory_limit = '{limit}'"))
                .map_err(|e| format!("--duckdb-memory-limit {limit}: {e}"))?;
            Ok(Box::new(db))
        }
        Some(_) => Err("--duckdb-memory-limit applies to a DuckDB --dest only".into()),
        None => kustomer::sync::dest::open(&args.dest).map_err(|e| e.to_string()),
    }
}

/// A size DuckDB understands, such as 96MB or 1GB (checked here, as it goes into SQL).
fn memory_size(s: &str) -> Result<String, String> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &s[digits.len()..];
    let units = ["KB", "MB", "GB", "KiB", "MiB", "GiB"];
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && units.contains(&unit) {
        Ok(s.to_owned())
    } else {
        Err(format!("{s:?}: expected a size such as 96MB or 1GB"))
    }
}

/// The sync options: the config file (if any), then the flags on top.
fn sync_options(args: &Args) -> Result<SyncOptions, String> {
    let mut o = match &args.config {
        Some(path) => SyncOptions::from_toml_file(path).map_err(|e| e.to_string())?,
        None => SyncOptions::default(),
    };
    if let Some(s) = &args.start_date {
        o.start_date = Some(parse_start(s)?);
    }
    let set = |v: &Option<Vec<String>>, into: &mut Vec<String>| {
        if let Some(v) = v {
            *into = v.clone();
        }
    };
    if args.tables.is_some() {
        o.tables = args.tables.clone();
    }
    set(&args.exclude_tables, &mut o.exclude_tables);
    set(&args.exclude_columns, &mut o.exclude_columns);
    set(&args.hash_columns, &mut o.hash_columns);
    set(&args.resync, &mut o.resync);
    if let Some(salt) = &args.hash_salt {
        o.hash_salt = Some(HashSalt::new(salt.clone()));
    }
    o.hard_delete |= args.hard_delete;
    o.history |= args.history;
    o.resolved_only |= args.resolved_only;
    if args.usage_ceiling.is_some() {
        o.usage_ceiling = args.usage_ceiling;
    }
    match args.first_load.as_deref() {
        None => {}
        Some("lists") => o.first_load = FirstLoadMode::Lists,
        Some("search-only") => o.first_load = FirstLoadMode::SearchOnly,
        Some(other) => return Err(format!("--first-load {other:?}: expected lists or search-only")),
    }
    match args.details.as_deref() {
        None => {}
        Some("after-core") => o.details = DetailsMode::AfterCore,
        Some("inline") => o.details = DetailsMode::Inline,
        Some(other) => return Err(format!("--details {other:?}: expected after-core or inline")),
    }
    if args.details_per_run.is_some() {
        o.details_per_run = args.details_per_run;
    }
    o.validate().map_err(|e| e.to_string())?;
    Ok(o)
}

/// A destination URL fit to print: the password of `user:password@` dropped.
fn without_password(dest: &str) -> String {
    match (dest.find("://"), dest.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = dest[scheme + 3..at].split(':').next().unwrap_or("");
            format!("{}{user}@{}", &dest[..scheme + 3], &dest[at + 1..])
        }
        _ => dest.to_owned(),
    }
}

fn parse_start(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    s.parse::<DateTime<Utc>>()
        .map_err(|_| format!("--start-date {s:?}: expected YYYY-MM-DD or an RFC 3339 instant"))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// `--describe [TABLE]`: the data dictionary (`docs/tables.md`), whole or one table.
fn describe(table: &str, json: bool) -> Result<ExitCode, String> {
    let d = kustomer::sync::dictionary::dictionary();
    let out = if table.is_empty() {
        if json {
            d.to_json()
        } else {
            d.index()
        }
    } else {
        let t = d
            .table(table)
            .ok_or_else(|| format!("--describe {table}: no such table (`--describe` lists them)"))?;
        if json {
            t.to_json()
        } else {
            d.describe(t)
        }
    };
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

async fn run(args: Args) -> Result<ExitCode, String> {
    if let Some(table) = &args.describe {
        return describe(table, args.json);
    }
    let options = sync_options(&args)?;
    let mut builder = Client::builder();
    if let Some(limit) = args.rate_limit {
        builder = builder.rate_limit(limit);
    }
    if let Some(limit) = args.search_rate_limit {
        builder = builder.search_rate_limit(limit);
    }
    let mut sim = None;
    if args.simulate {
        // A mid-sized demo org on a simulated 10,000 requests/min plan, so the
        // demo (which reads every table, ~6 detail requests per changed
        // conversation and customer) takes about a minute. Search keeps the
        // real 100/min limit; a real org is paced to its own plan.
        let config = SimConfig {
            size: OrgSize {
                customers: 500,
                conversations: 1_000,
                messages: 3_000,
                notes: 800,
                companies: 60,
                kobjects: 400,
                ..OrgSize::demo()
            },
            org_rate_limit: Some(10_000),
            ..SimConfig::demo()
        };
        let s = Simulator::start(config)
            .await
            .map_err(|e| format!("cannot start the simulator: {e}"))?;
        println!("Simulator with a demo org on {}", s.base_url());
        builder = builder.base_url(s.base_url()).token(s.token());
        sim = Some(s);
    } else {
        let token = std::env::var("KUSTOMER_API_TOKEN")
            .map_err(|_| "set KUSTOMER_API_TOKEN to an API key of your org (or use --simulate)".to_owned())?;
        builder = builder.token(token);
        builder = match (&args.base_url, &args.org, &args.region) {
            (Some(url), _, _) => builder.base_url(url.clone()),
            (None, Some(org), _) => builder.org(org.clone()),
            (None, None, Some(r)) => builder.region(r.parse::<Region>().map_err(|e| e.to_string())?),
            (None, None, None) => {
                return Err(
                    "say where to sync from: --simulate, --org NAME, --region us|eu|in or --base-url URL".into(),
                )
            }
        };
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    if args.check {
        // Nothing is written: the destination is not even opened.
        let report = kustomer::sync::check(&client, &options).await;
        if let Some(s) = sim {
            s.shutdown().await;
        }
        let report = report.map_err(|e| format!("check failed: {e}"))?;
        println!("{report}");
        return Ok(ExitCode::SUCCESS);
    }
    let dest = open_destination(&args)?;

    let bars = MultiProgress::with_draw_target(if args.quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    });
    let style = ProgressStyle::with_template("{spinner} {prefix:<14} {pos:>9} records  {msg}").expect("valid template");
    let by_stream: Arc<Mutex<HashMap<String, ProgressBar>>> = Arc::default();
    let engine = Engine::new(client, options).plan_first_load(true).on_progress({
        let bars = bars.clone();
        let by_stream = by_stream.clone();
        move |p| {
            let mut map = by_stream.lock().unwrap_or_else(|e| e.into_inner());
            match p {
                Progress::Started { stream } => {
                    let bar = bars.add(
                        ProgressBar::new_spinner()
                            .with_style(style.clone())
                            .with_prefix(stream.clone()),
                    );
                    bar.enable_steady_tick(Duration::from_millis(120));
                    map.insert(stream, bar);
                }
                Progress::Fetched { stream, records } => {
                    if let Some(b) = map.get(&stream) {
                        b.inc(records);
                    }
                }
                Progress::Finished { stream, error } => {
                    if let Some(b) = map.get(&stream) {
                        b.finish_with_message(match error {
                            None => "done".to_owned(),
                            Some(e) => format!("FAILED: {e}"),
                        });
                    }
                }
                _ => {}
            }
        }
    });
    let result = engine.run(dest).await;
    bars.clear().ok();
    let (report, mut dest) = result.map_err(|e| e.to_string())?;

    println!("\n{report}\n→ {}\n", without_password(&args.dest));
    println!("{:<40} {:>10}", "table", "rows");
    for s in report.streams.iter().filter(|s| s.skipped.is_none()) {
        for t in &s.tables {
            let rows = dest.row_count(t).map_err(|e| e.to_string())?;
            let indent = if t == &s.name { "" } else { "  " };
            println!("{indent}{t:<w$} {rows:>10}", w = 40 - indent.len());
        }
    }
    let failed: Vec<_> = report.streams.iter().filter(|s| s.error.is_some()).collect();
    for s in &failed {
        eprintln!("error: {} failed: {}", s.name, s.error.as_deref().unwrap_or_default());
    }
    if let Some(s) = sim {
        s.shutdown().await;
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
