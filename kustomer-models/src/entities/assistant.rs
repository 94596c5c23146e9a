//! Conversational assistants (`type: assistant`): the bots that greet chat
//! customers. Fivetran names the table only, so few fields are typed; the
//! rest lands in `_extra`.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// An assistant's attributes (the fields the chat SDKs document).
    pub struct AssistantAttributes {
        "name" => name: Option<String>,
        /// The name customers see.
        "publicName" => public_name: Option<String>,
        "avatarUrl" => avatar_url: Option<String>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An assistant resource.
    pub type Assistant = Resource<AssistantAttributes> {
        resource: "assistant",
        table: "assistants",
        singular: "assistant",
        doc: "Conversational assistants (bots) configured in the org",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
