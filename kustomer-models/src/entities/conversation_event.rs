//! Conversation events: the change history of one conversation
//! (`GET /v1/conversations/{id}/events`).

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Flex, Json};

record! {
    /// A conversation event's attributes.
    pub struct ConversationEventAttributes {
        /// `kustomer.conversation.update`, …
        "name" => name: Option<String>,
        /// Column `conversation_event_type` (`type` is the resource type).
        "type" as "conversation_event_type" => kind: Option<String>,
        /// `{attributes|relationships: {field: {op, before, after}}}`.
        "changes" => changes: Option<Json>,
        "location" => location: Option<Flex>,
        "meta" => meta: Option<Flex>,
        "publishedAt" => published_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A conversation event resource.
    pub type ConversationEvent = Resource<ConversationEventAttributes> {
        resource: "conversation_event",
        table: "conversation_events",
        singular: "conversation_event",
        doc: "The event log of a conversation: status changes, assignments, tags… (per-conversation detail)",
        relationships {
            "org" => "org_id",
            "conversation" => "conversation_id",
            "customer" => "customer_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
