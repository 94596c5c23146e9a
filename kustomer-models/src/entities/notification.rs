//! Notifications (`type: notification`): alerts delivered to users.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A notification's attributes (AppFlow `Notifications`; tap `notifications`).
    pub struct NotificationAttributes {
        "name" => name: Option<String>,
        "status" => status: Option<String>,
        /// The event that raised it (`{_meta, name, data, changes, …}`).
        "event" => event: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A notification resource (`GET /v1/notifications`).
    pub type Notification = Resource<NotificationAttributes> {
        resource: "notification",
        table: "notifications",
        singular: "notification",
        doc: "Notification rules of users",
        relationships {
            "org" => "org_id",
            "user" => "user_id",
        }
        lists {}
        relationship_lists {}
    }
}
