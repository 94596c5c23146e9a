//! Routing queues (`type: queue`): named lines of waiting work.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, FlexTime, Json};

record! {
    /// A queue's attributes (AppFlow `Routing Queues`; taps `queues`,
    /// `routing_queues`).
    pub struct QueueAttributes {
        "name" => name: Option<String>,
        "displayName" => display_name: Option<String>,
        "description" => description: Option<String>,
        "priority" => priority: Option<Count>,
        /// How much agent capacity one item of this queue takes.
        "itemSize" => item_size: Option<Count>,
        "system" => system: Option<bool>,
        "deleted" => deleted: Option<bool>,
        "restrictTransfersByUsers" => restrict_transfers_by_users: Option<bool>,
        /// `{overrideAssignment, putBackItemsOnOffline, …}`.
        "settings" => settings: Option<Json>,
        /// Seen both as ISO text and as epoch milliseconds.
        "createdAt" => created_at: Option<FlexTime>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A queue resource (`GET /v1/routing/queues`).
    pub type Queue = Resource<QueueAttributes> {
        resource: "queue",
        table: "queues",
        singular: "queue",
        doc: "Routing queues work items wait in",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
