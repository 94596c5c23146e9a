//! The Delta destination read back by a reader that is not ours: the
//! `deltalake` Python package (`DeltaTable(uri).to_pyarrow_table()`) must
//! give, for every table, exactly the rows the DuckDB destination holds
//! after the same sync (the run instants `_synced_at` and `_deleted_at`
//! compared as set / not set). Without Python's `deltalake` the test prints
//! `skipped: …`, unless `KUSTOMER_TEST_PY_DELTA=1` says it must be there.
//! The conformance suite (tests/conformance.rs) covers the rest.

mod support;

use std::path::Path;
use std::process::Command;

use kustomer::sync::dest::delta::DeltaDestination;
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::{self, Destination, DELETED_AT, SYNCED_AT};
use kustomer::sync::{Engine, SyncOptions};
use kustomer_sim::{OrgSize, SimConfig, Simulator};
use support::crash::{kill_repeatedly, spawn_sync};
use support::sim_client;

const READ: &str = r#"
import json, os, sys
import pyarrow as pa, pyarrow.parquet as pq
from deltalake import DeltaTable
out, root, names = sys.argv[1], sys.argv[2], sys.argv[3:]
opts = {}
if root.startswith("s3://"):
    opts = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")}
    opts["AWS_ALLOW_HTTP"] = "true"
for name in names:
    dt = DeltaTable(root.rstrip("/") + "/" + name, storage_options=opts)
    # The meanings the data dictionary gave the table and its fields.
    about = {"table": dt.metadata().description,
             "columns": {f.name: f.metadata.get("comment") for f in dt.schema().fields}}
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(about, f)
    t = dt.to_pyarrow_table()
    # Naive UTC timestamps, as DuckDB's TIMESTAMP columns hold them.
    fields = [pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f for f in t.schema]
    pq.write_table(t.cast(pa.schema(fields)), os.path.join(out, name + ".parquet"))
# Every file is written and closed: skip the interpreter's teardown, where
# deltalake's native threads now and then abort ("terminate called without
# an active exception") after the work is done.
sys.stdout.flush()
os._exit(0)
"#;

fn python_deltalake() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import deltalake, pyarrow"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("KUSTOMER_TEST_PY_DELTA").is_none(),
            "KUSTOMER_TEST_PY_DELTA is set but python3 cannot import deltalake"
        );
        eprintln!("skipped: python3 lacks the deltalake package (pip install deltalake pyarrow)");
    }
    ok
}

