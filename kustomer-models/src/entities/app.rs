//! Installed apps (`type: app`): integrations and the objects they registered.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::Json;

record! {
    /// An installed app's attributes (AppFlow `Apps`; tap `apps`). The maps of
    /// registered objects (`actions`, `cards`, …) are keyed by object name.
    pub struct AppAttributes {
        "name" => name: Option<String>,
        /// The installed version.
        "current" => current: Option<String>,
        "version" => version: Option<String>,
        "status" => status: Option<String>,
        "statusAt" => status_at: Option<DateTime<Utc>>,
        "installing" => installing: Option<String>,
        "autoUpdate" => auto_update: Option<bool>,
        "disabled" => disabled: Option<bool>,
        "actions" => actions: Option<Json>,
        "cards" => cards: Option<Json>,
        "commands" => commands: Option<Json>,
        "dataSubscriptions" => data_subscriptions: Option<Json>,
        "events" => events: Option<Json>,
        "hooks" => hooks: Option<Json>,
        "inboundHookUris" => inbound_hook_uris: Option<Json>,
        "klasses" => klasses: Option<Json>,
        "kviews" => kviews: Option<Json>,
        "meta" => meta: Option<Json>,
        "outboundWebhooks" => outbound_webhooks: Option<Json>,
        "roles" => roles: Option<Json>,
        /// The app's configuration, as the API returns it.
        "settings" => settings: Option<Json>,
        "settingsPageConfig" => settings_page_config: Option<String>,
        "shortcuts" => shortcuts: Option<Json>,
        "templates" => templates: Option<Json>,
        "triggers" => triggers: Option<Json>,
        "widgets" => widgets: Option<Json>,
        "workflows" => workflows: Option<Json>,
        "remote" => remote: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An installed app resource (`GET /v1/apps`).
    pub type App = Resource<AppAttributes> {
        resource: "app",
        table: "apps",
        singular: "app",
        doc: "Apps installed in the org (Kustomer apps and integrations) and their settings",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
