//! Custom attributes (spec §8): the attributes each resource's records carry, the
//! values their suffixes call for, and the `GET /v1/metadata/{resource}` documents
//! that describe them.
//!
//! Every resource uses every documented suffix (`Str`, `Txt`, `Num`, `At`, `Bool`,
//! `Url`) plus at least one the docs do not list (`Tree`, `Id`). The renderers write
//! some attributes themselves; [`complete`] adds the rest of the catalogue, so the
//! metadata names exactly the attributes the records carry.

use serde_json::{json, Map, Value};

use crate::resource;
use crate::rng::Rng;
use crate::time;

/// One custom attribute definition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttrDef<'a> {
    /// Attribute name, suffix included (`loyaltyTierStr`).
    pub name: &'a str,
    /// The values an enumerated attribute takes (empty = free).
    pub enumeration: &'a [&'a str],
    /// The resource an `…Id` attribute points at (`kobject.order`).
    pub target: Option<&'a str>,
    /// Whether an `…Id` attribute holds a list.
    pub multi: bool,
}

/// A free attribute named `name` (no enumeration, no target).
pub(crate) const fn def(name: &str) -> AttrDef<'_> {
    AttrDef {
        name,
        enumeration: &[],
        target: None,
        multi: false,
    }
}

const fn one_of(name: &'static str, enumeration: &'static [&'static str]) -> AttrDef<'static> {
    AttrDef {
        enumeration,
        ..def(name)
    }
}

const fn link(name: &'static str, target: &'static str, multi: bool) -> AttrDef<'static> {
    AttrDef {
        target: Some(target),
        multi,
        ..def(name)
    }
}

const CUSTOMER: &[AttrDef<'static>] = &[
    one_of("loyaltyTierStr", &["bronze", "silver", "gold", "platinum"]),
    def("lifetimeValueNum"),
    def("lastOrderAt"),
    def("acceptsMarketingBool"),
    def("vipNotesTxt"),
    def("profileUrl"),
    def("contactReasonTree"),
];

const CONVERSATION: &[AttrDef<'static>] = &[
    def("orderNumberStr"),
    def("refundNum"),
    def("promisedAt"),
    def("escalatedBool"),
    def("resolutionNotesTxt"),
    def("returnLabelUrl"),
    link("ordersId", "kobject.order", true),
];

const MESSAGE: &[AttrDef<'static>] = &[
    one_of(
        "intentStr",
        &[
            "wismo",
            "refund",
            "exchange",
            "login",
            "address_change",
            "damaged",
            "invoice",
            "cancel",
        ],
    ),
    def("sentimentScoreNum"),
    def("translationTxt"),
    def("reviewedAt"),
    def("flaggedBool"),
    def("sourceUrl"),
    link("botNodeId", "assistant_node", false),
];

const COMPANY: &[AttrDef<'static>] = &[
    one_of("industryStr", &["retail", "wholesale", "media", "travel"]),
    def("employeesNum"),
    def("arrNum"),
    def("renewalAt"),
    def("enterpriseBool"),
    def("portalUrl"),
    def("accountNotesTxt"),
    def("segmentTree"),
];

const ORDER: &[AttrDef<'static>] = &[
    def("orderNumberNum"),
    def("totalPriceNum"),
    one_of("orderStatusStr", &["fulfilled", "pending", "cancelled"]),
    def("placedAt"),
    def("giftBool"),
    def("trackingUrl"),
    def("giftMessageTxt"),
    link("storeId", "kobject.store", false),
];

const SHOPIFY_ORDER: &[AttrDef<'static>] = &[
    def("shopifyIdStr"),
    one_of("financialStatusStr", &["paid", "refunded", "partially_refunded"]),
    def("subtotalNum"),
    def("processedAt"),
    def("testBool"),
    def("orderStatusUrl"),
    def("noteTxt"),
    link("locationId", "kobject.location", false),
];

const LOYALTY_CARD: &[AttrDef<'static>] = &[
    def("cardNumberStr"),
    def("pointsNum"),
    one_of("tierStr", &["bronze", "silver", "gold"]),
    def("issuedAt"),
    def("expiresAt"),
    def("activeBool"),
    def("walletUrl"),
    def("termsTxt"),
    link("programId", "kobject.program", false),
];

/// Every other klass, including those added by [`crate::Org::add_klass`].
const GENERIC_KOBJECT: &[AttrDef<'static>] = &[
    def("labelStr"),
    def("valueNum"),
    def("seenAt"),
    def("flagBool"),
    def("linkUrl"),
    def("notesTxt"),
    link("parentId", "kobject", false),
];

/// The resources with custom attributes besides KObjects.
pub(crate) const RESOURCES: [&str; 4] = ["customer", "conversation", "message", "company"];

/// The attribute catalogue of a metadata resource (`customer`, …, `kobject.<klass>`).
pub(crate) fn catalogue(resource: &str) -> Option<&'static [AttrDef<'static>]> {
    Some(match resource {
        "customer" => CUSTOMER,
        "conversation" => CONVERSATION,
        "message" => MESSAGE,
        "company" => COMPANY,
        "kobject.order" => ORDER,
        "kobject.shopify-orders" => SHOPIFY_ORDER,
        "kobject.acme_app.loyalty_card" => LOYALTY_CARD,
        k if k.starts_with("kobject.") => GENERIC_KOBJECT,
        _ => return None,
    })
}

