//! The engine on a bad day: every fault the simulator can inject, each
//! through a whole sync. Transient faults are retried within the run; after
//! every fault the next clean run converges to exactly the simulator's data,
//! with nothing lost and nothing doubled (primary keys would refuse a double).

mod support;

use std::time::Duration;

use kustomer::api::{Client, RetryPolicy};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::{Engine, FirstLoadMode, RunReport, SyncOptions};
use kustomer_sim::{Fault, FaultRule, Kind, Method, OrgSize, Reset, SimConfig, Simulator};
use support::assert_destination_equals_simulator;

fn org() -> SimConfig {
    SimConfig {
        size: OrgSize {
            customers: 60,
            conversations: 120,
            messages: 400,
            notes: 80,
            ..OrgSize::tiny()
        },
        ..SimConfig::default()
    }
}

/// A client that waits briefly between retries and times out fast.
fn client(sim: &Simulator) -> Client {
    Client::builder()
        .base_url(sim.base_url())
        .token(sim.token())
        .rate_limit(1_000_000)
        .search_rate_limit(1_000_000)
        .request_timeout(Duration::from_millis(700))
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(2),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

fn options() -> SyncOptions {
    SyncOptions::default().with_search_page_size(40)
}

/// Runs a sync with `rules` injected, then a clean one; returns the first
/// run's report (or its error) and checks convergence.
async fn with_faults(sim: &Simulator, rules: Vec<FaultRule>) -> Result<RunReport, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    for r in rules {
        sim.inject(r);
    }
    let faults_before = sim.stats().faults;
    let first = Engine::new(client(sim), options())
        .run(DuckDbDestination::open(&path).unwrap())
        .await
        .map(|(r, _)| r)
        .map_err(|e| e.to_string());
    assert!(sim.stats().faults > faults_before, "the fault never fired");
    sim.clear_faults();
    let (report, dest) = Engine::new(client(sim), options())
        .run(DuckDbDestination::open(&path).unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_destination_equals_simulator(&dest, sim);
    first
}

async fn transient(name: &str, rules: Vec<FaultRule>) -> RunReport {
    let sim = Simulator::start(org()).await.unwrap();
    let report = with_faults(&sim, rules)
        .await
        .unwrap_or_else(|e| panic!("{name}: the run failed instead of retrying: {e}"));
    assert!(report.is_success(), "{name}: {report:#?}");
    sim.shutdown().await;
    report
}

const SEARCH: &str = "/v1/customers/search";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_storms_are_waited_out() {
    let storm = |fault: Fault| FaultRule::new(fault, SEARCH).times(3);
    for (name, fault) in [
        (
            "Retry-After",
            Fault::TooManyRequests {
                retry_after: Some(1),
                reset: None,
            },
        ),
        (
            "x-ratelimit-reset epoch",
            Fault::TooManyRequests {
                retry_after: None,
                reset: Some(Reset::Epoch(1)),
            },
        ),
        (
            "x-ratelimit-reset delta",
            Fault::TooManyRequests {
                retry_after: None,
                reset: Some(Reset::Delta(1)),
            },
        ),
        (
            "no header",
            Fault::TooManyRequests {
                retry_after: None,
                reset: None,
            },
        ),
    ] {
        let report = transient(name, vec![storm(fault)]).await;
        assert!(report.client.throttled >= 3, "{name}: {:?}", report.client);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_responses_are_retried() {
    for (name, rule) in [
        ("5xx burst", FaultRule::new(Fault::ServerError(503), SEARCH).times(3)),
        ("reset mid-body", FaultRule::new(Fault::ResetMidBody, "/v1/users")),
        ("truncated JSON", FaultRule::new(Fault::TruncatedJson, SEARCH).skip(2)),
        ("invalid JSON", FaultRule::new(Fault::InvalidJson, "/v1/tags")),
        (
            "proxy HTML page",
            FaultRule::new(Fault::HtmlPage(502), "/v1/conversations").times(2),
        ),
        (
            "slower than the timeout",
            FaultRule::new(Fault::Slow(Duration::from_millis(1_500)), "/v1/klasses"),
        ),
    ] {
        let report = transient(name, vec![rule]).await;
        assert!(report.client.retries >= 1, "{name}: {:?}", report.client);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_pages_are_not_taken_for_the_end() {
    // Short search pages (a GET list follows `links.next` whatever a page
    // holds), then a check that the faulted run alone loaded everything.
    let sim = Simulator::start(org()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    sim.inject(FaultRule::new(Fault::ShortPage, SEARCH).times(5));
    let search_only = options().with_first_load(FirstLoadMode::SearchOnly);
    let (report, dest) = Engine::new(client(&sim), search_only)
        .run(DuckDbDestination::open(&path).unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(sim.stats().faults, 5);
    assert_destination_equals_simulator(&dest, &sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_changing_and_vanishing_while_streams_page() {
    let sim = Simulator::start(org()).await.unwrap();
    // While the second search page is asked for, records already read move
    // to the end (updated) and some are deleted; a tag is deleted while the
    // tags list is read.
    sim.on_request(Some(Method::POST), SEARCH, 2, |org| {
        for id in org.ids(Kind::Conversation).into_iter().take(10) {
            org.touch(Kind::Conversation, &id);
        }
        for id in org.ids(Kind::Message).into_iter().take(5) {
            org.delete(Kind::Message, &id);
        }
        org.insert(Kind::Customer);
    });
    sim.on_request(Some(Method::GET), "/v1/tags", 0, |org| {
        let id = org.ids(Kind::Tag)[2].clone();
        org.delete(Kind::Tag, &id);
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    let (report, _) = Engine::new(client(&sim), options())
        .run(DuckDbDestination::open(&path).unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    // The next run converges (changes made during a read arrive through it).
    let (report, dest) = Engine::new(client(&sim), options())
        .run(DuckDbDestination::open(&path).unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_destination_equals_simulator(&dest, &sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_that_outlasts_the_retries_fails_its_table_only_and_the_next_run_converges() {
    let sim = Simulator::start(org()).await.unwrap();
    let report = with_faults(
        &sim,
        vec![FaultRule::new(Fault::ServerError(500), "/v1/teams").times(u32::MAX)],
    )
    .await
    .unwrap();
    let teams = report.stream("teams").unwrap();
    assert!(teams.error.as_deref().unwrap_or_default().contains("500"), "{teams:?}");
    assert!(
        report
            .streams
            .iter()
            .filter(|s| s.name != "teams")
            .all(|s| s.error.is_none()),
        "{report:#?}"
    );
    sim.shutdown().await;
}
