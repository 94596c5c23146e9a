//! Routing user statuses ("Available", "Lunch", …) agents set in routing.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::enums::RoutingStatusType;
use crate::record::record;

record! {
    /// A routing status's attributes (AppFlow `Routing Statuses`; tap
    /// `routing_statuses`).
    pub struct RoutingStatusAttributes {
        "name" => name: Option<String>,
        "description" => description: Option<String>,
        /// What routing does with agents in this status.
        "statusType" => status_type: Option<RoutingStatusType>,
        "enabled" => enabled: Option<bool>,
        "routable" => routable: Option<bool>,
        "selectable" => selectable: Option<bool>,
        "system" => system: Option<bool>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A routing status resource (`GET /v1/routing/statuses`).
    pub type RoutingStatus = Resource<RoutingStatusAttributes> {
        resource: "routing_status",
        table: "routing_statuses",
        singular: "routing_status",
        doc: "Routing statuses an agent can be in (available, busy, …)",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
