//! Records entering a conversation (`Org::insert_into`) and leaving the org for
//! good (`Org::purge`), seen over HTTP.

use kustomer_sim::{Kind, SimConfig, Simulator};
use reqwest::StatusCode;
use serde_json::{json, Value};

mod common;

use common::get;

async fn tiny() -> Simulator {
    Simulator::start(SimConfig::tiny()).await.expect("start")
}

/// `POST /v1/customers/search` with `body`: status and JSON body.
async fn search(sim: &Simulator, body: Value) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/customers/search?pageSize=500", sim.base_url()))
        .bearer_auth(sim.token())
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

/// Every `data` item from `path` on, following `links.next`; also the pages' sizes.
async fn walk(sim: &Simulator, path: &str) -> (Vec<Value>, Vec<usize>) {
    let (mut items, mut sizes) = (Vec::new(), Vec::new());
    let mut next = Some(path.to_owned());
    while let Some(p) = next {
        let (status, body) = get(sim, &p).await;
        assert_eq!(status, StatusCode::OK, "{p}: {body}");
        let data = body["data"].as_array().expect("data array");
        sizes.push(data.len());
        items.extend(data.iter().cloned());
        next = body["links"]["next"].as_str().map(str::to_owned);
    }
    (items, sizes)
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect()
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    &v["attributes"][name]
}

/// A live conversation of the tiny org that has a message with attachments.
fn conversation_with_attachments(sim: &Simulator) -> (String, String) {
    sim.with_org(|o| {
        let m = (o.live_records(Kind::Message).into_iter())
            .find(|m| attr(m, "attachments").as_array().is_some_and(|a| !a.is_empty()))
            .expect("a message with attachments");
        let conv = m["relationships"]["conversation"]["data"]["id"].as_str().unwrap();
        assert!(o.live_records(Kind::Conversation).iter().any(|c| c["id"] == conv));
        (conv.to_owned(), m["id"].as_str().unwrap().to_owned())
    })
}

