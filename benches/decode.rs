//! "Decode at the speed of JSON parsing": typed decoding of realistic list pages
//! against `serde_json::Value` as the baseline.
//!
//! For customers, conversations, messages and KObjects, pages of 100 and 500
//! records are built from a generated org ([`kustomer_sim::Org`]) in the envelope
//! search serves (`meta`, `links`, `data`), serialised to bytes once. Each
//! (entity, page size) group measures, with byte throughput (MB/s):
//!
//! - `value`: `serde_json::from_slice::<Value>`, the baseline;
//! - `typed`: [`kustomer::models::decode`] into `Page<E>`, the client's decode path;
//! - `typed+flatten`: the same plus [`Entity::flatten`] of every record.
//!
//! A summary at the end reads criterion's estimates back and prints MB/s,
//! records/s and the ratios to `value` (targets: typed ≥ 1.0×, typed+flatten ≥ 0.7×).
//!
//! Run: `cargo bench --bench decode` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use kustomer::models::{decode, Conversation, Customer, Entity, KObject, Message, Page};
use kustomer_sim::{Kind, Org, OrgSize, SimConfig};
use serde_json::{json, Value};

/// Page sizes measured (search serves up to 500).
const PAGE_SIZES: [usize; 2] = [100, 500];
/// The three measured functions, in summary order.
const FUNCTIONS: [&str; 3] = ["value", "typed", "typed+flatten"];

/// One prepared page: its serialised body and how many records it holds.
struct Body {
    entity: &'static str,
    records: usize,
    bytes: Vec<u8>,
}

/// The org the pages are cut from: the demo size (2,000 customers, 4,000
/// conversations, 12,000 messages, 1,500 KObjects) so a 500-record page of
/// live records exists for every kind.
fn org() -> Org {
    Org::generate(&SimConfig {
        size: OrgSize::demo(),
        ..SimConfig::default()
    })
}

/// Whether the org would hide the record from a search (soft-deleted).
fn is_deleted(record: &Value) -> bool {
    let attrs = &record["attributes"];
    attrs["deleted"].as_bool().unwrap_or(false) || attrs["deletedAt"].is_string()
}

/// Page 1 of `size` live records of `kind`, in the envelope `POST
/// /v1/customers/search` serves (meta, links, data; see kustomer-sim's
/// `paging::envelope` with `Totals::Search`).
fn page_body(org: &Org, kind: Kind, size: usize) -> (usize, Vec<u8>) {
    let live: Vec<Value> = org.records(kind).into_iter().filter(|r| !is_deleted(r)).collect();
    assert!(
        live.len() >= size,
        "{kind:?}: only {} live records for a page of {size}",
        live.len()
    );
    let total = live.len();
    let href = |page: usize| format!("/v1/customers/search?page={page}&pageSize={size}");
    let body = json!({
        "meta": {
            "pageSize": size,
            "page": 1,
            "total": total,
            "totalPages": total.div_ceil(size),
            "aggregations": {},
            "timed_out": false,
        },
        "links": {
            "self": href(1),
            "first": href(1),
            "prev": null,
            "next": href(2),
            "last": href(total.div_ceil(size)),
        },
        "data": &live[..size],
    });
    (size, serde_json::to_vec(&body).expect("serialise page"))
}

/// Checks the page takes the strict fast path of [`decode`] (the lenient
/// retry would double the cost) and that it decodes at all.
fn check<E: Entity>(body: &Body) {
    let strict = serde_json::from_slice::<Page<E>>(&body.bytes);
    if let Err(e) = &strict {
        eprintln!(
            "warning: {} page of {}: strict decode fails ({e}); `typed` measures the lenient retry",
            body.entity, body.records
        );
    }
    let page: Page<E> = decode(&body.bytes).unwrap_or_else(|e| panic!("{}: {e}", body.entity));
    assert_eq!(page.data.len(), body.records, "{}: record count", body.entity);
}

fn group_name(entity: &str, records: usize) -> String {
    format!("decode/{entity}/{records}")
}

/// Measures one page: `value`, `typed` and `typed+flatten`.
fn bench_page<E: Entity>(c: &mut Criterion, body: &Body) {
    check::<E>(body);
    let bytes = body.bytes.as_slice();
    let mut group = c.benchmark_group(group_name(body.entity, body.records));
    group
        .throughput(Throughput::Bytes(bytes.len() as u64))
        .sample_size(20)
        .warm_up_time(Duration::from_millis(750))
        .measurement_time(Duration::from_secs(3));
    group.bench_function(BenchmarkId::from_parameter(FUNCTIONS[0]), |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(bytes)).unwrap())
    });
    group.bench_function(BenchmarkId::from_parameter(FUNCTIONS[1]), |b| {
        b.iter(|| decode::<Page<E>>(black_box(bytes)).unwrap())
    });
    group.bench_function(BenchmarkId::from_parameter(FUNCTIONS[2]), |b| {
        b.iter(|| {
            let page = decode::<Page<E>>(black_box(bytes)).unwrap();
            for record in page.data {
                black_box(record.flatten());
            }
        })
    });
    group.finish();
}

