//! KObjects (`type: kobject.<klass>`): custom objects of an org's klasses.

use chrono::{DateTime, Utc};

use crate::custom::CustomAttributes;
use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A KObject's attributes (spec §7.4; Stitch `kobjects`).
    pub struct KObjectAttributes {
        "externalId" => external_id: Option<String>,
        "title" => title: Option<String>,
        "description" => description: Option<String>,
        "icon" => icon: Option<String>,
        "images" => images: Option<Json>,
        "data" => data: Option<Json>,
        "custom" => custom: Option<CustomAttributes>,
        "tags" => tags: Option<Json>,
        "attribution" => attribution: Option<Json>,
        "roleGroupVersions" => role_group_versions: Option<Json>,
        "rev" => rev: Option<Count>,
        "importedAt" => imported_at: Option<DateTime<Utc>>,
        "deleted" => deleted: Option<bool>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A KObject of any klass. `type` is `kobject.<klassName>`, and the klass
    /// relationship's id is the klass *name*, kept in `klass_name`.
    pub type KObject = Resource<KObjectAttributes> {
        resource: "kobject",
        table: "kobjects",
        singular: "kobject",
        doc: "KObjects of every klass (custom objects); `custom` kept whole",
        relationships {
            "org" => "org_id",
            "customer" => "customer_id",
            "company" => "company_id",
            "klass" => "klass_name",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
        custom: custom,
    }
}
