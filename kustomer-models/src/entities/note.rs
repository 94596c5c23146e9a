//! Notes (`type: note`): internal comments on a conversation.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A note's attributes (Stitch `notes`; AppFlow `Notes`; spec §11).
    pub struct NoteAttributes {
        "body" => body: Option<String>,
        "externalId" => external_id: Option<String>,
        "deleted" => deleted: Option<bool>,
        "createdByTeams" => created_by_teams: Option<Json>,
        "rev" => rev: Option<Count>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "importedAt" => imported_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A note resource. Its `userMentions` and `teamMentions` relationships
    /// become the child tables `note_user_mentions` and `note_team_mentions`.
    pub type Note = Resource<NoteAttributes> {
        resource: "note",
        table: "notes",
        singular: "note",
        doc: "Internal notes agents leave on conversations",
        relationships {
            "org" => "org_id",
            "customer" => "customer_id",
            "conversation" => "conversation_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
            "deletedBy" => "deleted_by_id",
        }
        lists {}
        relationship_lists {
            "userMentions" => "user_id",
            "teamMentions" => "team_id",
        }
    }
}
