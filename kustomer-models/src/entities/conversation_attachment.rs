//! Conversation attachments: files attached to a conversation's messages
//! (`GET /v1/conversations/{id}/attachments`).

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Count;

record! {
    /// An attachment's attributes (tap `attachments`).
    pub struct ConversationAttachmentAttributes {
        "name" => name: Option<String>,
        "contentType" => content_type: Option<String>,
        /// Size in bytes.
        "contentLength" => content_length: Option<Count>,
        "redacted" => redacted: Option<bool>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An attachment resource.
    pub type ConversationAttachment = Resource<ConversationAttachmentAttributes> {
        resource: "attachment",
        table: "conversation_attachments",
        singular: "conversation_attachment",
        doc: "Files attached to a conversation's messages and notes (per-conversation detail)",
        relationships {
            "org" => "org_id",
            "message" => "message_id",
        }
        lists {}
        relationship_lists {}
    }
}