/// Syncs the simulator into DuckDB and into `lake`, has Python read every
/// table of `lake`, and compares each with DuckDB's.
async fn python_reads_duckdbs_rows(lake: &str) {
    let sim = Simulator::start(SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ref.duckdb");
    let opts = SyncOptions::default().with_history(true);
    let mut tables = Vec::new();
    for spec in [db.to_string_lossy().into_owned(), lake.to_owned()] {
        let dest = dest::open(&spec).unwrap();
        let (report, _) = Engine::new(sim_client(&sim), opts.clone()).run(dest).await.unwrap();
        assert!(report.is_success(), "{spec}: {report:#?}");
        tables = report.streams.iter().flat_map(|s| s.tables.clone()).collect();
    }
    tables.sort();
    tables.dedup();
    let out = dir.path().join("py");
    std::fs::create_dir_all(&out).unwrap();
    let root = lake.strip_prefix("delta://").unwrap_or(lake);
    let status = Command::new("python3")
        .args(["-c", READ, &out.to_string_lossy(), root])
        .args(&tables)
        .status()
        .unwrap();
    assert!(status.success(), "python3 could not read the Delta tables");
    let reference = DuckDbDestination::open(&db).unwrap();
    let mut compared = 0;
    for t in &tables {
        compared += assert_same_rows(&reference, t, &out.join(format!("{t}.parquet")));
        assert_same_comments(&reference, t, &out.join(format!("{t}.json")));
    }
    assert!(compared > 100, "only {compared} rows compared");
}

/// The Delta table `t` carries DuckDB's comments: its description and each
/// field's `comment` metadata.
fn assert_same_comments(db: &DuckDbDestination, t: &str, file: &Path) {
    let about: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let conn = db.connection();
    let table: Option<String> = conn
        .query_row("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [t], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        table.as_deref().is_some_and(|c| !c.is_empty()),
        "{t}: DuckDB has no comment"
    );
    assert_eq!(about["table"].as_str(), table.as_deref(), "{t}: description");
    let mut stmt = conn
        .prepare("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ?")
        .unwrap();
    let columns: Vec<(String, Option<String>)> = stmt
        .query_map([t], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (column, comment) in columns {
        assert_eq!(
            about["columns"][&column].as_str(),
            comment.as_deref(),
            "{t}.{column}: comment"
        );
    }
}

/// DuckDB's table `t` and the parquet file Python wrote hold the same rows
/// (a multiset); returns how many.
fn assert_same_rows(db: &DuckDbDestination, t: &str, file: &Path) -> usize {
    let conn = db.connection();
    let mut stmt = conn
        .prepare("SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position")
        .unwrap();
    let cols: Vec<String> = stmt
        .query_map([t], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!cols.is_empty(), "DuckDB has no table {t}");
    let select = cols
        .iter()
        .map(|c| {
            if c == SYNCED_AT || c == DELETED_AT {
                format!("(\"{c}\" IS NULL) AS \"{c}\"")
            } else {
                format!("\"{c}\"::VARCHAR AS \"{c}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mine = format!("SELECT {select} FROM \"{t}\"");
    let theirs = format!("SELECT {select} FROM read_parquet('{}')", file.display());
    let count = |sql: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM ({sql})"), [], |r| r.get(0))
            .unwrap()
    };
    let missing = count(&format!("{mine} EXCEPT ALL {theirs}"));
    let extra = count(&format!("{theirs} EXCEPT ALL {mine}"));
    let n = count(&mine);
    assert_eq!(
        (missing, extra),
        (0, 0),
        "{t}: rows DuckDB has and Python lacks, and the reverse ({n} rows)"
    );
    n as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_deltalake_reads_duckdbs_rows_on_local_disk() {
    if !python_deltalake() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    python_reads_duckdbs_rows(&format!("delta://{}", dir.path().join("lake").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_deltalake_reads_duckdbs_rows_on_s3() {
    let Some(bucket) = support::s3::bucket("pyread") else {
        return;
    };
    if !python_deltalake() {
        return;
    }
    python_reads_duckdbs_rows(&format!("{bucket}/lake")).await;
}

// ------------------------------------------------------------ crash, resume

/// Every table of a lake (bookkeeping left out) as sorted rows of text,
/// columns by name, the run instants left out.
fn lake_rows(spec: &str, names: &[String]) -> Vec<(String, Vec<String>)> {
    let mut lake = DeltaDestination::open(spec).unwrap();
    names
        .iter()
        .map(|t| {
            let db = lake.read_table(t).unwrap();
            let conn = db.connection();
            let mut stmt = conn
                .prepare("SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY column_name")
                .unwrap();
            let cols: Vec<String> = stmt
                .query_map([t], |r| r.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap)
                .filter(|c| c != SYNCED_AT && c != DELETED_AT)
                .map(|c| format!("coalesce(\"{c}\"::VARCHAR, '∅')"))
                .collect();
            let sql = format!("SELECT concat_ws('|', {}) FROM \"{t}\" ORDER BY 1", cols.join(", "));
            let mut stmt = conn.prepare(&sql).unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
            (t.clone(), rows.map(Result::unwrap).collect())
        })
        .collect()
}

/// The sync example, killed with SIGKILL at seeded random moments and
/// restarted each time, leaves the lake equal to one clean run's
/// (`KUSTOMER_CRASH_KILLS`, default 8).
async fn killed_runs_end_equal_to_a_clean_run(crashed: &str, clean: &str) {
    let kills: u64 = std::env::var("KUSTOMER_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let sim = Simulator::start(SimConfig {
        size: OrgSize {
            customers: 150,
            conversations: 300,
            messages: 1_000,
            notes: 200,
            companies: 20,
            kobjects: 100,
            ..OrgSize::demo()
        },
        org_rate_limit: Some(60_000),
        search_rate_limit: Some(6_000),
        latency: std::time::Duration::from_micros(300)..std::time::Duration::from_millis(2),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let killed_mid_run = kill_repeatedly(
        &sim,
        crashed,
        kills,
        0x5eed_de17_a000_0001,
        std::time::Duration::from_millis(300),
        std::time::Duration::from_millis(2_500),
    )
    .await;
    assert!(
        killed_mid_run >= kills / 2,
        "only {killed_mid_run} kills landed mid-run"
    );
    assert!(
        spawn_sync(&sim, crashed, &[], true).wait().unwrap().success(),
        "the resumed run failed"
    );
    assert!(
        spawn_sync(&sim, clean, &[], true).wait().unwrap().success(),
        "the clean run failed"
    );
    let mut names: Vec<String> = Vec::new();
    let mut clean_lake = DeltaDestination::open(clean).unwrap();
    for t in ["customers", "conversations", "messages", "notes", "companies"] {
        assert!(clean_lake.row_count(t).unwrap() > 0, "{t} is empty");
    }
    names.extend(
        clean_lake
            .list_tables()
            .unwrap()
            .into_iter()
            .filter(|n| !n.starts_with('_')),
    );
    assert!(names.len() > 100, "{names:?}");
    names.sort();
    let (a, b) = (lake_rows(clean, &names), lake_rows(crashed, &names));
    let mut compared = 0;
    for ((t, want), (_, got)) in a.iter().zip(&b) {
        assert_eq!(got, want, "{t}: the crashed lake differs from the clean one");
        compared += want.len();
    }
    assert!(compared > 2_000, "only {compared} rows compared");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runs_on_local_disk_end_equal_to_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let at = |n: &str| format!("delta://{}", dir.path().join(n).display());
    killed_runs_end_equal_to_a_clean_run(&at("crashed"), &at("clean")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runs_on_s3_end_equal_to_a_clean_run() {
    let Some(bucket) = support::s3::bucket("crash") else {
        return;
    };
    killed_runs_end_equal_to_a_clean_run(&format!("{bucket}/crashed"), &format!("{bucket}/clean")).await;
}

// ------------------------------------------- concurrent writers, compaction

/// Two writers (a poll and a webhook receiver) commit to the same tables at
/// once: every commit that loses a race is recomputed, none is lost, and
/// the newest copy of each record wins.
fn concurrent_writers_lose_nothing(spec: &str) {
    use support::things::{thing, things};
    let tables = things();
    let mut a = DeltaDestination::open(spec).unwrap();
    a.prepare(&tables).unwrap();
    let b = a.try_clone().unwrap();
    let now = chrono::Utc::now();
    let writer = |mut d: DeltaDestination, name: &'static str, tables: std::sync::Arc<dest::StreamTables>| {
        std::thread::spawn(move || {
            for i in 0..12 {
                // Both write `shared-{i}`; the second copy is newer.
                let version = if name == "a" { 1 } else { 2 };
                let recs = vec![
                    thing(&format!("{name}-{i}"), 1, now, false, &["x", "y"]),
                    thing(&format!("shared-{i}"), version, now, false, &[name]),
                ];
                let mut batch = dest::WriteBatch::new(name, tables.clone(), recs);
                batch.newest_wins = true;
                batch.bookmark = Some(format!("{name}{i}"));
                d.write(batch).unwrap();
            }
            d
        })
    };
    let (ta, tb) = (writer(a, "a", tables.clone()), writer(b, "b", tables.clone()));
    let (mut a, _) = (ta.join().unwrap(), tb.join().unwrap());
    assert_eq!(a.row_count("things").unwrap(), 36);
    assert_eq!(a.row_count("thing_parts").unwrap(), 24 * 2 + 12);
    let db = a.read_table("things").unwrap();
    let stale: i64 = db
        .connection()
        .query_row(
            "SELECT count(*) FROM things WHERE id LIKE 'shared-%' AND n <> 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stale, 0, "an older copy won");
    assert_eq!(a.bookmark("a").unwrap().as_deref(), Some("a11"));
    assert_eq!(a.bookmark("b").unwrap().as_deref(), Some("b11"));
}

#[test]
fn concurrent_writers_on_local_disk_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    concurrent_writers_lose_nothing(&format!("delta://{}", dir.path().display()));
    // Past 4 files a table is compacted into one; the rows stay.
    let spec = format!("delta://{}?compact=4", dir.path().join("small").display());
    let tables = support::things::things();
    let mut d = DeltaDestination::open(&spec).unwrap();
    d.prepare(&tables).unwrap();
    for i in 0..10 {
        let rec = support::things::thing(&format!("t{i}"), i, chrono::Utc::now(), false, &["p"]);
        d.write(dest::WriteBatch::new("things", tables.clone(), vec![rec]))
            .unwrap();
    }
    assert_eq!(d.row_count("things").unwrap(), 10);
    assert!(d.active_files("things").unwrap() <= 4, "not compacted");
    let files = std::fs::read_dir(dir.path().join("small/things"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".parquet"))
        .count();
    assert!(files > 5, "old files are kept for time travel until a vacuum: {files}");
    let active = DeltaDestination::open(&spec).unwrap().read_table("things").unwrap();
    let n: i64 = active
        .connection()
        .query_row("SELECT count(*) FROM things", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 10);
}

#[test]
fn concurrent_writers_on_s3_lose_nothing() {
    let Some(bucket) = support::s3::bucket("concurrent") else {
        return;
    };
    concurrent_writers_lose_nothing(&format!("{bucket}/lake"));
}
