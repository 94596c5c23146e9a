//! Conversation events (`GET /v1/conversations/{id}/events`): a `create` event per
//! conversation, `update` events with before/after diffs, and the diff helper
//! [`crate::Org::update`] uses to record new ones.

use serde_json::{json, Map, Value};

use super::draft::base_relationships;
use super::draft::Refs;
use super::ids;
use crate::resource;
use crate::rng::Rng;
use crate::time::{self, MS, SEC};

/// The collection holding them.
pub(crate) const TABLE: &str = "conversation_events";

/// What happened to a conversation: `verb` (`create` or `update`) at `at`
/// (microseconds) by user `by`, with the before/after `changes` (`null` on create).
#[derive(Debug, Clone)]
pub(crate) struct Change<'a> {
    /// `create` or `update`.
    pub verb: &'a str,
    /// When, in microseconds.
    pub at: i64,
    /// The user who caused it.
    pub by: &'a str,
    /// The diff (see [`diff`]), or `null`.
    pub changes: Value,
}

/// Event number `n` of conversation `conv`, recording `change`.
pub(crate) fn event(seed: u64, refs: &Refs, conv: &Value, n: usize, change: Change<'_>) -> Value {
    let Change { verb, at, by, changes } = change;
    let conv_id = resource::id(conv);
    let customer = resource::related_id(conv, "customer").unwrap_or_default();
    let id = ids::stamped(seed, &format!("event-{conv_id}-{n}"), at);
    let stamp = time::format(at);
    let attributes = json!({
        "name": format!("kustomer.conversation.{verb}"), "type": "conversation",
        "publishedAt": time::format(at + (n as i64 % 7 + 1) * 13 * MS),
        "createdAt": stamp, "updatedAt": stamp, "modifiedAt": stamp,
        "changes": changes, "location": null, "meta": null,
    });
    let mut rels = base_relationships(refs);
    rels.insert("createdBy".into(), resource::user(by));
    rels.insert("modifiedBy".into(), resource::user(by));
    rels.insert(
        "customer".into(),
        resource::to_one("customer", customer, &format!("/v1/customers/{customer}")),
    );
    rels.insert(
        "conversation".into(),
        resource::to_one("conversation", conv_id, &format!("/v1/conversations/{conv_id}")),
    );
    let attrs = match attributes {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    resource::resource(
        "customer_event",
        &id,
        attrs,
        rels,
        &format!("/v1/customers/{customer}/events/{id}"),
    )
}

/// The audit-log style diff of two attribute maps:
/// `{"attributes": {name: {op, before, after}}, "relationships": {}}`.
pub(crate) fn diff(before: &Map<String, Value>, after: &Map<String, Value>) -> Value {
    let mut changed = Map::new();
    for (k, b) in before {
        match after.get(k) {
            Some(a) if a == b => {}
            Some(a) => {
                changed.insert(k.clone(), json!({"op": "replace", "before": b, "after": a}));
            }
            None => {
                changed.insert(k.clone(), json!({"op": "remove", "before": b, "after": null}));
            }
        }
    }
    for (k, a) in after {
        if !before.contains_key(k) {
            changed.insert(k.clone(), json!({"op": "add", "before": null, "after": a}));
        }
    }
    json!({"attributes": changed, "relationships": {}})
}

/// The generated history of one conversation: its `create` event, then up to three
/// `update` events between its creation and its last update (the last one leading
/// to its current status).
pub(crate) fn history(seed: u64, refs: &Refs, conv: &Value, rng: &mut Rng) -> Vec<Value> {
    let attr = |name| {
        resource::attr_str(conv, name)
            .and_then(time::parse_instant)
            .unwrap_or(0)
    };
    let (created, updated) = (attr("createdAt"), attr("updatedAt"));
    let creator = resource::related_id(conv, "createdBy")
        .unwrap_or(&refs.machine_user)
        .to_owned();
    let create = Change {
        verb: "create",
        at: created,
        by: &creator,
        changes: Value::Null,
    };
    let mut out = vec![event(seed, refs, conv, 0, create)];
    if updated <= created + SEC {
        return out;
    }
    let status = resource::attr_str(conv, "status").unwrap_or("open").to_owned();
    let updates = 1 + rng.index(3);
    let mut times: Vec<i64> = (0..updates).map(|_| rng.range(created + SEC, updated + 1)).collect();
    times.sort_unstable();
    let mut current = "open".to_owned();
    for (k, at) in times.into_iter().enumerate() {
        let last = k + 1 == updates;
        let by = refs.agent(rng);
        let mut attrs = Map::new();
        if last || rng.chance(0.5) {
            let next = if last {
                status.clone()
            } else {
                (*rng.pick(&["snoozed", "open", "done"])).to_owned()
            };
            attrs.insert(
                "status".into(),
                json!({"op": "replace", "before": current, "after": next}),
            );
            current = next;
        } else {
            attrs.insert(
                "assignedUsers".into(),
                json!({"op": "replace", "before": [], "after": [by.clone()]}),
            );
        }
        let before = time::format(created);
        attrs.insert(
            "updatedAt".into(),
            json!({"op": "replace", "before": before, "after": time::format(at)}),
        );
        let changes = json!({"attributes": attrs, "relationships": {}});
        let update = Change {
            verb: "update",
            at,
            by: &by,
            changes,
        };
        out.push(event(seed, refs, conv, k + 1, update));
    }
    out
}
