//! Conversations (`type: conversation`): threads of messages and notes with a
//! customer.

use chrono::{DateTime, Utc};

use crate::custom::CustomAttributes;
use crate::entity::entity;
use crate::enums::{ConversationStatus, Direction};
use crate::record::record;
use crate::value::{Count, Flex, Json};

record! {
    /// A conversation's attributes (spec §7.2; Stitch `conversations`; AppFlow
    /// `Conversation`; real payloads of the MeltanoLabs tap).
    pub struct ConversationAttributes {
        "name" => name: Option<String>,
        "preview" => preview: Option<String>,
        "status" => status: Option<ConversationStatus>,
        "priority" => priority: Option<Count>,
        "direction" => direction: Option<Direction>,
        "externalId" => external_id: Option<String>,
        "replyChannel" => reply_channel: Option<String>,
        "externalQueue" => external_queue: Option<String>,
        "phase" => phase: Option<String>,
        "locale" => locale: Option<String>,
        "defaultLang" => default_lang: Option<String>,
        "spam" => spam: Option<bool>,
        "pinned" => pinned: Option<bool>,
        "mergedTarget" => merged_target: Option<bool>,
        "ended" => ended: Option<bool>,
        "endedAt" => ended_at: Option<DateTime<Utc>>,
        "endedReason" => ended_reason: Option<String>,
        "endedByType" => ended_by_type: Option<String>,
        "messageCount" => message_count: Option<Count>,
        "noteCount" => note_count: Option<Count>,
        "outboundMessageCount" => outbound_message_count: Option<Count>,
        "inboundMessageCount" => inbound_message_count: Option<Count>,
        "satisfaction" => satisfaction: Option<Count>,
        "snoozeCount" => snooze_count: Option<Count>,
        "reopenCount" => reopen_count: Option<Count>,
        "reopenFromDoneCount" => reopen_from_done_count: Option<Count>,
        "doneCount" => done_count: Option<Count>,
        "rev" => rev: Option<Count>,
        "custom" => custom: Option<CustomAttributes>,
        "lastMessageDirection" => last_message_direction: Option<Direction>,
        "lastMessageAt" => last_message_at: Option<DateTime<Utc>>,
        "lastReceivedAt" => last_received_at: Option<DateTime<Utc>>,
        "lastActivityAt" => last_activity_at: Option<DateTime<Utc>>,
        "firstMessageIn" => first_message_in: Option<Json>,
        "firstMessageOut" => first_message_out: Option<Json>,
        "lastMessageIn" => last_message_in: Option<Json>,
        "lastMessageOut" => last_message_out: Option<Json>,
        "lastMessageUnrespondedTo" => last_message_unresponded_to: Option<Json>,
        "lastMessageUnrespondedToSinceLastDone" => last_message_unresponded_to_since_last_done: Option<Json>,
        "firstResponse" => first_response: Option<Json>,
        "firstResponseSinceLastDone" => first_response_since_last_done: Option<Json>,
        "lastResponse" => last_response: Option<Json>,
        "firstDone" => first_done: Option<Json>,
        "lastDone" => last_done: Option<Json>,
        "totalOpen" => total_open: Option<Json>,
        "totalDone" => total_done: Option<Json>,
        "totalSnooze" => total_snooze: Option<Json>,
        "open" => open: Option<Json>,
        "snooze" => snooze: Option<Json>,
        "sla" => sla: Option<Json>,
        "satisfactionLevel" => satisfaction_level: Option<Json>,
        "sentiment" => sentiment: Option<Json>,
        "modificationHistory" => modification_history: Option<Json>,
        "assistant" => assistant: Option<Json>,
        "attribution" => attribution: Option<Json>,
        "firstCompany" => first_company: Option<Json>,
        "lastDeflection" => last_deflection: Option<Json>,
        "suggestedShortcuts" => suggested_shortcuts: Option<Json>,
        "predictions" => predictions: Option<Json>,
        "matchedTimeBasedRules" => matched_time_based_rules: Option<Json>,
        "linkedConversations" => linked_conversations: Option<Json>,
        "skills" => skills: Option<Json>,
        "roleGroupVersions" => role_group_versions: Option<Json>,
        "accessOverride" => access_override: Option<Json>,
        "importedAt" => imported_at: Option<DateTime<Utc>>,
        "deleted" => deleted: Option<bool>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
    lists {
        /// Tag ids.
        "tags" => tags: Option<Vec<Flex>>,
        /// User ids.
        "assignedUsers" => assigned_users: Option<Vec<Flex>>,
        /// Team ids.
        "assignedTeams" => assigned_teams: Option<Vec<Flex>>,
        /// Channel names (`email`, `chat`, …).
        "channels" => channels: Option<Vec<Flex>>,
        /// Tag ids suggested by the model.
        "suggestedTags" => suggested_tags: Option<Vec<Flex>>,
    }
}

entity! {
    /// A conversation resource.
    pub type Conversation = Resource<ConversationAttributes> {
        resource: "conversation",
        table: "conversations",
        singular: "conversation",
        doc: "Conversations: threads of messages and notes with one customer",
        relationships {
            "org" => "org_id",
            "customer" => "customer_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
            "brand" => "brand_id",
            "queue" => "queue_id",
            "sla" => "sla_id",
            "slaVersion" => "sla_version_id",
            "endedBy" => "ended_by_id",
            "pinnedBy" => "pinned_by_id",
            "subStatus" => "sub_status_id",
        }
        lists {
            tags => "tag_id",
            assigned_users => "user_id",
            assigned_teams => "team_id",
            channels => "channel",
            suggested_tags => "tag_id",
        }
        relationship_lists {}
        custom: custom,
    }
}
