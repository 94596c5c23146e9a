//! Fields of the core-resource lists documented in Kustomer's OAS: brands, business
//! schedules and holidays, SLAs and their versions, satisfaction forms, spam senders
//! and outbound accounts.

use serde_json::{json, Value};

use super::{config_id, Fields, Gen};
use crate::dataset::draft::base_relationships;
use crate::resource;
use crate::time::{self, DAY};

/// A brand; the first is the default (`GET /v1/brands/default`).
pub(crate) fn brand(g: &mut Gen<'_>) -> Fields {
    let name = ["Acme", "Acme Outlet", "Acme Kids"][g.i % 3];
    Fields::of(json!({
        "name": name, "default": g.i == 0,
        "iconUrl": format!("https://cdn.example/brands/{}.png", g.i),
    }))
}

/// A business schedule: per-weekday lists of `[start, end]` minutes, `null` when closed.
pub(crate) fn schedule(g: &mut Gen<'_>) -> Fields {
    let (name, tz, open, close) = [
        ("Office hours", "America/New_York", 480, 1020),
        ("EU support", "Europe/Berlin", 540, 1080),
    ][g.i % 2];
    let day = json!([[open, close]]);
    Fields::of(json!({
        "name": if g.i < 2 { name.to_owned() } else { format!("{name} {}", g.i) },
        "hours": {"0": null, "1": day, "2": day, "3": day, "4": day, "5": [[open, close - 120]], "6": null},
        "timezone": tz, "default": g.i == 0,
    }))
}

/// The holidays of a schedule (side-loaded with `include=holidays`).
pub(crate) fn holidays(parent: &Value, g: &mut Gen<'_>) -> Vec<Value> {
    let schedule = resource::id(parent).to_owned();
    let names = ["New Year", "Company offsite", "Winter break"];
    (0..1 + g.i % 3)
        .map(|k| {
            let id = config_id(g.ctx.seed, &format!("holiday-{}", g.i), k);
            let start = g.ctx.now - g.ctx.span / 3 + (k as i64) * 40 * DAY;
            let at = time::format(g.created);
            let attributes = json!({
                "name": names[k], "startDate": time::format(start), "endDate": time::format(start + DAY - 1_000_000),
                "description": format!("{} (closed)", names[k]), "enabled": k != 2,
                "createdAt": at, "modifiedAt": at, "updatedAt": at,
            });
            let mut rels = base_relationships(g.ctx.refs);
            rels.insert("createdBy".into(), resource::user(&g.ctx.refs.machine_user));
            rels.insert("modifiedBy".into(), resource::user(&g.ctx.refs.machine_user));
            rels.insert(
                "schedule".into(),
                json!({"data": {"type": "schedule", "id": schedule}, "links": {"self": format!("/v1/schedules/{schedule}")}}),
            );
            let attrs = match attributes {
                Value::Object(m) => m,
                _ => unreachable!(),
            };
            resource::resource("holiday", &id, attrs, rels, &format!("/v1/holidays/{id}"))
        })
        .collect()
}

/// The id of version `v` of SLA `i`: the current version keeps the id conversations
/// reference (`sla-version-<i>`).
fn version_id(seed: u64, i: usize, v: usize, current: usize) -> String {
    if v == current {
        config_id(seed, "sla-version", i)
    } else {
        config_id(seed, &format!("sla-version-{i}"), v)
    }
}

/// An SLA: only `currentVersion` and `createdAt`; its versions are a data-only
/// to-many relationship and come in `included[]` with `versions=all|active`.
pub(crate) fn sla(g: &mut Gen<'_>) -> Fields {
    let current = 1 + g.i % 3;
    let versions: Vec<String> = (1..=current).map(|v| version_id(g.ctx.seed, g.i, v, current)).collect();
    Fields::of(json!({"currentVersion": current})).rel("versions", resource::to_many("sla_version", &versions))
}

