//! Minimal reproductions of DuckDB's own behaviour, ignored (measurements,
//! not checks); run one at a time to read the process's own peak:
//! `cargo test --release --workspace --lib repro -- --ignored --nocapture`.
//! - What a primary key costs in memory on a load: 1 M rows appended in 200
//!   transactions into a file database, with and without `PRIMARY KEY (id)`.
//! - What a checkpoint needs: a table of 150 columns of random strings,
//!   500 rows per transaction, with DuckDB's own checkpoints (every 16 MB of
//!   log) under a 100 MiB limit, fails FATAL past its first row group; the
//!   same rows checkpointed with the limit lifted (`memory::checkpoint`) load.

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

fn wide(lifted: bool) {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("wide.duckdb")).unwrap();
    let threshold = if lifted { "1TB" } else { "16MB" };
    conn.execute_batch(&format!(
        "SET threads = 1; SET memory_limit = '100MiB'; SET checkpoint_threshold = '{threshold}'"
    ))
    .unwrap();
    let cols: Vec<String> = (0..150).map(|i| format!("c{i} VARCHAR")).collect();
    conn.execute_batch(&format!("CREATE TABLE t ({})", cols.join(", ")))
        .unwrap();
    let values: Vec<String> = (0..150).map(|i| format!("md5((i * {}) :: VARCHAR)", i + 1)).collect();
    let mut outcome = "all 150 k rows loaded".to_owned();
    for b in 0..300 {
        let sql = format!(
            "INSERT INTO t SELECT {} FROM range({}, {}) r(i)",
            values.join(", "),
            b * 500,
            (b + 1) * 500
        );
        let done = conn.execute_batch(&sql).map_err(|e| e.to_string());
        let done = done.and_then(|()| match lifted {
            true => super::memory::checkpoint(&conn, super::memory::CHECKPOINT_EVERY).map_err(|e| e.to_string()),
            false => Ok(()),
        });
        if let Err(e) = done {
            outcome = format!(
                "failed after {} rows: {}",
                b * 500,
                e.lines().next().unwrap_or_default()
            );
            break;
        }
    }
    println!(
        "150 columns, limit lifted for checkpoints: {lifted}: {outcome}; peak {} MB",
        rss_mb("VmHWM:")
    );
}

#[test]
#[ignore = "measurement"]
fn repro_wide_checkpoint() {
    wide(false);
}

#[test]
#[ignore = "measurement"]
fn repro_wide_checkpoint_lifted() {
    wide(true);
}
