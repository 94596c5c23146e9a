//! `sync --check`: the token, every table's endpoint, the counts and the
//! first load's plan, against the simulator, writing nothing.

mod support;

use chrono::{DateTime, Duration, Utc};
use kustomer::api::Client;
use kustomer::sync::check::{Access, CheckReport};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::{check, Engine, FirstLoadMode, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use support::sim_client;

fn updated_at(v: &serde_json::Value) -> DateTime<Utc> {
    v["attributes"]["updatedAt"].as_str().unwrap().parse().unwrap()
}

/// Live records of `kind` updated since `from`, and before search's window.
fn live_counts(sim: &Simulator, kind: Kind, from: DateTime<Utc>) -> (u64, u64) {
    sim.with_org(|org| {
        let archive_end = org.now() - Duration::days(730);
        let live = org.live_records(kind);
        let recent = live.iter().filter(|r| updated_at(r) >= from).count() as u64;
        let old = live.iter().filter(|r| updated_at(r) < archive_end).count() as u64;
        (recent, old)
    })
}

fn role_of(report: &CheckReport, table: &str) -> Option<String> {
    match &report.table(table)?.access {
        Access::MissingRole { role, .. } => Some(role.clone()),
        _ => None,
    }
}

/// Only reads: GETs and searches.
fn assert_nothing_written(sim: &Simulator) {
    for family in sim.stats().by_family.keys() {
        let read = family.starts_with("GET ") || family.contains("/search") || family == "other";
        assert!(read, "the check sent {family}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_missing_roles_counts_each_stream_and_plans_the_first_load() {
    let sim = Simulator::start(SimConfig {
        org_rate_limit: Some(100_000),
        forbidden: vec!["/v1/audit-logs".into(), "/v1/conversations/".into()],
        unserved: vec!["/v1/assistants".into()],
        ..SimConfig::five_years()
    })
    .await
    .unwrap();
    let client = sim_client(&sim);
    let report = check(&client, &SyncOptions::default()).await.unwrap();
    let text = report.to_string();

    // Roles: a 401 for a missing role names it; the token still works.
    assert_eq!(
        role_of(&report, "audit_logs").as_deref(),
        Some("org.permission.audit_logs.read"),
        "{text}"
    );
    assert_eq!(
        role_of(&report, "conversation_events").as_deref(),
        Some("org.permission.event.read"),
        "{text}"
    );
    let conversations = report.table("conversations").unwrap();
    assert_eq!(conversations.access, Access::Readable, "search still reads them");
    assert!(
        matches!(&conversations.list, Some(Access::MissingRole { role, .. }) if role == "org.permission.conversation.read"),
        "{text}"
    );
    assert!(
        matches!(report.table("assistants").unwrap().access, Access::NotServed { .. }),
        "{text}"
    );
    assert_eq!(report.table("users").unwrap().access, Access::Readable);
    assert_eq!(
        report.table("conversation_times").unwrap().access,
        Access::Readable,
        "v2: not forbidden"
    );
    assert!(report
        .missing_roles()
        .contains(&("audit_logs", "org.permission.audit_logs.read")));
    assert!(text.contains("missing role org.permission.audit_logs.read"), "{text}");
    assert!(text.contains("not served (404)"), "{text}");

    // Counts: search's window (from the report's start) and archive search's.
    for (table, kind) in [
        ("customers", Kind::Customer),
        ("conversations", Kind::Conversation),
        ("messages", Kind::Message),
    ] {
        let t = report.table(table).unwrap();
        let (recent, old) = live_counts(&sim, kind, report.window_start);
        assert_eq!(t.records.map(|c| (c.n, c.at_least)), Some((recent, false)), "{table}");
        assert_eq!(t.archived.map(|c| c.n), Some(old), "{table}");
        assert!(old > 0, "{table}: a five-year org has history");
    }
    assert_eq!(
        report.table("notes").unwrap().archived,
        None,
        "archive search has no note fields"
    );

    // The limit the server announced, and a plan consistent with it.
    assert_eq!((report.rate_limit, report.rate_limit_from_server), (100_000, true));
    let p = &report.plan;
    assert_eq!(
        p.org_requests,
        report.tables.iter().map(|t| t.org_requests).sum::<u64>()
    );
    assert_eq!(
        p.search_requests,
        report.tables.iter().map(|t| t.search_requests).sum::<u64>()
    );
    let org_rate = f64::from(report.rate_limit) * report.usage_ceiling;
    assert!((p.org_per_minute - org_rate).abs() < 1e-6);
    let org_minutes = (p.org_requests + p.search_requests) as f64 / org_rate;
    assert!((p.org_minutes - org_minutes).abs() < 1e-9);
    assert!((p.search_minutes - p.search_requests as f64 / p.search_per_minute).abs() < 1e-9);
    assert!(p.estimate_minutes > 0.0 && p.estimate_minutes == p.org_minutes.max(p.search_minutes));
    // Every conversation and customer loaded costs one request per readable
    // detail table: times (conversations), drafts and merges (customers).
    // A list's last page (past the split) is loaded by search too; the
    // conversations' list is refused, so they come through search alone.
    let loaded = |t: &str| {
        let t = report.table(t).unwrap();
        let (window, old) = (t.records.unwrap().n, t.archived.unwrap().n);
        window
            + old
            + if t.list == Some(Access::Readable) {
                window.min(100)
            } else {
                0
            }
    };
    // After the core tables, each parent is read again by id: one request
    // more per parent, on its first readable detail table.
    assert_eq!(
        report.table("conversation_times").unwrap().org_requests,
        2 * loaded("conversations")
    );
    assert_eq!(
        report.table("customer_drafts").unwrap().org_requests,
        2 * loaded("customers")
    );
    assert_eq!(
        report.table("customer_merges").unwrap().org_requests,
        loaded("customers")
    );
    assert_eq!(
        report.table("conversation_events").unwrap().org_requests,
        0,
        "refused: not read"
    );
    assert_eq!(p.detail_requests, 2 * loaded("conversations") + 3 * loaded("customers"));
    assert!(
        p.core_minutes < p.estimate_minutes,
        "the core tables are complete first"
    );

    // Nothing written, and every request counted.
    assert_nothing_written(&sim);
    assert_eq!(report.requests, sim.stats().requests, "the check counts what it sent");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_a_clear_error() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let client = Client::builder()
        .base_url(sim.base_url())
        .token("not-the-token")
        .build()
        .unwrap();
    let e = check(&client, &SyncOptions::default()).await.unwrap_err();
    assert!(e.is_unauthorized(), "{e}");
    assert!(e.to_string().contains("token"), "{e}");
    assert_eq!(sim.stats().requests, 1, "stops at the token check");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capped_totals_refused_archive_and_403s_are_said() {
    let sim = Simulator::start(SimConfig {
        size: OrgSize {
            messages: 12_000,
            ..OrgSize::tiny()
        },
        cap_totals: true,
        archive_search: Some(404),
        role_status: 403,
        forbidden: vec!["/v1/tags".into()],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = sim_client(&sim);
    let options = SyncOptions::default().with_tables(["messages", "customers", "tags"]);
    let report = check(&client, &options).await.unwrap();
    let text = report.to_string();
    let messages = report.table("messages").unwrap();
    assert_eq!(
        messages.records.map(|c| (c.n, c.at_least)),
        Some((10_000, true)),
        "{text}"
    );
    assert!(text.contains("≥ 10,000"), "{text}");
    assert!(report.plan.lower_bound);
    assert_eq!(messages.archived, None, "archive search refused");
    assert!(
        messages.notes.iter().any(|n| n.contains("archive search refused")),
        "{text}"
    );
    assert_eq!(
        role_of(&report, "tags").as_deref(),
        Some("org.permission.tag.read"),
        "{text}"
    );
    assert!(report.table("conversations").is_none(), "not selected");

    // Search only: the window's pages and nothing on the org budget.
    let options = SyncOptions::default()
        .with_first_load(FirstLoadMode::SearchOnly)
        .with_tables(["messages"]);
    let report = check(&client, &options).await.unwrap();
    let messages = report.table("messages").unwrap();
    assert_eq!((messages.org_requests, messages.search_requests), (0, 10_000 / 500 + 1));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_load_logs_its_plan_and_reports_the_estimate() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.duckdb");
    let engine = Engine::new(sim_client(&sim), SyncOptions::default()).plan_first_load(true);
    let (report, dest) = engine.run(DuckDbDestination::open(&db).unwrap()).await.unwrap();
    assert!(report.is_success(), "{report}");
    let plan = report.plan.as_ref().expect("a first load is planned");
    assert!(plan.estimate_minutes > 0.0 && plan.detail_requests > 0);
    assert!(report.to_string().contains("first load: planned"), "{report}");
    let (again, _) = engine.run(dest).await.unwrap();
    assert_eq!(again.plan, None, "not a first load");
    sim.shutdown().await;
}
