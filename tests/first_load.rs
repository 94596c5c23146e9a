//! The first load of a five-year-old org: GET lists for its history, search
//! for the last two years, reconciled by id. Search alone loses every record
//! untouched for two years; lists read over a live org skip records that
//! shift across page boundaries. Both are shown here, and mended.

mod support;

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use chrono::{DateTime, Utc};
use duckdb::Connection;
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::{Engine, FirstLoadMode, SyncOptions};
use kustomer_sim::{Kind, Method, OrgSize, SimConfig, Simulator};
use support::crash::spawn_sync;
use support::{assert_live_equals_simulator, sim_client};

const INCREMENTAL: [&str; 6] = [
    "customers",
    "conversations",
    "messages",
    "notes",
    "companies",
    "kobjects",
];
const DETAIL: [&str; 6] = [
    "conversation_events",
    "conversation_times",
    "conversation_forwards",
    "conversation_attachments",
    "customer_drafts",
    "customer_merges",
];

fn five_year_org() -> SimConfig {
    SimConfig {
        size: OrgSize {
            customers: 400,
            conversations: 600,
            messages: 1_800,
            notes: 1_000,
            companies: 40,
            kobjects: 150,
            ..OrgSize::tiny()
        },
        history_days: 1825,
        ..SimConfig::default()
    }
}

fn options(mode: FirstLoadMode) -> SyncOptions {
    SyncOptions::default()
        .with_tables(INCREMENTAL)
        .with_exclude_tables(DETAIL)
        .with_first_load(mode)
}

fn updated_at(v: &serde_json::Value) -> DateTime<Utc> {
    v["attributes"]["updatedAt"].as_str().unwrap().parse().unwrap()
}

/// Live records of `kind` that search (two years) cannot see.
fn older_than_window(sim: &Simulator, kind: Kind) -> (usize, usize) {
    sim.with_org(|org| {
        let start = org.now() - chrono::Duration::days(730);
        let live = org.live_records(kind);
        (live.iter().filter(|r| updated_at(r) < start).count(), live.len())
    })
}

