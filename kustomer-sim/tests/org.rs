//! The in-process data API: generation and mutations.

use kustomer_sim::{Kind, Org, SimConfig};
use serde_json::{json, Value};

fn tiny() -> Org {
    Org::generate(&SimConfig::tiny())
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    &v["attributes"][name]
}

#[test]
fn generation_is_deterministic_in_the_seed() {
    let (a, b) = (tiny(), tiny());
    let c = Org::generate(&SimConfig {
        seed: 43,
        ..SimConfig::tiny()
    });
    for kind in Kind::ALL {
        assert_eq!(a.records(kind), b.records(kind), "{kind:?}");
        if !a.records(kind).is_empty() {
            assert_ne!(a.records(kind), c.records(kind), "{kind:?}");
        }
    }
}

#[test]
fn records_have_the_documented_shape() {
    let org = tiny();
    let now = org.now().to_rfc3339();
    for kind in Kind::ALL {
        for r in &org.records(kind) {
            let id = r["id"].as_str().unwrap();
            assert_eq!(id.len(), 24, "{kind:?}");
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
            assert!(r["type"].as_str().unwrap().starts_with(kind.resource_type()));
            assert!(r["relationships"]["org"]["data"]["id"].is_string(), "{kind:?}");
            let at = attr(r, "updatedAt").as_str().unwrap();
            assert_eq!(at.len(), 24, "millisecond precision: {at}");
            assert!(*at < *now.as_str(), "data lies before the org clock");
            assert!(attr(r, "createdAt").as_str().unwrap() <= at);
        }
    }
    let kobject = &org.records(Kind::KObject)[0];
    let klass = kobject["relationships"]["klass"]["data"]["id"].as_str().unwrap();
    assert_eq!(kobject["type"], format!("kobject.{klass}"));
    assert_eq!(
        kobject["relationships"]["klass"]["link"]["self"],
        format!("/v1/klasses/{klass}")
    );
    let klasses = org.records(Kind::Klass);
    let names: Vec<&str> = klasses.iter().map(|k| attr(k, "name").as_str().unwrap()).collect();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&"shopify-orders") && names.contains(&"acme_app.loyalty_card"));
}

#[test]
fn edge_cases_occur_even_in_a_tiny_org() {
    let org = tiny();
    let messages = org.records(Kind::Message);
    let shapes = |key: &str| {
        let mut seen = [false; 3];
        for m in &messages {
            match &m["attributes"]["meta"][key] {
                Value::String(_) => seen[0] = true,
                Value::Object(_) => seen[1] = true,
                Value::Array(a) if !a.is_empty() => seen[2] = true,
                _ => {}
            }
        }
        seen
    };
    assert_eq!(shapes("to"), [true; 3], "meta.to as string, object and list");
    assert!(messages.iter().any(|m| attr(m, "channel") == "tiktok"));
    assert!(messages
        .iter()
        .any(|m| attr(m, "attachments").as_array().is_some_and(|a| !a.is_empty())));
    assert!(org
        .records(Kind::Conversation)
        .iter()
        .any(|c| attr(c, "status") == "waiting"));
    let customers = org.records(Kind::Customer);
    assert!(customers
        .iter()
        .any(|c| attr(c, "custom")["lifetimeValueNum"] == json!("12,5")));
    assert!(customers
        .iter()
        .any(|c| attr(c, "custom")["lifetimeValueNum"] == json!(12345.6789)
            || attr(c, "custom")["lifetimeValueNum"] == json!(98765.4321)
            || attr(c, "custom")["lifetimeValueNum"] == json!(1234567.891)));
    assert!(customers
        .iter()
        .any(|c| attr(c, "custom")["contactReasonTree"].is_object()));
    assert!(customers.iter().all(|c| attr(c, "presence").is_string()));
    assert!(customers.iter().any(|c| c["relationships"]
        .as_object()
        .unwrap()
        .values()
        .any(|r| r["meta"]["kobject"] == true)));
    let notes = org.records(Kind::Note);
    assert!(notes
        .iter()
        .all(|n| n["relationships"]["userMentions"]["data"].is_array()));
    // Bulk updates: some instant is shared by several records of a kind.
    let mut counts = std::collections::HashMap::new();
    for m in &messages {
        *counts.entry(attr(m, "updatedAt").as_str().unwrap()).or_insert(0) += 1;
    }
    assert!(counts.values().any(|&n| n >= 3));
}

