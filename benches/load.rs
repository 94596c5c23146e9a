//! What the writer pays per batch: one `Destination::write` of 2,000 messages
//! and their child rows (the engine's batch of four search pages), through
//! the public `kustomer::sync::dest` API, into each destination:
//!
//! - `duckdb`: a DuckDB file in a temporary directory;
//! - `delta`: Delta tables on local disk in a temporary directory;
//! - `postgres`: a fresh schema on the server `KUSTOMER_TEST_PG` names
//!   (skipped, with a printed line, when it is not set).
//!
//! Each has two functions, with rows/s as the throughput:
//!
//! - `insert`: records no earlier batch wrote (a first load);
//! - `upsert`: the same 2,000 records written again (an incremental sync of
//!   stored records: staging and merge).
//!
//! Batches are built outside the timed part, and the tables grow from one
//! iteration to the next, as in a sync. A whole load with its final
//! checkpoint, and its peak memory, is `examples/bench_sync.rs --load-rows`.
//!
//! Run: `cargo bench --bench load` (add `-- --quick` for a short run).

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use kustomer::sync::dest::{self, Destination};

#[path = "support/messages.rs"]
mod messages;
use messages::Messages;

/// Records per batch.
const RECORDS: usize = 2_000;

/// A destination to measure: its name, and its `--dest` for a function
/// (each function writes to a destination of its own).
struct Target {
    name: &'static str,
    spec: Box<dyn Fn(&str) -> String>,
}

impl Target {
    /// An empty destination for `function`, its tables created.
    fn open(&self, function: &str, messages: &Messages) -> Box<dyn Destination> {
        let spec = (self.spec)(function);
        let mut db = dest::open(&spec).unwrap_or_else(|e| panic!("open {}: {e}", self.name));
        db.prepare(messages.tables()).expect("prepare");
        db
    }
}

/// The destinations this run can reach, each in a directory or schema of its own.
fn targets(dir: &std::path::Path) -> Vec<Target> {
    let at = |sub: &str| dir.join(sub).display().to_string();
    let (duckdb, delta) = (at("duckdb"), at("delta"));
    std::fs::create_dir_all(&duckdb).expect("create the DuckDB directory");
    let mut out = vec![
        Target {
            name: "duckdb",
            spec: Box::new(move |f| format!("{duckdb}/{f}.duckdb")),
        },
        Target {
            name: "delta",
            spec: Box::new(move |f| format!("delta://{delta}/{f}")),
        },
    ];
    match std::env::var("KUSTOMER_TEST_PG") {
        Ok(server) => {
            let sep = if server.contains('?') { '&' } else { '?' };
            let prefix = format!("bench_load_{}", std::process::id());
            out.push(Target {
                name: "postgres",
                spec: Box::new(move |f| format!("{server}{sep}schema={prefix}_{f}")),
            });
        }
        Err(_) => println!("load/postgres: skipped (set KUSTOMER_TEST_PG to a server's URL to measure it)"),
    }
    out
}

/// Drops the schemas the PostgreSQL target made (the server is a shared one).
fn drop_pg_schemas(functions: &[&str]) {
    let Ok(server) = std::env::var("KUSTOMER_TEST_PG") else {
        return;
    };
    let prefix = format!("bench_load_{}", std::process::id());
    let sql: String = (functions.iter())
        .map(|f| format!("DROP SCHEMA IF EXISTS \"{prefix}_{f}\" CASCADE;"))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dropped = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&server, tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        client.batch_execute(&sql).await
    });
    if let Err(e) = dropped {
        eprintln!("load/postgres: could not drop the bench schemas {prefix}_*: {e}");
    }
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut messages = Messages::generate();
    let rows = messages.fresh(RECORDS).1;
    println!("load: batches of {RECORDS} records, {rows} rows (messages + child rows)");
    for target in targets(dir.path()) {
        let mut group = c.benchmark_group(format!("load/{}", target.name));
        // Writes of tens of milliseconds to seconds: few, equal samples.
        group
            .throughput(Throughput::Elements(rows as u64))
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(5));

        let mut db = target.open("insert", &messages);
        group.bench_function(BenchmarkId::from_parameter("insert"), |b| {
            b.iter_custom(|iters| {
                let mut took = Duration::ZERO;
                for _ in 0..iters {
                    let (records, _) = messages.fresh(RECORDS);
                    let batch = messages.batch(records);
                    let started = Instant::now();
                    db.write(batch).expect("write");
                    took += started.elapsed();
                }
                took
            })
        });
        db.finish().expect("finish");
        drop(db);

        let mut db = target.open("upsert", &messages);
        let stored = messages.fresh(RECORDS).0;
        db.write(messages.batch(stored.clone())).expect("first write");
        group.bench_function(BenchmarkId::from_parameter("upsert"), |b| {
            b.iter_custom(|iters| {
                let mut took = Duration::ZERO;
                for _ in 0..iters {
                    let batch = messages.batch(stored.clone());
                    let started = Instant::now();
                    db.write(batch).expect("write");
                    took += started.elapsed();
                }
                took
            })
        });
        db.finish().expect("finish");
        group.finish();
    }
    drop_pg_schemas(&["insert", "upsert"]);
}

criterion_group!(load, benches);
criterion_main!(load);
