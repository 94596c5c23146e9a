//! Inbound e-mail hooks: addresses whose mail triggers workflows.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// An e-mail hook's attributes (AppFlow `Hooks Email`; tap `hooks_email`).
    pub struct EmailHookAttributes {
        "title" => title: Option<String>,
        "description" => description: Option<String>,
        /// The address that receives the mail.
        "email" => email: Option<String>,
        "eventName" => event_name: Option<String>,
        "hash" => hash: Option<String>,
        "key" => key: Option<String>,
        "debug" => debug: Option<bool>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An e-mail hook resource (`GET /v1/hooks/email`).
    pub type EmailHook = Resource<EmailHookAttributes> {
        resource: "email_hook",
        table: "hooks_email",
        singular: "email_hook",
        doc: "Inbound e-mail hooks: addresses that create conversations",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
