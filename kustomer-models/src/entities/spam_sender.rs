//! Spam senders: addresses and numbers on the org's spam list.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// A spam sender's attributes (AppFlow `Spam Senders`; `GET /v1/spam/senders`).
    pub struct SpamSenderAttributes {
        /// The address or number.
        "sender" => sender: Option<String>,
        "channel" => channel: Option<String>,
        /// Which list it is on.
        "list" => list: Option<String>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A spam sender resource.
    pub type SpamSender = Resource<SpamSenderAttributes> {
        resource: "spam_sender",
        table: "spam_senders",
        singular: "spam_sender",
        doc: "Senders marked as spam",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
