//! Webhooks into the sync's tables: the simulator delivers signed events for
//! the changes a test makes; the receiver verifies and writes them through
//! the same shaping and destination as the poll. Tampered, replayed and
//! out-of-order deliveries, a crash between receipt and write, and webhooks
//! and polls touching the same records all end equal to the simulator.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use futures::future::BoxFuture;
use hmac::{KeyInit, Mac};
use kustomer::api::{Client, NewOutboundWebhook};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::webhook::{EventSink, WebhookEvent, WebhookReceiver, WebhookSecret, EVENTS, SIGNATURE_HEADER};
use kustomer::sync::{Engine, SyncError, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use serde_json::{json, Value};
use support::{assert_destination_equals_simulator, sim_client};

struct Setup {
    sim: Simulator,
    _dir: tempfile::TempDir,
    dest: DuckDbDestination,
    url: String,
    engine: Engine,
}

/// A synced org and a bound (not yet serving) receiver address.
async fn setup() -> (Setup, tokio::net::TcpListener) {
    let sim = Simulator::start(SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = DuckDbDestination::open(dir.path().join("k.duckdb")).unwrap();
    let engine = Engine::new(sim_client(&sim), SyncOptions::default());
    let (report, dest) = engine.run(dest).await.unwrap();
    assert!(report.is_success());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    (
        Setup {
            sim,
            _dir: dir,
            dest,
            url,
            engine,
        },
        listener,
    )
}

fn serve(listener: tokio::net::TcpListener, secret: WebhookSecret, sink: Arc<dyn EventSink>) {
    let app = WebhookReceiver::new(vec![secret], sink).router();
    tokio::spawn(async move { axum::serve(listener, app).await });
}

async fn subscribe(client: &Client, url: &str) -> WebhookSecret {
    client
        .create_outbound_webhook(&NewOutboundWebhook::new("test", url).events(EVENTS))
        .await
        .unwrap()
        .secret
        .expect("a signing secret")
}

fn text(dest: &DuckDbDestination, sql: &str, id: &str) -> Option<String> {
    dest.connection().query_row(sql, [id], |r| r.get(0)).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_and_polls_on_the_same_records_end_equal_to_the_simulator() {
    let (s, listener) = setup().await;
    let secret = subscribe(&sim_client(&s.sim), &s.url).await;
    let sink = s.engine.webhook_sink(s.dest.try_clone().unwrap()).await.unwrap();
    serve(listener, secret, Arc::new(sink));

    let (customer, conv, msg, tag) = s.sim.with_org(|o| {
        let customer = o.ids(Kind::Customer)[1].clone();
        o.update(Kind::Customer, &customer, |a| {
            a.insert("name".into(), "Webhook Name".into());
        });
        let conv = o.live_records(Kind::Conversation)[0]["id"].as_str().unwrap().to_owned();
        o.update(Kind::Conversation, &conv, |a| {
            a.insert("status".into(), "done".into());
        });
        let msg = o.insert_into(Kind::Message, &conv).unwrap();
        let tag = o.insert(Kind::Tag);
        (customer, conv, msg, tag)
    });
    s.sim.flush_webhooks().await;
    let deliveries = s.sim.webhook_deliveries();
    assert!(deliveries.len() >= 5, "{deliveries:?}");
    assert!(
        deliveries.iter().all(|d| d.delivered && d.status == Some(200)),
        "{deliveries:#?}"
    );

    // Fresh before any poll.
    let d = &s.dest;
    assert_eq!(
        text(d, "SELECT name FROM customers WHERE id = ?", &customer).as_deref(),
        Some("Webhook Name")
    );
    assert_eq!(
        text(d, "SELECT status FROM conversations WHERE id = ?", &conv).as_deref(),
        Some("done")
    );
    assert_eq!(
        text(d, "SELECT id FROM messages WHERE id = ?", &msg).as_deref(),
        Some(msg.as_str())
    );
    assert_eq!(
        text(d, "SELECT id FROM tags WHERE id = ?", &tag).as_deref(),
        Some(tag.as_str())
    );
    // The conversation's detail rows (events) were not wiped by the event.
    let events: i64 = d
        .connection()
        .query_row(
            "SELECT count(*) FROM conversation_events WHERE conversation_id = ?",
            [&conv],
            |r| r.get(0),
        )
        .unwrap();
    assert!(events > 0);

    // A poll after the webhooks duplicates nothing and ends exact.
    let (report, dest) = s.engine.run(s.dest.try_clone().unwrap()).await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_destination_equals_simulator(&dest, &s.sim);
}

fn sign(secret: &WebhookSecret, body: &[u8]) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn event(id: &str, record: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id,
        "name": "kustomer.customer.update",
        "org": "sim",
        "createdAt": record["attributes"]["updatedAt"],
        "data": record,
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_replayed_and_out_of_order_deliveries() {
    let (s, listener) = setup().await;
    let secret = WebhookSecret::new("test-signing-secret");
    let sink = s.engine.webhook_sink(s.dest.try_clone().unwrap()).await.unwrap();
    serve(listener, secret.clone(), Arc::new(sink));
    let http = reqwest::Client::new();
    let post = |body: Vec<u8>, sig: String| {
        let req = http.post(&s.url).header(SIGNATURE_HEADER, sig).body(body);
        async move { req.send().await.unwrap().status().as_u16() }
    };

    // Two versions of one customer: v1 then v2 (newer updatedAt).
    let (id, v1, v2) = s.sim.with_org(|o| {
        let id = o.ids(Kind::Customer)[2].clone();
        o.update(Kind::Customer, &id, |a| {
            a.insert("name".into(), "Version One".into());
        });
        let v1 = o.get(Kind::Customer, &id).unwrap().clone();
        o.update(Kind::Customer, &id, |a| {
            a.insert("name".into(), "Version Two".into());
        });
        let v2 = o.get(Kind::Customer, &id).unwrap().clone();
        (id, v1, v2)
    });
    let name = || text(&s.dest, "SELECT name FROM customers WHERE id = ?", &id);
    let before = name();

    // Tampered: signed, then changed.
    let body = event("e2", &v2);
    let sig = sign(&secret, &body);
    let mut tampered = body.clone();
    let at = tampered.windows(11).position(|w| w == b"Version Two").unwrap();
    tampered[at..at + 11].copy_from_slice(b"Version 666");
    assert_eq!(post(tampered, sig.clone()).await, 401);
    assert_eq!(post(body.clone(), sign(&WebhookSecret::new("wrong"), &body)).await, 401);
    assert_eq!(name(), before, "nothing written");

    // Newer first, then the older one late: the newer stays.
    assert_eq!(post(body.clone(), sig.clone()).await, 200);
    assert_eq!(name().as_deref(), Some("Version Two"));
    let old = event("e1", &v1);
    assert_eq!(post(old.clone(), sign(&secret, &old)).await, 200);
    assert_eq!(
        name().as_deref(),
        Some("Version Two"),
        "an older event never overwrites newer data"
    );
    // A replay changes nothing and doubles nothing.
    assert_eq!(post(body, sig).await, 200);
    let rows: i64 = s
        .dest
        .connection()
        .query_row("SELECT count(*) FROM customers WHERE id = ?", [&id], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    // Malformed JSON, correctly signed: 400, nothing written.
    let junk = b"{\"id\": \"e3\", \"name\": \"kustomer.customer.update\", \"data\": [".to_vec();
    assert_eq!(post(junk.clone(), sign(&secret, &junk)).await, 400);

    // A poll (older than what the webhook wrote? no: the same) converges.
    let (_, dest) = s.engine.run(s.dest.try_clone().unwrap()).await.unwrap();
    assert_destination_equals_simulator(&dest, &s.sim);
}

/// A sink that "crashes" (fails before writing) the first `n` times.
struct CrashingFirst<S> {
    left: AtomicU32,
    inner: S,
}

impl<S: EventSink> EventSink for CrashingFirst<S> {
    fn apply(&self, event: WebhookEvent) -> BoxFuture<'static, Result<(), SyncError>> {
        if self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Box::pin(async { Err(SyncError::Destination("crashed before the write".into())) });
        }
        self.inner.apply(event)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_receipt_and_write_loses_nothing() {
    let (s, listener) = setup().await;
    let secret = subscribe(&sim_client(&s.sim), &s.url).await;
    let sink = s.engine.webhook_sink(s.dest.try_clone().unwrap()).await.unwrap();
    serve(
        listener,
        secret,
        Arc::new(CrashingFirst {
            left: AtomicU32::new(2),
            inner: sink,
        }),
    );
    let customer = s.sim.with_org(|o| {
        let id = o.ids(Kind::Customer)[0].clone();
        o.update(Kind::Customer, &id, |a| {
            a.insert("name".into(), "After The Crash".into());
        });
        id
    });
    s.sim.flush_webhooks().await;
    let d = s.sim.webhook_deliveries();
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].delivered && d[0].attempts == 3,
        "answered 503 twice, then stored: {d:?}"
    );
    assert_eq!(
        text(&s.dest, "SELECT name FROM customers WHERE id = ?", &customer).as_deref(),
        Some("After The Crash")
    );
}
