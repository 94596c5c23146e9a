//! Customer authentication settings: how chat customers are verified.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::redact::Redacted;
use crate::value::Json;

record! {
    /// The org's customer-auth settings (AppFlow `Auth Customer Settings`;
    /// `GET /v1/auth/customer/settings`).
    pub struct AuthCustomerSettingsAttributes {
        /// The signing secret for customer JWTs: withheld.
        "secret" => secret: Option<Redacted>,
        /// Allowed origins.
        "corsWhitelist" => cors_whitelist: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// The customer-auth settings resource (one per org).
    pub type AuthCustomerSettings = Resource<AuthCustomerSettingsAttributes> {
        resource: "auth_customer_settings",
        table: "auth_customer_settings",
        singular: "auth_customer_setting",
        doc: "The org's customer authentication settings (one row)",
        relationships {
            "org" => "org_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
