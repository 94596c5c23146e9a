//! Pinned customer searches: a user's pins of saved searches.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// A pin's attributes (AppFlow `Customers Searches Pinned`).
    pub struct CustomerSearchPinAttributes {
        /// The pinned search's id.
        "search" => search: Option<String>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A pinned search resource (`GET /v1/customers/searches/pinned`).
    pub type CustomerSearchPin = Resource<CustomerSearchPinAttributes> {
        resource: "customer_search_pinned",
        table: "customer_searches_pinned",
        singular: "customer_search_pin",
        doc: "Saved searches pinned by users",
        relationships {
            "org" => "org_id",
            "search" => "search_id",
            "createdBy" => "created_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
