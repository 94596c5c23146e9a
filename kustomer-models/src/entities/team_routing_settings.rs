//! Team routing settings: one record per routing team, addressed by the
//! team's id (AppFlow calls the same endpoint "Routing Settings").

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A team's routing settings (AppFlow `Routing Settings`; taps
    /// `routing_settings`, `queue_team_routing`).
    pub struct TeamRoutingSettingsAttributes {
        /// Agents route only through teams whose settings are enabled.
        "enabled" => enabled: Option<bool>,
        "deleted" => deleted: Option<bool>,
        /// Work items an agent of the team may hold at once.
        "workItemCapacity" => work_item_capacity: Option<Count>,
        /// Capacity per channel.
        "capacity" => capacity: Option<Json>,
        /// External queue names.
        "externalQueues" => external_queues: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A team routing settings resource (`GET /v1/routing/settings`). Its id is
    /// the team's id, so its `queues` relationship becomes `team_queues`
    /// keyed by `team_id`.
    pub type TeamRoutingSettings = Resource<TeamRoutingSettingsAttributes> {
        resource: "routing_settings",
        table: "team_routing_settings",
        singular: "team",
        doc: "Routing settings of each team (capacity, queues)",
        relationships {
            "org" => "org_id",
            "team" => "team_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {
            "queues" => "queue_id",
        }
    }
}
