//! Per-conversation and per-customer detail: events, conversation times, forwards,
//! attachments, drafts and merges. Every record belongs to an existing conversation
//! or customer; the collections are keyed by that parent's id.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::draft::{base_relationships, Refs};
use super::{events, ids};
use crate::resource;
use crate::rng::{combine, hash_bytes, Rng};
use crate::row::Row;
use crate::store::Store;
use crate::time::{self, MS, SEC};

/// `GET /v1/conversations/{id}/times` records.
pub(crate) const TIMES: &str = "conversation_times";
/// `GET /v1/conversations/{id}/forwards` records.
pub(crate) const FORWARDS: &str = "conversation_forwards";
/// `GET /v1/conversations/{id}/attachments` records.
pub(crate) const ATTACHMENTS: &str = "conversation_attachments";
/// `GET /v1/customers/{id}/drafts` records.
pub(crate) const DRAFTS: &str = "customer_drafts";
/// `GET /v1/customers/{id}/merges` records (owned by the merge's target).
pub(crate) const MERGES: &str = "customer_merges";

fn attrs(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn instant(v: &Value, name: &str) -> i64 {
    resource::attr_str(v, name).and_then(time::parse_instant).unwrap_or(0)
}

fn conversation_rels(refs: &Refs, customer: &str, conv: &str) -> Map<String, Value> {
    let mut rels = base_relationships(refs);
    rels.insert(
        "customer".into(),
        resource::to_one("customer", customer, &format!("/v1/customers/{customer}")),
    );
    rels.insert(
        "conversation".into(),
        resource::to_one("conversation", conv, &format!("/v1/conversations/{conv}")),
    );
    rels
}

/// The time an agent took to answer, one record per outbound reply that follows an
/// inbound message (newest first, as the OAS example lists them). `messageTime`
/// and `handleTime` are durations in milliseconds, as the docs give them.
fn times(seed: u64, refs: &Refs, conv: &Value, messages: &[&Value]) -> Vec<Value> {
    let conv_id = resource::id(conv);
    let customer = resource::related_id(conv, "customer").unwrap_or_default();
    let mut out = Vec::new();
    let mut waiting: Option<&Value> = None;
    for m in messages {
        let inbound = resource::attr_str(m, "direction") == Some("in");
        if inbound {
            waiting = waiting.or(Some(m));
            continue;
        }
        let Some(asked) = waiting.take() else { continue };
        let a = |k: &str| {
            resource::attributes(m)
                .and_then(|a| a.get(k))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let at = instant(m, "createdAt");
        let (handle, sent) = (instant(asked, "createdAt"), instant(asked, "sentAt"));
        let id = ids::stamped(seed, &format!("time-{}", resource::id(m)), at);
        let attributes = json!({
            "createdAt": time::format(at), "createdByTeams": a("createdByTeams"),
            "assignedUsers": a("assignedUsers"), "assignedTeams": a("assignedTeams"),
            "messageAt": time::format(sent), "messageTime": (at - sent).max(0) / MS,
            "handleAt": time::format(handle), "handleTime": (at - handle).max(0) / MS,
            "channels": [a("channel")],
        });
        let mut rels = conversation_rels(refs, customer, conv_id);
        let by = resource::related_id(m, "createdBy").unwrap_or(&refs.machine_user);
        rels.insert("createdBy".into(), resource::user(by));
        out.push(resource::resource(
            "conversation_time",
            &id,
            attrs(attributes),
            rels,
            &format!("/v1/conversations/times/{id}"),
        ));
    }
    out.reverse();
    out
}

/// A forward of an e-mail conversation to a third party.
fn forward(seed: u64, refs: &Refs, conv: &Value, rng: &mut Rng) -> Value {
    let conv_id = resource::id(conv);
    let customer = resource::related_id(conv, "customer").unwrap_or_default();
    let at = rng.range(instant(conv, "createdAt"), instant(conv, "updatedAt") + 1);
    let id = ids::stamped(seed, &format!("forward-{conv_id}"), at);
    let by = refs.agent(rng);
    let stamp = time::format(at);
    let subject = resource::attr_str(conv, "name").unwrap_or("Conversation");
    let attributes = json!({
        "app": "postmark", "channel": "email",
        "from": {"name": "Acme support", "email": "support@acme.example"},
        "to": [{"name": "Warehouse team", "email": "warehouse@partner.example"}],
        "body": format!("Fwd: {subject}\n\nPlease check this one."), "status": "sent",
        "createdAt": stamp, "updatedAt": stamp, "modifiedAt": stamp,
    });
    let mut rels = conversation_rels(refs, customer, conv_id);
    rels.insert("createdBy".into(), resource::user(&by));
    rels.insert("modifiedBy".into(), resource::user(&by));
    resource::resource("forward", &id, attrs(attributes), rels, &format!("/v1/forwards/{id}"))
}

/// Whether the attachment record of message attachment `aid` comes without an `id`
/// member, as the OAS example of `GET /v1/conversations/{id}/attachments` shows
/// its items: about a third of them, chosen by a hash of `aid` so a message's
/// attachments keep their shape when they are re-rendered.
fn without_id(aid: &str) -> bool {
    hash_bytes(aid.as_bytes()).is_multiple_of(3)
}

/// The attachment records of one message (from its `attachments` attribute); about
/// a third lack `id` ([`without_id`]), all keep `links.self`.
pub(crate) fn attachments(refs: &Refs, message: &Value) -> Vec<Value> {
    let mid = resource::id(message);
    let redacted = resource::attributes(message)
        .and_then(|a| a.get("redacted")?.as_bool())
        .unwrap_or(false);
    let list = (resource::attributes(message))
        .and_then(|a| a.get("attachments")?.as_array().cloned())
        .unwrap_or_default();
    list.iter()
        .map(|a| {
            let aid = a.get("_id").and_then(Value::as_str).unwrap_or_default();
            let name = a.get("name").and_then(Value::as_str).unwrap_or("file");
            let attributes = json!({"name": name, "contentType": a.get("contentType"),
                                    "contentLength": a.get("contentLength"), "redacted": redacted});
            let mut rels = base_relationships(refs);
            rels.insert(
                "message".into(),
                resource::to_one("message", mid, &format!("/v1/messages/{mid}")),
            );
            let mut v = resource::resource(
                "attachment",
                aid,
                attrs(attributes),
                rels,
                &format!("/v1/messages/{mid}/attachments/{aid}"),
            );
            v["links"]["related"] = json!(format!(
                "https://sim-attachments.example/attachments/{}/{aid}-{name}?X-Amz-Expires=600",
                refs.org
            ));
            if let Some(item) = v.as_object_mut().filter(|_| without_id(aid)) {
                item.remove("id");
            }
            v
        })
        .collect()
}

/// A draft reply of a customer, sometimes tied to one of their conversations.
fn draft(seed: u64, refs: &Refs, customer: &Value, conv: Option<&str>, k: usize, rng: &mut Rng) -> Value {
    let cid = resource::id(customer);
    let at = rng.range(instant(customer, "createdAt"), instant(customer, "updatedAt") + 1);
    let id = ids::stamped(seed, &format!("draft-{cid}-{k}"), at);
    let by = refs.agent(rng);
    let channel = *rng.pick(&["email", "sms", "chat"]);
    let scheduled = rng.chance(0.2);
    let stamp = time::format(at);
    let attributes = json!({
        "channel": channel, "body": "Thanks for your patience, here is an update on your order.",
        "status": if scheduled { "scheduled" } else { "draft" },
        "sendAt": if scheduled { json!(time::format(at + 3_600 * SEC)) } else { Value::Null },
        "createdAt": stamp, "updatedAt": stamp, "modifiedAt": stamp,
    });
    let mut rels = base_relationships(refs);
    rels.insert(
        "customer".into(),
        resource::to_one("customer", cid, &format!("/v1/customers/{cid}")),
    );
    rels.insert("createdBy".into(), resource::user(&by));
    rels.insert("modifiedBy".into(), resource::user(&by));
    if let Some(c) = conv {
        rels.insert(
            "conversation".into(),
            resource::to_one("conversation", c, &format!("/v1/conversations/{c}")),
        );
    }
    resource::resource("draft", &id, attrs(attributes), rels, &format!("/v1/drafts/{id}"))
}

/// A completed merge of `source` into `target`.
fn merge(seed: u64, refs: &Refs, target: &Value, source: &str, rng: &mut Rng) -> Value {
    let tid = resource::id(target);
    let at = rng.range(instant(target, "createdAt"), instant(target, "updatedAt") + 1);
    let id = ids::stamped(seed, &format!("merge-{tid}"), at);
    let attributes = json!({
        "status": if rng.chance(0.9) { "complete" } else { "failed" },
        "createdAt": time::format(at), "updatedAt": time::format(at + rng.range(SEC, 20 * SEC)),
    });
    let mut rels = base_relationships(refs);
    rels.insert(
        "source".into(),
        resource::to_one("customer", source, &format!("/v1/customers/{source}")),
    );
    rels.insert(
        "target".into(),
        resource::to_one("customer", tid, &format!("/v1/customers/{tid}")),
    );
    rels.insert("createdBy".into(), resource::user(&refs.agent(rng)));
    resource::resource(
        "customer_merge",
        &id,
        attrs(attributes),
        rels,
        &format!("/v1/customers/merges/{id}"),
    )
}

/// Generates every detail collection from the stored customers, conversations and
/// messages (each in default order). Each conversation and message is parsed once;
/// a customer only if it gets a draft or a merge.
pub(crate) fn generate(
    seed: u64,
    refs: &Refs,
    customers: &[Row],
    conversations: &[Row],
    messages: &[Row],
    store: &mut Store,
) {
    let mut by_conv: HashMap<&str, Vec<&Row>> = HashMap::new();
    for m in messages {
        by_conv
            .entry(m.meta.conversation.as_deref().unwrap_or_default())
            .or_default()
            .push(m);
    }
    let mut convs_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (j, row) in conversations.iter().enumerate() {
        let id = row.id();
        convs_of
            .entry(row.meta.customer.as_deref().unwrap_or_default())
            .or_default()
            .push(id);
        let conv = row.value();
        let mut rng = Rng::new(combine(seed, combine(0xde7a_1101, j as u64)));
        let msgs: Vec<Value> = (by_conv.get(id).into_iter().flatten()).map(|m| m.value()).collect();
        let msgs: Vec<&Value> = msgs.iter().collect();
        for e in events::history(seed, refs, &conv, &mut rng) {
            store.entry(events::TABLE).push(e, Some(id.to_owned()));
        }
        for t in times(seed, refs, &conv, &msgs) {
            store.entry(TIMES).push(t, Some(id.to_owned()));
        }
        let email = resource::attributes(&conv)
            .and_then(|a| a.get("channels")?.get(0)?.as_str())
            .is_some_and(|c| c == "email");
        if email && msgs.len() >= 2 && rng.chance(0.3) {
            store
                .entry(FORWARDS)
                .push(forward(seed, refs, &conv, &mut rng), Some(id.to_owned()));
        }
        for m in &msgs {
            for a in attachments(refs, m) {
                store.entry(ATTACHMENTS).push(a, Some(id.to_owned()));
            }
        }
    }
    let live: Vec<&str> = (customers.iter()).filter(|c| !c.meta.deleted).map(Row::id).collect();
    for (i, row) in customers.iter().enumerate() {
        let id = row.id();
        let mut customer: Option<Value> = None;
        let mut rng = Rng::new(combine(seed, combine(0xc057_0de7, i as u64)));
        // The first customers always get some, so even tiny orgs serve every table.
        if i == 0 || rng.chance(0.12) {
            for k in 0..1 + rng.index(2) {
                let conv = convs_of.get(id).filter(|_| rng.chance(0.5)).map(|c| *rng.pick(c));
                let customer = customer.get_or_insert_with(|| row.value());
                store
                    .entry(DRAFTS)
                    .push(draft(seed, refs, customer, conv, k, &mut rng), Some(id.to_owned()));
            }
        }
        if live.len() > 1 && (i == 1 || rng.chance(0.05)) {
            let source = *rng.pick(&live);
            if source != id {
                let customer = customer.get_or_insert_with(|| row.value());
                store
                    .entry(MERGES)
                    .push(merge(seed, refs, customer, source, &mut rng), Some(id.to_owned()));
            }
        }
    }
    // Make sure the collections exist even in orgs too small to fill them.
    for name in [events::TABLE, TIMES, FORWARDS, ATTACHMENTS, DRAFTS, MERGES] {
        store.entry(name);
    }
}
