//! Knowledge-base categories.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A category's attributes (AppFlow `Categories`; tap `kb_categories`).
    pub struct KbCategoryAttributes {
        "hash" => hash: Option<String>,
        /// Title, slug and description per language.
        "langs" => langs: Option<Json>,
        "published" => published: Option<bool>,
        "root" => root: Option<bool>,
        /// Order of the articles.
        "positions" => positions: Option<Json>,
        /// Order of the sub-categories.
        "categoryPositions" => category_positions: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A category resource (`GET /v1/kb/categories`).
    pub type KbCategory = Resource<KbCategoryAttributes> {
        resource: "kb_category",
        table: "kb_categories",
        singular: "kb_category",
        doc: "Knowledge-base categories",
        relationships {
            "org" => "org_id",
            "knowledgeBase" => "knowledge_base_id",
            "parent" => "parent_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
