//! SLAs (`type: sla`): service-level policies; their content lives in
//! versions (see [`SlaVersion`](super::SlaVersion)).

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Count;

record! {
    /// An SLA's attributes (tap `slas`).
    pub struct SlaAttributes {
        /// The number of the version in force.
        "currentVersion" => current_version: Option<Count>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An SLA resource (`GET /v1/slas`). Its `versions` relationship is kept in
    /// `_extra`: each version row carries `sla_id`. With `versions=all` the
    /// versions themselves are side-loaded in `included[]`
    /// ([`Page::included_of`](crate::Page::included_of)).
    pub type Sla = Resource<SlaAttributes> {
        resource: "sla",
        table: "slas",
        singular: "sla",
        doc: "Service-level agreements",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
