//! Customers and companies (spec §7.1).

use serde_json::{json, Map, Value};

use super::draft::{base_relationships, Draft, Refs};
use super::vocab::{COMPANY_NAMES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, PLACES};
use crate::resource;
use crate::rng::{combine, Rng};

/// Lower-case ASCII slug of a name (`"Chloé O'Brien"` → `"chloe.obrien"`).
pub(crate) fn slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| {
            let c = match c {
                'á' | 'à' | 'ä' | 'ã' | 'â' => 'a',
                'é' | 'è' | 'ë' | 'ê' => 'e',
                'í' | 'ì' | 'ï' => 'i',
                'ó' | 'ò' | 'ö' | 'õ' | 'ø' => 'o',
                'ú' | 'ù' | 'ü' => 'u',
                'ç' => 'c',
                'ñ' => 'n',
                ' ' => '.',
                c => c.to_ascii_lowercase(),
            };
            (c.is_ascii_alphanumeric() || c == '.').then_some(c)
        })
        .collect()
}

/// Turns a `json!({...})` object into its map.
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A US-style test phone number.
fn phone(rng: &mut Rng) -> String {
    format!("+1555{:07}", rng.below(10_000_000))
}

/// One `locations[]` entry, with the optional fields real records carry.
fn location(rng: &mut Rng, kind: &str) -> (Value, &'static str, &'static str) {
    let (address, city, region, zip, cc, country, lat, lon, tz, locale) = *rng.pick(PLACES);
    let loc = json!({
        "type": kind, "name": city, "address": address, "address2": null, "cityName": city,
        "regionCode": region, "regionName": region, "zipCode": zip, "countryCode": cc,
        "countryName": country, "latitude": lat, "longitude": lon,
    });
    (loc, tz, locale)
}

/// `lifetimeValueNum`: money, a few long precise decimals, a few nulls and, on a few
/// records, a value that does not fit its `Num` suffix (a locale-formatted string).
fn lifetime_value(d: &mut Draft<'_>) -> Value {
    if d.ordinal % 25 == 3 {
        json!("12,5")
    } else if d.ordinal % 10 == 5 {
        json!(*d.rng.pick(&[12345.6789, 98765.4321, 1234567.891]))
    } else if d.rng.chance(0.08) {
        Value::Null
    } else {
        json!(d.rng.below(500_000) as f64 / 100.0)
    }
}

/// The stream the shared contact points draw from, apart from the record's own
/// generator so that adding them shifted no other field.
const SHARED_STREAM: u64 = 0x5ba7_ed00;

/// The contact points a customer shares with others of one household (a family
/// phone, e-mail, social account and external id), in the shapes of `phones`,
/// `emails`, `socials` and `externalIds`: `(sharedEmails, sharedPhones,
/// sharedSocials, sharedExternalIds)`, empty for most customers. Some households
/// hold several customers, so the same values recur. `rng` is private to it.
fn shared(ordinal: usize, rng: &mut Rng) -> [Vec<Value>; 4] {
    // Every tenth customer from the third on, so tiny orgs have them too.
    let sure = ordinal % 10 == 2;
    if !sure && !rng.chance(0.12) {
        return Default::default();
    }
    let n = rng.below(40);
    let emails = vec![json!({"type": "home", "email": format!("household{n}@family.example"), "verified": false})];
    let phones = vec![json!({"type": "home", "phone": format!("+1555010{n:04}"), "verified": false})];
    let socials = if sure || rng.chance(0.4) {
        vec![json!({
            "type": "facebook", "userid": (700_000_000 + n).to_string(), "username": format!("@household_{n}"),
            "url": format!("https://facebook.example/household{n}"), "verified": false,
        })]
    } else {
        vec![]
    };
    let external_ids = if sure || rng.chance(0.5) {
        vec![json!({"externalId": format!("household-{n}"), "verified": false})]
    } else {
        vec![]
    };
    [emails, phones, socials, external_ids]
}

