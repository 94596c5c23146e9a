//! Fields of the apps-platform and settings lists: auth settings, roles and tokens,
//! cards, shortcut categories, notifications, snoozes, assistants, apps, chat
//! settings, settings, snippets, saved searches, hooks, kviews and outbound webhooks.

use serde_json::{json, Value};

use super::{Fields, Gen};
use crate::resource;
use crate::time;

/// Customer-auth settings. The real API returns a live signing secret here; the
/// simulator returns an obviously fake one.
pub(crate) fn customer_settings(g: &mut Gen<'_>) -> Fields {
    Fields::of(json!({
        "secret": format!("sim-fake-secret-{:016x}", g.rng.next_u64()),
        "corsWhitelist": ["https://www.acme.example", "https://shop.acme.example"],
    }))
}

/// The roles `GET /v1/auth/roles` lists (ids only).
pub(crate) const ROLES: &[&str] = &[
    "org.admin",
    "org.admin.read",
    "org.admin.spam.read",
    "org.user",
    "org.user.read",
    "org.user.search.read",
    "org.user.audit_logs.read",
    "org.permission.read",
    "org.permission.audit_logs.read",
    "org.permission.conversation.read",
    "org.permission.customer.read",
    "org.permission.metadata.read",
    "org.permission.outbound_webhook",
    "org.permission.routing.read",
    "org.permission.kb.read",
];

/// A role: only its name, as the id.
pub(crate) fn role(g: &mut Gen<'_>) -> Fields {
    Fields::default().with_id(ROLES[g.i % ROLES.len()])
}

/// An API key or session token. Never the token itself: only its last characters.
pub(crate) fn auth_token(g: &mut Gen<'_>) -> Fields {
    let user = g.owner_or_agent();
    let machine = g.i == 0;
    let roles: &[&str] = if machine {
        &[
            "org.admin.read",
            "org.user.read",
            "org.permission.read",
            "org.user.search.read",
        ]
    } else {
        &["org.user", "org.user.read"]
    };
    Fields::of(json!({
        "lastTokenChars": format!("{:04x}", g.rng.below(1 << 16)),
        "name": if machine { "Sim API key".to_owned() } else { format!("Session {}", g.i) },
        "ipAddress": format!("203.0.113.{}", 10 + g.i % 200),
        "userAgent": if machine { "kustomer-rs" } else { "Mozilla/5.0 (Macintosh)" },
        "roles": roles, "lastAccessedAt": g.during(),
    }))
    .rel("user", resource::user(&user))
}

/// An insight card and the contexts it shows in.
pub(crate) fn card(g: &mut Gen<'_>) -> Fields {
    let (name, contexts): (&str, &[&str]) = [
        ("Shopify orders", &["customer", "conversation"][..]),
        ("Loyalty", &["customer"][..]),
        ("Returns", &["conversation", "kobject.order"][..]),
        ("Sentiment", &["customer", "conversation", "smartbar"][..]),
        ("Subscriptions", &[][..]),
        ("Fraud check", &["conversation"][..]),
    ][g.i % 6];
    Fields::of(json!({
        "name": name, "description": format!("{name} card"), "url": format!("https://cards.example/{}", g.i),
        "contexts": contexts,
    }))
    .rel("app", g.rel_to("apps", g.i))
}

/// A shortcut category.
pub(crate) fn shortcut_category(g: &mut Gen<'_>) -> Fields {
    Fields::of(json!({"name": (["Orders", "Returns", "Billing", "Greetings"][g.i % 4])}))
}

/// A notification setting of one agent.
pub(crate) fn notification(g: &mut Gen<'_>) -> Fields {
    let user = g.owner_or_agent();
    let name = ["kustomer.conversation.assigned", "kustomer.note.mention"][g.i % 2];
    Fields::of(json!({"name": name, "status": if g.i % 5 == 4 { "disabled" } else { "enabled" }}))
        .rel("user", resource::user(&user))
}

/// A snooze preset.
pub(crate) fn snooze(g: &mut Gen<'_>) -> Fields {
    let (name, value) = [
        (
            "Tomorrow morning",
            json!({"day": {"type": "relative", "value": "1"}, "time": "09:00"}),
        ),
        (
            "Next week",
            json!({"day": {"type": "weekday", "value": "monday"}, "time": "09:00"}),
        ),
        (
            "In 4 hours",
            json!({"day": {"type": "relative", "value": "0"}, "time": "+04:00"}),
        ),
        (
            "End of day",
            json!({"day": {"type": "relative", "value": "0"}, "time": "17:00"}),
        ),
    ][g.i % 4]
        .clone();
    Fields::of(json!({"name": name, "enabled": g.i != 3, "value": value, "type": "preset"}))
}