/// The versions of an SLA; each has a `criteria` object whose `and` list is never empty.
pub(crate) fn sla_versions(parent: &Value, g: &mut Gen<'_>) -> Vec<Value> {
    let sla = resource::id(parent).to_owned();
    let current = parent["attributes"]["currentVersion"].as_u64().unwrap_or(1) as usize;
    let (name, channel) = [
        ("Email Policy", "email"),
        ("Chat Policy", "chat"),
        ("VIP Policy", "sms"),
    ][g.i % 3];
    (1..=current)
        .map(|v| {
            let id = version_id(g.ctx.seed, g.i, v, current);
            let hour = 3_600_000 * (1 + (current - v) as u64);
            let times = json!({"1": hour, "2": hour, "3": hour * 2, "4": hour * 4, "5": hour * 8});
            let mut and = vec![json!({"conversation_channel": {"operator": "contains", "value": channel}})];
            if v > 1 {
                and.push(json!({"conversation_priority": {"operator": "gte", "value": 3}}));
            }
            let or = if g.i % 2 == 1 {
                vec![json!({"customer_tags": {"operator": "contains", "value": g.ctx.refs.tags.first()}})]
            } else {
                vec![]
            };
            let created = g.created + (v as i64 - 1) * 7 * DAY;
            let attributes = json!({
                "name": name, "description": format!("SLA policy for {channel} conversations."), "version": v,
                "hours": if v % 2 == 0 { "business" } else { "calendar" },
                "metrics": {
                    "firstResponse": {"enabled": true, "times": times},
                    "longestUnrespondedMessage": {"enabled": v > 1, "times": if v > 1 { times.clone() } else { json!({}) }},
                    "totalConversationOpenTime": {"enabled": false, "times": {}},
                    "totalCustomerWaitTime": {"enabled": false, "times": {}},
                },
                "criteria": {"and": and, "or": or},
                "createdAt": time::format(created.min(g.ctx.now - 1_000_000)),
            });
            let mut rels = base_relationships(g.ctx.refs);
            rels.insert("createdBy".into(), resource::user(&g.ctx.refs.machine_user));
            rels.insert(
                "sla".into(),
                json!({"data": {"type": "sla", "id": sla}, "links": {"self": format!("/v1/slas/{sla}")}}),
            );
            let attrs = match attributes {
                Value::Object(m) => m,
                _ => unreachable!(),
            };
            let mut v = resource::resource("sla_version", &id, attrs, rels, "");
            if let Some(o) = v.as_object_mut() {
                o.remove("links");
            }
            v
        })
        .collect()
}

/// A satisfaction (CSAT) form.
pub(crate) fn satisfaction(g: &mut Gen<'_>) -> Fields {
    let channel = ["email", "chat", "sms"][g.i % 3];
    let app = ["postmark", "chat", "twilio"][g.i % 3];
    Fields::of(json!({
        "name": format!("Satisfaction form for {channel}"), "formType": "csat", "enabled": g.i != 2,
        "channel": channel, "description": format!("Sent when {channel} conversations are marked done."),
        "from": {"channel": channel, "account": if channel == "email" { "support@acme.example" } else { "+15550000000" }, "app": app},
        "metaTitle": "Satisfaction", "metaDescription": format!("{channel} survey"), "delayTime": g.i * 300,
        "scale": {"options": 5, "type": "number", "labelLow": "Terrible", "labelHigh": "Amazing"},
        "introduction": "Tell us about your experience.", "ratingPrompt": "How satisfied are you with your interaction?",
        "questions": [], "positiveQuestions": [], "negativeQuestions": [], "allQuestions": [],
        "followUpType": "all", "criteria": {"and": [], "or": []},
    }))
}

/// An allow- or block-listed sender.
pub(crate) fn spam_sender(g: &mut Gen<'_>) -> Fields {
    let email = g.i % 3 != 2;
    let sender = if email {
        format!(
            "{}{}@{}",
            ["promo", "noreply", "ceo"][g.i % 3],
            g.i,
            ["spam.example", "partner.example"][g.i % 2]
        )
    } else {
        format!("+1555{:07}", g.rng.below(10_000_000))
    };
    Fields::of(json!({
        "sender": sender, "channel": if email { "email" } else { "sms" },
        "list": if g.i.is_multiple_of(2) { "blacklist" } else { "whitelist" },
    }))
}

/// An outbound account (no id, no timestamps, as in the OAS example).
pub(crate) fn outbound_account(g: &mut Gen<'_>) -> Fields {
    let (channel, name, account) = [
        ("email", "Acme support", "support@acme.example"),
        ("email", "Acme billing", "billing@acme.example"),
        ("sms", "(555) 000-0000", "+15550000000"),
        ("whatsapp", "Acme WhatsApp", "+15550000001"),
    ][g.i % 4];
    Fields::of(json!({"channel": channel, "name": name, "account": account}))
}
