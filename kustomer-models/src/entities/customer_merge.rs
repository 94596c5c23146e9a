//! Customer merges: one customer (`source`) merged into another (`target`)
//! (`GET /v1/customers/{id}/merges`).

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// A merge's attributes.
    pub struct CustomerMergeAttributes {
        "status" => status: Option<String>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A merge resource.
    pub type CustomerMerge = Resource<CustomerMergeAttributes> {
        resource: "customer_merge",
        table: "customer_merges",
        singular: "customer_merge",
        doc: "Merges of other customers into a customer (per-customer detail)",
        relationships {
            "org" => "org_id",
            "source" => "source_id",
            "target" => "target_id",
            "createdBy" => "created_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
