//! Outbound webhooks: endpoints Kustomer posts events to. Their HMAC `token`
//! and header values are withheld.

use chrono::{DateTime, Utc};

use super::common::WebhookHeader;
use crate::entity::entity;
use crate::record::record;
use crate::redact::Redacted;
use crate::value::{Count, Json, JsonList};

record! {
    /// An outbound webhook's attributes (spec §13; AppFlow `Outbound Webhooks`).
    pub struct OutboundWebhookAttributes {
        "name" => name: Option<String>,
        "url" => url: Option<String>,
        "enabled" => enabled: Option<bool>,
        "appDisabled" => app_disabled: Option<bool>,
        /// Whether deliveries are failing.
        "isError" => is_error: Option<bool>,
        "consecutiveErrorsCount" => consecutive_errors_count: Option<Count>,
        /// Subscribed event names.
        "events" => events: Option<Json>,
        /// Custom headers; names kept, values withheld.
        "headers" => headers: Option<JsonList<WebhookHeader>>,
        /// The HMAC signing key: withheld.
        "token" => token: Option<Redacted>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An outbound webhook resource (`GET /v1/outbound-webhooks`).
    pub type OutboundWebhook = Resource<OutboundWebhookAttributes> {
        resource: "outbound_webhook",
        table: "outbound_webhooks",
        singular: "outbound_webhook",
        doc: "Outbound webhook subscriptions",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
