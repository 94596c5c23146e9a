//! Inbound web hooks: URLs whose requests trigger workflows.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Count;

record! {
    /// A web hook's attributes (AppFlow `Hooks Web`; tap `hooks_web`).
    pub struct WebHookAttributes {
        "title" => title: Option<String>,
        "description" => description: Option<String>,
        /// The URL that receives the requests.
        "url" => url: Option<String>,
        "eventName" => event_name: Option<String>,
        "hash" => hash: Option<String>,
        "debug" => debug: Option<bool>,
        "version" => version: Option<Count>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A web hook resource (`GET /v1/hooks/web`).
    pub type WebHook = Resource<WebHookAttributes> {
        resource: "web_hook",
        table: "hooks_web",
        singular: "web_hook",
        doc: "Inbound web hooks: URLs that create objects from posted data",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
