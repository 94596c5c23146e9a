//! A minimal reproduction of what a primary key costs DuckDB (1.2) in
//! memory on a load: 1 M rows appended in 200 transactions into a file
//! database, with and without `PRIMARY KEY (id)`. Ignored (a measurement,
//! not a check); run one at a time to read the process's own peak:
//! `cargo test --release -p kustomer-sync --lib repro -- --ignored --nocapture`.

use duckdb::Connection;

fn rss_mb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn load(key: &str, limit: &str) {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("repro.duckdb")).unwrap();
    conn.execute_batch(&format!(
        "SET threads = 1; SET memory_limit = '{limit}'; CREATE TABLE t (id VARCHAR{key}, body VARCHAR)"
    ))
    .unwrap();
    let start = rss_mb("VmRSS:");
    let mut failed = None;
    for b in 0..200 {
        let sql = format!(
            "INSERT INTO t SELECT md5(i::VARCHAR)[1:24], repeat('x', 200) FROM range({}, {}) r(i)",
            b * 5000,
            (b + 1) * 5000
        );
        if let Err(e) = conn.execute_batch(&sql) {
            failed = Some(format!("after {} rows: {e}", b * 5000));
            break;
        }
    }
    let tags: Vec<(String, i64)> = conn
        .prepare("SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    println!(
        "key={key:?} limit={limit}: RSS {start} -> {} MB (peak {} MB); duckdb_memory: {tags:?}; {}",
        rss_mb("VmRSS:"),
        rss_mb("VmHWM:"),
        failed.as_deref().unwrap_or("all 1 M rows loaded")
    );
}

#[test]
#[ignore = "measurement"]
fn repro_load_with_primary_key() {
    load(" PRIMARY KEY", "64MB");
}

#[test]
#[ignore = "measurement"]
fn repro_load_without_key() {
    load("", "64MB");
}
