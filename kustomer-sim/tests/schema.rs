//! Schema changes (new klasses, new custom attributes) and collection mutations,
//! seen through the org API and over HTTP.

use kustomer_sim::{Kind, Org, SimConfig, Simulator};
use reqwest::StatusCode;
use serde_json::json;

mod common;

use common::get;

#[test]
fn collections_are_deterministic_in_the_seed() {
    let (a, b) = (Org::generate(&SimConfig::tiny()), Org::generate(&SimConfig::tiny()));
    let c = Org::generate(&SimConfig {
        seed: 9,
        ..SimConfig::tiny()
    });
    assert_eq!(a.collection_names(), b.collection_names());
    for name in a.collection_names() {
        assert_eq!(a.collection(name), b.collection(name), "{name}");
    }
    assert_ne!(a.collection("conversation_events"), c.collection("conversation_events"));
    assert_ne!(a.collection("brands"), c.collection("brands"));
    assert!(a.collection("no_such_table").is_empty());
}

#[tokio::test]
async fn add_klass_serves_the_klass_its_metadata_and_its_kobjects() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let klasses_before = sim.with_org(|o| o.records(Kind::Klass).len());
    let now = sim.with_org(|o| o.now());
    let id = sim.with_org(|o| o.add_klass("acme_returns-rma", 4));

    let (_, klass) = get(&sim, &format!("/v1/klasses/{id}")).await;
    assert_eq!(klass["data"]["attributes"]["name"], "acme_returns-rma");
    assert!(
        klass["data"]["attributes"]["createdAt"].as_str().unwrap()
            >= now.format("%Y-%m-%dT%H:%M:%S").to_string().as_str()
    );
    let (_, all) = get(&sim, "/v1/klasses").await;
    assert_eq!(all["data"].as_array().unwrap().len(), klasses_before + 1);

    let (status, kobjects) = get(&sim, "/v1/klasses/acme_returns-rma").await;
    assert_eq!(status, StatusCode::OK);
    let kobjects = kobjects["data"].as_array().unwrap();
    assert_eq!(kobjects.len(), 4);
    let (_, meta) = get(&sim, "/v1/metadata/kobject.acme_returns-rma").await;
    let props = meta["data"]["attributes"]["properties"].as_object().unwrap();
    for k in kobjects {
        assert_eq!(k["type"], "kobject.acme_returns-rma");
        let custom = k["attributes"]["custom"].as_object().unwrap();
        let mut names: Vec<&String> = custom.keys().collect();
        names.sort();
        let mut declared: Vec<&String> = props.keys().collect();
        declared.sort();
        assert_eq!(names, declared);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn add_custom_attribute_defines_it_and_bumps_the_records_carrying_it() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let since = sim.with_org(|o| o.now());
    let changed = sim.with_org(|o| o.add_custom_attribute(Kind::Conversation, "refundReasonStr", 3));
    assert_eq!(changed.len(), 3);
    let (_, meta) = get(&sim, "/v1/metadata/conversation").await;
    let prop = &meta["data"]["attributes"]["properties"]["refundReasonStr"];
    assert_eq!(prop["type"], "string");
    assert_eq!(prop["displayName"], "Refund Reason");
    for id in &changed {
        let (_, conv) = get(&sim, &format!("/v1/conversations/{id}")).await;
        let attrs = &conv["data"]["attributes"];
        assert!(attrs["custom"]["refundReasonStr"].is_string(), "{id} carries a value");
        let updated = chrono::DateTime::parse_from_rfc3339(attrs["updatedAt"].as_str().unwrap()).unwrap();
        assert!(updated >= since, "{id} updatedAt moved");
        // …and the change shows as an event of that conversation.
        let (_, events) = get(&sim, &format!("/v1/conversations/{id}/events?changed=custom")).await;
        assert_eq!(events["data"].as_array().unwrap().len(), 1);
    }
    let others = sim.with_org(|o| {
        (o.records(Kind::Conversation).iter())
            .filter(|c| c["attributes"]["custom"].get("refundReasonStr").is_some())
            .count()
    });
    assert_eq!(others, 3, "only the chosen records carry it");

    // On KObjects the attribute is defined for every klass; per klass with add_klass_attribute.
    let kobjects = sim.with_org(|o| o.add_custom_attribute(Kind::KObject, "warrantyUntilAt", 2));
    assert_eq!(kobjects.len(), 2);
    let (_, order) = get(&sim, "/v1/metadata/kobject.order").await;
    assert_eq!(
        order["data"]["attributes"]["properties"]["warrantyUntilAt"]["type"],
        "date"
    );
    let only = sim.with_org(|o| o.add_klass_attribute("order", "batchId", 1));
    assert_eq!(only.len(), 1);
    let (_, shopify) = get(&sim, "/v1/metadata/kobject.shopify-orders").await;
    assert!(shopify["data"]["attributes"]["properties"].get("batchId").is_none());
    assert!(sim
        .with_org(|o| o.add_custom_attribute(Kind::Tag, "colourStr", 2))
        .is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn configuration_lists_can_gain_change_and_lose_records() {
    let sim = Simulator::start(SimConfig::tiny()).await.unwrap();
    let n = sim.with_org(|o| o.collection("queues").len());
    let added = sim
        .with_org(|o| o.add_to("queues"))
        .expect("queues is a configuration list");
    let (_, queues) = get(&sim, "/v1/routing/queues").await;
    assert_eq!(queues["data"].as_array().unwrap().len(), n + 1);
    assert!(sim.with_org(|o| o.update_in("queues", &added, |a| {
        a.insert("displayName".into(), json!("Escalations"));
    })));
    let (_, one) = get(&sim, &format!("/v1/routing/queues/{added}")).await;
    assert_eq!(one["data"]["attributes"]["displayName"], "Escalations");
    assert!(sim.with_org(|o| o.remove_from("queues", &added)));
    assert_eq!(
        get(&sim, &format!("/v1/routing/queues/{added}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(sim.with_org(|o| o.add_to("conversation_events")).is_none());
    sim.shutdown().await;
}
