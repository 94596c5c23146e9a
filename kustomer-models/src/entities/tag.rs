//! Tags (`type: tag`): labels on conversations, customers and companies.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// A tag's attributes (Stitch `tags`; spec §11).
    pub struct TagAttributes {
        "name" => name: Option<String>,
        "color" => color: Option<String>,
        "deleted" => deleted: Option<bool>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A tag resource.
    pub type Tag = Resource<TagAttributes> {
        resource: "tag",
        table: "tags",
        singular: "tag",
        doc: "Tags applied to conversations, customers and companies",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
            "deletedBy" => "deleted_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
