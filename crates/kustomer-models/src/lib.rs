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

mod cell;
mod custom;
pub mod decode;
mod entities;
pub mod entity;
mod enums;
pub mod envelope;
mod ids;
mod naming;
pub mod record;
pub mod table;
pub mod value;

pub use cell::{Cell, Row};
pub use custom::{CustomAttributes, CustomKind, CustomValue};
pub use decode::{decode, DecodeError};
pub use entities::*;
pub use entity::{Entity, EntitySchema, FlatRecord};
pub use enums::{Channel, ConversationStatus, Direction, KlassStatus, MessageStatus, UserType};
pub use envelope::{
    Page, PageLinks, PageMeta, Relationship, RelationshipData, RelationshipLinks, Relationships, Resource,
    ResourceIdentifier, Single,
};
pub use ids::Id;
pub use naming::snake_case;
pub use table::{Column, LogicalType, ParentKey, TableDef};
pub use value::{Count, Flex, Json};

/// The schema of every entity this crate models, in catalogue order: Customer,
/// Conversation, Message, Note, Company, KObject, User, Team, Tag, Shortcut,
/// Klass.
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
    ]
}
