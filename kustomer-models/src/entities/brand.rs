//! Brands (`type: brand`): the identities an org presents to customers.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// A brand's attributes (AppFlow `Brands`; tap `brands`).
    pub struct BrandAttributes {
        "name" => name: Option<String>,
        "iconUrl" => icon_url: Option<String>,
        /// Whether this is the org's default brand.
        "default" => default: Option<bool>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A brand resource (`GET /v1/brands`).
    pub type Brand = Resource<BrandAttributes> {
        resource: "brand",
        table: "brands",
        singular: "brand",
        doc: "Brands the org answers customers as",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
