//! Cards (`type: card`): app-provided panels shown in the agent timeline.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Flex;

record! {
    /// A card's attributes (AppFlow `Cards`; tap `cards`).
    pub struct CardAttributes {
        "name" => name: Option<String>,
        "description" => description: Option<String>,
        "url" => url: Option<String>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
    lists {
        /// Where the card shows (`customer`, `conversation`, …).
        "contexts" => contexts: Option<Vec<Flex>>,
    }
}

entity! {
    /// A card resource (`GET /v1/cards`). Its `contexts` become `card_contexts`.
    pub type Card = Resource<CardAttributes> {
        resource: "card",
        table: "cards",
        singular: "card",
        doc: "Insight cards shown beside a customer or conversation",
        relationships {
            "org" => "org_id",
            "app" => "app_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {
            contexts => "context",
        }
        relationship_lists {}
    }
}
