//! Record shapes that follow Kustomer's documentation: attachments without `id`,
//! conversation times in milliseconds, customers' shared contact points.

use std::collections::BTreeSet;

use chrono::DateTime;
use kustomer_sim::{Kind, Org, SimConfig, Simulator};
use reqwest::StatusCode;
use serde_json::Value;

mod common;

use common::get;

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().expect("object").keys().map(String::as_str).collect()
}

#[tokio::test]
async fn about_a_third_of_attachments_come_without_id() {
    let org = Org::generate(&SimConfig::default());
    let all = org.collection("conversation_attachments");
    let missing = all.iter().filter(|a| a.get("id").is_none()).count();
    let share = missing as f64 / all.len() as f64;
    assert!((0.25..0.42).contains(&share), "{missing} of {} lack an id", all.len());
    for a in &all {
        assert_eq!(a["type"], "attachment");
        assert!(a["relationships"]["message"]["data"]["id"].is_string());
        assert!(a["links"]["self"].is_string() && a["attributes"]["name"].is_string());
        if let Some(id) = a.get("id") {
            assert!(a["links"]["self"].as_str().unwrap().ends_with(id.as_str().unwrap()));
        }
    }
    assert_eq!(
        all,
        Org::generate(&SimConfig::default()).collection("conversation_attachments")
    );

    // Served as stored; a tiny org has both shapes too.
    let sim = Simulator::start(SimConfig::tiny()).await.expect("start");
    let (with, without) = sim.with_org(|o| {
        let all = o.collection("conversation_attachments");
        let conv_of = |a: &Value| {
            let m = a["relationships"]["message"]["data"]["id"].as_str().unwrap();
            o.get(Kind::Message, m).unwrap()["relationships"]["conversation"]["data"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let with = all
            .iter()
            .find(|a| a.get("id").is_some())
            .map(|a| (conv_of(a), a.clone()));
        let without = all
            .iter()
            .find(|a| a.get("id").is_none())
            .map(|a| (conv_of(a), a.clone()));
        (with.expect("one with id"), without.expect("one without id"))
    });
    for (conv, att) in [with, without] {
        let (status, page) = get(&sim, &format!("/v1/conversations/{conv}/attachments")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page["data"].as_array().unwrap().contains(&att));
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn conversation_times_are_milliseconds() {
    let sim = Simulator::start(SimConfig::tiny()).await.expect("start");
    let times = sim.with_org(|o| o.collection("conversation_times"));
    assert!(!times.is_empty());
    let ms = |t: &Value, name: &str| {
        DateTime::parse_from_rfc3339(t["attributes"][name].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    };
    let mut longest = 0;
    for t in &times {
        let a = &t["attributes"];
        for (duration, since) in [("handleTime", "handleAt"), ("messageTime", "messageAt")] {
            let value = a[duration]
                .as_i64()
                .unwrap_or_else(|| panic!("{duration} is an integer: {t}"));
            let span = ms(t, "createdAt") - ms(t, since);
            assert!(
                (value - span).abs() <= 1,
                "{duration} {value} ms vs {span} ms between the stamps"
            );
            longest = longest.max(value);
        }
    }
    assert!(longest > 60_000, "minutes-long waits come as ms: {longest}");
    let conv = times[0]["relationships"]["conversation"]["data"]["id"]
        .as_str()
        .unwrap();
    let (_, v2) = get(&sim, &format!("/v2/conversations/{conv}/times")).await;
    let served = &v2["data"][0]["attributes"];
    assert_eq!(served["handleTime"], times[0]["attributes"]["handleTime"]);
    assert_eq!(served["messageTime"], times[0]["attributes"]["messageTime"]);
    sim.shutdown().await;
}

#[test]
fn some_customers_share_contact_points_shaped_like_their_own() {
    let org = Org::generate(&SimConfig::tiny());
    let customers = org.records(Kind::Customer);
    for (shared, own) in [
        ("sharedEmails", "emails"),
        ("sharedPhones", "phones"),
        ("sharedSocials", "socials"),
        ("sharedExternalIds", "externalIds"),
    ] {
        let items = |name: &str| -> Vec<&Value> {
            (customers.iter())
                .flat_map(|c| c["attributes"][name].as_array().expect(name))
                .collect()
        };
        let (shared_items, own_items) = (items(shared), items(own));
        assert!(!shared_items.is_empty(), "{shared}: some customers have them");
        let own_shapes: BTreeSet<BTreeSet<&str>> = own_items.iter().map(|v| keys(v)).collect();
        for item in &shared_items {
            assert!(
                own_shapes.contains(&keys(item)),
                "{shared} item {item} is shaped like {own}"
            );
        }
        let without = customers
            .iter()
            .filter(|c| c["attributes"][shared].as_array().unwrap().is_empty())
            .count();
        assert!(without > 0, "{shared}: not every customer");
    }
    // Households recur across customers in a larger org.
    let org = Org::generate(&SimConfig::default());
    let mut seen = BTreeSet::new();
    let repeated = (org.records(Kind::Customer).iter())
        .flat_map(|c| c["attributes"]["sharedPhones"].as_array().unwrap().clone())
        .any(|p| !seen.insert(p["phone"].as_str().unwrap().to_owned()));
    assert!(repeated, "a shared phone is shared by several customers");
}