/// The metadata `type` a name's suffix declares. `Str`/`Num` follow Kustomer's OAS
/// example; the others are the natural counterparts (unconfirmed).
pub(crate) fn type_of(name: &str) -> &'static str {
    const SUFFIXES: [(&str, &str); 8] = [
        ("Str", "string"),
        ("Txt", "text"),
        ("Num", "number"),
        ("Bool", "boolean"),
        ("Url", "url"),
        ("Tree", "tree"),
        ("Id", "string"),
        ("At", "date"),
    ];
    (SUFFIXES.iter())
        .find(|(suffix, _)| name.len() > suffix.len() && name.ends_with(suffix))
        .map_or("json", |(_, t)| t)
}

/// `lifetimeValueNum` → `Lifetime Value`.
pub(crate) fn display_name(name: &str) -> String {
    let stem = ["Str", "Txt", "Num", "Bool", "Url", "Tree", "Id", "At"]
        .iter()
        .find_map(|s| name.strip_suffix(s).filter(|st| !st.is_empty()))
        .unwrap_or(name);
    let mut out = String::new();
    for (i, c) in stem.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else {
            if c.is_uppercase() {
                out.push(' ');
            }
            out.push(c);
        }
    }
    out
}

/// A value for attribute `def` on a record created at `created` and last updated at
/// `updated` (microseconds), as its suffix calls for; sometimes `null` if `nullable`.
pub(crate) fn value_for(def: &AttrDef<'_>, rng: &mut Rng, created: i64, updated: i64, nullable: bool) -> Value {
    let name = def.name;
    let n = rng.below(100_000);
    if nullable && !name.ends_with("Bool") && rng.chance(0.08) {
        return Value::Null;
    }
    match type_of(name) {
        "string" if def.target.is_some() => {
            let id = |rng: &mut Rng| {
                format!(
                    "{:024x}",
                    u128::from(rng.next_u64()) << 32 | u128::from(rng.below(1 << 32))
                )
            };
            if def.multi {
                Value::Array((0..1 + rng.index(2)).map(|_| json!(id(rng))).collect())
            } else {
                json!(id(rng))
            }
        }
        "string" if !def.enumeration.is_empty() => json!(rng.pick(def.enumeration)),
        "string" => json!(format!("{} {n}", display_name(name).to_lowercase())),
        "text" => json!(format!("Line one of {n}.\nLine two: \"quoted\"; done.")),
        "number" => json!(n as f64 / 100.0),
        "date" => json!(time::format(rng.range(created, updated + 1))),
        "boolean" => json!(rng.chance(0.5)),
        "url" => json!(format!(
            "https://example.com/{}/{n}",
            display_name(name).to_lowercase().replace(' ', "-")
        )),
        "tree" => {
            let (top, leaf) = *rng.pick(&[("shipping", "delay"), ("billing", "refund"), ("product", "damaged")]);
            json!({"value": format!("{top}.{leaf}"), "levels": [top, leaf]})
        }
        _ => json!({"raw": n}),
    }
}