/// Every page, built once (the org is generated once for all of them).
fn bodies() -> Vec<Body> {
    let org = org();
    let kinds = [
        ("customers", Kind::Customer),
        ("conversations", Kind::Conversation),
        ("messages", Kind::Message),
        ("kobjects", Kind::KObject),
    ];
    let mut out = Vec::new();
    for (entity, kind) in kinds {
        for size in PAGE_SIZES {
            let (records, bytes) = page_body(&org, kind, size);
            out.push(Body { entity, records, bytes });
        }
    }
    out
}

fn benches(c: &mut Criterion) {
    let bodies = bodies();
    for body in &bodies {
        match body.entity {
            "customers" => bench_page::<Customer>(c, body),
            "conversations" => bench_page::<Conversation>(c, body),
            "messages" => bench_page::<Message>(c, body),
            "kobjects" => bench_page::<KObject>(c, body),
            other => unreachable!("{other}"),
        }
    }
    summary(&bodies);
}

/// Where criterion writes its results (the same lookup criterion does, minus
/// `cargo metadata`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// Criterion's typical time per iteration (slope, else mean), in seconds, of a
/// benchmark measured by this process (older results are ignored).
fn seconds_per_iter(dir: &Path, group: &str, function: &str, since: SystemTime) -> Option<f64> {
    // Criterion's directory names replace `/` (and other path characters) with `_`.
    let safe = |s: &str| s.replace(['/', '\\', '?', '"', '<', '>', '|', '*', ':'], "_");
    let path = dir
        .join(safe(group))
        .join(safe(function))
        .join("new")
        .join("estimates.json");
    if std::fs::metadata(&path).and_then(|m| m.modified()).ok()? < since {
        return None;
    }
    let estimates: Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    let ns = estimates["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| estimates["mean"]["point_estimate"].as_f64())?;
    Some(ns * 1e-9)
}

/// Prints MB/s, records/s and the ratios to `value` for every page measured.
fn summary(bodies: &[Body]) {
    let since = *START.get_or_init(SystemTime::now);
    let dir = criterion_dir();
    println!();
    println!("summary (MB = 10^6 bytes; ratio = throughput ÷ value's; targets typed ≥ 1.00, typed+flatten ≥ 0.70)");
    println!(
        "{:<14} {:>5} {:>9} | {:>8} {:>8} {:>8} | {:>9} {:>9} {:>9} | {:>6} {:>6}",
        "entity", "page", "bytes", "value", "typed", "t+flat", "value", "typed", "t+flat", "typed", "t+flat"
    );
    println!(
        "{:<14} {:>5} {:>9} | {:>26} | {:>29} | {:>13}",
        "", "", "", "MB/s", "records/s", "÷ value"
    );
    for body in bodies {
        let group = group_name(body.entity, body.records);
        let secs: Vec<Option<f64>> = FUNCTIONS
            .iter()
            .map(|f| seconds_per_iter(&dir, &group, f, since))
            .collect();
        if secs.iter().all(Option::is_none) {
            continue;
        }
        let fmt = |v: Option<f64>, scale: f64, width: usize| match v {
            Some(s) => format!("{:>width$.1}", scale / s),
            None => format!("{:>width$}", "-"),
        };
        let mbps = secs.iter().map(|s| fmt(*s, body.bytes.len() as f64 / 1e6, 8));
        let rps = secs.iter().map(|s| fmt(*s, body.records as f64, 9));
        let ratio = |i: usize| match (secs[0], secs[i]) {
            (Some(v), Some(t)) => format!("{:>6.2}", v / t),
            _ => format!("{:>6}", "-"),
        };
        println!(
            "{:<14} {:>5} {:>9} | {} | {} | {} {}",
            body.entity,
            body.records,
            body.bytes.len(),
            mbps.collect::<Vec<_>>().join(" "),
            rps.collect::<Vec<_>>().join(" "),
            ratio(1),
            ratio(2),
        );
    }
}

/// When this process started measuring; results older than this are stale.
static START: std::sync::OnceLock<SystemTime> = std::sync::OnceLock::new();

criterion_group!(decode_benches, benches);

fn main() {
    START.get_or_init(SystemTime::now);
    decode_benches();
    Criterion::default().configure_from_args().final_summary();
}
