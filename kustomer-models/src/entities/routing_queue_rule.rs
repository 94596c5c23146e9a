//! Routing queue rules: ordered conditions that pick a new conversation's queue.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A queue rule's attributes (AppFlow `Routing Queue Rules`; tap
    /// `routing_queue_rules`).
    pub struct RoutingQueueRuleAttributes {
        "name" => name: Option<String>,
        "description" => description: Option<String>,
        "enabled" => enabled: Option<bool>,
        /// `{and: [...], or: [...]}` over conversation, customer and message fields.
        "criteria" => criteria: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A queue rule resource (`GET /v1/routing/queue-rules`).
    pub type RoutingQueueRule = Resource<RoutingQueueRuleAttributes> {
        resource: "queue_rule",
        table: "routing_queue_rules",
        singular: "routing_queue_rule",
        doc: "Rules that route conversations into queues",
        relationships {
            "org" => "org_id",
            "queue" => "queue_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
