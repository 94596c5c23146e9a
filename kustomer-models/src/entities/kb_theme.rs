//! Knowledge-base themes: an org's customised templates.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A theme's attributes (AppFlow `KB Themes`; tap `kb_themes`).
    pub struct KbThemeAttributes {
        "name" => name: Option<String>,
        "status" => status: Option<String>,
        "active" => active: Option<bool>,
        "default" => default: Option<bool>,
        "custom" => custom: Option<bool>,
        "templateTitle" => template_title: Option<String>,
        "templateVersion" => template_version: Option<String>,
        "templateVersionId" => template_version_id: Option<String>,
        "manifest" => manifest: Option<Json>,
        "configSnippets" => config_snippets: Option<Json>,
        "jsxSnippets" => jsx_snippets: Option<Json>,
        "rev" => rev: Option<Count>,
        "lastFileUpdatedAt" => last_file_updated_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A theme resource (`GET /v1/kb/themes`).
    pub type KbTheme = Resource<KbThemeAttributes> {
        resource: "kb_theme",
        table: "kb_themes",
        singular: "kb_theme",
        doc: "Knowledge-base themes",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
