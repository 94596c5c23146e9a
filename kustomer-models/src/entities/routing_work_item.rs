//! Routing work items (`type: work_item`): one routed piece of work (a
//! conversation waiting for or held by an agent).

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A work item's attributes (AppFlow `Routing Work Items`; tap
    /// `routing_work_items`).
    pub struct RoutingWorkItemAttributes {
        "workItemNumber" => work_item_number: Option<Count>,
        "status" => status: Option<String>,
        "channel" => channel: Option<String>,
        "paused" => paused: Option<bool>,
        "priority" => priority: Option<Count>,
        "itemSize" => item_size: Option<Count>,
        "queuedCount" => queued_count: Option<Count>,
        "hasSkills" => has_skills: Option<bool>,
        "skills" => skills: Option<Json>,
        /// The routed resource (`{type, id}` and a snapshot of it).
        "resource" => resource: Option<Json>,
        "resourceType" => resource_type: Option<String>,
        "resourceDirection" => resource_direction: Option<String>,
        "resourceRev" => resource_rev: Option<Count>,
        "resourceFirstQueueTime" => resource_first_queue_time: Option<Count>,
        "handle" => handle: Option<Json>,
        "ivr" => ivr: Option<Json>,
        /// The current revision (`{acceptedAt, enteredQueueAt, externalQueue, …}`).
        "lastRevision" => last_revision: Option<Json>,
        "rev" => rev: Option<Count>,
        "resourceCreatedAt" => resource_created_at: Option<DateTime<Utc>>,
        "firstEnterQueueAt" => first_enter_queue_at: Option<DateTime<Utc>>,
        "completedAt" => completed_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A work item resource (`GET /v1/routing/work-items`).
    pub type RoutingWorkItem = Resource<RoutingWorkItemAttributes> {
        resource: "work_item",
        table: "routing_work_items",
        singular: "routing_work_item",
        doc: "Routing work items: a conversation's passage through routing to an agent",
        relationships {
            "org" => "org_id",
            "resource" => "resource_id",
            "queue" => "queue_id",
            "team" => "team_id",
            "workSession" => "work_session_id",
            "assignedTo" => "assigned_to_id",
            "acceptedBy" => "accepted_by_id",
            "lastRevision" => "last_revision_id",
        }
        lists {}
        relationship_lists {}
    }
}
