//! Destination faults: a write that fails inside its transaction, a
//! read-only database, a file locked by another process. The run stops
//! with a clear error, no partial transaction is visible, no bookmark
//! moves, and the next clean run converges to the simulator's data.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use duckdb::{AccessMode, Config, Connection};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::{Engine, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use support::{assert_destination_equals_simulator, sim_client};

fn small() -> SimConfig {
    SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    }
}

fn count(path: &Path, sql: &str) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_failing_mid_transaction_leaves_nothing_half_written() {
    let sim = Simulator::start(small()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    // A child table whose column cannot take the child rows: the notes
    // batch fails after its parent rows were merged, inside the transaction
    // (as a full disk or a constraint would).
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE note_user_mentions (note_id VARCHAR NOT NULL, _position BIGINT NOT NULL, user_id BIGINT, PRIMARY KEY (note_id, _position))",
        )
        .unwrap();
    }
    let opts = SyncOptions::default().with_tables(["notes"]);
    let dest = DuckDbDestination::open(&path).unwrap();
    let err = Engine::new(sim_client(&sim), opts.clone())
        .run(dest)
        .await
        .expect_err("the write fails");
    let msg = err.to_string();
    assert!(msg.contains("destination") && msg.contains("child rows"), "{msg}");
    assert_eq!(count(&path, "SELECT count(*) FROM notes"), 0, "parent rows rolled back");
    assert_eq!(count(&path, "SELECT count(*) FROM note_user_mentions"), 0);
    assert_eq!(
        count(&path, "SELECT count(*) FROM _kustomer_state"),
        0,
        "no bookmark moved"
    );

    // Repaired, the next run loads everything exactly once.
    Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE note_user_mentions")
        .unwrap();
    let dest = DuckDbDestination::open(&path).unwrap();
    let (report, dest) = Engine::new(sim_client(&sim), opts).run(dest).await.unwrap();
    assert!(report.is_success());
    let notes = sim.with_org(|o| o.live_records(Kind::Note).len()) as u64;
    assert!(report.stream("notes").unwrap().records >= notes);
    drop(dest);
    let dest = DuckDbDestination::open(&path).unwrap();
    let (_, dest) = Engine::new(sim_client(&sim), SyncOptions::default())
        .run(dest)
        .await
        .unwrap();
    assert_destination_equals_simulator(&dest, &sim);
}

#[tokio::test]
async fn a_read_only_database_is_refused_with_a_clear_error() {
    let sim = Simulator::start(small()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    drop(DuckDbDestination::open(&path).unwrap());
    let conn =
        Connection::open_with_flags(&path, Config::default().access_mode(AccessMode::ReadOnly).unwrap()).unwrap();
    let err = match DuckDbDestination::from_connection(conn) {
        Err(e) => e,
        Ok(dest) => Engine::new(sim_client(&sim), SyncOptions::default())
            .run(dest)
            .await
            .expect_err("writes to a read-only database fail"),
    };
    let msg = err.to_string().to_lowercase();
    assert!(msg.contains("read-only") || msg.contains("read only"), "{msg}");
    assert_eq!(count(&path, "SELECT count(*) FROM _kustomer_state"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_by_another_process_is_refused() {
    // A slow org, so the other process is still syncing when we try.
    let sim = Simulator::start(SimConfig {
        latency: Duration::from_millis(50)..Duration::from_millis(60),
        ..small()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    let exe = std::env::current_exe().unwrap();
    let example = exe.parent().and_then(Path::parent).unwrap().join("examples/sync");
    let mut child = Command::new(example)
        .args(["--base-url", &sim.base_url(), "--quiet", "--dest"])
        .arg(&path)
        .env("KUSTOMER_API_TOKEN", sim.token())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut refused = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if path.exists() {
            if let Err(e) = DuckDbDestination::open(&path) {
                refused = Some(e.to_string());
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let msg = refused.expect("the file was never seen locked");
    assert!(
        msg.contains("cannot open DuckDB file") && msg.to_lowercase().contains("lock"),
        "{msg}"
    );
}
