//! SLA versions (`type: sla_version`): the targets and criteria of one
//! version of an SLA, side-loaded in `included[]` of `GET /v1/slas?versions=all`.

use chrono::{DateTime, Utc};

use super::common::Criteria;
use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// An SLA version's attributes (tap `sla_versions`; `GET /v1/slas/{id}`).
    pub struct SlaVersionAttributes {
        "name" => name: Option<String>,
        "description" => description: Option<String>,
        "version" => version: Option<Count>,
        /// Which clock the targets use (business or calendar hours).
        "hours" => hours: Option<String>,
        /// Targets per metric and priority (`{firstResponse: {enabled, times}, …}`).
        "metrics" => metrics: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
    lists {
        /// Which conversations the SLA applies to.
        "criteria" => criteria: Option<Criteria>,
    }
}

entity! {
    /// An SLA version resource. Its criteria become `sla_version_criteria`,
    /// one row per condition.
    pub type SlaVersion = Resource<SlaVersionAttributes> {
        resource: "sla_version",
        table: "sla_versions",
        singular: "sla_version",
        doc: "Versions of SLAs, with their matching criteria and targets",
        relationships {
            "org" => "org_id",
            "sla" => "sla_id",
            "createdBy" => "created_by_id",
        }
        lists {
            criteria,
        }
        relationship_lists {}
    }
}
