//! Teams (`type: team`): groups of users.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Flex, Json};

record! {
    /// A team's attributes (Stitch `teams`; AppFlow `Teams`; spec §11).
    pub struct TeamAttributes {
        "name" => name: Option<String>,
        "displayName" => display_name: Option<String>,
        "icon" => icon: Option<String>,
        "deleted" => deleted: Option<bool>,
        "roleGroups" => role_groups: Option<Json>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
    lists {
        /// User ids.
        "members" => members: Option<Vec<Flex>>,
    }
}

entity! {
    /// A team resource.
    pub type Team = Resource<TeamAttributes> {
        resource: "team",
        table: "teams",
        singular: "team",
        doc: "Teams of users",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
            "deletedBy" => "deleted_by_id",
        }
        lists {
            members => "user_id",
        }
        relationship_lists {}
    }
}