/// A conversational assistant.
pub(crate) fn assistant(g: &mut Gen<'_>) -> Fields {
    let name = ["Order helper", "Returns bot", "After-hours"][g.i % 3];
    Fields::of(json!({
        "name": name, "description": format!("{name} assistant"), "enabled": g.i != 2, "default": g.i == 0,
        "channels": if g.i == 1 { json!(["chat", "whatsapp"]) } else { json!(["chat"]) },
        "publicName": "Acme", "avatarUrl": format!("https://cdn.example/assistants/{}.png", g.i),
    }))
}

/// An installed app.
pub(crate) fn app(g: &mut Gen<'_>) -> Fields {
    let name = ["postmark", "shopify", "twilio", "chat", "slack"][g.i % 5];
    let at = g.during();
    Fields::of(json!({
        "name": name, "current": true, "version": format!("{}.{}.0", 1 + g.i, g.i % 3),
        "status": if g.i == 4 { "disabled" } else { "enabled" }, "statusAt": at,
        "actions": {}, "cards": {}, "hooks": {}, "klasses": {}, "triggers": {}, "workflows": {},
        "remote": {"status": "ready", "statusAt": at}, "installing": null,
    }))
}

/// The chat widget settings (one object).
pub(crate) fn chat_settings(_: &mut Gen<'_>) -> Fields {
    Fields::of(json!({
        "enabled": true, "teamName": "Acme support", "greeting": "Hi! How can we help?",
        "widgetType": "chat", "colors": {"primary": "#3949ab"}, "waitMessage": "We usually reply in a few minutes.",
    }))
}

/// An org setting.
pub(crate) fn setting(g: &mut Gen<'_>) -> Fields {
    let (name, value, category) = [
        ("defaultLanguage", json!("en_us"), "general"),
        ("timezone", json!("America/New_York"), "general"),
        ("autoAssign", json!(true), "routing"),
        ("maxAttachmentSize", json!(20_971_520), "messaging"),
        ("signature", json!("— The Acme team"), "messaging"),
        ("businessHours", json!({"schedule": "default"}), "routing"),
        ("satisfactionEnabled", json!(true), "satisfaction"),
        ("spamFilter", json!(null), "messaging"),
    ][g.i % 8]
        .clone();
    Fields::of(json!({"name": name, "value": value, "app": "kustomer", "category": category}))
}

/// A translated text snippet.
pub(crate) fn snippet(g: &mut Gen<'_>) -> Fields {
    let (name, en, es) = [
        ("greeting", "Hello!", "¡Hola!"),
        ("closing", "Thanks for reaching out.", "Gracias por escribirnos."),
        ("hours", "We are open 9–5.", "Abrimos de 9 a 5."),
        ("refund", "Your refund is on its way.", "Tu reembolso está en camino."),
        ("wait", "One moment please.", "Un momento por favor."),
        ("bye", "Have a great day!", "¡Que tengas un buen día!"),
    ][g.i % 6];
    Fields::of(json!({
        "name": name, "app": "kustomer", "description": format!("{name} snippet"), "source": "user",
        "key": format!("snippets.{name}"), "category": "messaging",
        "langs": {"en_us": {"value": en, "outdated": false}, "es": {"value": es, "outdated": g.i % 4 == 3}},
    }))
}

/// A saved customer search.
pub(crate) fn customer_search(g: &mut Gen<'_>) -> Fields {
    let (name, criterion) = [
        ("Open conversations", json!({"conversation_status": {"equals": "open"}})),
        ("Unassigned", json!({"conversation_assigned_users": {"not_set": true}})),
        (
            "Recently updated",
            json!({"customer_updated_at": {"gte": "2024-01-01"}}),
        ),
        ("Email", json!({"message_channel": {"equals": "email"}})),
        ("Snoozed", json!({"conversation_status": {"equals": "snoozed"}})),
        ("Negative sentiment", json!({"customer_sentiment": {"equals": "-1"}})),
    ][g.i % 6]
        .clone();
    let user = g.agent();
    Fields::of(json!({
        "name": name,
        "data": {"and": [criterion], "or": [], "sort": [{"customer_updated_at": "desc"}],
                 "queryContext": "conversation", "fields": [{"key": "customer_name"}]},
        "dataHash": format!("{:016x}", g.rng.next_u64()), "icon": "magnifier", "showBadge": g.i < 2,
        "defaultVisibility": if g.i % 3 == 2 { "hidden" } else { "visible" }, "teamVisibilities": [],
        "userVisibilities": [{"id": user, "visibility": "visible"}], "accessTeams": [], "accessUsers": [user],
        "cacheable": true, "badgeColor": "#e53935", "position": g.i, "private": g.i == 5,
    }))
}

