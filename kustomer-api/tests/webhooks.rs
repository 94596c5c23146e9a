//! Managing outbound webhooks against the simulator.

use kustomer_api::{Client, Error, NewOutboundWebhook, MAX_OUTBOUND_WEBHOOKS};
use kustomer_sim::{SimConfig, Simulator};

fn client(sim: &Simulator) -> Client {
    Client::builder()
        .token(sim.token())
        .base_url(sim.base_url())
        .build()
        .unwrap()
}

fn posts(sim: &Simulator) -> u64 {
    sim.stats()
        .by_family
        .get("POST /v1/outbound-webhooks")
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn list_create_delete_and_the_limit() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let c = client(&sim);
    let seeded = c.list_outbound_webhooks().await.unwrap();
    assert!(!seeded.is_empty() && seeded.len() < MAX_OUTBOUND_WEBHOOKS);

    let mut created = Vec::new();
    for i in seeded.len()..MAX_OUTBOUND_WEBHOOKS {
        let new = NewOutboundWebhook::new(format!("hook {i}"), format!("http://127.0.0.1:9/{i}"))
            .events(["kustomer.customer.create", "kustomer.customer.update"])
            .header("X-Source", "test");
        let done = c.create_outbound_webhook(&new).await.unwrap();
        let attrs = &done.webhook.attributes;
        assert_eq!(attrs.name.as_deref(), Some(format!("hook {i}").as_str()));
        assert_eq!(attrs.url.as_deref(), Some(new.url.as_str()));
        assert_eq!(attrs.enabled, Some(true));
        let secret = done.secret.clone().expect("the create answer carries the token");
        assert!(!secret.is_empty());
        assert!(!format!("{done:?}").contains(secret.expose_secret()));
        created.push(done.webhook.id.as_str().to_owned());
    }
    let listed = c.list_outbound_webhooks().await.unwrap();
    assert_eq!(listed.len(), MAX_OUTBOUND_WEBHOOKS);
    assert!(created.iter().all(|id| listed.iter().any(|w| w.id.as_str() == id)));

    // A sixth is refused before anything is sent.
    let before = posts(&sim);
    let sixth = NewOutboundWebhook::new("sixth", "https://h.example/6").event("kustomer.tag.create");
    match c.create_outbound_webhook(&sixth).await {
        Err(e @ Error::WebhookLimit { limit: 5, existing: 5 }) => {
            assert!(e.to_string().contains("at most 5"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(posts(&sim), before, "no POST for a webhook bound to be refused");

    // Webhooks created elsewhere count (the server's own refusal is mapped too:
    // see the unit tests, which can script a race).
    c.delete_outbound_webhook(&created[0]).await.unwrap();
    sim.with_org(|org| org.add_to("outbound_webhooks")).unwrap();
    assert!(matches!(
        c.create_outbound_webhook(&sixth).await,
        Err(Error::WebhookLimit { existing: 5, .. })
    ));

    assert!(c.delete_outbound_webhook(&created[0]).await.unwrap_err().is_not_found());
    assert!(matches!(
        c.delete_outbound_webhook("../customers").await,
        Err(Error::Config(_))
    ));
    c.delete_outbound_webhook(&created[1]).await.unwrap();
    let left = c.list_outbound_webhooks().await.unwrap();
    assert_eq!(left.len(), MAX_OUTBOUND_WEBHOOKS - 1);
    assert!(!left.iter().any(|w| w.id.as_str() == created[1]));
    c.create_outbound_webhook(&sixth).await.unwrap();
}
