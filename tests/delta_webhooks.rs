//! Webhooks into Delta tables beside the poll: the receiver writes the
//! simulator's signed events through its own Delta writer (its own `txn`
//! app ids) while the poll's writer holds the same tables; both end equal
//! to the simulator, on local disk and on S3.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use kustomer::api::NewOutboundWebhook;
use kustomer::sync::dest::delta::DeltaDestination;
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::STATE_TABLE;
use kustomer::sync::webhook::{WebhookReceiver, EVENTS};
use kustomer::sync::{Engine, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use support::{assert_destination_equals_simulator, sim_client};

/// Every table of the lake, copied into one DuckDB file (through Parquet
/// files DuckDB writes) so the simulator comparison can read it.
fn lake_as_duckdb(lake: &mut DeltaDestination, dir: &Path) -> DuckDbDestination {
    let db = DuckDbDestination::open(dir.join("lake.duckdb")).unwrap();
    for name in lake.list_tables().unwrap() {
        if name == STATE_TABLE {
            continue;
        }
        let file = dir.join(format!("{name}.parquet"));
        let file = file.display();
        lake.read_table(&name)
            .unwrap()
            .connection()
            .execute_batch(&format!("COPY \"{name}\" TO '{file}' (FORMAT parquet)"))
            .unwrap();
        db.connection()
            .execute_batch(&format!(
                "CREATE OR REPLACE TABLE \"{name}\" AS SELECT * FROM read_parquet('{file}')"
            ))
            .unwrap();
    }
    db
}

fn name_of(lake: &mut DeltaDestination, customer: &str) -> Option<String> {
    lake.read_table("customers")
        .unwrap()
        .connection()
        .query_row("SELECT name FROM customers WHERE id = ?", [customer], |r| r.get(0))
        .ok()
}

async fn webhooks_beside_polls_end_equal_to_the_simulator(spec: &str) {
    let sim = Simulator::start(SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let engine = Engine::new(sim_client(&sim), SyncOptions::default());
    let (report, lake) = engine.run(DeltaDestination::open(spec).unwrap()).await.unwrap();
    assert!(report.is_success(), "{report:#?}");

    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let secret = sim_client(&sim)
        .create_outbound_webhook(&NewOutboundWebhook::new("delta", &url).events(EVENTS))
        .await
        .unwrap()
        .secret
        .expect("a signing secret");
    let sink = engine.webhook_sink(lake.try_clone().unwrap()).await.unwrap();
    let app = WebhookReceiver::new(vec![secret], Arc::new(sink)).router();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (customer, conv) = sim.with_org(|o| {
        let customer = o.ids(Kind::Customer)[1].clone();
        o.update(Kind::Customer, &customer, |a| {
            a.insert("name".into(), "Webhook Name".into());
        });
        let conv = o.live_records(Kind::Conversation)[0]["id"].as_str().unwrap().to_owned();
        o.insert_into(Kind::Message, &conv).unwrap();
        o.insert(Kind::Tag);
        (customer, conv)
    });
    sim.flush_webhooks().await;
    let deliveries = sim.webhook_deliveries();
    assert!(deliveries.len() >= 3, "{deliveries:?}");
    assert!(
        deliveries.iter().all(|d| d.delivered && d.status == Some(200)),
        "{deliveries:#?}"
    );

    // Fresh in the lake before any poll, written by the receiver's writer.
    let mut lake = lake;
    assert_eq!(name_of(&mut lake, &customer).as_deref(), Some("Webhook Name"));
    let messages: i64 = lake
        .read_table("messages")
        .unwrap()
        .connection()
        .query_row(
            "SELECT count(*) FROM messages WHERE conversation_id = ?",
            [&conv],
            |r| r.get(0),
        )
        .unwrap();
    assert!(messages > 0);

    // A poll after the webhooks duplicates nothing and ends exact.
    let (report, mut lake) = engine.run(lake).await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    let dir = tempfile::tempdir().unwrap();
    assert_destination_equals_simulator(&lake_as_duckdb(&mut lake, dir.path()), &sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_beside_polls_on_local_disk_end_equal_to_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    webhooks_beside_polls_end_equal_to_the_simulator(&format!("delta://{}", dir.path().join("lake").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_beside_polls_on_s3_end_equal_to_the_simulator() {
    let Some(bucket) = support::s3::bucket("webhooks") else {
        return;
    };
    webhooks_beside_polls_end_equal_to_the_simulator(&format!("{bucket}/lake")).await;
}
