//! Fields of the routing lists: queues, team routing settings, queue rules, statuses,
//! work items and work sessions.

use serde_json::json;

use super::{Fields, Gen};
use crate::resource;

const QUEUES: &[&str] = &["General", "VIP", "Returns", "Billing", "Social"];

/// A routing queue (conversations reference the first three as `queue`).
pub(crate) fn queue(g: &mut Gen<'_>) -> Fields {
    let name = QUEUES[g.i % QUEUES.len()];
    Fields::of(json!({
        "name": name.to_lowercase(), "displayName": name, "priority": 1 + g.i % 5, "itemSize": 1 + g.i % 2,
        "system": g.i == 0, "description": format!("{name} conversations"),
        "restrictTransfersByUsers": g.i % 2 == 1,
        "settings": {"overrideAssignment": "never", "putBackItemsOnOffline": if g.i.is_multiple_of(2) { "always" } else { "never" }},
        "deleted": false,
    }))
}

/// A team's routing settings, whose id is the team's id. `relationships.queues.data`
/// lists the team's queues: the `team_queues` table.
pub(crate) fn team_settings(g: &mut Gen<'_>) -> Fields {
    let team = g.owner.clone().unwrap_or_default();
    let queues: Vec<String> = (0..1 + g.i % 3).map(|k| g.id_in("queues", g.i + k)).collect();
    Fields::of(json!({
        "enabled": g.i % 4 != 3, "workItemCapacity": 3 + g.i % 4, "externalQueues": [],
        "capacity": {"chat": 3, "email": 5, "sms": 4}, "deleted": false,
    }))
    .rel("team", resource::to_one("team", &team, &format!("/v1/teams/{team}")))
    .rel("queues", resource::to_many("queue", &queues))
    .with_id(&team)
}

/// A rule sending matching conversations to a queue.
pub(crate) fn queue_rule(g: &mut Gen<'_>) -> Fields {
    let channel = ["email", "chat", "sms", "whatsapp"][g.i % 4];
    Fields::of(json!({
        "name": format!("{channel} to queue"), "enabled": true,
        "description": format!("Routes {channel} conversations"),
        "criteria": {"and": [{"conversation_channel": {"equals": channel}}], "or": []},
    }))
    .rel("queue", g.rel_to("queues", g.i))
}

/// An agent status (available, busy, …).
pub(crate) fn status(g: &mut Gen<'_>) -> Fields {
    let (name, ty, routable) = [
        ("Available", "available", true),
        ("Busy", "unavailable", false),
        ("Lunch", "unavailable", false),
        ("Training", "unavailable", false),
        ("Offline", "offline", false),
    ][g.i % 5];
    Fields::of(json!({
        "name": name, "statusType": ty, "selectable": true, "system": g.i == 0 || g.i == 4,
        "enabled": true, "routable": routable, "description": format!("{name} status"),
    }))
}

/// A routed work item (a conversation waiting in or taken from a queue).
pub(crate) fn work_item(g: &mut Gen<'_>) -> Fields {
    let conversations = &g.ctx.conversations;
    let conv = if conversations.is_empty() {
        String::new()
    } else {
        conversations[g.i * 7 % conversations.len()].clone()
    };
    let agent = g.agent();
    let status = ["routed", "queued", "completed", "accepted"][g.i % 4];
    let entered = g.during();
    let mut f = Fields::of(json!({
        "resourceType": "conversation", "status": status, "paused": g.i % 9 == 4,
        "channel": (["email", "chat", "sms"][g.i % 3]), "queuedCount": 1 + g.i % 2, "priority": 1 + g.i % 5,
        "itemSize": 1, "resourceCreatedAt": g.created_at(), "rev": 1 + g.i % 4, "workItemNumber": 1_000 + g.i,
        "lastRevision": {"acceptedAt": if status == "queued" { json!(null) } else { json!(entered) },
                         "enteredQueueAt": entered, "externalQueue": null},
        "firstEnterQueueAt": entered, "resourceRev": 1 + g.i % 3, "resourceDirection": "in",
    }))
    .rel("resource", resource::data_only("conversation", &conv))
    .rel("queue", g.rel_to("queues", g.i));
    if status != "queued" {
        f = f
            .rel("assignedTo", resource::user(&agent))
            .rel("acceptedBy", resource::user(&agent));
    }
    if let Some(team) = g.team() {
        f = f.rel("team", resource::to_one("team", &team, &format!("/v1/teams/{team}")));
    }
    f
}

/// One agent's routing session.
pub(crate) fn work_session(g: &mut Gen<'_>) -> Fields {
    let user = g.owner_or_agent();
    let limit = 3 + g.i % 3;
    let used = g.i % (limit + 1);
    let mut f = Fields::of(json!({
        "routable": g.i % 3 != 2, "statusType": if g.i % 3 == 2 { "unavailable" } else { "available" },
        "workItemCount": used, "pausedWorkItemCount": 0, "signedInAt": g.created_at(),
        "capacity": [{"remaining": limit - used, "limit": limit, "priority": 1}],
        "capacityRemaining": limit - used, "totalCapacity": limit,
        "handledItemCount": 10 + g.i * 3, "handledConversationCount": 8 + g.i * 2,
        "totalAvailable": {"statusAt": g.during(), "businessTime": 3_600 + g.i * 60, "time": 4_000 + g.i * 60},
        "capacityStatus": if used == limit { "full" } else { "available" }, "rev": 1 + g.i % 5,
    }))
    .rel("user", resource::user(&user))
    .rel("status", g.rel_to("routing_statuses", g.i % 3))
    .rel("queues", resource::to_many("queue", &[g.id_in("queues", g.i)]));
    if let Some(team) = g.team() {
        f = f.rel("team", resource::to_one("team", &team, &format!("/v1/teams/{team}")));
    }
    f
}
