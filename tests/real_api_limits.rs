//! What the real API does that a sync must survive: 401 for a bad token and
//! for a missing role alike, endpoints an org does not serve, search
//! refusing company fields, attachments without `id`, holidays served only
//! per schedule, and 400s that must end a stream rather than loop.

mod support;

use std::time::Duration;

use kustomer::api::Error;
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::Destination;
use kustomer::sync::{Engine, SyncError, SyncOptions};
use kustomer_sim::{Kind, Org, OrgSize, SimConfig, Simulator};
use serde_json::Value;
use support::sim_client;

fn config() -> SimConfig {
    SimConfig {
        size: OrgSize {
            customers: 60,
            conversations: 120,
            messages: 300,
            ..OrgSize::tiny()
        },
        ..SimConfig::default()
    }
}

fn count(dest: &mut DuckDbDestination, table: &str) -> u64 {
    dest.row_count(table).unwrap_or_else(|e| panic!("table {table}: {e}"))
}

fn int(dest: &DuckDbDestination, sql: &str) -> i64 {
    dest.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn only(tables: &[&str]) -> SyncOptions {
    SyncOptions::default().with_tables(tables.iter().copied())
}

/// Rows the simulator serves for a conversation detail table (live parents only).
fn served_details(sim: &Simulator, table: &str) -> usize {
    sim.with_org(|org| {
        org.live_records(Kind::Conversation)
            .iter()
            .map(|c| org.collection_for(table, c["id"].as_str().unwrap()).len())
            .sum()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_stops_the_run_with_one_clear_message() {
    let sim = Simulator::start(SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = kustomer::api::Client::builder()
        .base_url(sim.base_url())
        .token("expired-token-XYZ")
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    let err = match Engine::new(client, SyncOptions::default())
        .run(DuckDbDestination::open(&path).unwrap())
        .await
    {
        Ok((report, _)) => panic!("a sync with a bad token succeeded: {report}"),
        Err(e) => e,
    };
    assert!(err.is_unauthorized() && !err.is_forbidden(), "{err}");
    match &err {
        SyncError::Api(Error::Unauthorized { message, .. }) => {
            assert!(message.contains("invalid or expired"), "{message}")
        }
        other => panic!("not the Unauthorized variant: {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("401") && !text.contains('\n'), "one line: {text}");
    assert!(!format!("{err} {err:?}").contains("expired-token-XYZ"));
    // It stopped at once: a handful of refused requests, not one per stream.
    let refused = sim.stats().unauthorized;
    assert!(refused <= 16, "{refused} requests refused");
    let dest = DuckDbDestination::open(&path).unwrap();
    assert_eq!(int(&dest, "SELECT count(*) FROM _kustomer_state"), 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_missing_a_detail_role_loads_everything_else_and_keeps_that_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");

    // A first sync with every role.
    let sim = Simulator::start(config()).await.unwrap();
    let (report, mut dest) = Engine::new(sim_client(&sim), SyncOptions::default())
        .run(DuckDbDestination::open(&path).unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    let events = count(&mut dest, "conversation_events");
    assert!(events > 0);
    drop(dest);
    sim.shutdown().await;

    // The same org, now refusing every conversation's events with a 401
    // (Kustomer's answer to a missing role), and a few conversations changed.
    let ids = Org::generate(&config()).ids(Kind::Conversation);
    let sim = Simulator::start(SimConfig {
        forbidden: ids.iter().map(|id| format!("/v1/conversations/{id}/events")).collect(),
        role_status: 401,
        ..config()
    })
    .await
    .unwrap();
    let touched: Vec<String> = sim.with_org(|org| {
        let live: Vec<String> = org
            .live_records(Kind::Conversation)
            .iter()
            .take(5)
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        live.into_iter()
            .filter(|id| org.touch(Kind::Conversation, id))
            .collect()
    });
    assert_eq!(touched.len(), 5);
    let (report, mut dest) = Engine::new(sim_client(&sim), SyncOptions::default())
        .run(DuckDbDestination::open(&path).unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "a missing detail role fails nothing: {report}");
    let conversations = report.stream("conversations").unwrap();
    assert_eq!(conversations.status(), "ok");
    assert!(conversations.records >= 5, "{conversations:?}");
    let why = conversations
        .skipped_tables
        .get("conversation_events")
        .unwrap_or_else(|| panic!("conversation_events not reported skipped: {conversations:?}"));
    assert!(why.contains("org.permission.event.read"), "{why}");
    assert_eq!(
        conversations.skipped_tables.len(),
        1,
        "{:?}",
        conversations.skipped_tables
    );
    assert!(report.to_string().contains("org.permission.event.read"), "{report}");
    // Asked once per request slot, not once per conversation.
    let refused = sim.stats().forbidden;
    assert!(refused <= 20, "{refused} refused requests");
    // The skipped table kept its rows, the touched parents' included; the
    // other detail tables were read as usual.
    assert_eq!(count(&mut dest, "conversation_events"), events);
    let kept = touched
        .iter()
        .map(|id| {
            int(
                &dest,
                &format!("SELECT count(*) FROM conversation_events WHERE conversation_id = '{id}'"),
            )
        })
        .sum::<i64>();
    assert!(kept > 0, "the touched conversations' events are still there");
    assert_eq!(
        count(&mut dest, "conversation_attachments") as usize,
        served_details(&sim, "conversation_attachments")
    );
    let note = int(
        &dest,
        "SELECT count(*) FROM _sync_runs WHERE table_name = 'conversations' AND status = 'ok'
           AND notes LIKE '%conversation_events%org.permission.event.read%'",
    );
    assert_eq!(note, 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_whose_role_is_missing_is_skipped_on_a_401() {
    let sim = Simulator::start(SimConfig {
        forbidden: vec!["/v1/audit-logs".into(), "/v1/customers/searches".into()],
        role_status: 401,
        ..config()
    })
    .await
    .unwrap();
    let (report, mut dest) = Engine::new(sim_client(&sim), only(&["audit_logs", "customer_searches", "tags"]))
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    let why = report.stream("audit_logs").unwrap().skipped.clone().unwrap();
    assert!(why.contains("org.permission.audit_logs.read"), "{why}");
    assert!(report.stream("customer_searches").unwrap().skipped.is_some());
    assert_eq!(report.stream("tags").unwrap().status(), "ok");
    assert!(count(&mut dest, "tags") > 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_the_org_does_not_serve_is_skipped() {
    let sim = Simulator::start(SimConfig {
        unserved: vec!["/v1/assistants".into()],
        ..config()
    })
    .await
    .unwrap();
    let (report, mut dest) = Engine::new(sim_client(&sim), only(&["assistants", "tags"]))
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "a 404 list is not a failure: {report}");
    let assistants = report.stream("assistants").unwrap();
    assert_eq!(assistants.status(), "skipped");
    let why = assistants.skipped.as_deref().unwrap();
    assert!(why.contains("not served by this org"), "{why}");
    assert_eq!(count(&mut dest, "assistants"), 0);
    assert!(count(&mut dest, "tags") > 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn company_search_refused_falls_back_to_the_list() {
    let sim = Simulator::start(SimConfig {
        search_refuses_company: true,
        ..config()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    let live = |sim: &Simulator| sim.with_org(|org| org.live_count(Kind::Company)) as i64;
    for run in 0..2 {
        if run == 1 {
            // A company deleted between runs: the list no longer shows it.
            let id = sim.with_org(|org| org.live_records(Kind::Company)[0]["id"].as_str().unwrap().to_owned());
            assert!(sim.with_org(|org| org.delete(Kind::Company, &id)));
        }
        let (report, dest) = Engine::new(sim_client(&sim), only(&["companies"]))
            .run(DuckDbDestination::open(&path).unwrap())
            .await
            .unwrap();
        assert!(report.is_success(), "run {run}: {report}");
        let companies = report.stream("companies").unwrap();
        assert!(
            companies
                .notes
                .iter()
                .any(|n| n.contains("GET /v1/companies") && n.contains("in full")),
            "run {run}: {companies:?}"
        );
        assert_eq!(
            int(&dest, "SELECT count(*) FROM companies WHERE NOT _deleted"),
            live(&sim),
            "run {run}"
        );
    }
    let dest = DuckDbDestination::open(&path).unwrap();
    assert_eq!(int(&dest, "SELECT count(*) FROM companies WHERE _deleted"), 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_without_an_id_load_keyed_by_position() {
    let sim = Simulator::start(config()).await.unwrap();
    let without: usize = sim.with_org(|org| {
        org.live_records(Kind::Conversation)
            .iter()
            .flat_map(|c| org.collection_for("conversation_attachments", c["id"].as_str().unwrap()))
            .filter(|a| a.get("id").is_none_or(Value::is_null))
            .count()
    });
    assert!(without > 0, "the simulator serves attachments without id");
    let (report, mut dest) = Engine::new(sim_client(&sim), only(&["conversations"]))
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert_eq!(
        count(&mut dest, "conversation_attachments") as usize,
        served_details(&sim, "conversation_attachments")
    );
    let positional = int(
        &dest,
        "SELECT count(*) FROM conversation_attachments WHERE id = conversation_id || ':' || regexp_extract(id, ':([0-9]+)$', 1)",
    );
    assert_eq!(positional as usize, without);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holidays_load_from_each_schedule() {
    let sim = Simulator::start(config()).await.unwrap();
    let (report, mut dest) = Engine::new(sim_client(&sim), only(&["holidays", "business_schedules"]))
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report}");
    let (holidays, schedules) = sim.with_org(|org| {
        (
            org.collection("holidays").len(),
            org.collection("business_schedules").len(),
        )
    });
    assert!(holidays > 0 && schedules > 0);
    assert_eq!(count(&mut dest, "holidays") as usize, holidays);
    let stats = sim.stats();
    assert_eq!(
        stats.by_family.get("GET /v1/schedules/{id}").copied().unwrap_or(0) as usize,
        schedules,
        "{:?}",
        stats.by_family
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_refused_with_400_ends_its_stream_without_retrying() {
    // Pages reaching past a 50-record result window are refused with a 400.
    let sim = Simulator::start(SimConfig {
        result_window: Some(50),
        ..config()
    })
    .await
    .unwrap();
    let engine = Engine::new(sim_client(&sim), only(&["tags", "users"]));
    let run = engine.run(DuckDbDestination::in_memory().unwrap());
    let (report, _) = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run ends")
        .unwrap();
    for stream in ["tags", "users"] {
        let r = report.stream(stream).unwrap();
        let error = r.error.as_deref().unwrap_or_else(|| panic!("{stream}: {r:?}"));
        assert!(
            error.contains("400") && error.contains(&format!("GET /v1/{stream}")),
            "{error}"
        );
    }
    let stats = sim.stats();
    assert_eq!(stats.by_family.get("GET /v1/tags").copied(), Some(1), "not retried");
    sim.shutdown().await;
}
