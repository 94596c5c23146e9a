//! Typed models of the Kustomer REST API.
//!
//! - [`envelope`]: the JSON:API envelope (resources, relationships in all four
//!   shapes, list pages).
//! - [`entity`]: one module per entity with its attributes, its table and the
//!   child tables its lists flatten into.
//! - [`table`]: the one definition of every table's columns, used by DDL,
//!   loaders and docs alike.
//!
//! Models are forward compatible: unknown attributes are kept in `extra` (and
//! land in the `_extra` JSON column), unknown enum values in `Unknown(String)`.
//!
//! ```
//! use kustomer_models::{decode, Customer, Entity, Page};
//!
//! let body = br#"{"data":[{"type":"customer","id":"5f8e","attributes":{
//!     "name":"Jane","emails":[{"type":"home","email":"jane@example.com"}],
//!     "updatedAt":"2024-03-01T10:00:02.130Z","brandNewField":1}}],
//!     "links":{"self":"/v1/customers?page=1","next":null},"meta":{"page":1}}"#;
//! let page: Page<Customer> = decode(body).unwrap();
//! let flat = page.data.into_iter().next().unwrap().flatten();
//! assert_eq!(flat.children[0].len(), 1); // customer_emails
//! ```

#![warn(missing_docs)]

mod cell;
mod custom;
pub mod decode;
pub mod docs;
mod entities;
pub mod entity;
mod enums;
pub mod envelope;
mod ids;
mod naming;
pub mod record;
mod redact;
pub mod table;
pub mod value;

pub use cell::{Cell, Row};
pub use custom::{CustomAttributes, CustomKind, CustomValue};
pub use decode::{decode, DecodeError};
pub use entities::*;
pub use entity::{Entity, EntitySchema, FlatRecord};
pub use enums::{
    AuditObjectType, Channel, ConversationStatus, Direction, KlassStatus, MessageStatus, RoutingStatusType, UserType,
};
pub use envelope::{
    Page, PageLinks, PageMeta, Relationship, RelationshipData, RelationshipLinks, Relationships, Resource,
    ResourceIdentifier, Single,
};
pub use ids::Id;
pub use naming::snake_case;
pub use redact::Redacted;
pub use table::{Column, LogicalType, ParentKey, TableDef};
pub use value::{Count, Flex, FlexTime, Json, JsonList};

/// The schema of every table family this crate models, in catalogue order:
/// the core entities (Customer … Klass), then org configuration, routing,
/// knowledge base, webhooks, audit logs and per-conversation/customer detail.
/// `custom_attribute_metadata` and `outbound_webhook_events` are not JSON:API
/// lists; their rows come from [`metadata_rows`] and [`webhook_event_rows`].
pub fn all_schemas() -> Vec<&'static EntitySchema> {
    vec![
        Customer::schema(),
        Conversation::schema(),
        Message::schema(),
        Note::schema(),
        Company::schema(),
        KObject::schema(),
        User::schema(),
        Team::schema(),
        Tag::schema(),
        Shortcut::schema(),
        Klass::schema(),
        Brand::schema(),
        Card::schema(),
        ShortcutCategory::schema(),
        Notification::schema(),
        OutboundAccount::schema(),
        Queue::schema(),
        TeamRoutingSettings::schema(),
        Sla::schema(),
        SlaVersion::schema(),
        Satisfaction::schema(),
        Snooze::schema(),
        SpamSender::schema(),
        BusinessSchedule::schema(),
        Holiday::schema(),
        Assistant::schema(),
        WorkSession::schema(),
        App::schema(),
        AuthCustomerSettings::schema(),
        AuthRole::schema(),
        AuthToken::schema(),
        ChatSettings::schema(),
        Setting::schema(),
        Snippet::schema(),
        CustomerSearch::schema(),
        CustomerSearchPin::schema(),
        CustomerSearchPositions::schema(),
        EmailHook::schema(),
        WebHook::schema(),
        KbArticle::schema(),
        KbCategory::schema(),
        KbForm::schema(),
        KbRoute::schema(),
        KbTag::schema(),
        KbTemplate::schema(),
        KbTheme::schema(),
        Kview::schema(),
        OutboundWebhook::schema(),
        OutboundWebhookTransaction::schema(),
        RoutingQueueRule::schema(),
        RoutingStatus::schema(),
        RoutingWorkItem::schema(),
        AuditLog::schema(),
        ConversationEvent::schema(),
        ConversationTime::schema(),
        ConversationForward::schema(),
        ConversationAttachment::schema(),
        CustomerDraft::schema(),
        CustomerMerge::schema(),
        custom_attribute_metadata_schema(),
        outbound_webhook_events_schema(),
    ]
}
