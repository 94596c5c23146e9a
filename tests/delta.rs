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

use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::{self, DELETED_AT, SYNCED_AT};
use kustomer::sync::{Engine, SyncOptions};
use kustomer_sim::{OrgSize, SimConfig, Simulator};
use support::sim_client;

const READ: &str = r#"
import os, sys
import pyarrow as pa, pyarrow.parquet as pq
from deltalake import DeltaTable
out, root, names = sys.argv[1], sys.argv[2], sys.argv[3:]
opts = {}
if root.startswith("s3://"):
    opts = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")}
    opts["AWS_ALLOW_HTTP"] = "true"
for name in names:
    t = DeltaTable(root.rstrip("/") + "/" + name, storage_options=opts).to_pyarrow_table()
    # Naive UTC timestamps, as DuckDB's TIMESTAMP columns hold them.
    fields = [pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f for f in t.schema]
    pq.write_table(t.cast(pa.schema(fields)), os.path.join(out, name + ".parquet"))
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
    let opts = SyncOptions {
        history: true,
        ..SyncOptions::default()
    };
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
    }
    assert!(compared > 100, "only {compared} rows compared");
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
    let count = |sql: &str| -> i64 { conn.query_row(&format!("SELECT count(*) FROM ({sql})"), [], |r| r.get(0)).unwrap() };
    let missing = count(&format!("{mine} EXCEPT ALL {theirs}"));
    let extra = count(&format!("{theirs} EXCEPT ALL {mine}"));
    let n = count(&mine);
    assert_eq!((missing, extra), (0, 0), "{t}: rows DuckDB has and Python lacks, and the reverse ({n} rows)");
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
    let Some(bucket) = support::s3::bucket("pyread") else { return };
    if !python_deltalake() {
        return;
    }
    python_reads_duckdbs_rows(&format!("{bucket}/lake")).await;
}
