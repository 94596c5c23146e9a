//! KViews (`type: kview`): custom views of a resource in the agent UI.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A KView's attributes (AppFlow `Kviews`; tap `kviews`).
    pub struct KviewAttributes {
        /// The resource it shows (`customer`, `kobject.order`, …).
        "resource" => resource: Option<String>,
        "context" => context: Option<String>,
        "template" => template: Option<String>,
        "enabled" => enabled: Option<bool>,
        "advanced" => advanced: Option<bool>,
        "appDisabled" => app_disabled: Option<bool>,
        /// `{displayName, icon}`.
        "meta" => meta: Option<Json>,
        "layout" => layout: Option<Json>,
        "components" => components: Option<Json>,
        "conditions" => conditions: Option<Json>,
        "rev" => rev: Option<Count>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A KView resource (`GET /v1/kviews`).
    pub type Kview = Resource<KviewAttributes> {
        resource: "kview",
        table: "kviews",
        singular: "kview",
        doc: "KViews: custom views (cards, timelines) rendered from templates",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
