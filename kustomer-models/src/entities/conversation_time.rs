//! Conversation times: handle and message times of one conversation per
//! agent (`GET /v2/conversations/{id}/times`).

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A conversation time's attributes.
    pub struct ConversationTimeAttributes {
        /// Handle time in milliseconds.
        "handleTime" => handle_time: Option<Count>,
        "handleAt" => handle_at: Option<DateTime<Utc>>,
        /// Message time in milliseconds.
        "messageTime" => message_time: Option<Count>,
        "messageAt" => message_at: Option<DateTime<Utc>>,
        "channels" => channels: Option<Json>,
        "assignedUsers" => assigned_users: Option<Json>,
        "assignedTeams" => assigned_teams: Option<Json>,
        "createdByTeams" => created_by_teams: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A conversation time resource.
    pub type ConversationTime = Resource<ConversationTimeAttributes> {
        resource: "conversation_time",
        table: "conversation_times",
        singular: "conversation_time",
        doc: "Handle and message times of a conversation, per agent (per-conversation detail)",
        relationships {
            "org" => "org_id",
            "conversation" => "conversation_id",
            "customer" => "customer_id",
            "createdBy" => "created_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
