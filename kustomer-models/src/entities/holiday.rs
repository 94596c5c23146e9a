//! Holidays (`type: holiday`): closures of a business schedule, side-loaded
//! in `included[]` of `GET /v1/schedules/{id}?include=holidays` (documented
//! there and on `/v1/schedules/default`, not on the list).

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// A holiday's attributes (as the Kustomer chat SDKs read them).
    pub struct HolidayAttributes {
        "name" => name: Option<String>,
        "startDate" => start_date: Option<DateTime<Utc>>,
        "endDate" => end_date: Option<DateTime<Utc>>,
        "enabled" => enabled: Option<bool>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A holiday resource.
    pub type Holiday = Resource<HolidayAttributes> {
        resource: "holiday",
        table: "holidays",
        singular: "holiday",
        doc: "Holidays of business schedules",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
