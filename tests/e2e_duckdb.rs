//! End to end: simulator → sync → DuckDB, then changes in the simulator
//! (updates, inserts, deletes, a tie group larger than the 100-page search
//! cap) → a second sync loads exactly the changes, and every table equals
//! the simulator's data row for row.

mod support;

use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::{Engine, FirstLoadMode, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use support::{assert_destination_equals_simulator, sim_client};

fn small_org() -> SimConfig {
    SimConfig {
        size: OrgSize {
            customers: 150,
            conversations: 300,
            messages: 1_300,
            notes: 200,
            companies: 30,
            kobjects: 120,
            users: 12,
            teams: 4,
            tags: 15,
            shortcuts: 10,
            klasses: 3,
        },
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_then_only_the_changes() {
    let sim = Simulator::start(small_org()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    let client = sim_client(&sim);

    // First sync: everything, through search (tests/first_load.rs covers
    // the GET lists).
    let dest = DuckDbDestination::open(&path).unwrap();
    let opts = SyncOptions::default()
        .with_search_page_size(50)
        .with_first_load(FirstLoadMode::SearchOnly);
    let (report, dest) = Engine::new(client.clone(), opts).run(dest).await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_destination_equals_simulator(&dest, &sim);
    let loaded_messages = report.stream("messages").unwrap().records;
    assert_eq!(
        loaded_messages as usize,
        sim.with_org(|o| o.records(Kind::Message).len())
    );
    drop(dest);

    // Change the org: updates, inserts, deletes, and 1,050 messages sharing
    // one updatedAt, which at 10 per page is more than 100 search pages.
    let (updated_convs, new_customers, deleted_notes, tied) = sim.with_org(|org| {
        let convs: Vec<String> = org.ids(Kind::Conversation).into_iter().take(7).collect();
        for id in &convs {
            org.update(Kind::Conversation, id, |a| {
                a.insert("status".into(), "done".into());
            });
        }
        let customers: Vec<String> = (0..5).map(|_| org.insert(Kind::Customer)).collect();
        let notes: Vec<String> = org.ids(Kind::Note).into_iter().take(2).collect();
        for id in &notes {
            org.delete(Kind::Note, id);
        }
        let tied = org.touch_many_at_once(Kind::Message, 1_050);
        (convs, customers, notes, tied)
    });
    let before = sim.stats();

    let dest = DuckDbDestination::open(&path).unwrap();
    let opts = SyncOptions::default().with_search_page_size(10);
    let (report, dest) = Engine::new(client, opts).run(dest).await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    let s = |n: &str| report.stream(n).unwrap().clone();
    assert_eq!(s("conversations").records as usize, updated_convs.len());
    assert_eq!(s("conversations").written.updated as usize, updated_convs.len());
    assert_eq!(s("customers").written.inserted as usize, new_customers.len());
    assert_eq!(s("customers").records as usize, new_customers.len());
    assert_eq!(s("notes").records as usize, deleted_notes.len());
    assert_eq!(
        s("messages").records as usize,
        tied.len(),
        "every tied message exactly once"
    );
    assert_eq!(s("companies").records, 0);
    assert_eq!(s("kobjects").records, 0);
    assert_destination_equals_simulator(&dest, &sim);
    let deleted: i64 = dest
        .connection()
        .query_row("SELECT count(*) FROM notes WHERE deleted", [], |r| r.get(0))
        .unwrap();
    assert!(deleted >= 2);
    let after = sim.stats();
    assert!(after.requests > before.requests);
    sim.shutdown().await;
}

// A rejected token: tests/real_api_limits.rs (`a_bad_token_stops_the_run_with_one_clear_message`).

#[tokio::test]
async fn unknown_tables_are_refused_before_any_request() {
    let sim = Simulator::start(SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let opts = SyncOptions::default().with_tables(["customers", "custmers"]);
    let err = Engine::new(sim_client(&sim), opts)
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("custmers"), "{err}");
    assert_eq!(sim.stats().requests, 0);
}
