//! Klasses (`type: klass`): the custom object types KObjects belong to.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::enums::KlassStatus;
use crate::record::record;
use crate::value::Json;

record! {
    /// A klass's attributes (spec §14; AppFlow `klasses`).
    pub struct KlassAttributes {
        "name" => name: Option<String>,
        "displayName" => display_name: Option<String>,
        "description" => description: Option<String>,
        "icon" => icon: Option<String>,
        "color" => color: Option<String>,
        "status" => status: Option<KlassStatus>,
        "appDisabled" => app_disabled: Option<bool>,
        "s3DataUrl" => s3_data_url: Option<String>,
        /// The klass's attribute definitions.
        "attributes" => attributes: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A klass resource.
    pub type Klass = Resource<KlassAttributes> {
        resource: "klass",
        table: "klasses",
        singular: "klass",
        doc: "Klasses: the types of custom objects (KObjects) the org defines",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
