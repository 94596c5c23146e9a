//! Knowledge-base routes: the URLs of articles and categories.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// A route's attributes (AppFlow `KB Routes`; tap `kb_routes`).
    pub struct KbRouteAttributes {
        "url" => url: Option<String>,
        /// `article`, `category`, …
        "routableType" => routable_type: Option<String>,
        "routableId" => routable_id: Option<String>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A route resource (`GET /v1/kb/routes`).
    pub type KbRoute = Resource<KbRouteAttributes> {
        resource: "kb_route",
        table: "kb_routes",
        singular: "kb_route",
        doc: "Knowledge-base URL routes",
        relationships {
            "org" => "org_id",
            "article" => "article_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