fn live_count(dest: &DuckDbDestination, table: &str) -> i64 {
    dest.connection()
        .query_row(&format!("SELECT count(*) FROM {table} WHERE NOT _deleted"), [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_years_of_history_load_whole_while_the_org_changes_under_the_lists() {
    let sim = Simulator::start(five_year_org()).await.unwrap();
    for kind in [Kind::Customer, Kind::Conversation, Kind::Message] {
        let (old, all) = older_than_window(&sim, kind);
        assert!(old * 2 > all, "{kind:?}: only {old} of {all} older than two years");
    }
    // While the lists are read: early notes are deleted (the later pages
    // shift back, so records at a page boundary are skipped: unchanged, they
    // never reach search either), old messages are updated, new ones arrive.
    let deleted: Vec<String> = sim.with_org(|org| {
        let live = org.live_records(Kind::Note);
        live.iter()
            .take(3)
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    });
    {
        let deleted = deleted.clone();
        // The 5th request: page 1 was answered, pages 2-4 may be in flight.
        sim.on_request(Some(Method::GET), "/v1/notes", 4, move |org| {
            for id in &deleted {
                org.delete(Kind::Note, id);
            }
        });
    }
    {
        sim.on_request(Some(Method::GET), "/v1/messages", 5, move |org| {
            let old: Vec<String> = org.ids(Kind::Message).into_iter().skip(40).take(2).collect();
            for id in &old {
                org.touch(Kind::Message, id);
            }
            // Only messages change here: a change to a stream that already
            // finished is the next run's.
            org.insert(Kind::Message);
            org.insert(Kind::Message);
        });
    }
    sim.on_request(Some(Method::GET), "/v1/customers", 3, |org| {
        let early: Vec<String> = org.ids(Kind::Customer).into_iter().take(2).collect();
        for id in &early {
            org.delete(Kind::Customer, id);
        }
    });

    let dir = tempfile::tempdir().unwrap();
    let dest = DuckDbDestination::open(dir.path().join("lists.duckdb")).unwrap();
    let (report, dest) = Engine::new(sim_client(&sim), options(FirstLoadMode::Lists))
        .run(dest)
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    // Every live record, at full attributes; the deleted ones marked.
    assert_live_equals_simulator(&dest, &sim);
    for id in &deleted {
        let flag: bool = dest
            .connection()
            .query_row("SELECT _deleted FROM notes WHERE id = ?", [id], |r| r.get(0))
            .unwrap();
        assert!(flag, "note {id} deleted during the load is marked");
    }
    // Three notes sat at the boundary between the last page served before
    // the deletes and the first served after; those untouched since before
    // the split (nearly all, in this org) are the reconciliation's to find.
    let notes = report.stream("notes").unwrap();
    assert!(notes.reconciled >= 1, "the skipped notes were fetched by id: {notes:?}");
    let listed: u64 = report.client.requests - report.client.search_requests;
    assert!(listed > 20, "the lists did the bulk: {report}");

    // Search alone (the peers' way) loses whatever is older than two years.
    let dest2 = DuckDbDestination::open(dir.path().join("search.duckdb")).unwrap();
    let (_, dest2) = Engine::new(sim_client(&sim), options(FirstLoadMode::SearchOnly))
        .run(dest2)
        .await
        .unwrap();
    let (old, all) = older_than_window(&sim, Kind::Customer);
    assert_eq!(live_count(&dest2, "customers") as usize, all - old);
    assert_eq!(live_count(&dest, "customers") as usize, all);

    // One incremental run after more changes: still equal, nothing doubled.
    sim.with_org(|org| {
        let ids = org.ids(Kind::Conversation);
        org.update(Kind::Conversation, &ids[3], |a| {
            a.insert("priority".into(), 5.into());
        });
        org.insert(Kind::Customer);
        let note = org.ids(Kind::Note)[7].clone();
        org.delete(Kind::Note, &note);
    });
    let (report, dest) = Engine::new(sim_client(&sim), options(FirstLoadMode::Lists))
        .run(dest)
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert!(
        report.client.requests < 40,
        "an incremental run reads only changes: {report}"
    );
    assert_live_equals_simulator(&dest, &sim);
    let dupes: i64 = dest
        .connection()
        .query_row("SELECT count(*) - count(DISTINCT id) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(dupes, 0);
    sim.shutdown().await;
}

fn spawn(sim: &Simulator, dest: &Path) -> Child {
    let (tables, detail) = (INCREMENTAL.join(","), DETAIL.join(","));
    let args = ["--tables", &tables, "--exclude-tables", &detail];
    spawn_sync(sim, &dest.to_string_lossy(), &args, false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_load_killed_midway_resumes_and_ends_equal_to_a_clean_one() {
    let sim = Simulator::start(SimConfig {
        // Slow enough that kills land inside the first load.
        org_rate_limit: Some(6_000),
        search_rate_limit: Some(600),
        latency: Duration::from_millis(5)..Duration::from_millis(15),
        ..five_year_org()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let crashed = dir.path().join("crashed.duckdb");
    let clean = dir.path().join("clean.duckdb");
    // A clean first load first: its length places the kills inside one.
    let started = std::time::Instant::now();
    assert!(spawn(&sim, &clean).wait().unwrap().success());
    let clean_run = started.elapsed();
    let mut killed_mid_load = 0;
    let mut saw_unfinished = false;
    for share in [0.3, 0.5, 0.2, 0.7, 0.4, 0.85] {
        let mut child = spawn(&sim, &crashed);
        tokio::time::sleep(clean_run.mul_f64(share)).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed_mid_load += 1;
        }
        child.wait().unwrap();
        // The bookmark says where an unfinished first load stands.
        if crashed.exists() {
            let conn = Connection::open(&crashed).unwrap();
            let unfinished: i64 = conn
                .query_row(
                    "SELECT count(*) FROM _kustomer_state WHERE bookmark LIKE '%first_load%'",
                    [],
                    |r| r.get(0),
                )
                .unwrap_or(0);
            saw_unfinished |= unfinished > 0;
        }
    }
    assert!(saw_unfinished, "a kill landed inside a first load");
    assert!(killed_mid_load >= 3, "only {killed_mid_load} kills landed mid-load");
    assert!(spawn(&sim, &crashed).wait().unwrap().success());
    // The clean side gets the same incremental run (same rows, same changes: none).
    assert!(spawn(&sim, &clean).wait().unwrap().success());

    let conn = Connection::open(&clean).unwrap();
    conn.execute_batch(&format!("ATTACH '{}' AS crashed (READ_ONLY)", crashed.display()))
        .unwrap();
    for t in INCREMENTAL {
        let select = |db: &str| format!("SELECT * EXCLUDE (_synced_at, _deleted_at) FROM {db}.{t}");
        for (a, b) in [("clean", "crashed"), ("crashed", "clean")] {
            let n: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM ({} EXCEPT ALL {})", select(a), select(b)),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 0, "{t}: {n} rows of {a} not in {b}");
        }
        let unfinished: i64 = conn
            .query_row(
                "SELECT count(*) FROM crashed._kustomer_state WHERE bookmark LIKE '%first_load%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unfinished, 0, "every first load finished");
    }
    let live: i64 = conn
        .query_row("SELECT count(*) FROM crashed.customers WHERE NOT _deleted", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(live as usize, older_than_window(&sim, Kind::Customer).1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_lists_role_archive_search_and_search_still_read_all_history() {
    let sim = Simulator::start(SimConfig {
        forbidden: vec!["/v1/conversations".into()],
        ..five_year_org()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = DuckDbDestination::open(dir.path().join("k.duckdb")).unwrap();
    let opts = SyncOptions::default()
        .with_tables(["conversations"])
        .with_exclude_tables(DETAIL);
    let (report, dest) = Engine::new(sim_client(&sim), opts).run(dest).await.unwrap();
    assert!(report.is_success(), "{report}");
    let (old, live) = older_than_window(&sim, Kind::Conversation);
    assert!(old > 0);
    // Every live conversation, old ones included (thin: archive search
    // leaves out relationships, so their customer is unknown until they
    // change).
    assert_eq!(live_count(&dest, "conversations") as usize, live);
    let thin: i64 = dest
        .connection()
        .query_row(
            "SELECT count(*) FROM conversations WHERE customer_id IS NULL AND NOT _deleted",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(thin as usize, old);
    sim.shutdown().await;
}

/// Without archive search (a plan or a role without it), the first load
/// still runs: the lists bring what they reach and search the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_archive_search_the_first_load_still_loads_what_the_lists_reach() {
    for status in [404, 401] {
        let sim = Simulator::start(SimConfig {
            archive_search: Some(status),
            ..five_year_org()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let dest = DuckDbDestination::open(dir.path().join("k.duckdb")).unwrap();
        let (report, dest) = Engine::new(sim_client(&sim), options(FirstLoadMode::Lists))
            .run(dest)
            .await
            .unwrap();
        assert!(report.is_success(), "archive answering {status}: {report}");
        // Every list of this org fits in the 10,000-record window.
        assert_live_equals_simulator(&dest, &sim);
        sim.shutdown().await;
    }
}

/// Customers, conversations and messages each hold more than the
/// 10,000 records any query reaches, most of them untouched for two years:
/// the lists stop at their window, archive search enumerates the rest by
/// keyset, and what the lists could not reach is fetched by id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_past_the_ten_thousand_record_window_loads_completely() {
    let sim = Simulator::start(SimConfig {
        size: OrgSize {
            customers: 20_000,
            conversations: 20_000,
            messages: 20_000,
            notes: 10,
            companies: 10,
            kobjects: 10,
            ..OrgSize::tiny()
        },
        history_days: 1825,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    for kind in [Kind::Customer, Kind::Conversation, Kind::Message] {
        let (old, all) = older_than_window(&sim, kind);
        assert!(old > 10_000, "{kind:?}: only {old} of {all} older than two years");
    }
    let dir = tempfile::tempdir().unwrap();
    let dest = DuckDbDestination::open(dir.path().join("big.duckdb")).unwrap();
    let opts = SyncOptions::default()
        .with_tables(["customers", "conversations", "messages"])
        .with_exclude_tables(DETAIL);
    let (report, dest) = Engine::new(sim_client(&sim), opts).run(dest).await.unwrap();
    assert!(report.is_success(), "{report}");
    support::assert_entity::<kustomer::models::Customer>(&dest, &sim, Kind::Customer, false, &[]);
    support::assert_entity::<kustomer::models::Conversation>(&dest, &sim, Kind::Conversation, false, &[]);
    support::assert_entity::<kustomer::models::Message>(&dest, &sim, Kind::Message, false, &[]);
    for t in ["customers", "conversations", "messages"] {
        let s = report.stream(t).unwrap();
        assert!(
            s.reconciled > 0,
            "{t}: what the lists could not reach came by id: {s:?}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_past_the_window_come_through_their_conversations() {
    let sim = Simulator::start(SimConfig {
        size: OrgSize {
            customers: 300,
            conversations: 2_500,
            messages: 30_000,
            notes: 10,
            companies: 10,
            kobjects: 10,
            ..OrgSize::tiny()
        },
        history_days: 1825,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let (old, _) = older_than_window(&sim, Kind::Message);
    assert!(old > 12_000, "only {old} messages older than two years");
    let dir = tempfile::tempdir().unwrap();
    let dest = DuckDbDestination::open(dir.path().join("threads.duckdb")).unwrap();
    let opts = SyncOptions::default()
        .with_tables(["conversations", "messages"])
        .with_exclude_tables(DETAIL);
    let (report, dest) = Engine::new(sim_client(&sim), opts).run(dest).await.unwrap();
    assert!(report.is_success(), "{report}");
    support::assert_entity::<kustomer::models::Message>(&dest, &sim, Kind::Message, false, &[]);
    support::assert_entity::<kustomer::models::Conversation>(&dest, &sim, Kind::Conversation, false, &[]);
    let stats = sim.stats();
    let threads = stats
        .by_family
        .get("GET /v1/conversations/{id}/messages")
        .copied()
        .unwrap_or(0);
    let by_id = stats.by_family.get("GET /v1/messages/{id}").copied().unwrap_or(0);
    // By id: only the messages of deleted conversations (their threads are gone).
    let orphans = sim.with_org(|o| {
        let live: std::collections::HashSet<String> = (o.live_records(Kind::Conversation).iter())
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        (o.live_records(Kind::Message).iter())
            .filter(|m| !live.contains(m["relationships"]["conversation"]["data"]["id"].as_str().unwrap_or("")))
            .count() as u64
    });
    assert!(threads > 0, "read per conversation: {:?}", stats.by_family);
    assert!(
        by_id <= orphans,
        "{by_id} by id, {orphans} messages of deleted conversations"
    );
    sim.shutdown().await;
}
