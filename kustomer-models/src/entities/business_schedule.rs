//! Business schedules (`type: schedule`): working hours per weekday in one
//! time zone, plus holidays.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A business schedule's attributes (AppFlow `Schedules`; tap `schedules`).
    pub struct BusinessScheduleAttributes {
        "name" => name: Option<String>,
        "timezone" => timezone: Option<String>,
        /// Whether this is the org's default schedule.
        "default" => default: Option<bool>,
        /// `{"0": null | [[startMinute, endMinute], …], …, "6": …}`, Sunday first.
        "hours" => hours: Option<Json>,
        "deleted" => deleted: Option<bool>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A business schedule resource (`GET /v1/schedules?include=holidays`).
    /// Its `holidays` relationship becomes `business_schedule_holidays`; the
    /// holidays themselves are side-loaded ([`Holiday`](super::Holiday)).
    pub type BusinessSchedule = Resource<BusinessScheduleAttributes> {
        resource: "schedule",
        table: "business_schedules",
        singular: "business_schedule",
        doc: "Business-hours schedules used by SLAs and routing",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
            "deletedBy" => "deleted_by_id",
        }
        lists {}
        relationship_lists {
            "holidays" => "holiday_id",
        }
    }
}
