//! Chat settings: the look and behaviour of the org's chat widget.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::value::{Count, Json};

record! {
    /// Chat settings' attributes (AppFlow `Chat Settings`).
    pub struct ChatSettingsAttributes {
        "enabled" => enabled: Option<bool>,
        "default" => default: Option<bool>,
        "widgetType" => widget_type: Option<String>,
        "teamName" => team_name: Option<String>,
        "greeting" => greeting: Option<String>,
        "autoreply" => autoreply: Option<String>,
        "offhoursMessage" => offhours_message: Option<String>,
        "offhoursImageUrl" => offhours_image_url: Option<String>,
        "embedIconUrl" => embed_icon_url: Option<String>,
        "embedIconColor" => embed_icon_color: Option<String>,
        "fallbackEmailSubject" => fallback_email_subject: Option<String>,
        "fallbackEmailIntroduction" => fallback_email_introduction: Option<String>,
        "closableChat" => closable_chat: Option<bool>,
        "disableAttachments" => disable_attachments: Option<bool>,
        "noHistory" => no_history: Option<bool>,
        "outboundChatEnabled" => outbound_chat_enabled: Option<bool>,
        "showBrandingIdentifier" => show_branding_identifier: Option<bool>,
        "showEmailInputBanner" => show_email_input_banner: Option<bool>,
        "showTypingIndicatorCustomerWeb" => show_typing_indicator_customer_web: Option<bool>,
        "showTypingIndicatorWeb" => show_typing_indicator_web: Option<bool>,
        "singleSessionChat" => single_session_chat: Option<bool>,
        "suppressConversationReopen" => suppress_conversation_reopen: Option<bool>,
        "colors" => colors: Option<Json>,
        "pushSettings" => push_settings: Option<Json>,
        "volumeControl" => volume_control: Option<Json>,
        "settingsVersion" => settings_version: Option<Count>,
        "version" => version: Option<Count>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// A chat settings resource (`GET /v1/chat/settings`).
    pub type ChatSettings = Resource<ChatSettingsAttributes> {
        resource: "chat_settings",
        table: "chat_settings",
        singular: "chat_setting",
        doc: "The org's chat widget settings (one row)",
        relationships {
            "org" => "org_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {}
        relationship_lists {}
    }
}