/// A customer, with zeroed conversation summaries (see [`summarize_customer`]).
pub(crate) fn customer(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let mut own = Rng::new(combine(d.rng.clone().next_u64(), SHARED_STREAM));
    let [household_emails, shared_phones, shared_socials, shared_external_ids] = shared(d.ordinal, &mut own);
    let first = *d.rng.pick(FIRST_NAMES);
    let last = *d.rng.pick(LAST_NAMES);
    let name = format!("{first} {last}");
    let handle = format!("{}{}", slug(&name), d.ordinal);
    let email = format!("{handle}@{}", d.rng.pick(EMAIL_DOMAINS));
    let external = format!("crm-{}", 10_000 + d.ordinal);
    let (loc, tz, locale) = location(&mut d.rng, "home");
    let company = (!refs.companies.is_empty() && d.rng.chance(0.4)).then(|| d.rng.pick(&refs.companies).clone());

    let mut emails = vec![json!({"type": "home", "email": email, "verified": d.rng.chance(0.5)})];
    if d.rng.chance(0.25) {
        emails.push(json!({"type": "work", "email": format!("{handle}@work.example"), "verified": false}));
    }
    let mut shared_emails: Vec<Value> = company
        .iter()
        .map(|_| json!({"type": "work", "email": "orders@acme.example", "verified": false}))
        .collect();
    shared_emails.extend(household_emails);
    let phones: Vec<Value> = (0..d.rng.index(3))
        .map(|i| json!({"type": (["mobile", "home", "work"][i]), "phone": phone(&mut d.rng), "verified": false}))
        .collect();
    let whatsapps: Vec<Value> = if d.rng.chance(0.15) {
        vec![json!({"phone": phone(&mut d.rng), "verified": true})]
    } else {
        vec![]
    };
    let socials: Vec<Value> = if d.rng.chance(0.3) {
        let kind = *d
            .rng
            .pick(&["twitter", "facebook", "instagram", "linkedin", "pinterest"]);
        vec![json!({
            "type": kind, "userid": d.rng.below(1_000_000_000).to_string(),
            "username": format!("@{}", handle.replace('.', "_")),
            "url": format!("https://{kind}.example/{handle}"), "verified": false,
        })]
    } else {
        vec![]
    };
    let urls: Vec<Value> = if d.rng.chance(0.2) {
        vec![json!({"type": "website", "url": format!("https://{handle}.example")})]
    } else {
        vec![]
    };
    let instagram: Vec<Value> = if d.rng.chance(0.05) {
        vec![
            json!({"pageId": "1784140", "threadId": format!("t{}", d.rng.below(1 << 40)),
                    "username": handle, "instagramId": d.rng.below(1 << 40).to_string()}),
        ]
    } else {
        vec![]
    };
    let tags = Refs::some(&refs.tags, &mut d.rng, 3);
    let tree = d.rng.chance(0.5).then(|| {
        let (top, leaf) = *d.rng.pick(&[
            ("shipping", "delay"),
            ("billing", "double_charge"),
            ("product", "damaged"),
        ]);
        json!({"value": format!("{top}.{leaf}"), "levels": [top, leaf]})
    });
    let mut custom = object(json!({
        "loyaltyTierStr": d.rng.pick(&[json!("bronze"), json!("silver"), json!("gold"), json!("platinum"), Value::Null]).clone(),
        "lifetimeValueNum": lifetime_value(d),
        "lastOrderAt": if d.rng.chance(0.7) { json!(d.during()) } else { Value::Null },
        "acceptsMarketingBool": d.rng.chance(0.6),
        "vipNotesTxt": if d.rng.chance(0.2) { json!("Prefers email.\nCall only after 5pm; \"VIP\" since 2019.") } else { Value::Null },
        "profileUrl": format!("https://crm.example/c/{external}"),
    }));
    if let Some(tree) = tree {
        custom.insert("contactReasonTree".into(), tree);
    }
    let created = d.created_at();
    let updated = d.updated_at();
    let mut attributes = object(json!({
        "name": name, "displayName": name, "displayColor": d.rng.pick(&["orange", "teal", "purple", "blue"]),
        "displayIcon": d.rng.pick(&["balloon", "rocket", "cactus", "owl"]),
        "firstName": first, "lastName": last, "externalId": external,
        "externalIds": [{"externalId": external, "verified": true}], "sharedExternalIds": shared_external_ids,
        "emails": emails, "sharedEmails": shared_emails, "phones": phones, "sharedPhones": shared_phones,
        "whatsapps": whatsapps, "facebookIds": [], "instagramIds": instagram,
        "socials": socials, "sharedSocials": shared_socials, "urls": urls, "locations": [loc],
        "activeUsers": [], "watchers": [],
        "recentLocation": {"updatedAt": d.during()},
        "locale": locale, "timeZone": tz, "tags": tags, "custom": custom,
        "conversationCounts": {"all": 0, "open": 0, "snoozed": 0, "done": 0},
        "progressiveStatus": "done",
        "presence": d.rng.pick(&["offline", "online", "away"]),
        "sentiment": {"polarity": d.rng.range(-1, 2), "confidence": d.rng.below(100) as f64 / 100.0},
        "verified": d.rng.chance(0.6), "deleted": d.deleted,
        "rev": 1 + d.rng.below(12),
        "createdAt": created, "updatedAt": updated, "modifiedAt": d.modified_at(),
        "lastActivityAt": updated, "deletedAt": d.deleted_at(),
    }));
    if !d.deleted {
        attributes.remove("deletedAt");
    }
    let mut rels = base_relationships(refs);
    rels.insert(
        "messages".into(),
        resource::link_only(&format!("/v1/customers/{}/messages", d.id)),
    );
    let author = refs.agent(&mut d.rng);
    rels.insert("createdBy".into(), resource::user(&author));
    rels.insert("modifiedBy".into(), resource::user(&refs.agent(&mut d.rng)));
    if let Some(c) = company {
        rels.insert(
            "company".into(),
            resource::to_one("company", &c, &format!("/v1/companies/{c}")),
        );
    }
    resource::resource("customer", &d.id, attributes, rels, &format!("/v1/customers/{}", d.id))
}