#[tokio::test]
async fn conversation_messages_and_notes_page_and_leave_out_deleted_records() {
    let sim = tiny().await;
    let (conv, _) = conversation_with_attachments(&sim);
    let (messages, notes) = sim.with_org(|o| {
        let mut add = |kind| (0..5).map(|_| o.insert_into(kind, &conv).unwrap()).collect::<Vec<_>>();
        (add(Kind::Message), add(Kind::Note))
    });
    for (child, added) in [("messages", &messages), ("notes", &notes)] {
        let path = format!("/v1/conversations/{conv}/{child}");
        let (all, _) = walk(&sim, &path).await;
        assert!(all.len() >= 5, "{child}");
        let (paged, sizes) = walk(&sim, &format!("{path}?pageSize=2")).await;
        assert_eq!(ids(&paged), ids(&all), "{child}: pages add up to the list");
        assert!(sizes.iter().all(|&n| n <= 2) && sizes.len() == all.len().div_ceil(2));
        assert!(ids(&all).ends_with(added), "{child}: new ones come last");
        let (_, body) = get(&sim, &format!("{path}?pageSize=1000")).await;
        assert_eq!(body["meta"]["pageSize"], 100, "{child}: clamped");
        let (_, body) = get(&sim, &format!("{path}?pageSize=2")).await;
        assert_eq!(body["links"]["next"], format!("{path}?page=2&pageSize=2"));

        let kind = if child == "messages" { Kind::Message } else { Kind::Note };
        assert!(sim.with_org(|o| o.delete(kind, &added[0])));
        let (after, _) = walk(&sim, &path).await;
        assert_eq!(after.len(), all.len() - 1, "{child}");
        assert!(!ids(&after).contains(&added[0]), "{child}: soft-deleted left out");
        assert!(after
            .iter()
            .all(|v| v["relationships"]["conversation"]["data"]["id"] == conv.as_str()));
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn insert_into_updates_the_conversation_like_an_arriving_message() {
    let sim = tiny().await;
    let (conv, _) = conversation_with_attachments(&sim);
    let (_, before) = get(&sim, &format!("/v1/conversations/{conv}")).await;
    let before = before["data"].clone();
    let id = sim.with_org(|o| o.insert_into(Kind::Message, &conv)).unwrap();

    let (_, message) = get(&sim, &format!("/v1/messages/{id}")).await;
    let message = &message["data"];
    let rel = |v: &Value, name: &str| v["relationships"][name]["data"]["id"].clone();
    assert_eq!(rel(message, "conversation"), conv.as_str());
    assert_eq!(rel(message, "customer"), rel(&before, "customer"));
    let (_, after) = get(&sim, &format!("/v1/conversations/{conv}")).await;
    let after = &after["data"];
    let count = |v: &Value, name: &str| attr(v, name).as_u64().unwrap();
    let inbound = attr(message, "direction") == "in";
    let (moved, kept) = if inbound {
        ("inboundMessageCount", "outboundMessageCount")
    } else {
        ("outboundMessageCount", "inboundMessageCount")
    };
    assert_eq!(count(after, "messageCount"), count(&before, "messageCount") + 1);
    assert_eq!(count(after, moved), count(&before, moved) + 1);
    assert_eq!(count(after, kept), count(&before, kept));
    assert_eq!(attr(after, "lastMessageAt"), attr(message, "createdAt"));
    let last = if inbound { "lastMessageIn" } else { "lastMessageOut" };
    assert_eq!(attr(after, last)["id"], id.as_str());
    assert_eq!(attr(after, last)["createdAt"], *attr(message, "createdAt"));
    assert_eq!(attr(after, "lastMessageDirection"), attr(message, "direction"));
    assert_eq!(count(after, "rev"), count(&before, "rev") + 1);
    let at = |v: &Value, name: &str| chrono::DateTime::parse_from_rfc3339(attr(v, name).as_str().unwrap()).unwrap();
    assert_eq!(
        at(after, "updatedAt") - at(message, "createdAt"),
        chrono::Duration::milliseconds(1)
    );
    // Through Org::update: an update event with the diff, and an audit entry.
    let (_, events) = get(&sim, &format!("/v1/conversations/{conv}/events?sort=desc&pageSize=1")).await;
    let changes = &events["data"][0]["attributes"]["changes"]["attributes"];
    assert_eq!(changes["messageCount"]["after"], count(after, "messageCount"));
    let (_, audit) = get(
        &sim,
        &format!("/v1/audit-logs?filter[objectType]=conversation&filter[objectId]={conv}"),
    )
    .await;
    assert_eq!(audit["data"][0]["attributes"]["eventVerb"], "update", "{audit}");

    let note = sim.with_org(|o| o.insert_into(Kind::Note, &conv)).unwrap();
    let (_, with_note) = get(&sim, &format!("/v1/conversations/{conv}")).await;
    assert_eq!(count(&with_note["data"], "noteCount"), count(after, "noteCount") + 1);
    assert_eq!(count(&with_note["data"], "messageCount"), count(after, "messageCount"));
    let (_, n) = get(&sim, &format!("/v1/notes/{note}")).await;
    assert_eq!(rel(&n["data"], "conversation"), conv.as_str());

    sim.with_org(|o| {
        assert_eq!(o.insert_into(Kind::Customer, &conv), None, "only messages and notes");
        assert_eq!(o.insert_into(Kind::Message, "000000000000000000000000"), None);
        assert!(o.delete(Kind::Conversation, &conv));
        let n = o.records(Kind::Message).len();
        assert_eq!(o.insert_into(Kind::Note, &conv), None, "soft-deleted conversation");
        assert_eq!(o.records(Kind::Message).len(), n);
    });
    sim.shutdown().await;
}

#[tokio::test]
async fn purge_leaves_no_trace_in_lists_totals_lookups_or_search() {
    let sim = tiny().await;
    let (conv, message) = conversation_with_attachments(&sim);
    let (customer, total) = {
        let (_, body) = get(&sim, "/v1/customers?pageSize=1").await;
        let total = body["meta"]["total"].as_u64().unwrap();
        let customer = sim.with_org(|o| {
            let c = o.get(Kind::Conversation, &conv).unwrap();
            c["relationships"]["customer"]["data"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        });
        (customer, total)
    };
    let all_customers = json!({"queryContext": "customer", "includeDeleted": true});
    let (_, found) = search(&sim, all_customers.clone()).await;
    let searchable = found["meta"]["total"].as_u64().unwrap();

    // A message: gone from every list, lookup and search, with its attachments.
    let (attachments, _) = walk(&sim, &format!("/v1/conversations/{conv}/attachments")).await;
    assert!(attachments
        .iter()
        .any(|a| a["relationships"]["message"]["data"]["id"] == message.as_str()));
    let now = sim.with_org(|o| o.now());
    assert!(sim.with_org(|o| o.purge(Kind::Message, &message)));
    assert_eq!(sim.with_org(|o| o.now()) - now, chrono::Duration::milliseconds(1));
    assert_eq!(
        get(&sim, &format!("/v1/messages/{message}")).await.0,
        StatusCode::NOT_FOUND
    );
    for path in [
        "/v1/messages".to_owned(),
        format!("/v1/conversations/{conv}/messages"),
        format!("/v1/customers/{customer}/messages"),
    ] {
        let (items, _) = walk(&sim, &path).await;
        assert!(!ids(&items).contains(&message), "{path}");
    }
    let (attachments, _) = walk(&sim, &format!("/v1/conversations/{conv}/attachments")).await;
    assert!(attachments
        .iter()
        .all(|a| a["relationships"]["message"]["data"]["id"] != message.as_str()));
    let (_, hits) = search(
        &sim,
        json!({"queryContext": "message", "includeDeleted": true,
               "and": [{"message_conversation_id": {"equals": conv}}]}),
    )
    .await;
    assert!(!ids(hits["data"].as_array().unwrap()).contains(&message));
    assert!(!sim.with_org(|o| o.purge(Kind::Message, &message)), "already gone");

    // A soft-deleted note is purged as well, even from includeDeleted search.
    let note = sim.with_org(|o| {
        let id = o.insert_into(Kind::Note, &conv).unwrap();
        assert!(o.delete(Kind::Note, &id));
        id
    });
    let deleted_notes = json!({"queryContext": "note", "includeDeleted": true,
                               "and": [{"note_conversation_id": {"equals": conv}}]});
    let (_, hits) = search(&sim, deleted_notes.clone()).await;
    assert!(ids(hits["data"].as_array().unwrap()).contains(&note));
    assert!(sim.with_org(|o| o.purge(Kind::Note, &note)));
    let (_, hits) = search(&sim, deleted_notes).await;
    assert!(!ids(hits["data"].as_array().unwrap()).contains(&note));
    assert!(sim.with_org(|o| o.get(Kind::Note, &note).is_none()));

    // A conversation takes its detail rows along; its messages stay.
    let kept = sim.with_org(|o| {
        assert!(!o.collection_for("conversation_events", &conv).is_empty());
        assert!(o.purge(Kind::Conversation, &conv));
        for table in ["conversation_events", "conversation_times", "conversation_attachments"] {
            assert!(o.collection_for(table, &conv).is_empty(), "{table}");
        }
        (o.records(Kind::Message).into_iter())
            .filter(|m| m["relationships"]["conversation"]["data"]["id"] == conv.as_str())
            .count()
    });
    assert!(kept > 0, "messages are not cascaded");
    for path in [
        format!("/v1/conversations/{conv}"),
        format!("/v1/conversations/{conv}/messages"),
        format!("/v1/conversations/{conv}/events"),
    ] {
        assert_eq!(get(&sim, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (convs, _) = walk(&sim, &format!("/v1/customers/{customer}/conversations")).await;
    assert!(!ids(&convs).contains(&conv));

    // A customer: `meta.total` of the list and of search no longer count it.
    assert!(sim.with_org(|o| o.purge(Kind::Customer, &customer)));
    let (_, body) = get(&sim, "/v1/customers?pageSize=1").await;
    assert_eq!(body["meta"]["total"].as_u64().unwrap(), total - 1);
    let (customers, _) = walk(&sim, "/v1/customers").await;
    assert_eq!(customers.len() as u64, total - 1);
    assert!(!ids(&customers).contains(&customer));
    let (_, found) = search(&sim, all_customers).await;
    assert_eq!(found["meta"]["total"].as_u64().unwrap(), searchable - 1);
    assert!(!ids(found["data"].as_array().unwrap()).contains(&customer));
    for path in [
        format!("/v1/customers/{customer}"),
        format!("/v1/customers/{customer}/conversations"),
        format!("/v1/customers/{customer}/drafts"),
    ] {
        assert_eq!(get(&sim, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    sim.with_org(|o| {
        assert!(o.collection_for("customer_merges", &customer).is_empty());
        assert!(!o.purge(Kind::Customer, &customer));
    });
    sim.shutdown().await;
}
