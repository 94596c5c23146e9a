//! Snippets (`type: snippet`): translated text blocks used in templates.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A snippet's attributes (AppFlow `Snippets`; tap `snippets`).
    pub struct SnippetAttributes {
        "name" => name: Option<String>,
        "key" => key: Option<String>,
        "app" => app: Option<String>,
        "category" => category: Option<String>,
        "description" => description: Option<String>,
        "source" => source: Option<String>,
        /// Text per language (`{en_us: {value, outdated}, …}`).
        "langs" => langs: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A snippet resource (`GET /v1/snippets`).
    pub type Snippet = Resource<SnippetAttributes> {
        resource: "snippet",
        table: "snippets",
        singular: "snippet",
        doc: "Text snippets (localized strings) of the org",
        relationships {
            "org" => "org_id",
        }
        lists {}
        relationship_lists {}
    }
}