/// Fills a customer's conversation summaries and klass links from its children.
pub(crate) fn summarize_customer(customer: &mut Value, conversations: &[&Value], klasses: &[&str]) {
    let id = resource::id(customer).to_owned();
    let count = |status: &str| {
        conversations
            .iter()
            .filter(|c| resource::attr_str(c, "status") == Some(status))
            .count()
    };
    let counts = json!({"all": conversations.len(), "open": count("open"),
                        "snoozed": count("snoozed"), "done": count("done")});
    let last = conversations
        .iter()
        .max_by_key(|c| resource::attr_str(c, "createdAt").unwrap_or_default().to_owned());
    if let Some(attrs) = customer.get_mut("attributes").and_then(Value::as_object_mut) {
        attrs.insert("conversationCounts".into(), counts);
        if let Some(last) = last {
            let a = resource::attributes(last).cloned().unwrap_or_default();
            attrs.insert(
                "lastConversation".into(),
                json!({"id": resource::id(last), "channels": a.get("channels"),
                       "tags": a.get("tags"), "sentiment": {}}),
            );
            if let Some(at) = a.get("lastMessageAt") {
                attrs.insert("lastMessageAt".into(), at.clone());
            }
            let status = a.get("status").cloned().unwrap_or(Value::Null);
            attrs.insert("progressiveStatus".into(), status);
        }
    }
    if let Some(rels) = customer.get_mut("relationships").and_then(Value::as_object_mut) {
        for name in klasses {
            rels.insert(
                (*name).to_owned(),
                json!({"links": {"self": format!("/v1/customers/{id}/klasses/{name}")},
                       "meta": {"kobject": true}}),
            );
        }
    }
}

/// A company.
pub(crate) fn company(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let base = COMPANY_NAMES[d.ordinal % COMPANY_NAMES.len()];
    let name = if d.ordinal < COMPANY_NAMES.len() {
        base.to_owned()
    } else {
        format!("{base} {}", d.ordinal / COMPANY_NAMES.len() + 1)
    };
    let domain = format!("{}.example", slug(&name).replace('.', ""));
    let (loc, _, _) = location(&mut d.rng, "work");
    let tags = Refs::some(&refs.tags, &mut d.rng, 2);
    let attributes = object(json!({
        "name": name, "domains": [domain, format!("shop.{domain}")],
        "emails": [{"type": "work", "email": format!("support@{domain}")}],
        "phones": [{"type": "work", "phone": phone(&mut d.rng)}],
        "socials": [{"type": "linkedin", "url": format!("https://linkedin.example/company/{}", slug(&name))}],
        "urls": [{"type": "website", "url": format!("https://{domain}")}],
        "locations": [loc], "tags": tags,
        "custom": {
            "industryStr": d.rng.pick(&["retail", "wholesale", "media", "travel"]),
            "employeesNum": d.rng.range(5, 50_000),
            "arrNum": d.rng.below(10_000_000) as f64 / 100.0,
            "renewalAt": d.during(),
            "enterpriseBool": d.rng.chance(0.3),
            "portalUrl": format!("https://portal.{domain}"),
        },
        "externalId": format!("acct-{}", 500 + d.ordinal),
        "deleted": d.deleted, "rev": 1 + d.rng.below(5),
        "createdAt": d.created_at(), "updatedAt": d.updated_at(), "modifiedAt": d.modified_at(),
    }));
    let mut rels = base_relationships(refs);
    rels.insert("createdBy".into(), resource::user(&refs.agent(&mut d.rng)));
    rels.insert("modifiedBy".into(), resource::user(&refs.agent(&mut d.rng)));
    resource::resource("company", &d.id, attributes, rels, &format!("/v1/companies/{}", d.id))
}