/// Adds to `value.attributes.custom` every catalogue attribute of its resource
/// (its JSON:API `type`) that the renderer did not set. Records without a catalogue
/// are left alone.
pub(crate) fn complete(value: &mut Value, rng: &mut Rng, created: i64, updated: i64) {
    let Some(defs) = value.get("type").and_then(Value::as_str).and_then(catalogue) else {
        return;
    };
    let Some(attrs) = value.get_mut("attributes").and_then(Value::as_object_mut) else {
        return;
    };
    let custom = attrs.entry("custom").or_insert_with(|| Value::Object(Map::new()));
    if let Some(custom) = custom.as_object_mut() {
        for d in defs {
            if !custom.contains_key(d.name) {
                custom.insert(d.name.to_owned(), value_for(d, rng, created, updated, true));
            }
        }
    }
}

/// One `attributes.properties.<name>` entry of a metadata document.
pub(crate) fn property(def: &AttrDef<'_>, modified_at: &str, modified_by: &str) -> Value {
    let ty = type_of(def.name);
    let tree = (ty == "tree").then(|| {
        json!({"options": [
            {"value": "shipping", "displayName": "Shipping", "children": [{"value": "delay", "displayName": "Delay"}]},
            {"value": "billing", "displayName": "Billing", "children": [{"value": "refund", "displayName": "Refund"}]},
            {"value": "product", "displayName": "Product", "children": [{"value": "damaged", "displayName": "Damaged"}]},
        ]})
    });
    let enumeration = (!def.enumeration.is_empty()).then(|| json!(def.enumeration));
    json!({
        "displayName": display_name(def.name), "type": ty, "array": def.multi,
        "enumeration": enumeration, "multi": def.multi, "tree": tree, "target": def.target,
        "hasSensitiveAttributes": false,
        "modifiedAt": modified_at, "modifiedBy": modified_by, "updatedAt": modified_at,
        "deletedAt": null, "deletedBy": null,
    })
}

/// The metadata document of `resource` with the given properties.
pub(crate) fn metadata(resource: &str, org: &str, properties: Map<String, Value>) -> Value {
    let mut attributes = Map::new();
    attributes.insert("properties".into(), Value::Object(properties));
    let mut rels = Map::new();
    rels.insert("org".into(), resource::to_one("org", org, &format!("/v1/orgs/{org}")));
    resource::resource(
        "metadata",
        resource,
        attributes,
        rels,
        &format!("/v1/metadata/{resource}"),
    )
}

/// The metadata document of a catalogued resource.
pub(crate) fn metadata_of(resource: &str, org: &str, modified_at: &str, modified_by: &str) -> Value {
    let props = (catalogue(resource).unwrap_or_default().iter())
        .map(|d| (d.name.to_owned(), property(d, modified_at, modified_by)))
        .collect();
    metadata(resource, org, props)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_uses_every_suffix_and_an_unknown_one() {
        for r in RESOURCES.into_iter().chain(["kobject.order", "kobject.anything"]) {
            let types: Vec<&str> = catalogue(r).unwrap().iter().map(|d| type_of(d.name)).collect();
            for t in ["string", "text", "number", "date", "boolean", "url"] {
                assert!(types.contains(&t), "{r} lacks {t}");
            }
            let unknown = catalogue(r)
                .unwrap()
                .iter()
                .any(|d| d.name.ends_with("Tree") || d.name.ends_with("Id"));
            assert!(unknown, "{r} lacks an unknown suffix");
        }
        assert_eq!(display_name("lifetimeValueNum"), "Lifetime Value");
        assert_eq!(type_of("placedAt"), "date");
    }
}
