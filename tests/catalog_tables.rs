//! Every table of the catalogue, end to end: after a sync of the simulator,
//! each table exists and holds exactly what the simulator served; a klass and
//! a custom attribute added between two syncs appear as a table and a column.

mod support;

use std::collections::BTreeSet;

use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::Destination;
use kustomer::sync::{Engine, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
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

fn live(v: &Value) -> bool {
    v.pointer("/attributes/deleted").and_then(Value::as_bool) != Some(true)
}

/// What the simulator served for each table: (table, rows).
fn served(sim: &Simulator) -> Vec<(String, usize)> {
    sim.with_org(|org| {
        let live_parents = |kind: Kind| -> Vec<String> {
            org.records(kind)
                .into_iter()
                .filter(live)
                .map(|v| v["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let conversations = live_parents(Kind::Conversation);
        let customers = live_parents(Kind::Customer);
        let mut out = Vec::new();
        for name in org.collection_names() {
            let n = match name {
                // One row per attribute definition.
                "custom_attribute_metadata" => org
                    .collection(name)
                    .iter()
                    .map(|doc| {
                        doc.pointer("/attributes/properties")
                            .and_then(Value::as_object)
                            .map_or(0, |p| p.len())
                    })
                    .sum(),
                // A merge is listed under its source and its target customer.
                "customer_merges" => org
                    .collection(name)
                    .iter()
                    .map(|m| {
                        ["source", "target"]
                            .iter()
                            .filter_map(|r| {
                                m.pointer(&format!("/relationships/{r}/data/id"))
                                    .and_then(Value::as_str)
                            })
                            .filter(|id| customers.iter().any(|c| c == id))
                            .count()
                    })
                    .sum(),
                // Details of deleted parents are gone (their lists answer 404).
                n if n.starts_with("conversation_") => {
                    conversations.iter().map(|id| org.collection_for(n, id).len()).sum()
                }
                n if n.starts_with("customer_") && n != "customer_searches" && !n.starts_with("customer_searches") => {
                    customers.iter().map(|id| org.collection_for(n, id).len()).sum()
                }
                n => org.collection(n).len(),
            };
            out.push((name.to_owned(), n));
        }
        // One table per klass.
        let mut klasses: BTreeSet<String> = BTreeSet::new();
        for k in org.records(Kind::KObject) {
            klasses.insert(k["type"].as_str().unwrap().trim_start_matches("kobject.").to_owned());
        }
        for k in klasses {
            let n = org
                .records(Kind::KObject)
                .iter()
                .filter(|v| v["type"] == format!("kobject.{k}"))
                .count();
            out.push((format!("kobject_{}", kustomer::models::snake_case(&k)), n));
        }
        out
    })
}

fn count(dest: &mut DuckDbDestination, table: &str) -> u64 {
    dest.row_count(table).unwrap_or_else(|e| panic!("table {table}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_holds_what_the_simulator_served() {
    let sim = Simulator::start(config()).await.unwrap();
    let (report, mut dest) = Engine::new(sim_client(&sim), SyncOptions::default())
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    let expected = served(&sim);
    assert!(expected.len() >= 45, "the simulator serves {} tables", expected.len());
    let mut wrong = Vec::new();
    for (table, n) in &expected {
        let got = count(&mut dest, table);
        if got != *n as u64 {
            wrong.push(format!("{table}: {got} rows, simulator served {n}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Every table of every stream exists, children included.
    let engine = Engine::new(sim_client(&sim), SyncOptions::default());
    for stream in engine.selected().unwrap() {
        for t in stream.tables(&Default::default()).all() {
            count(&mut dest, &t.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_klass_and_a_new_custom_attribute_appear_on_the_next_sync() {
    let sim = Simulator::start(config()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.duckdb");
    let (report, dest) = Engine::new(sim_client(&sim), SyncOptions::default())
        .run(DuckDbDestination::open(&path).unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    drop(dest);

    let touched = sim.with_org(|org| {
        org.add_klass("returns-portal.return", 7);
        org.add_custom_attribute(Kind::Customer, "loyaltyPointsNum", 5)
    });
    let (report, mut dest) = Engine::new(sim_client(&sim), SyncOptions::default())
        .run(DuckDbDestination::open(&path).unwrap())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(count(&mut dest, "kobject_returns_portal_return"), 7);
    let filled: i64 = dest
        .connection()
        .query_row("SELECT count(custom_loyalty_points_num) FROM customers", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(filled as usize, touched.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_the_token_may_not_read_is_skipped_and_the_rest_sync() {
    let mut cfg = config();
    cfg.forbidden = vec!["/v1/audit-logs".into()];
    let sim = Simulator::start(cfg).await.unwrap();
    let (report, mut dest) = Engine::new(sim_client(&sim), SyncOptions::default())
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .unwrap();
    let audit = report.stream("audit_logs").unwrap();
    let why = audit.skipped.as_deref().expect("audit_logs skipped");
    assert!(why.contains("org.permission.audit_logs.read"), "{why}");
    assert!(report.is_success(), "a skipped table is not a failure: {report:#?}");
    assert!(count(&mut dest, "customers") > 0);
    assert_eq!(count(&mut dest, "audit_logs"), 0);
}
