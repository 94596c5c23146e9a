//! Knowledge-base tags.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// A knowledge-base tag's attributes (AppFlow `KB Tags`; tap `kb_tags`).
    pub struct KbTagAttributes {
        "name" => name: Option<String>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A knowledge-base tag resource (`GET /v1/kb/tags`).
    pub type KbTag = Resource<KbTagAttributes> {
        resource: "kb_tag",
        table: "kb_tags",
        singular: "kb_tag",
        doc: "Knowledge-base tags",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
