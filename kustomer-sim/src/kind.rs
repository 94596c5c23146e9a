//! The kinds of records an org holds and their per-kind API facts.

/// The kinds of records the org holds.
///
/// Each kind maps to one JSON:API resource `type` and one `/v1/…` collection; the
/// methods below are the single place those facts live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `customer`, read via `GET /v1/customers` and search context `customer`.
    Customer,
    /// `conversation`, belongs to a customer.
    Conversation,
    /// `message`, belongs to a conversation (and its customer).
    Message,
    /// `note`, an internal note on a conversation.
    Note,
    /// `company`, an organisation customers belong to.
    Company,
    /// `kobject.<klassName>`, a custom object of some klass, linked to a customer.
    KObject,
    /// `user`, an agent or a machine user (API key).
    User,
    /// `team`, a group of users.
    Team,
    /// `tag`, a label applied to customers and conversations.
    Tag,
    /// `shortcut`, a saved reply template.
    Shortcut,
    /// `klass`, a custom object type (addressed by name in URLs).
    Klass,
}

impl Kind {
    /// Every kind, in a stable order.
    pub const ALL: [Kind; 11] = [
        Kind::Customer,
        Kind::Conversation,
        Kind::Message,
        Kind::Note,
        Kind::Company,
        Kind::KObject,
        Kind::User,
        Kind::Team,
        Kind::Tag,
        Kind::Shortcut,
        Kind::Klass,
    ];

    /// The JSON:API `type` of the kind (for KObjects only the `kobject` prefix; the
    /// full type is `kobject.<klassName>`).
    pub fn resource_type(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::Conversation => "conversation",
            Kind::Message => "message",
            Kind::Note => "note",
            Kind::Company => "company",
            Kind::KObject => "kobject",
            Kind::User => "user",
            Kind::Team => "team",
            Kind::Tag => "tag",
            Kind::Shortcut => "shortcut",
            Kind::Klass => "klass",
        }
    }

    /// The `/v1/<collection>` path segment (KObjects live under `/v1/klasses/<name>`).
    pub fn collection(self) -> &'static str {
        match self {
            Kind::Customer => "customers",
            Kind::Conversation => "conversations",
            Kind::Message => "messages",
            Kind::Note => "notes",
            Kind::Company => "companies",
            Kind::KObject => "klasses",
            Kind::User => "users",
            Kind::Team => "teams",
            Kind::Tag => "tags",
            Kind::Shortcut => "shortcuts",
            Kind::Klass => "klasses",
        }
    }

    /// The kind served at `/v1/<segment>` as a plain list, if any.
    pub(crate) fn from_collection(segment: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|k| *k != Kind::KObject)
            .find(|k| k.collection() == segment)
    }

    /// The search `queryContext` that returns this kind, if it is searchable.
    pub fn search_context(self) -> Option<&'static str> {
        match self {
            Kind::Customer => Some("customer"),
            Kind::Conversation => Some("conversation"),
            Kind::Message => Some("message"),
            Kind::Note => Some("note"),
            Kind::Company => Some("company"),
            Kind::KObject => Some("kobject"),
            _ => None,
        }
    }

    /// The kind a search `queryContext` selects.
    pub(crate) fn from_search_context(ctx: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.search_context() == Some(ctx))
    }

    /// The largest `pageSize` a plain GET list honours (larger values are clamped).
    pub(crate) fn max_page_size(self) -> usize {
        match self {
            Kind::User | Kind::Team => 500,
            _ => 100,
        }
    }

    /// Whether the GET list accepts `sort=desc` (documented for these two only).
    pub(crate) fn sortable_list(self) -> bool {
        matches!(self, Kind::Conversation | Kind::Message)
    }

    /// Whether the kind marks deletion with a `deleted` boolean (users only carry
    /// `deletedAt`, spec §11).
    pub(crate) fn has_deleted_flag(self) -> bool {
        self != Kind::User
    }

    /// Position of the kind in [`Kind::ALL`], used to index per-kind tables.
    pub(crate) fn ordinal(self) -> usize {
        self as usize
    }
}