#[test]
fn update_stamps_the_clock_and_bumps_rev() {
    let mut org = tiny();
    let id = org.ids(Kind::Conversation)[0].clone();
    let before = org.get(Kind::Conversation, &id).unwrap().clone();
    let now = org.now();
    assert!(org.update(Kind::Conversation, &id, |a| {
        a.insert("status".into(), json!("done"));
    }));
    let after = &org.get(Kind::Conversation, &id).unwrap();
    let stamp = now.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    assert_eq!(attr(after, "status"), "done");
    assert_eq!(attr(after, "updatedAt"), stamp.as_str());
    assert_eq!(attr(after, "modifiedAt"), stamp.as_str());
    assert_eq!(
        attr(after, "rev").as_u64().unwrap(),
        attr(&before, "rev").as_u64().unwrap() + 1
    );
    assert_eq!(org.now() - now, chrono::Duration::milliseconds(1));
    assert!(!org.update(Kind::Conversation, "nope", |_| {}));
    assert!(org.touch(Kind::Conversation, &id));
}

#[test]
fn touch_many_shares_one_instant() {
    let mut org = tiny();
    let ids = org.touch_many_at_once(Kind::Customer, 7);
    assert_eq!(ids.len(), 7);
    let stamps: std::collections::HashSet<Value> = ids
        .iter()
        .map(|id| attr(&org.get(Kind::Customer, id).unwrap(), "updatedAt").clone())
        .collect();
    assert_eq!(stamps.len(), 1);
}

#[test]
fn insert_links_to_parents_and_delete_is_soft() {
    let mut org = tiny();
    let n = org.records(Kind::Message).len();
    let id = org.insert(Kind::Message);
    assert_eq!(org.records(Kind::Message).len(), n + 1);
    let m = org.get(Kind::Message, &id).unwrap().clone();
    assert_eq!(attr(&m, "createdAt"), attr(&m, "updatedAt"));
    let conv = m["relationships"]["conversation"]["data"]["id"].as_str().unwrap();
    let conv = org.get(Kind::Conversation, conv).unwrap();
    assert_eq!(
        m["relationships"]["customer"]["data"]["id"],
        conv["relationships"]["customer"]["data"]["id"]
    );
    assert_eq!(org.records(Kind::Message).last().unwrap()["id"], id.as_str());

    let k = org.insert(Kind::KObject);
    let kobject = org.get(Kind::KObject, &k).unwrap();
    assert!(kobject["type"].as_str().unwrap().starts_with("kobject."));

    let user = org.ids(Kind::User)[1].clone();
    let live = org.live_records(Kind::User).len();
    if org.delete(Kind::User, &user) {
        let u = &org.get(Kind::User, &user).unwrap();
        assert!(attr(u, "deletedAt").is_string());
        assert!(attr(u, "deleted").is_null(), "users carry only deletedAt");
        assert_eq!(org.live_records(Kind::User).len(), live - 1);
        assert!(!org.delete(Kind::User, &user), "already deleted");
    }
    let note = org.ids(Kind::Note)[0].clone();
    if org.delete(Kind::Note, &note) {
        let n = &org.get(Kind::Note, &note).unwrap();
        assert_eq!(attr(n, "deleted"), true);
        assert!(n["relationships"]["deletedBy"]["data"]["id"].is_string());
    }
}

#[test]
fn purge_forgets_a_record_but_not_its_ordinal() {
    let mut org = tiny();
    let klasses = org.ids(Kind::Klass);
    let n = klasses.len();
    // The first generated klass (`order`): a reused ordinal would repeat a live name.
    let first = (org.records(Kind::Klass).into_iter())
        .position(|k| attr(&k, "name") == "order")
        .unwrap();
    let now = org.now();
    assert!(org.purge(Kind::Klass, &klasses[first]));
    assert_eq!(org.now() - now, chrono::Duration::milliseconds(1));
    assert!(org.get(Kind::Klass, &klasses[first]).is_none());
    let mut rest = klasses.clone();
    rest.remove(first);
    assert_eq!(org.ids(Kind::Klass), rest, "the others keep their order");
    for id in &rest {
        assert_eq!(org.get(Kind::Klass, id).unwrap()["id"], id.as_str(), "index rebuilt");
    }
    assert!(!org.purge(Kind::Klass, &klasses[first]));
    assert!(!org.purge(Kind::Klass, "nope"));
    // A new klass is named after its ordinal: it must not reuse a live one's.
    org.insert(Kind::Klass);
    let klasses = org.records(Kind::Klass);
    let names: std::collections::HashSet<&Value> = klasses.iter().map(|k| attr(k, "name")).collect();
    assert_eq!(names.len(), n);
}
