//! Outbound webhooks: management over HTTP and signed, retried, ordered delivery.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use kustomer_sim::{Kind, SimConfig, Simulator, MAX_OUTBOUND_WEBHOOKS};
use serde_json::{json, Value};
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("event JSON")
    }
}

/// A local receiver: records every request; answers 500 to the first `fail_first`
/// requests, then 200.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

async fn receiver(fail_first: u32) -> Receiver {
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let failures = Arc::new(AtomicU32::new(fail_first));
    let log = Arc::clone(&got);
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let (log, failures) = (Arc::clone(&log), Arc::clone(&failures));
        async move {
            log.lock().unwrap().push(Received { headers, body });
            let fail = failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, got }
}

impl Receiver {
    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

async fn call(sim: &Simulator, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.base_url()))
        .bearer_auth(sim.token());
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates a webhook; returns (id, token).
async fn subscribe(sim: &Simulator, url: &str, events: &[&str]) -> (String, String) {
    let body = json!({"name": "test", "url": url, "events": events, "headers": [{"name": "X-Test", "value": "yes"}]});
    let (status, created) = call(sim, reqwest::Method::POST, "/v1/outbound-webhooks", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let data = &created["data"];
    assert_eq!(data["type"], "outbound_webhook");
    (
        data["id"].as_str().unwrap().to_owned(),
        data["attributes"]["token"].as_str().unwrap().to_owned(),
    )
}

fn signature(token: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn listed_ids(sim: &Simulator) -> Vec<String> {
    let (status, body) = call(sim, reqwest::Method::GET, "/v1/outbound-webhooks", None).await;
    assert_eq!(status, 200);
    let data = body["data"].as_array().unwrap();
    data.iter().map(|w| w["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn create_list_delete_and_the_limit() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let seeded = listed_ids(&sim).await;
    assert!(!seeded.is_empty() && seeded.len() < MAX_OUTBOUND_WEBHOOKS);
    let mut mine = Vec::new();
    for i in seeded.len()..MAX_OUTBOUND_WEBHOOKS {
        let url = format!("http://127.0.0.1:9/{i}");
        mine.push(subscribe(&sim, &url, &["kustomer.customer.update"]).await.0);
    }
    let listed = listed_ids(&sim).await;
    assert_eq!(listed.len(), MAX_OUTBOUND_WEBHOOKS);
    assert!(mine.iter().all(|id| listed.contains(id)));

    let sixth = json!({"name": "6th", "url": "https://example.invalid/x", "events": ["kustomer.tag.create"]});
    let (status, body) = call(
        &sim,
        reqwest::Method::POST,
        "/v1/outbound-webhooks",
        Some(sixth.clone()),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("at most 5"),
        "{body}"
    );

    let (status, _) = call(
        &sim,
        reqwest::Method::DELETE,
        &format!("/v1/outbound-webhooks/{}", seeded[0]),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = call(
        &sim,
        reqwest::Method::DELETE,
        &format!("/v1/outbound-webhooks/{}", seeded[0]),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(!listed_ids(&sim).await.contains(&seeded[0]));
    let (status, _) = call(&sim, reqwest::Method::POST, "/v1/outbound-webhooks/", Some(sixth)).await;
    assert_eq!(status, 201, "room again after a delete (trailing slash accepted)");

    for bad in [
        json!({"url": "ftp://x", "events": ["kustomer.tag.create"]}),
        json!({"url": "https://x", "events": []}),
        json!({"url": "https://x", "events": ["kustomer.kobject.create"]}),
        json!({"url": "https://x", "events": ["kustomer.tag.create"], "headers": [{"name": "bad header", "value": "v"}]}),
    ] {
        let (status, body) = call(&sim, reqwest::Method::POST, "/v1/outbound-webhooks", Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad} → {body}");
    }
    let stats = sim.stats();
    assert_eq!(stats.by_family["POST /v1/outbound-webhooks"], 8);
    assert_eq!(stats.by_family["DELETE /v1/outbound-webhooks/{id}"], 2);
}

#[tokio::test]
async fn signed_events_for_subscribed_changes_only() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let rx = receiver(0).await;

    // Without subscriptions nothing is sent.
    let customer = sim.with_org(|org| org.ids(Kind::Customer)[0].clone());
    sim.with_org(|org| org.touch(Kind::Customer, &customer));
    sim.flush_webhooks().await;
    assert!(sim.webhook_deliveries().is_empty());

    let (hook, token) = subscribe(&sim, &rx.url, &["kustomer.customer.update", "kustomer.tag.create"]).await;
    sim.with_org(|org| {
        org.update(Kind::Customer, &customer, |a| {
            a.insert("name".into(), json!("Renamed"));
        });
        org.insert(Kind::Customer); // customer.create: not subscribed
        org.insert(Kind::Tag);
        let company = org.ids(Kind::Company)[0].clone();
        org.touch(Kind::Company, &company); // no company events
    });
    sim.flush_webhooks().await;

    let got = rx.received();
    assert_eq!(got.len(), 2, "{got:?}");
    for r in &got {
        assert_eq!(
            r.headers["x-kustomer-webhook-signature"].to_str().unwrap(),
            signature(&token, &r.body)
        );
        assert_eq!(r.headers["x-test"], "yes");
        assert_eq!(r.headers["content-type"], "application/json");
    }
    let named = |name: &str| {
        got.iter()
            .find(|r| r.headers["x-kustomer-webhook-event"] == name)
            .unwrap()
            .json()
    };
    let update = named("kustomer.customer.update");
    assert_eq!(update["name"], "kustomer.customer.update");
    let served = sim.with_org(|org| org.get(Kind::Customer, &customer).unwrap());
    assert_eq!(update["data"], served, "data is the record as GET serves it");
    assert_eq!(update["dataId"], customer.as_str());
    assert_eq!(update["org"], update["partition"]);
    assert_eq!(update["id"].as_str().unwrap().len(), 24);
    assert_eq!(update["createdAt"], served["attributes"]["updatedAt"]);
    assert_eq!(update["changes"]["attributes"]["name"]["after"], "Renamed");
    assert_eq!(update["changes"]["attributes"]["name"]["op"], "replace");
    let create = named("kustomer.tag.create");
    assert_eq!(create["name"], "kustomer.tag.create");
    assert_eq!(create["data"]["type"], "tag");
    assert!(create.get("changes").is_none());

    let deliveries = sim.webhook_deliveries();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d.delivered
        && d.attempts == 1
        && d.status == Some(200)
        && d.webhook_id == hook
        && d.url == rx.url));

    // A disabled or deleted webhook gets nothing more.
    sim.with_org(|org| {
        org.update_in("outbound_webhooks", &hook, |a| {
            a.insert("enabled".into(), json!(false));
        })
    });
    sim.with_org(|org| org.touch(Kind::Customer, &customer));
    call(
        &sim,
        reqwest::Method::DELETE,
        &format!("/v1/outbound-webhooks/{hook}"),
        None,
    )
    .await;
    sim.with_org(|org| org.insert(Kind::Tag));
    sim.flush_webhooks().await;
    assert_eq!(rx.received().len(), 2);
}

#[tokio::test]
async fn retries_failures_then_gives_up() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let flaky = receiver(2).await;
    subscribe(&sim, &flaky.url, &["kustomer.team.update"]).await;
    let team = sim.with_org(|org| org.ids(Kind::Team)[0].clone());
    sim.with_org(|org| org.touch(Kind::Team, &team));
    sim.flush_webhooks().await;
    let d = sim.webhook_deliveries();
    assert_eq!(d.len(), 1);
    assert!(d[0].delivered);
    assert_eq!((d[0].attempts, d[0].status), (3, Some(200)));
    let bodies: Vec<Bytes> = flaky.received().into_iter().map(|r| r.body).collect();
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "a retry resends the same bytes"
    );

    // Nothing listens on port 9 of loopback: every attempt fails to connect.
    let dead = subscribe(&sim, "http://127.0.0.1:9/hook", &["kustomer.user.update"])
        .await
        .0;
    sim.set_webhook_retry_delays(vec![Duration::ZERO; 3]);
    let user = sim.with_org(|org| org.ids(Kind::User)[0].clone());
    sim.with_org(|org| org.touch(Kind::User, &user));
    sim.flush_webhooks().await;
    let d = sim.webhook_deliveries();
    let last = d.iter().find(|d| d.webhook_id == dead).unwrap();
    assert!(!last.delivered);
    assert_eq!((last.attempts, last.status), (4, None));
}

#[tokio::test]
async fn one_records_events_arrive_in_order_even_across_retries() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let rx = receiver(3).await;
    subscribe(
        &sim,
        &rx.url,
        &["kustomer.conversation.update", "kustomer.message.create"],
    )
    .await;
    let conversation = sim.with_org(|org| {
        org.live_records(Kind::Conversation)[0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    sim.with_org(|org| {
        for i in 0..5 {
            org.update(Kind::Conversation, &conversation, |a| {
                a.insert("priority".into(), json!(i));
            });
        }
        org.insert_into(Kind::Message, &conversation).unwrap();
    });
    sim.flush_webhooks().await;
    let delivered: Vec<Value> = (rx.received().iter())
        .filter(|r| r.headers["x-kustomer-webhook-event"] == "kustomer.conversation.update")
        .map(Received::json)
        .collect();
    let mut revs: Vec<u64> = delivered
        .iter()
        .map(|e| e["data"]["attributes"]["rev"].as_u64().unwrap())
        .collect();
    revs.dedup(); // retried deliveries repeat a revision
    assert_eq!(revs.len(), 6, "5 updates + the update for the new message");
    assert!(revs.windows(2).all(|w| w[0] < w[1]), "{revs:?}");
    assert!(sim.webhook_deliveries().iter().all(|d| d.delivered));
    assert_eq!(
        sim.webhook_deliveries()
            .iter()
            .filter(|d| d.event_name == "kustomer.message.create")
            .count(),
        1
    );
}

#[tokio::test]
async fn the_same_changes_send_the_same_bytes() {
    async fn run() -> Vec<Bytes> {
        let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
        let rx = receiver(0).await;
        subscribe(&sim, &rx.url, &["kustomer.customer.create", "kustomer.customer.update"]).await;
        sim.with_org(|org| {
            let id = org.insert(Kind::Customer);
            org.update(Kind::Customer, &id, |a| {
                a.insert("locale".into(), json!("fr"));
            });
            org.delete(Kind::Customer, &id);
        });
        sim.flush_webhooks().await;
        let mut bodies: Vec<Bytes> = rx.received().into_iter().map(|r| r.body).collect();
        bodies.sort();
        bodies
    }
    let (a, b) = (run().await, run().await);
    assert_eq!(a.len(), 3);
    assert_eq!(a, b);
    let deleted: Vec<Value> = (a.iter().map(|b| serde_json::from_slice::<Value>(b).unwrap()))
        .filter(|e| e["changes"]["attributes"].get("deleted").is_some())
        .collect();
    assert_eq!(deleted.len(), 1, "a soft delete is sent as an update");
    assert_eq!(deleted[0]["name"], "kustomer.customer.update");
}
