//! Klasses (custom object types) and their KObjects (spec §7.4, §14).

use serde_json::{json, Map, Value};

use super::draft::{base_relationships, Draft, Refs};
use super::people::object;
use crate::resource;

/// Klass names: plain, with `-`, and app-namespaced with `_` and `.`, because clients
/// must sanitise all of them into table names.
const KLASS_NAMES: &[&str] = &[
    "order",
    "shopify-orders",
    "acme_app.loyalty_card",
    "ecomm-return",
    "acme_orders-order",
    "subscription",
];

/// The name of the `i`-th klass.
pub(crate) fn klass_name(i: usize) -> String {
    KLASS_NAMES
        .get(i)
        .map_or_else(|| format!("custom-object-{i}"), |n| (*n).to_owned())
}

/// A klass. Its id is an ObjectId, but URLs and KObject relationships use its name.
pub(crate) fn klass(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let name = klass_name(d.ordinal);
    let display = name.rsplit(['.', '-', '_']).next().unwrap_or(&name).to_owned();
    let attributes = object(json!({
        "name": name, "displayName": display, "icon": d.rng.pick(&["cart", "card", "box", "refresh"]),
        "color": d.rng.pick(&["#4a90e2", "#f5a623", "#7ed321"]), "status": "enabled",
        "createdAt": d.created_at(), "updatedAt": d.updated_at(),
    }));
    let mut rels = base_relationships(refs);
    rels.insert("kobjects".into(), resource::link_only(&format!("/v1/klasses/{name}")));
    rels.insert("createdBy".into(), resource::user(&refs.machine_user));
    rels.insert("modifiedBy".into(), resource::user(&refs.machine_user));
    resource::resource("klass", &d.id, attributes, rels, &format!("/v1/klasses/{}", d.id))
}

/// `(title, custom)` for a KObject of the named klass; each klass has its own
/// attribute set covering every custom-attribute suffix.
fn payload(klass: &str, d: &mut Draft<'_>) -> (String, Map<String, Value>) {
    let n = 1_000 + d.rng.below(9_000);
    match klass {
        "order" => {
            let total = d.rng.below(50_000) as f64 / 100.0;
            let items = 1 + d.rng.below(5);
            (
                format!("Order #{n} ({items} items, ${total:.2})"),
                object(json!({"orderNumberNum": n, "totalPriceNum": total,
                    "orderStatusStr": d.rng.pick(&["fulfilled", "pending", "cancelled"]),
                    "placedAt": d.created_at(), "giftBool": d.rng.chance(0.1),
                    "trackingUrl": format!("https://ups.example/t/1Z{n}")})),
            )
        }
        "shopify-orders" => (
            format!("#{n}"),
            object(
                json!({"shopifyIdStr": format!("gid://shopify/Order/{}", d.rng.below(1 << 40)),
                "financialStatusStr": d.rng.pick(&["paid", "refunded", "partially_refunded"]),
                "subtotalNum": d.rng.below(90_000) as f64 / 100.0, "processedAt": d.during(),
                "testBool": false, "orderStatusUrl": format!("https://shop.example/orders/{n}"),
                "noteTxt": if d.rng.chance(0.3) { json!("Leave at the door") } else { Value::Null }}),
            ),
        ),
        "acme_app.loyalty_card" => (
            format!("Loyalty card {n}"),
            object(json!({"cardNumberStr": format!("LC-{n}-{}", d.rng.below(100)),
                "pointsNum": d.rng.below(20_000), "tierStr": d.rng.pick(&["bronze", "silver", "gold"]),
                "issuedAt": d.created_at(), "expiresAt": Value::Null, "activeBool": d.rng.chance(0.9),
                "walletUrl": format!("https://wallet.example/cards/{n}")})),
        ),
        other => (
            format!("{other} {n}"),
            object(json!({"labelStr": format!("item {n}"), "valueNum": d.rng.below(1_000),
                "seenAt": d.during(), "flagBool": d.rng.chance(0.5),
                "linkUrl": format!("https://objects.example/{n}"), "notesTxt": Value::Null})),
        ),
    }
}

/// A KObject. Note the API's singular `link` key on its `klass` relationship, whose
/// `data.id` is the klass *name*.
pub(crate) fn kobject(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let klass = d
        .parents
        .klass
        .and_then(|k| resource::attr_str(k, "name"))
        .unwrap_or("order")
        .to_owned();
    let customer = d.customer_id().unwrap_or_default();
    let (title, custom) = payload(&klass, d);
    let images: Vec<String> = (0..d.rng.index(3))
        .map(|i| format!("https://cdn.example/p/{}-{i}.jpg", d.ordinal))
        .collect();
    let attributes = object(json!({
        "externalId": format!("{}-{}", klass.replace(['.', '_'], "-"), d.ordinal),
        "title": title, "description": if d.rng.chance(0.6) { json!("Synced from the storefront") } else { Value::Null },
        "icon": d.rng.pick(&["truck-delivery", "credit-card", "star"]), "images": images,
        "custom": custom, "tags": Refs::some(&refs.tags, &mut d.rng, 2), "rev": d.rng.below(4),
        "createdAt": d.created_at(), "updatedAt": d.updated_at(),
    }));
    let mut rels = base_relationships(refs);
    rels.insert(
        "klass".into(),
        json!({"link": {"self": format!("/v1/klasses/{klass}")}, "data": {"type": "klass", "id": klass}}),
    );
    rels.insert(
        "customer".into(),
        resource::to_one("customer", &customer, &format!("/v1/customers/{customer}")),
    );
    resource::resource(
        &format!("kobject.{klass}"),
        &d.id,
        attributes,
        rels,
        &format!("/v1/klasses/{klass}/{}", d.id),
    )
}
