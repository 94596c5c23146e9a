//! Customer search positions: a user's ordering of saved searches and folders.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// Search positions' attributes (AppFlow `Customers Searches Positions`).
    pub struct CustomerSearchPositionsAttributes {
        /// The ordered tree (`[{type, id, children}]`).
        "positions" => positions: Option<Json>,
        "children" => children: Option<Json>,
        "rev" => rev: Option<Count>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A search positions resource (`GET /v1/customers/searches/positions`).
    pub type CustomerSearchPositions = Resource<CustomerSearchPositionsAttributes> {
        resource: "customer_search_positions",
        table: "customer_searches_positions",
        singular: "customer_search_position",
        doc: "The order of saved searches in the sidebar (one row)",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
