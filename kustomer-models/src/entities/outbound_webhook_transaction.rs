//! Outbound webhook transactions: delivery attempts of outbound webhooks.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::FlexTime;

record! {
    /// A delivery attempt's attributes (spec §13; AppFlow `Outbound Webhooks
    /// Transactions`).
    pub struct OutboundWebhookTransactionAttributes {
        "webhookId" => webhook_id: Option<String>,
        "eventName" => event_name: Option<String>,
        "status" => status: Option<String>,
        /// Sent as epoch milliseconds.
        "sentAt" => sent_at: Option<FlexTime>,
        "nextRetry" => next_retry: Option<String>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A delivery attempt resource (`GET /v1/outbound-webhooks/transactions`).
    pub type OutboundWebhookTransaction = Resource<OutboundWebhookTransactionAttributes> {
        resource: "outbound_webhook_transaction",
        table: "outbound_webhook_transactions",
        singular: "outbound_webhook_transaction",
        doc: "Deliveries of outbound webhooks and their outcome",
        relationships {
            "org" => "org_id",
            "hook" => "hook_id",
        }
        lists {}
        relationship_lists {}
    }
}
