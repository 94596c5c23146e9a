//! Conversations, their messages and notes (spec §7.2, §7.3).

use serde_json::{json, Map, Value};

use super::draft::{base_relationships, Draft, Refs};
use super::people::object;
use super::vocab::{INBOUND_TEXTS, INTENTS, LANGS, NOTE_TEXTS, OUTBOUND_TEXTS, SUBJECTS};
use crate::resource;
use crate::rng::Rng;

/// Channels with rough real-world weights; `tiktok` (unknown to the docs) is added
/// by the message rule below.
const CHANNELS: &[(&str, u64)] = &[
    ("email", 50),
    ("chat", 20),
    ("sms", 12),
    ("facebook", 5),
    ("whatsapp", 5),
    ("voice", 4),
    ("instagram", 2),
    ("twitter-dm", 2),
];

fn weighted(rng: &mut Rng, items: &[(&'static str, u64)]) -> &'static str {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    for (item, weight) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    items[0].0
}

fn app_for(channel: &str) -> &'static str {
    match channel {
        "email" => "postmark",
        "sms" => "twilio",
        "chat" => "chat",
        "whatsapp" => "whatsapp",
        "facebook" => "facebook",
        "instagram" => "instagram",
        "twitter-dm" => "twitter",
        "voice" => "voice",
        _ => "tiktok",
    }
}

/// A conversation, with zeroed message summaries (see [`summarize_conversation`]).
pub(crate) fn conversation(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let customer = d.customer_id().unwrap_or_default();
    let channel = weighted(&mut d.rng, CHANNELS);
    // A few conversations carry a status newer than the documented enum.
    let status = if d.ordinal % 30 == 11 {
        "waiting"
    } else {
        weighted(&mut d.rng, &[("done", 60), ("open", 25), ("snoozed", 15)])
    };
    let subject = *d.rng.pick(SUBJECTS);
    let order = 1_000 + d.rng.below(9_000);
    let ended = status == "done";
    let assigned_users = Refs::some(&refs.agents, &mut d.rng, 1);
    let assigned_teams = Refs::some(&refs.teams, &mut d.rng, 1);
    let sla = (!refs.slas.is_empty() && d.rng.chance(0.7)).then(|| d.rng.pick(&refs.slas).clone());
    let breach = d.during();
    let mut attributes = object(json!({
        "name": subject, "preview": "", "channels": [channel], "status": status,
        "priority": d.rng.range(1, 6),
        "direction": if d.rng.chance(0.9) { "in" } else { "out" },
        "messageCount": 0, "noteCount": 0, "outboundMessageCount": 0, "inboundMessageCount": 0,
        "tags": Refs::some(&refs.tags, &mut d.rng, 2), "suggestedTags": Refs::some(&refs.tags, &mut d.rng, 1),
        "suggestedShortcuts": [], "assignedUsers": assigned_users, "assignedTeams": assigned_teams,
        "custom": {
            "orderNumberStr": order.to_string(),
            "refundNum": d.rng.pick(&[json!(12.5), json!(0), json!(49.99), Value::Null]).clone(),
            "promisedAt": d.during(),
            "escalatedBool": d.rng.chance(0.1),
        },
        "satisfaction": d.rng.range(0, 2), "snoozeCount": u64::from(status == "snoozed") + d.rng.below(2),
        "reopenCount": d.rng.below(2), "doneCount": u64::from(ended) + d.rng.below(2),
        "spam": false, "locale": d.rng.pick(&["en_US", "en_GB", "es_ES", "de_DE"]),
        "modificationHistory": {"statusAt": d.during(), "tagsAt": d.during()},
        "ended": ended, "deleted": d.deleted, "rev": 1 + d.rng.below(9),
        "createdAt": d.created_at(), "updatedAt": d.updated_at(), "modifiedAt": d.modified_at(),
        "lastActivityAt": d.updated_at(),
    }));
    if ended {
        attributes.insert("endedAt".into(), json!(d.updated_at()));
        attributes.insert("endedReason".into(), json!("done"));
        attributes.insert("endedByType".into(), json!("user"));
    }
    if d.deleted {
        attributes.insert("deletedAt".into(), d.deleted_at());
    }
    if d.rng.chance(0.1) {
        attributes.insert("externalId".into(), json!(format!("zd-{order}")));
    }
    let mut rels = base_relationships(refs);
    rels.insert(
        "customer".into(),
        resource::to_one("customer", &customer, &format!("/v1/customers/{customer}")),
    );
    rels.insert(
        "messages".into(),
        resource::link_only(&format!("/v1/conversations/{}/messages", d.id)),
    );
    rels.insert("createdBy".into(), resource::user(&refs.machine_user));
    rels.insert("modifiedBy".into(), resource::user(&refs.agent(&mut d.rng)));
    if !refs.brands.is_empty() && d.rng.chance(0.6) {
        let b = d.rng.pick(&refs.brands);
        rels.insert("brand".into(), resource::to_one("brand", b, &format!("/v1/brands/{b}")));
    }
    if !refs.queues.is_empty() && d.rng.chance(0.5) {
        let q = d.rng.pick(&refs.queues);
        rels.insert(
            "queue".into(),
            resource::to_one("queue", q, &format!("/v1/routing/queues/{q}")),
        );
    }
    if let Some((sla_id, version_id)) = sla {
        attributes.insert(
            "sla".into(),
            json!({"version": 1 + d.rng.below(5), "matchedAt": d.created_at(), "breached": d.rng.chance(0.2),
                   "status": d.rng.pick(&["pending", "satisfied", "breached"]),
                   "metrics": {"firstResponse": {"breachAt": breach, "satisfiedAt": d.during()}},
                   "summary": {"firstBreachAt": breach}}),
        );
        rels.insert(
            "sla".into(),
            resource::to_one("sla", &sla_id, &format!("/v1/slas/{sla_id}")),
        );
        rels.insert("slaVersion".into(), resource::data_only("sla_version", &version_id));
    }
    resource::resource(
        "conversation",
        &d.id,
        attributes,
        rels,
        &format!("/v1/conversations/{}", d.id),
    )
}

/// An address in one of the three shapes real `meta.to`/`cc`/`bcc` take: a string,
/// an object or a list of objects.
fn address(shape: usize, key: &str, addrs: &[String]) -> Value {
    match shape {
        0 => json!(addrs.join(", ")),
        1 => json!({ key: addrs[0] }),
        _ => Value::Array(addrs.iter().map(|a| json!({ key: a })).collect()),
    }
}

/// The customer's first email or phone (`list` = `emails`/`phones`, `key` inside).
fn contact(customer: Option<&Value>, list: &str, key: &str) -> Option<String> {
    let a = resource::attributes(customer?)?;
    Some(a.get(list)?.get(0)?.get(key)?.as_str()?.to_owned())
}

/// A message. Its channel follows its conversation (a few use `tiktok`, a channel
/// the docs do not list); `meta.to` cycles through all three shapes.
pub(crate) fn message(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let conv = d.parents.conversation;
    let conv_id = conv.map(resource::id).unwrap_or_default().to_owned();
    let customer = d.customer_id().unwrap_or_default();
    let conv_attrs = conv.and_then(resource::attributes);
    let conv_channel = conv_attrs
        .and_then(|a| a.get("channels")?.get(0)?.as_str())
        .unwrap_or("email");
    let channel = if d.ordinal % 50 == 7 { "tiktok" } else { conv_channel };
    let subject = conv_attrs
        .and_then(|a| a.get("name")?.as_str())
        .unwrap_or("Hello")
        .to_owned();
    let order = conv_attrs
        .and_then(|a| a.get("custom")?.get("orderNumberStr")?.as_str())
        .unwrap_or("1000")
        .to_owned();
    let opening = conv_attrs.and_then(|a| a.get("direction")?.as_str()).unwrap_or("in");
    let direction = match (d.position, opening) {
        (0, dir) => dir,
        (p, _) if p % 2 == 1 => "out",
        _ => "in",
    };
    let direction_type = match (d.position, direction) {
        (0, dir) => format!("initial-{dir}"),
        (_, "out") => "response-out".to_owned(),
        _ => "followup-in".to_owned(),
    };
    let inbound = direction == "in";
    let text = d
        .rng
        .pick(if inbound { INBOUND_TEXTS } else { OUTBOUND_TEXTS })
        .replace("{n}", &order);
    let author = if inbound {
        refs.machine_user.clone()
    } else {
        refs.agent(&mut d.rng)
    };
    let email = channel == "email";
    let key = if email { "email" } else { "contact" };
    let (customer_addr, support_addr) = if email {
        let addr = contact(d.parents.customer, "emails", "email");
        (
            addr.unwrap_or_else(|| "customer@example.com".to_owned()),
            "support@acme.example".to_owned(),
        )
    } else {
        let addr = contact(d.parents.customer, "phones", "phone");
        (
            addr.unwrap_or_else(|| "+15550100100".to_owned()),
            "+15550000000".to_owned(),
        )
    };
    let (from, to) = if inbound {
        (customer_addr, support_addr)
    } else {
        (support_addr, customer_addr)
    };
    let cc: Vec<String> = (0..(d.ordinal / 3) % 3).map(|i| format!("cc{i}@example.org")).collect();
    let cc = if email && !cc.is_empty() {
        address((d.ordinal / 3) % 3, key, &cc)
    } else {
        json!([])
    };
    let bcc = if email && d.ordinal.is_multiple_of(7) {
        address(2, key, &["audit@acme.example".to_owned()])
    } else {
        json!([])
    };
    let external = format!("<{conv_id}.{}@mail.example>", d.position);
    let in_reply_to = if d.position > 0 {
        json!(format!("<{conv_id}.{}@mail.example>", d.position - 1))
    } else {
        Value::Null
    };
    let attachments: Vec<Value> = if d.rng.chance(0.1) {
        (0..1 + d.rng.index(2))
            .map(|i| {
                let (name, ctype) = *d.rng.pick(&[
                    ("photo.jpg", "image/jpeg"),
                    ("invoice.pdf", "application/pdf"),
                    ("label.png", "image/png"),
                ]);
                json!({"_id": format!("{}{:02x}", &d.id[..22], i), "name": name,
                       "contentType": ctype, "contentLength": 1_000 + d.rng.below(2_000_000)})
            })
            .collect()
    } else {
        vec![]
    };
    let sent = d.created - if inbound { d.rng.range(0, 2_000_000) } else { 0 };
    let mut attributes = object(json!({
        "externalId": if email { json!(external) } else { Value::Null },
        "channel": channel, "app": app_for(channel), "size": text.len() * 7 + 400,
        "direction": direction, "directionType": direction_type,
        "status": if inbound { "received" } else if d.rng.chance(0.02) { "error" } else { "sent" },
        "auto": !inbound && d.rng.chance(0.1), "redacted": d.ordinal % 97 == 13,
        "preview": text.chars().take(120).collect::<String>(),
        "subject": if email { json!(subject) } else { Value::Null },
        "lang": d.rng.pick(LANGS),
        "meta": {"from": from, "to": address(d.ordinal % 3, key, &[to]), "cc": cc, "bcc": bcc,
                 "subject": if email { json!(subject) } else { Value::Null },
                 "inReplyTo": if email { in_reply_to } else { Value::Null }},
        "assignedUsers": if inbound { vec![] } else { vec![author.clone()] },
        "assignedTeams": Refs::some(&refs.teams, &mut d.rng, 1),
        "createdByTeams": if inbound { vec![] } else { Refs::some(&refs.teams, &mut d.rng, 1) },
        "attachments": attachments,
        "custom": {"intentStr": if inbound { json!(d.rng.pick(INTENTS)) } else { Value::Null }},
        "sentAt": crate::time::format(sent),
        "createdAt": d.created_at(), "updatedAt": d.updated_at(), "modifiedAt": d.modified_at(),
        "rev": 1 + d.rng.below(3),
    }));
    if d.rng.chance(0.03) {
        attributes.insert("importedAt".into(), json!(d.created_at()));
    }
    let mut rels = base_relationships(refs);
    rels.insert(
        "customer".into(),
        resource::to_one("customer", &customer, &format!("/v1/customers/{customer}")),
    );
    rels.insert(
        "conversation".into(),
        resource::to_one("conversation", &conv_id, &format!("/v1/conversations/{conv_id}")),
    );
    rels.insert("createdBy".into(), resource::user(&author));
    if !inbound && !refs.shortcuts.is_empty() && d.rng.chance(0.3) {
        let used = Refs::some(&refs.shortcuts, &mut d.rng, 2);
        rels.insert("shortcuts".into(), resource::to_many("shortcut", &used));
    }
    resource::resource("message", &d.id, attributes, rels, &format!("/v1/messages/{}", d.id))
}

/// An internal note; mentions are to-many relationships, not attributes.
pub(crate) fn note(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let conv_id = d.parents.conversation.map(resource::id).unwrap_or_default().to_owned();
    let customer = d.customer_id().unwrap_or_default();
    let users = Refs::some(&refs.agents, &mut d.rng, 2);
    let teams = Refs::some(&refs.teams, &mut d.rng, 1);
    let body = match users.first() {
        Some(u) => format!("@{u} {}", d.rng.pick(NOTE_TEXTS)),
        None => (*d.rng.pick(NOTE_TEXTS)).to_owned(),
    };
    let author = refs.agent(&mut d.rng);
    let attributes = object(json!({
        "body": body, "deleted": d.deleted, "deletedAt": d.deleted_at(),
        "externalId": if d.rng.chance(0.1) { json!(format!("note-{}", d.ordinal)) } else { Value::Null },
        "createdAt": d.created_at(), "updatedAt": d.updated_at(), "modifiedAt": d.modified_at(),
        "rev": 1 + d.rng.below(3),
    }));
    let mut rels = base_relationships(refs);
    rels.insert(
        "customer".into(),
        resource::to_one("customer", &customer, &format!("/v1/customers/{customer}")),
    );
    rels.insert(
        "conversation".into(),
        resource::to_one("conversation", &conv_id, &format!("/v1/conversations/{conv_id}")),
    );
    rels.insert("createdBy".into(), resource::user(&author));
    rels.insert("modifiedBy".into(), resource::user(&author));
    rels.insert("userMentions".into(), resource::to_many("user", &users));
    rels.insert("teamMentions".into(), resource::to_many("team", &teams));
    if d.deleted {
        rels.insert("deletedBy".into(), resource::user(&author));
    }
    resource::resource("note", &d.id, attributes, rels, &format!("/v1/notes/{}", d.id))
}

/// A message's `direction` (`in` when missing).
fn dir(m: &Value) -> String {
    resource::attr_str(m, "direction").unwrap_or("in").to_owned()
}

/// What a conversation's `firstMessageIn`, `lastMessageOut`, … hold about a message.
fn summary(m: &Value) -> Value {
    let a = resource::attributes(m).cloned().unwrap_or_default();
    json!({"id": resource::id(m), "channel": a.get("channel"), "directionType": a.get("directionType"),
           "sentAt": a.get("sentAt"), "createdAt": a.get("createdAt"),
           "createdBy": resource::related_id(m, "createdBy")})
}

/// Fills a conversation's counts and first/last message summaries from its messages
/// (given in order) and notes.
pub(crate) fn summarize_conversation(conv: &mut Value, messages: &[&Value], notes: usize) {
    let Some(attrs) = conv.get_mut("attributes").and_then(Value::as_object_mut) else {
        return;
    };
    let inbound = messages.iter().filter(|m| dir(m) == "in").count();
    attrs.insert("messageCount".into(), json!(messages.len()));
    attrs.insert("inboundMessageCount".into(), json!(inbound));
    attrs.insert("outboundMessageCount".into(), json!(messages.len() - inbound));
    attrs.insert("noteCount".into(), json!(notes));
    let mut channels: Vec<Value> = Vec::new();
    for m in messages {
        let c = resource::attributes(m)
            .and_then(|a| a.get("channel"))
            .cloned()
            .unwrap_or(Value::Null);
        if !channels.contains(&c) {
            channels.push(c);
        }
    }
    if !channels.is_empty() {
        attrs.insert("channels".into(), Value::Array(channels));
    }
    for (key, direction, first) in [
        ("firstMessageIn", "in", true),
        ("firstMessageOut", "out", true),
        ("lastMessageIn", "in", false),
        ("lastMessageOut", "out", false),
    ] {
        let mut matching = messages.iter().filter(|m| dir(m) == direction);
        let found = if first { matching.next() } else { matching.next_back() };
        if let Some(m) = found {
            attrs.insert(key.into(), summary(m));
        }
    }
    if let Some(last) = messages.last() {
        let a = resource::attributes(last).cloned().unwrap_or_default();
        attrs.insert(
            "lastMessageAt".into(),
            a.get("createdAt").cloned().unwrap_or(Value::Null),
        );
        attrs.insert("lastMessageDirection".into(), json!(dir(last)));
    }
    if let Some(first) = messages.first() {
        let preview = resource::attr_str(first, "preview").unwrap_or_default();
        attrs.insert("preview".into(), json!(preview));
    }
}

/// Updates a conversation's attributes for one new, latest `message` the way
/// [`summarize_conversation`] would have filled them had it been there all along;
/// counts move only where the conversation has them.
pub(crate) fn add_message(attrs: &mut Map<String, Value>, message: &Value) {
    let direction = dir(message);
    let inbound = direction == "in";
    let count = if inbound {
        "inboundMessageCount"
    } else {
        "outboundMessageCount"
    };
    for key in ["messageCount", count] {
        if let Some(n) = attrs.get(key).and_then(Value::as_u64) {
            attrs.insert(key.into(), json!(n + 1));
        }
    }
    let (first, last) = if inbound {
        ("firstMessageIn", "lastMessageIn")
    } else {
        ("firstMessageOut", "lastMessageOut")
    };
    if attrs.get(first).is_none_or(Value::is_null) {
        attrs.insert(first.into(), summary(message));
    }
    attrs.insert(last.into(), summary(message));
    let created = resource::attributes(message).and_then(|a| a.get("createdAt")).cloned();
    attrs.insert("lastMessageAt".into(), created.unwrap_or(Value::Null));
    attrs.insert("lastMessageDirection".into(), json!(direction));
    let channel = resource::attributes(message).and_then(|a| a.get("channel")).cloned();
    if let (Some(c), Some(Value::Array(channels))) = (channel, attrs.get_mut("channels")) {
        if !channels.contains(&c) {
            channels.push(c);
        }
    }
}
