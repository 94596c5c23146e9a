//! Snooze options (`type: snooze`): the presets agents snooze conversations with.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A snooze option's attributes (AppFlow `Snoozes`; tap `snoozes`).
    pub struct SnoozeAttributes {
        "name" => name: Option<String>,
        "enabled" => enabled: Option<bool>,
        /// The kind of preset; column `snooze_type` (`type` is the resource type).
        "type" as "snooze_type" => kind: Option<String>,
        /// A duration, or a `{day: {type, value}, time}` object.
        "value" => value: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A snooze option resource (`GET /v1/snoozes`).
    pub type Snooze = Resource<SnoozeAttributes> {
        resource: "snooze",
        table: "snoozes",
        singular: "snooze",
        doc: "Snooze options offered to agents",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
