//! Shortcut categories: the folders shortcuts are filed in.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// A shortcut category's attributes (AppFlow `Shortcuts Categories`; tap
    /// `shortcuts_categories`).
    pub struct ShortcutCategoryAttributes {
        "name" => name: Option<String>,
        /// Whether this is the root category.
        "root" => root: Option<bool>,
        /// Order of the sub-categories.
        "categoryPositions" => category_positions: Option<Json>,
        /// Order of the shortcuts.
        "shortcutPositions" => shortcut_positions: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A shortcut category resource (`GET /v1/shortcuts/categories`).
    pub type ShortcutCategory = Resource<ShortcutCategoryAttributes> {
        resource: "shortcut_category",
        table: "shortcut_categories",
        singular: "shortcut_category",
        doc: "Categories of shortcuts",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
