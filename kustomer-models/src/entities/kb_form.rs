//! Knowledge-base forms: contact forms that create conversations.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A form's attributes (AppFlow `KB Forms`; tap `kb_forms`).
    pub struct KbFormAttributes {
        "name" => name: Option<String>,
        "slug" => slug: Option<String>,
        "hash" => hash: Option<String>,
        "body" => body: Option<String>,
        "channel" => channel: Option<String>,
        /// The klass the form writes to.
        "klass" => klass: Option<String>,
        "replyFrom" => reply_from: Option<String>,
        "advanced" => advanced: Option<bool>,
        "published" => published: Option<bool>,
        "recaptcha" => recaptcha: Option<bool>,
        "deflection" => deflection: Option<bool>,
        "formHookEnabled" => form_hook_enabled: Option<bool>,
        "wcag" => wcag: Option<bool>,
        "layout" => layout: Option<Json>,
        "layoutV2" => layout_v2: Option<Json>,
        "componentsV2" => components_v2: Option<Json>,
        "conditions" => conditions: Option<Json>,
        "snippets" => snippets: Option<Json>,
        "publishedAt" => published_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A form resource (`GET /v1/kb/forms`).
    pub type KbForm = Resource<KbFormAttributes> {
        resource: "kb_form",
        table: "kb_forms",
        singular: "kb_form",
        doc: "Knowledge-base contact forms",
        relationships {
            "org" => "org_id",
            "knowledgeBase" => "knowledge_base_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
            "publishedBy" => "published_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
