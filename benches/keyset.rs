//! What the keyset planner costs: a whole read of a search context through
//! [`keyset_stream`] from an empty bookmark, against the simulator in this
//! process (loopback, no latency, no rate limit), so the figure is the
//! planner's queries, the client and decoding, plus the simulator serving
//! them; with a real API the requests' latency and the rate limit dominate,
//! so each case also prints how many requests a read takes.
//!
//! - `keyset/pages`: 2,000 conversations at 500 a page (page 1 of
//!   `updatedAt >= bookmark`, again and again);
//! - `keyset/tie_window`: 1,200 customers, 1,000 of them updated at one
//!   instant, at 100 a page: the planner pages through the tie window.
//!
//! Throughput is records/s. Run: `cargo bench --bench keyset` (add
//! `-- --quick` for a short run).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures::TryStreamExt;
use kustomer::api::search::QueryContext;
use kustomer::api::Client;
use kustomer::models::{Conversation, Customer, Entity};
use kustomer::sync::{keyset_stream, Bookmark, KeysetOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use tokio::runtime::Runtime;

/// A client with limits high enough never to wait.
fn client(sim: &Simulator) -> Client {
    Client::builder()
        .base_url(sim.base_url())
        .token(sim.token())
        .rate_limit(1_000_000)
        .search_rate_limit(1_000_000)
        .build()
        .expect("client")
}

/// Reads `E` in full from an empty bookmark; the number of records read.
async fn read_all<E: Entity>(client: Client, context: QueryContext, page_size: u32) -> usize {
    let mut opts = KeysetOptions::new(context);
    opts.page_size = page_size;
    let batches: Vec<_> = keyset_stream::<E>(client, opts, Bookmark::default())
        .try_collect()
        .await
        .expect("keyset read");
    batches.iter().map(|b| b.records.len()).sum()
}

/// One case: an org, and how to read it.
fn bench_case<E: Entity>(c: &mut Criterion, rt: &Runtime, name: &str, sim: &Simulator, ctx: QueryContext, page: u32) {
    let client = client(sim);
    sim.reset_stats();
    let records = rt.block_on(read_all::<E>(client.clone(), ctx.clone(), page));
    println!(
        "keyset/{name}: {records} records in {} requests at {page} a page",
        sim.stats().requests
    );
    let mut group = c.benchmark_group("keyset");
    group
        .throughput(Throughput::Elements(records as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| rt.block_on(read_all::<E>(client.clone(), ctx.clone(), page)))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let start = |size: OrgSize| {
        rt.block_on(Simulator::start(SimConfig {
            size,
            ..SimConfig::default()
        }))
        .expect("start the simulator")
    };

    let sim = start(OrgSize {
        conversations: 2_000,
        ..OrgSize::tiny()
    });
    bench_case::<Conversation>(c, &rt, "pages", &sim, QueryContext::Conversation, 500);
    rt.block_on(sim.shutdown());

    let sim = start(OrgSize {
        customers: 1_200,
        ..OrgSize::tiny()
    });
    let tied = sim.with_org(|org| org.touch_many_at_once(Kind::Customer, 1_000)).len();
    assert_eq!(tied, 1_000, "customers updated at one instant");
    bench_case::<Customer>(c, &rt, "tie_window", &sim, QueryContext::Customer, 100);
    rt.block_on(sim.shutdown());
}

criterion_group!(keyset, benches);
criterion_main!(keyset);
