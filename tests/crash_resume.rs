//! Crash and resume: the `sync` example, killed with SIGKILL at seeded random
//! moments and restarted each time, ends with exactly the rows of one
//! uninterrupted run: nothing missing, nothing doubled.
//!
//! `KUSTOMER_CRASH_KILLS` (default 20) and `KUSTOMER_CRASH_SCALE` (default 1;
//! the org is `scale` times a mid-sized one) tune it.

mod support;

use std::time::Duration;

use duckdb::Connection;
use kustomer_sim::{OrgSize, SimConfig, Simulator};
use support::crash::{kill_repeatedly, spawn_sync};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Columns that legitimately differ between two runs: when a row was
/// written, and the deletion instant of records whose source gives none.
const RUN_COLUMNS: [&str; 2] = ["_synced_at", "_deleted_at"];

fn tables(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database()
             AND table_name NOT IN ('_sync_runs', '_kustomer_state') ORDER BY 1",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

fn has_column(conn: &Connection, db: &str, table: &str, column: &str) -> bool {
    conn.query_row(
        "SELECT count(*) FROM information_schema.columns WHERE table_catalog = ? AND table_name = ? AND column_name = ?",
        [db, table, column],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
        > 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twenty_times_ends_equal_to_one_clean_run() {
    let scale = env_num("KUSTOMER_CRASH_SCALE", 1) as usize;
    let kills = env_num("KUSTOMER_CRASH_KILLS", 20);
    let sim = Simulator::start(SimConfig {
        size: OrgSize {
            customers: 300 * scale,
            conversations: 600 * scale,
            messages: 2_000 * scale,
            notes: 400 * scale,
            companies: 40 * scale,
            kobjects: 200 * scale,
            ..OrgSize::demo()
        },
        // Fast enough to finish, slow enough that kills land mid-run.
        org_rate_limit: Some(60_000),
        search_rate_limit: Some(6_000),
        latency: Duration::from_micros(300)..Duration::from_millis(2),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let crashed = dir.path().join("crashed.duckdb");
    let clean = dir.path().join("clean.duckdb");

    let (crashed_dest, clean_dest) = (crashed.to_string_lossy(), clean.to_string_lossy());
    let killed_mid_run = kill_repeatedly(
        &sim,
        &crashed_dest,
        kills,
        0x5eed_c0ff_ee00_1234,
        Duration::from_millis(150),
        Duration::from_millis(1_500),
    )
    .await;
    assert!(
        killed_mid_run >= kills / 2,
        "only {killed_mid_run} kills landed mid-run"
    );
    let status = spawn_sync(&sim, &crashed_dest, &[], false).wait().unwrap();
    assert!(status.success(), "the resumed run failed: {status}");
    let status = spawn_sync(&sim, &clean_dest, &[], false).wait().unwrap();
    assert!(status.success(), "the clean run failed: {status}");

    let conn = Connection::open(&clean).unwrap();
    conn.execute_batch(&format!("ATTACH '{}' AS crashed (READ_ONLY)", crashed.display()))
        .unwrap();
    let names = tables(&conn);
    assert!(names.len() > 100, "{names:?}");
    let mut rows_compared = 0i64;
    for t in &names {
        let exclude: Vec<&str> = RUN_COLUMNS
            .iter()
            .copied()
            .filter(|c| has_column(&conn, "clean", t, c))
            .collect();
        let select = |db: &str| match exclude.is_empty() {
            true => format!("SELECT * FROM {db}.\"{t}\""),
            false => format!("SELECT * EXCLUDE ({}) FROM {db}.\"{t}\"", exclude.join(", ")),
        };
        let diff = |a: &str, b: &str| -> i64 {
            conn.query_row(
                &format!("SELECT count(*) FROM ({} EXCEPT ALL {})", select(a), select(b)),
                [],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{t}: {e}"))
        };
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM clean.\"{t}\""), [], |r| r.get(0))
            .unwrap();
        assert_eq!(diff("clean", "crashed"), 0, "{t}: rows missing after the crashes");
        assert_eq!(
            diff("crashed", "clean"),
            0,
            "{t}: rows doubled or wrong after the crashes"
        );
        rows_compared += n;
    }
    assert!(rows_compared > 5_000, "{rows_compared}");
    sim.shutdown().await;
}
