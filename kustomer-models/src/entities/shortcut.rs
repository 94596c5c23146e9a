//! Shortcuts (`type: shortcut`): canned replies agents insert into messages.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// A shortcut's attributes (Stitch `shortcuts`; AppFlow `Shortcuts`; real
    /// payloads of the MeltanoLabs tap).
    pub struct ShortcutAttributes {
        "name" => name: Option<String>,
        "isPrivate" => is_private: Option<bool>,
        "deleted" => deleted: Option<bool>,
        "appDisabled" => app_disabled: Option<bool>,
        /// The draft text (`{"text": …}`).
        "draft" => draft: Option<Json>,
        /// The rich-text body (`{"text": {"blocks": …, "entityMap": …}}`).
        "payload" => payload: Option<Json>,
        /// Conversation fields the shortcut sets when used (`{"custom": …}`);
        /// an attribute, not a relationship.
        "conversation" => conversation: Option<Json>,
        "rev" => rev: Option<Count>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A shortcut resource.
    pub type Shortcut = Resource<ShortcutAttributes> {
        resource: "shortcut",
        table: "shortcuts",
        singular: "shortcut",
        doc: "Shortcuts (canned replies) agents insert into messages",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
            "parent" => "parent_id",
        }
        lists {}
        relationship_lists {}
    }
}
