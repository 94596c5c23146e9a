//! Work sessions (`type: work_session`): one agent's shift in routing, from
//! the first routing status until going offline.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::enums::RoutingStatusType;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A work session's attributes (AppFlow `Routing Work Sessions`; tap
    /// `routing_work_sessions`).
    pub struct WorkSessionAttributes {
        /// False once the agent went offline (the session is then read-only).
        "active" => active: Option<bool>,
        "routable" => routable: Option<bool>,
        "statusType" => status_type: Option<RoutingStatusType>,
        "workItemCount" => work_item_count: Option<Count>,
        "pausedWorkItemCount" => paused_work_item_count: Option<Count>,
        "hasPendingItem" => has_pending_item: Option<bool>,
        "hasSkills" => has_skills: Option<bool>,
        "skills" => skills: Option<Json>,
        /// Capacity per priority (`[{remaining, limit, priority}]`).
        "capacity" => capacity: Option<Json>,
        "capacityRemaining" => capacity_remaining: Option<Count>,
        "capacityStatus" => capacity_status: Option<String>,
        "totalCapacity" => total_capacity: Option<Count>,
        "handledItemCount" => handled_item_count: Option<Count>,
        "handledConversationCount" => handled_conversation_count: Option<Count>,
        /// Time totals (`{statusAt, businessTime, time}`).
        "totalAvailable" => total_available: Option<Json>,
        "totalAvailableAtCapacity" => total_available_at_capacity: Option<Json>,
        "totalAvailableIdleCapacity" => total_available_idle_capacity: Option<Json>,
        "totalUnavailable" => total_unavailable: Option<Json>,
        "totalUnavailableAtCapacity" => total_unavailable_at_capacity: Option<Json>,
        /// Time totals keyed by routing status id.
        "totalTimeByStatus" => total_time_by_status: Option<Json>,
        /// The previous revision's counters.
        "lastRevision" => last_revision: Option<Json>,
        "rev" => rev: Option<Count>,
        "signedInAt" => signed_in_at: Option<DateTime<Utc>>,
        "signedOutAt" => signed_out_at: Option<DateTime<Utc>>,
        "idleSince" => idle_since: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A work session resource (`GET /v1/routing/work-sessions`). Its `queues`
    /// relationship is kept in `_extra`.
    pub type WorkSession = Resource<WorkSessionAttributes> {
        resource: "work_session",
        table: "work_sessions",
        singular: "work_session",
        doc: "Agents' routing work sessions (signed in, statuses, handled items)",
        relationships {
            "org" => "org_id",
            "user" => "user_id",
            "team" => "team_id",
            "routingSettings" => "routing_settings_id",
            "status" => "status_id",
            "lastRevision" => "last_revision_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