/// A pinned saved search.
pub(crate) fn pinned_search(g: &mut Gen<'_>) -> Fields {
    let search = g.id_in("customer_searches", g.i);
    Fields::of(json!({"search": search})).rel("search", g.rel_to("customer_searches", g.i))
}

/// The order of saved searches in the sidebar (one object).
pub(crate) fn search_positions(g: &mut Gen<'_>) -> Fields {
    let positions: Vec<Value> = (0..3)
        .map(|k| json!({"type": "search", "id": g.id_in("customer_searches", k), "children": []}))
        .collect();
    Fields::of(json!({"positions": positions, "rev": 3}))
}

/// An inbound e-mail hook.
pub(crate) fn email_hook(g: &mut Gen<'_>) -> Fields {
    let hash = format!("{:012x}", g.rng.below(1 << 48));
    Fields::of(json!({
        "title": (["Order mails", "Partner mails"][g.i % 2]), "description": "Forwarded mail becomes events",
        "email": format!("hook-{hash}@hooks.acme.example"), "eventName": format!("kustomer.app.mail.hook-{}", g.i),
        "hash": hash, "key": format!("mail-{}", g.i),
    }))
}

/// An inbound web hook.
pub(crate) fn web_hook(g: &mut Gen<'_>) -> Fields {
    let hash = format!("{:012x}", g.rng.below(1 << 48));
    Fields::of(json!({
        "description": (["Shopify orders", "Stripe charges", "Status page"][g.i % 3]),
        "eventName": format!("kustomer.app.web.hook-{}", g.i), "hash": hash,
        "url": format!("https://api.kustomerapp.com/v1/hooks/web/{hash}"),
    }))
}

/// A custom view (kview).
pub(crate) fn kview(g: &mut Gen<'_>) -> Fields {
    let resource = ["customer", "conversation", "kobject.order", "company"][g.i % 4];
    Fields::of(json!({
        "resource": resource, "template": format!("<Segment>{resource} view</Segment>"),
        "context": (["insight", "expanded-timeline", "timeline", "insight"][g.i % 4]),
        "meta": {"displayName": format!("{resource} view"), "icon": "eye"},
        "enabled": true, "advanced": g.i % 2 == 1, "layout": [], "components": {},
    }))
}

/// The event names outbound webhooks can subscribe to (spec §13).
pub(crate) const WEBHOOK_EVENTS: &[&str] = &[
    "kustomer.customer.create",
    "kustomer.customer.update",
    "kustomer.conversation.create",
    "kustomer.conversation.update",
    "kustomer.message.create",
    "kustomer.message.update",
    "kustomer.user.create",
    "kustomer.user.update",
    "kustomer.team.create",
    "kustomer.team.update",
    "kustomer.tag.create",
    "kustomer.tag.update",
];

/// An outbound webhook. The real API returns its HMAC key in `token`; the simulator
/// returns an obviously fake one.
pub(crate) fn outbound_webhook(g: &mut Gen<'_>) -> Fields {
    let events: Vec<&str> = WEBHOOK_EVENTS.iter().skip(g.i * 2).take(4).copied().collect();
    Fields::of(json!({
        "name": (["Warehouse sync", "Data lake", "Slack alerts"][g.i % 3]),
        "enabled": g.i != 2, "url": format!("https://hooks.acme.example/kustomer/{}", g.i),
        "isError": g.i == 2, "consecutiveErrorsCount": if g.i == 2 { 7 } else { 0 },
        "events": events, "headers": [{"name": "X-Source", "value": "kustomer"}],
        "token": format!("sim-fake-hmac-{:016x}", g.rng.next_u64()),
    }))
}

/// A delivery attempt of an outbound webhook (`sentAt` is epoch milliseconds).
pub(crate) fn webhook_transaction(g: &mut Gen<'_>) -> Fields {
    let hook = g.id_in("outbound_webhooks", g.i);
    let sent = g.rng.range(g.ctx.now - 30 * time::DAY, g.ctx.now - time::SEC);
    let failed = g.i % 6 == 5;
    Fields::of(json!({
        "webhookId": hook, "sentAt": sent / 1_000,
        "nextRetry": if failed { json!(time::format(sent + 60 * time::SEC)) } else { Value::Null },
        "status": if failed { "failed" } else { "success" },
        "eventName": WEBHOOK_EVENTS[g.i % WEBHOOK_EVENTS.len()],
    }))
    .rel(
        "hook",
        json!({"data": {"type": "outbound_webhook", "id": hook}, "links": {"self": format!("/v1/outbound-webhooks/{hook}")}}),
    )
}
