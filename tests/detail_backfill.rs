//! The per-parent detail tables (events, times, forwards, attachments,
//! drafts, merges) cost a request per parent each: a first load reads its
//! core tables first and the detail tables after them, by id, in the
//! background of the org budget, as far as `details_per_run` allows; the
//! next runs finish them.

mod support;

use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::Destination;
use kustomer::sync::{Bookmark, DetailsMode, Engine, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use support::{assert_destination_equals_simulator, sim_client};

/// The detail lists, by the last segment of their paths.
const DETAIL_LISTS: [&str; 6] = ["events", "times", "forwards", "attachments", "drafts", "merges"];

async fn small_org() -> Simulator {
    Simulator::start(SimConfig {
        size: OrgSize {
            customers: 60,
            conversations: 90,
            messages: 150,
            ..OrgSize::tiny()
        },
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn detail_requests(sim: &Simulator) -> u64 {
    (sim.stats().by_family.iter())
        .filter(|(f, _)| DETAIL_LISTS.iter().any(|d| f.ends_with(&format!("{{id}}/{d}"))))
        .map(|(_, n)| n)
        .sum()
}

fn parents_with(dest: &DuckDbDestination, table: &str, column: &str) -> i64 {
    dest.connection()
        .query_row(&format!("SELECT count(DISTINCT {column}) FROM {table}"), [], |r| {
            r.get(0)
        })
        .unwrap()
}

fn pending(dest: &mut DuckDbDestination, stream: &str) -> Option<u64> {
    let text = dest.bookmark(stream).unwrap()?;
    Bookmark::from_json(&text).unwrap().details.map(|d| d.done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_tables_come_after_the_core_tables_and_the_next_runs_finish_them() {
    let sim = small_org().await;
    let dir = tempfile::tempdir().unwrap();
    let dest = DuckDbDestination::open(dir.path().join("k.duckdb")).unwrap();

    // A first run that may backfill no parent: the core tables, no detail request.
    let opts = SyncOptions::default().with_details_per_run(0);
    let (report, mut dest) = Engine::new(sim_client(&sim), opts).run(dest).await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(detail_requests(&sim), 0, "{:?}", sim.stats().by_family);
    support::assert_entity::<kustomer::models::Customer>(&dest, &sim, Kind::Customer, false, &[]);
    support::assert_entity::<kustomer::models::Conversation>(&dest, &sim, Kind::Conversation, false, &[]);
    support::assert_entity::<kustomer::models::Message>(&dest, &sim, Kind::Message, false, &[]);
    assert_eq!(parents_with(&dest, "conversation_events", "conversation_id"), 0);
    assert_eq!(pending(&mut dest, "conversations"), Some(0));
    assert_eq!(pending(&mut dest, "customers"), Some(0));
    assert!(
        report
            .stream("conversations")
            .unwrap()
            .notes
            .iter()
            .any(|n| n.contains("next runs")),
        "{report}"
    );

    // A bounded run: 25 parents per stream.
    let opts = SyncOptions::default().with_details_per_run(25);
    let (report, mut dest) = Engine::new(sim_client(&sim), opts).run(dest).await.unwrap();
    assert!(report.is_success(), "{report}");
    let done = parents_with(&dest, "conversation_times", "conversation_id");
    assert!(done > 0 && done <= 25, "{done} conversations have their times");
    assert_eq!(pending(&mut dest, "conversations"), Some(25));

    // An unbounded run finishes them: every table equals the simulator.
    let (report, mut dest) = Engine::new(sim_client(&sim), SyncOptions::default())
        .run(dest)
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(pending(&mut dest, "conversations"), None);
    assert_eq!(pending(&mut dest, "customers"), None);
    assert_destination_equals_simulator(&dest, &sim);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_details_come_with_each_batch_and_cost_no_second_read() {
    let sim = small_org().await;
    let dir = tempfile::tempdir().unwrap();
    let dest = DuckDbDestination::open(dir.path().join("k.duckdb")).unwrap();
    let opts = SyncOptions::default().with_details(DetailsMode::Inline);
    let (report, mut dest) = Engine::new(sim_client(&sim), opts).run(dest).await.unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(pending(&mut dest, "conversations"), None);
    let by_id = sim
        .stats()
        .by_family
        .get("GET /v1/conversations/{id}")
        .copied()
        .unwrap_or(0);
    assert_eq!(by_id, 0, "inline: no conversation is read again by id");
    assert_destination_equals_simulator(&dest, &sim);

    // After the core tables instead: every conversation read once more by id.
    let sim2 = small_org().await;
    let dest = DuckDbDestination::open(dir.path().join("k2.duckdb")).unwrap();
    let (report, dest) = Engine::new(sim_client(&sim2), SyncOptions::default())
        .run(dest)
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    let live = sim2.with_org(|o| o.live_records(Kind::Conversation).len()) as u64;
    let by_id = sim2
        .stats()
        .by_family
        .get("GET /v1/conversations/{id}")
        .copied()
        .unwrap_or(0);
    assert!(by_id >= live, "{by_id} reads by id for {live} conversations");
    assert_destination_equals_simulator(&dest, &sim2);
    sim.shutdown().await;
    sim2.shutdown().await;
}
