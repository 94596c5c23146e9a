//! Org directory records: users, teams, tags and shortcuts (spec §5b, §11).

use serde_json::{json, Value};

use super::draft::{base_relationships, Draft, Refs};
use super::people::{object, slug};
use super::vocab::{COLORS, FIRST_NAMES, LAST_NAMES, SHORTCUT_NAMES, TAG_NAMES, TEAM_NAMES};
use crate::resource;

/// `names[i]`, numbered once the list is exhausted (`"vip"`, …, `"vip 2"`).
fn nth_name(names: &[&str], i: usize) -> String {
    let base = names[i % names.len()];
    match i / names.len() {
        0 => base.to_owned(),
        round => format!("{base} {}", round + 1),
    }
}

/// Adds `deletedBy` to a deleted record's relationships.
fn deleted_by(d: &mut Draft<'_>, refs: &Refs, rels: &mut serde_json::Map<String, Value>) {
    if d.deleted {
        rels.insert("deletedBy".into(), resource::user(&refs.agent(&mut d.rng)));
    }
}

/// A user. Ordinal 0 is the API key's machine user, served by `/v1/users/current`.
/// Deactivated users carry only `deletedAt` (no `deleted` flag), as in real data.
pub(crate) fn user(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let machine = d.ordinal == 0;
    let (name, email, roles) = if machine {
        (
            "Sim API key".to_owned(),
            format!("{}@machine.kustomerapp.com", d.id),
            json!([
                "org.admin.read",
                "org.user.read",
                "org.permission.read",
                "org.user.search.read"
            ]),
        )
    } else {
        let name = format!("{} {}", d.rng.pick(FIRST_NAMES), d.rng.pick(LAST_NAMES));
        let email = format!("{}{}@acme.example", slug(&name), d.ordinal);
        let roles = if d.rng.chance(0.2) {
            json!(["org.admin", "org.user"])
        } else {
            json!(["org.user"])
        };
        (name, email, roles)
    };
    let attributes = object(json!({
        "name": name, "displayName": name, "email": email,
        "userType": if machine { "machine" } else { "user" },
        "roles": roles,
        "emailVerifiedAt": if machine || d.rng.chance(0.9) { json!(d.created_at()) } else { Value::Null },
        "avatarUrl": if machine { Value::Null } else { json!(format!("https://cdn.example/avatars/{}.png", d.ordinal)) },
        "createdAt": d.created_at(), "updatedAt": d.updated_at(), "modifiedAt": d.modified_at(),
        "deletedAt": d.deleted_at(),
    }));
    let rels = base_relationships(refs);
    resource::resource("user", &d.id, attributes, rels, &format!("/v1/users/{}", d.id))
}

/// A team and its members.
pub(crate) fn team(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let name = nth_name(TEAM_NAMES, d.ordinal);
    let members = Refs::some(&refs.agents, &mut d.rng, 6);
    let attributes = object(json!({
        "name": name, "displayName": name, "icon": d.rng.pick(&["headset", "star", "moon", "truck"]),
        "members": members, "deleted": d.deleted, "deletedAt": d.deleted_at(),
        "createdAt": d.created_at(), "updatedAt": d.updated_at(), "modifiedAt": d.modified_at(),
    }));
    let mut rels = base_relationships(refs);
    rels.insert("createdBy".into(), resource::user(&refs.machine_user));
    rels.insert("modifiedBy".into(), resource::user(&refs.agent(&mut d.rng)));
    deleted_by(d, refs, &mut rels);
    resource::resource("team", &d.id, attributes, rels, &format!("/v1/teams/{}", d.id))
}

/// A tag.
pub(crate) fn tag(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let attributes = object(json!({
        "name": nth_name(TAG_NAMES, d.ordinal), "color": d.rng.pick(COLORS),
        "deleted": d.deleted, "deletedAt": d.deleted_at(),
        "createdAt": d.created_at(), "updatedAt": d.updated_at(),
    }));
    let mut rels = base_relationships(refs);
    rels.insert("createdBy".into(), resource::user(&refs.agent(&mut d.rng)));
    deleted_by(d, refs, &mut rels);
    resource::resource("tag", &d.id, attributes, rels, &format!("/v1/tags/{}", d.id))
}

/// A shortcut (saved reply) with its free-form `payload`.
pub(crate) fn shortcut(d: &mut Draft<'_>, refs: &Refs) -> Value {
    let name = nth_name(SHORTCUT_NAMES, d.ordinal);
    let attributes = object(json!({
        "name": name, "draft": d.rng.chance(0.1), "isPrivate": d.rng.chance(0.2), "deleted": d.deleted,
        "payload": {
            "text": format!("Hi {{{{customer.firstName}}}}, {}", name.to_lowercase()),
            "subject": if d.rng.chance(0.5) { json!(name) } else { Value::Null },
            "tags": Refs::some(&refs.tags, &mut d.rng, 2),
            "status": d.rng.pick(&[json!("done"), json!("open"), Value::Null]),
            "attachments": [],
        },
        "createdAt": d.created_at(), "updatedAt": d.updated_at(), "modifiedAt": d.modified_at(),
    }));
    let mut rels = base_relationships(refs);
    rels.insert("createdBy".into(), resource::user(&refs.agent(&mut d.rng)));
    rels.insert("modifiedBy".into(), resource::user(&refs.agent(&mut d.rng)));
    resource::resource("shortcut", &d.id, attributes, rels, &format!("/v1/shortcuts/{}", d.id))
}
