//! Knowledge-base templates: the site templates themes are built from.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A template's attributes (AppFlow `KB Templates`; tap `kb_templates`).
    pub struct KbTemplateAttributes {
        "title" => title: Option<String>,
        "description" => description: Option<String>,
        "version" => version: Option<String>,
        "beta" => beta: Option<bool>,
        /// Configurable sections (`[{name, label, enabled, variables, link}]`).
        "manifest" => manifest: Option<Json>,
        "jsxSnippets" => jsx_snippets: Option<Json>,
        "images" => images: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A template resource (`GET /v1/kb/templates`).
    pub type KbTemplate = Resource<KbTemplateAttributes> {
        resource: "kb_template",
        table: "kb_templates",
        singular: "kb_template",
        doc: "Knowledge-base page templates",
        relationships {}
        lists {}
        relationship_lists {}
    }
}
