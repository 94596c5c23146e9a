//! First-load benchmark: a five-year-old simulated org loaded twice, once
//! through search alone (the peers' way: 100 searches a minute, and only the
//! last two years) and once through the GET lists and search at once.
//!
//! ```text
//! cargo run --release --example bench_first_load
//! cargo run --release --example bench_first_load -- --scale 4 --rate-limit 1000 --search-rate-limit 100
//! ```
//! Prints, per mode: records loaded, requests per budget, wall time, the
//! floor of each budget (its requests ÷ its allowed rate under the usage
//! ceiling), and the ratio of the two-budget load to the search-only floor
//! (the time search alone needs for every record: records ÷ 500 a page).
//!
//! Rates default to Kustomer's Ultimate plan (2,000/min) and its search limit
//! for API keys (100/min), with 50–200 ms per request; the org has ~150,000
//! records (it runs in about two minutes).

use std::time::{Duration, Instant};

use clap::Parser;
use kustomer::api::Client;
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::{Engine, FirstLoadMode, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};

#[derive(Parser, Debug)]
struct Args {
    /// The org's rate limit per minute.
    #[arg(long, default_value_t = 2_000)]
    rate_limit: u32,
    /// The search sub-limit per minute.
    #[arg(long, default_value_t = 100)]
    search_rate_limit: u32,
    /// Per-request latency range in milliseconds.
    #[arg(long, default_value = "50-200")]
    latency_ms: String,
    /// Share of the limits the sync may use.
    #[arg(long, default_value_t = 0.9)]
    usage_ceiling: f64,
    /// Org size multiplier (1: 5,000 customers, 8,000 conversations, 20,000 messages, …).
    #[arg(long, default_value_t = 4)]
    scale: usize,
    /// Skip the search-only run.
    #[arg(long)]
    lists_only: bool,
}

const TABLES: [&str; 6] = [
    "customers",
    "conversations",
    "messages",
    "notes",
    "companies",
    "kobjects",
];
const KINDS: [Kind; 6] = [
    Kind::Customer,
    Kind::Conversation,
    Kind::Message,
    Kind::Note,
    Kind::Company,
    Kind::KObject,
];

struct Run {
    loaded: i64,
    requests: u64,
    searches: u64,
    throttled: u64,
    wall: Duration,
    /// The plan's estimate (what `sync --check` prints), in seconds.
    planned: Option<f64>,
    planned_requests: Option<(u64, u64)>,
}

async fn first_load(args: &Args, sim: &Simulator, mode: FirstLoadMode) -> anyhow::Result<Run> {
    let client = Client::builder()
        .base_url(sim.base_url())
        .token(sim.token())
        .rate_limit(args.rate_limit)
        .search_rate_limit(args.search_rate_limit)
        .usage_ceiling(args.usage_ceiling)
        .build()?;
    let dir = tempfile::tempdir()?;
    let dest = DuckDbDestination::open(dir.path().join("bench.duckdb"))?;
    let options = SyncOptions::default()
        .with_tables(TABLES)
        // Per-parent detail lists cost the same in both modes: leave them out.
        .with_exclude_tables([
            "conversation_events",
            "conversation_times",
            "conversation_forwards",
            "conversation_attachments",
            "customer_drafts",
            "customer_merges",
        ])
        .with_first_load(mode)
        .with_max_concurrent_streams(6);
    let started = Instant::now();
    let (report, dest) = Engine::new(client, options).plan_first_load(true).run(dest).await?;
    let wall = started.elapsed();
    anyhow::ensure!(report.is_success(), "the sync failed:\n{report}");
    let mut loaded = 0;
    for (t, kind) in TABLES.into_iter().zip(KINDS) {
        let n: i64 = dest
            .connection()
            .query_row(&format!("SELECT count(*) FROM {t} WHERE NOT _deleted"), [], |r| {
                r.get(0)
            })?;
        loaded += n;
        let live = sim.with_org(|org| org.live_records(kind).len()) as i64;
        if n != live {
            println!("  {t}: {n} loaded of {live} live");
        }
    }
    Ok(Run {
        loaded,
        requests: report.client.requests,
        searches: report.client.search_requests,
        throttled: report.client.throttled,
        wall,
        planned: report.plan.as_ref().map(|p| p.estimate_minutes * 60.0),
        planned_requests: report
            .plan
            .as_ref()
            .map(|p| (p.org_requests + p.search_requests, p.search_requests)),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (lo, hi) = args
        .latency_ms
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .ok_or_else(|| anyhow::anyhow!("--latency-ms LO-HI"))?;
    let s = args.scale;
    let sim = Simulator::start(SimConfig {
        size: OrgSize {
            customers: 5_000 * s,
            conversations: 8_000 * s,
            messages: 20_000 * s,
            notes: 3_000 * s,
            companies: 500 * s,
            kobjects: 1_500 * s,
            ..OrgSize::demo()
        },
        history_days: 1825,
        org_rate_limit: Some(args.rate_limit),
        search_rate_limit: Some(args.search_rate_limit),
        latency: Duration::from_millis(lo)..Duration::from_millis(hi.max(lo + 1)),
        ..SimConfig::default()
    })
    .await?;
    let live: usize = sim.with_org(|org| KINDS.iter().map(|k| org.live_records(*k).len()).sum());
    let per_s = |per_min: u32| f64::from(per_min) * args.usage_ceiling / 60.0;
    let (org_rate, search_rate) = (per_s(args.rate_limit), per_s(args.search_rate_limit));
    // Search alone, could it see everything: one request per 500 records.
    let search_only_floor = (live as f64 / 500.0).ceil() / search_rate;
    println!(
        "org: {live} live records over five years; limits {}/min (search {}/min), ceiling {}, latency {}ms",
        args.rate_limit, args.search_rate_limit, args.usage_ceiling, args.latency_ms
    );
    let report = |name: &str, r: &Run| {
        let floor_search = r.searches as f64 / search_rate;
        let floor_org = r.requests as f64 / org_rate;
        println!(
            "{name:<12} loaded {:>7} of {live} | {:>5} requests ({:>4} search) | 429s {} | wall {:>6.1} s | floors: search {:>6.1} s, org {:>6.1} s",
            r.loaded,
            r.requests,
            r.searches,
            r.throttled,
            r.wall.as_secs_f64(),
            floor_search,
            floor_org
        );
        if let (Some(est), Some((req, search))) = (r.planned, r.planned_requests) {
            println!(
                "{:<12} planned (as sync --check): {req} requests ({search} search), {est:.1} s; wall ÷ plan = {:.2}",
                "",
                r.wall.as_secs_f64() / est.max(f64::MIN_POSITIVE)
            );
        }
    };
    if !args.lists_only {
        let r = first_load(&args, &sim, FirstLoadMode::SearchOnly).await?;
        report("search only", &r);
    }
    let r = first_load(&args, &sim, FirstLoadMode::Lists).await?;
    report("both", &r);
    // Under the real limits most records are read on the org budget, so the
    // run is judged against the larger of its own two floors.
    let floor = (r.searches as f64 / search_rate).max(r.requests as f64 / org_rate);
    println!(
        "wall {:.1} s = {:.2} × the larger of its budgets' floors ({floor:.1} s); reading every record by search alone would take {search_only_floor:.1} s",
        r.wall.as_secs_f64(),
        r.wall.as_secs_f64() / floor.max(f64::MIN_POSITIVE)
    );
    sim.shutdown().await;
    Ok(())
}
