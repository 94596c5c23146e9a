//! Audit logs (spec §12): who changed what, when. Stored oldest first with ids that
//! sort like their `createdAt`, served newest first with cursor paging.

use serde_json::{json, Map, Value};

use super::draft::Refs;
use super::{config_lists, ids};
use crate::kind::Kind;
use crate::resource;
use crate::rng::{combine, Rng};
use crate::row::Row;
use crate::store::Store;
use crate::time::{self, DAY, MS, SEC};

/// The collection holding them.
pub(crate) const TABLE: &str = "audit_logs";

/// The documented `filter[objectType]` values.
pub(crate) const OBJECT_TYPES: &[&str] = &[
    "bill_subscription",
    "business_rule",
    "company",
    "conversation",
    "customer",
    "message",
    "search",
    "shortcut",
    "user",
    "work_item",
    "ip_rule",
    "work_session",
    "shopify_rest",
];

/// The `objectType` of a kind's records, if audit logs cover it.
pub(crate) fn object_type(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Customer => Some("customer"),
        Kind::Conversation => Some("conversation"),
        Kind::Message => Some("message"),
        Kind::Company => Some("company"),
        Kind::User => Some("user"),
        Kind::Shortcut => Some("shortcut"),
        _ => None,
    }
}

/// Who caused an entry.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    /// `userId` (`None` for the system).
    pub user: Option<String>,
    /// `userType`: `user`, `machine` or `system`.
    pub user_type: &'static str,
    /// `client`: `web-client`, `api`, `routing-api`, `workflows`.
    pub client: &'static str,
}

/// One audit-log entry about `object_type`/`object_id`, created at `at` (µs).
#[allow(clippy::too_many_arguments)]
pub(crate) fn entry(
    seed: u64,
    org: &str,
    at: i64,
    object_type: &str,
    object_id: &str,
    verb: &str,
    actor: &Actor,
    changes: Value,
    customer: Option<&str>,
) -> Value {
    let id = ids::stamped(seed, &format!("audit-{object_type}-{object_id}-{verb}-{at}"), at);
    let ip = actor
        .user
        .as_ref()
        .map(|u| json!(format!("198.51.100.{}", u.as_bytes()[u.len() - 1] % 200)));
    let attributes = json!({
        "eventName": format!("kustomer.{object_type}.{verb}"), "eventVerb": verb, "org": org,
        "userId": actor.user, "userType": actor.user_type, "objectId": object_id, "objectType": object_type,
        "client": actor.client, "ip": ip, "changes": changes,
        "createdAt": time::format(at), "publishedAt": time::format(at + 7 * MS),
        "expiresAt": time::format(at + 365 * DAY),
    });
    let mut rels = Map::new();
    if let Some(u) = &actor.user {
        rels.insert("user".into(), resource::user(u));
    }
    if let Some(c) = customer {
        rels.insert(
            "customer".into(),
            resource::to_one("customer", c, &format!("/v1/customers/{c}")),
        );
    }
    let attrs = match attributes {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let mut v = resource::resource("audit_log", &id, attrs, rels, "");
    if let Some(o) = v.as_object_mut() {
        o.remove("links");
    }
    v
}

/// The customer an object belongs to (itself for customers).
fn owner(kind: Kind, v: &Value) -> Option<String> {
    match kind {
        Kind::Customer => Some(resource::id(v).to_owned()),
        _ => resource::related_id(v, "customer").map(str::to_owned),
    }
}

/// Generates the org's audit history: entries over the last year about records of
/// every audited kind and about config objects (work items, searches, rules).
pub(crate) fn generate<'a>(seed: u64, now: i64, refs: &Refs, rows: impl Fn(Kind) -> &'a [Row], store: &mut Store) {
    let size = |k: Kind| rows(k).len();
    let n = ((size(Kind::Customer) + size(Kind::Conversation) + size(Kind::Message)) / 8).clamp(50, 5_000);
    let mut rng = Rng::new(combine(seed, 0xa0d1_7106));
    let weighted: &[(&str, u64)] = &[
        ("conversation", 35),
        ("customer", 25),
        ("message", 15),
        ("company", 5),
        ("user", 5),
        ("shortcut", 5),
        ("work_item", 4),
        ("search", 3),
        ("business_rule", 3),
    ];
    let total: u64 = weighted.iter().map(|w| w.1).sum();
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let mut roll = rng.below(total);
        let ty = (weighted.iter())
            .find(|(_, w)| {
                let hit = roll < *w;
                roll = roll.saturating_sub(*w);
                hit
            })
            .map_or("conversation", |w| w.0);
        let kind = Kind::ALL.into_iter().find(|&k| object_type(k) == Some(ty));
        let year_ago = now - 365 * DAY;
        let mut born = rng.range(year_ago, now - DAY);
        let (object_id, customer) = match kind {
            Some(kind) if !rows(kind).is_empty() => {
                let v = rng.pick(rows(kind)).value();
                born = (resource::attr_str(&v, "createdAt").and_then(time::parse_instant)).unwrap_or(year_ago);
                (resource::id(&v).to_owned(), owner(kind, &v))
            }
            Some(_) => continue,
            None => {
                let id = match ty {
                    "work_item" => config_lists::config_id(seed, "routing_work_items", k % 20),
                    "search" => config_lists::config_id(seed, "customer_searches", k % 6),
                    _ => ids::fixed(seed, &format!("business-rule-{}", k % 5)),
                };
                (id, None)
            }
        };
        // A record is created once, at its `createdAt`; later entries change it.
        let mut verb = *rng.pick(&["update", "update", "update", "update", "create", "delete"]);
        if verb == "create" && born < year_ago {
            verb = "update";
        }
        let at = if verb == "create" {
            born
        } else {
            rng.range(born.max(year_ago) + SEC, now - SEC)
        };
        let actor = match rng.below(10) {
            0..=2 => Actor {
                user: None,
                user_type: "system",
                client: ["routing-api", "workflows"][rng.index(2)],
            },
            3 => Actor {
                user: Some(refs.machine_user.clone()),
                user_type: "machine",
                client: "api",
            },
            _ => Actor {
                user: Some(refs.agent(&mut rng)),
                user_type: "user",
                client: "web-client",
            },
        };
        let changes = if verb == "update" {
            let (field, before, after) = match ty {
                "conversation" => ("status", json!("open"), json!("done")),
                "customer" => ("tags", json!([]), json!(refs.tags.first())),
                _ => ("name", json!("Old name"), json!("New name")),
            };
            json!({"attributes": {field: {"op": "replace", "before": before, "after": after}}, "relationships": {}})
        } else {
            Value::Null
        };
        out.push(entry(
            seed,
            &refs.org,
            at,
            ty,
            &object_id,
            verb,
            &actor,
            changes,
            customer.as_deref(),
        ));
    }
    out.sort_by(|a, b| resource::id(a).cmp(resource::id(b)));
    let c = store.entry(TABLE);
    for e in out {
        c.push(e, None);
    }
}
