//! Conversation forwards: copies of a conversation sent to outside addresses
//! (`GET /v1/conversations/{id}/forwards`).

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A forward's attributes.
    pub struct ConversationForwardAttributes {
        "app" => app: Option<String>,
        "channel" => channel: Option<String>,
        "status" => status: Option<String>,
        /// `{name, email}`.
        "from" => from: Option<Json>,
        /// `[{name, email}]`.
        "to" => to: Option<Json>,
        "body" => body: Option<String>,
        /// The rich-text body (`{draftJs: {blocks, entityMap}}`).
        "payload" => payload: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A forward resource.
    pub type ConversationForward = Resource<ConversationForwardAttributes> {
        resource: "forward",
        table: "conversation_forwards",
        singular: "conversation_forward",
        doc: "Messages forwarded out of a conversation (per-conversation detail)",
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
