//! Saved customer searches: the views in the agent sidebar.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A saved search's attributes (AppFlow `Customers Searches`; tap
    /// `customers_searches`).
    pub struct CustomerSearchAttributes {
        "name" => name: Option<String>,
        "icon" => icon: Option<String>,
        /// The search body (`{and, or, sort, queryContext, fields}`).
        "data" => data: Option<Json>,
        "dataHash" => data_hash: Option<String>,
        "showBadge" => show_badge: Option<bool>,
        "badgeColor" => badge_color: Option<String>,
        "cacheable" => cacheable: Option<bool>,
        "private" => private: Option<bool>,
        "position" => position: Option<Count>,
        "defaultVisibility" => default_visibility: Option<String>,
        "teamVisibilities" => team_visibilities: Option<Json>,
        /// `[{id, visibility}]`.
        "userVisibilities" => user_visibilities: Option<Json>,
        "accessTeams" => access_teams: Option<Json>,
        "accessUsers" => access_users: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A saved search resource (`GET /v1/customers/searches`).
    pub type CustomerSearch = Resource<CustomerSearchAttributes> {
        resource: "customer_search",
        table: "customer_searches",
        singular: "customer_search",
        doc: "Saved customer searches (the views of the agent's sidebar)",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
