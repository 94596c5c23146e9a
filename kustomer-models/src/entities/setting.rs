//! Org settings (`type: setting`): named values grouped by app and category.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A setting's attributes (AppFlow `Settings`; tap `settings`).
    pub struct SettingAttributes {
        "name" => name: Option<String>,
        "app" => app: Option<String>,
        "category" => category: Option<String>,
        /// Column `setting_type` (`type` is the resource type).
        "type" as "setting_type" => kind: Option<String>,
        /// A boolean, string or object.
        "value" => value: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A setting resource (`GET /v1/settings`).
    pub type Setting = Resource<SettingAttributes> {
        resource: "setting",
        table: "settings",
        singular: "setting",
        doc: "The org's settings, one row per setting",
        relationships {
            "org" => "org_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
