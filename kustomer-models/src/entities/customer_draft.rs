//! Customer drafts: unsent messages agents wrote to a customer
//! (`GET /v1/customers/{id}/drafts`).

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A draft's attributes.
    pub struct CustomerDraftAttributes {
        "channel" => channel: Option<String>,
        "status" => status: Option<String>,
        "body" => body: Option<String>,
        /// The rich-text body (`{draftJs: {blocks, entityMap}}`).
        "payload" => payload: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A draft resource.
    pub type CustomerDraft = Resource<CustomerDraftAttributes> {
        resource: "draft",
        table: "customer_drafts",
        singular: "customer_draft",
        doc: "Unsent message drafts on a customer's timeline (per-customer detail)",
        relationships {
            "org" => "org_id",
            "customer" => "customer_id",
            "conversation" => "conversation_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
