//! The webhook receiver on a real socket, fed by the simulator's signed deliveries.
#![cfg(feature = "webhook")]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use futures::FutureExt;
use kustomer_api::{Client, NewOutboundWebhook};
use kustomer_models::{Customer, Entity};
use kustomer_sim::{Kind, SimConfig, Simulator};
use kustomer_sync::webhook::{EventSink, WebhookEvent, WebhookReceiver, WebhookRecord};
use kustomer_sync::SyncError;

/// Records events; fails the first `fail_first` calls.
#[derive(Clone, Default)]
struct Sink {
    events: Arc<Mutex<Vec<WebhookEvent>>>,
    fail_first: Arc<AtomicU32>,
}

impl EventSink for Sink {
    fn apply(&self, event: WebhookEvent) -> BoxFuture<'static, Result<(), SyncError>> {
        let this = self.clone();
        async move {
            if this
                .fail_first
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(SyncError::Destination("not now".into()));
            }
            this.events.lock().unwrap().push(event);
            Ok(())
        }
        .boxed()
    }
}

#[tokio::test]
async fn simulator_deliveries_verify_decode_and_retry() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let client = Client::builder()
        .token(sim.token())
        .base_url(sim.base_url())
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/kustomer", listener.local_addr().unwrap());
    let created = client
        .create_outbound_webhook(&NewOutboundWebhook::new("warehouse", &url).events([
            "kustomer.customer.update",
            "kustomer.conversation.create",
            "kustomer.message.create",
            "kustomer.tag.update",
        ]))
        .await
        .unwrap();
    let sink = Sink {
        fail_first: Arc::new(AtomicU32::new(1)),
        ..Sink::default()
    };
    let receiver = WebhookReceiver::new(vec![created.secret.unwrap()], Arc::new(sink.clone()));
    tokio::spawn(async move { axum::serve(listener, receiver.router()).await });

    let customer = sim.with_org(|org| org.ids(Kind::Customer)[0].clone());
    sim.with_org(|org| {
        org.update(Kind::Customer, &customer, |a| {
            a.insert("name".into(), "Webhook Jane".into());
        })
    });
    sim.flush_webhooks().await;
    let (conversation, message) = sim.with_org(|org| {
        let conversation = org.insert(Kind::Conversation);
        let message = org.insert_into(Kind::Message, &conversation).unwrap();
        (conversation, message)
    });
    sim.flush_webhooks().await;

    let deliveries = sim.webhook_deliveries();
    assert_eq!(deliveries.len(), 3, "{deliveries:?}");
    assert!(deliveries.iter().all(|d| d.delivered && d.status == Some(200)));
    assert_eq!(deliveries[0].attempts, 2, "the sink's failure (503) was retried");

    let events = sink.events.lock().unwrap().clone();
    assert_eq!(events.len(), 3);
    let served: Customer = client.get_one(&format!("/v1/customers/{customer}")).await.unwrap();
    let WebhookRecord::Customer(c) = &events[0].record else {
        panic!("{:?}", events[0].record)
    };
    assert_eq!(c, &served, "the event carries the record as GET serves it");
    assert_eq!(c.attributes.name.as_deref(), Some("Webhook Jane"));
    assert_eq!(events[0].created_at, served.updated_at());

    let mut got: Vec<(&str, &str, &str)> = (events[1..].iter())
        .map(|e| (e.name.as_str(), e.record.stream(), e.record.id()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("kustomer.conversation.create", "conversations", conversation.as_str()),
            ("kustomer.message.create", "messages", message.as_str()),
        ]
    );
    assert_eq!(served.id(), customer);
}
