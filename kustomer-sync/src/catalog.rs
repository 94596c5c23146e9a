//! The catalogue: every stream, its mode, where it reads from and the tables
//! it fills. Adding an entity is one line here plus its model.

use std::sync::Arc;

use kustomer_api::search::{Criterion, QueryContext};
use kustomer_models::*;

use crate::discovery::Discovery;
use crate::streams::StreamDef;
use crate::streams::{AuditLogStream, Detail, GetStream, ListSource, RawStream, SearchCompanion, SearchStream};

/// Resources with custom-attribute metadata (KObjects have theirs per klass).
const CUSTOM_RESOURCES: [&str; 4] = ["customer", "conversation", "message", "company"];

fn metadata_paths(d: &Discovery) -> Vec<(String, String)> {
    CUSTOM_RESOURCES
        .iter()
        .map(|r| (*r).to_owned())
        .chain(d.klasses.iter().map(|k| format!("kobject.{}", k.klass)))
        .map(|r| (r.clone(), format!("/v1/metadata/{r}")))
        .collect()
}

fn outbound_accounts(_: &str, body: &[u8]) -> Result<Vec<FlatRecord>, DecodeError> {
    Ok(outbound_accounts_page(body)?
        .data
        .into_iter()
        .map(Entity::flatten)
        .collect())
}

/// Every stream, in a stable order: incremental entities first (they take
/// longest), then the full re-reads.
pub fn catalog() -> Vec<Arc<dyn StreamDef>> {
    vec![
        Arc::new(
            SearchStream::<Customer>::new(QueryContext::Customer)
                .with_list(ListSource::Path("/v1/customers"))
                .with_custom("customer")
                .with_detail(
                    Detail::<CustomerDraft>::new("/v1/customers/{id}/drafts", 100, "customer_id")
                        .with_role("org.permission.draft.read"),
                )
                .with_detail(
                    Detail::<CustomerMerge>::new("/v1/customers/{id}/merges", 100, "customer_id")
                        .with_role("org.permission.customer_merge.read"),
                ),
        ),
        Arc::new(
            SearchStream::<Conversation>::new(QueryContext::Conversation)
                .with_list(ListSource::Path("/v1/conversations"))
                .with_custom("conversation")
                .with_detail(
                    Detail::<ConversationEvent>::new("/v1/conversations/{id}/events", 100, "conversation_id")
                        .with_role("org.permission.event.read"),
                )
                .with_detail(
                    Detail::<ConversationTime>::new("/v2/conversations/{id}/times", 1000, "conversation_id")
                        .with_role("org.permission.conversation.read"),
                )
                .with_detail(
                    Detail::<ConversationForward>::new("/v1/conversations/{id}/forwards", 100, "conversation_id")
                        .with_role("org.permission.draft.read"),
                )
                // The OAS example's attachments have no `id`: keyed by position then.
                .with_detail(
                    Detail::<ConversationAttachment>::new("/v1/conversations/{id}/attachments", 100, "conversation_id")
                        .with_role("org.permission.attachment.read")
                        .keyed_by_position(),
                )
                .with_resolved_only(
                    Criterion::equals("conversation_status", "done"),
                    vec![
                        Arc::new(SearchCompanion::<Message>::new(
                            "messages",
                            "/v1/conversations/{id}/messages",
                            100,
                            Some("message"),
                        )),
                        Arc::new(SearchCompanion::<Note>::new(
                            "notes",
                            "/v1/conversations/{id}/notes",
                            100,
                            None,
                        )),
                    ],
                ),
        ),
        Arc::new(
            SearchStream::<Message>::new(QueryContext::Message)
                .with_list(ListSource::Path("/v1/messages"))
                .with_custom("message"),
        ),
        Arc::new(SearchStream::<Note>::new(QueryContext::Note).with_list(ListSource::Path("/v1/notes"))),
        Arc::new(
            SearchStream::<Company>::new(QueryContext::Company)
                .with_list(ListSource::Path("/v1/companies"))
                // `company_updated_at` is in the archive schema, not in search's.
                .with_list_fallback()
                .with_custom("company"),
        ),
        Arc::new(
            SearchStream::<KObject>::new(QueryContext::Kobject)
                .with_list(ListSource::Klasses)
                .with_klass_tables(),
        ),
        Arc::new(AuditLogStream),
        Arc::new(GetStream::<User>::list("/v1/users", 500)),
        Arc::new(GetStream::<Team>::list("/v1/teams", 500)),
        Arc::new(GetStream::<Tag>::list("/v1/tags", 100)),
        Arc::new(GetStream::<Shortcut>::list("/v1/shortcuts", 100)),
        Arc::new(GetStream::<ShortcutCategory>::list("/v1/shortcuts/categories", 100)),
        Arc::new(GetStream::<Klass>::list("/v1/klasses", 100)),
        Arc::new(RawStream::new(
            custom_attribute_metadata_schema,
            "/v1/metadata",
            metadata_paths,
            metadata_rows,
        )),
        Arc::new(GetStream::<Brand>::list("/v1/brands", 100)),
        Arc::new(GetStream::<Card>::list("/v1/cards", 100)),
        Arc::new(GetStream::<Notification>::list("/v1/notifications", 100)),
        Arc::new(RawStream::new(
            OutboundAccount::schema,
            "/v1/outboundAccounts",
            |_| vec![(String::new(), "/v1/outboundAccounts".to_owned())],
            outbound_accounts,
        )),
        Arc::new(GetStream::<Queue>::list("/v1/routing/queues", 100)),
        Arc::new(GetStream::<TeamRoutingSettings>::list("/v1/routing/settings", 100)),
        Arc::new(GetStream::<RoutingQueueRule>::list("/v1/routing/queue-rules", 100)),
        Arc::new(GetStream::<RoutingStatus>::list("/v1/routing/statuses", 100)),
        Arc::new(GetStream::<RoutingWorkItem>::list("/v1/routing/work-items", 100)),
        Arc::new(GetStream::<WorkSession>::list("/v1/routing/work-sessions", 100)),
        Arc::new(GetStream::<Sla>::list("/v1/slas", 100)),
        Arc::new(GetStream::<SlaVersion>::included("/v1/slas?versions=all", 100)),
        Arc::new(GetStream::<Satisfaction>::list("/v1/satisfaction", 100)),
        Arc::new(GetStream::<Snooze>::list("/v1/snoozes", 100)),
        Arc::new(GetStream::<SpamSender>::list("/v1/spam/senders", 100)),
        Arc::new(GetStream::<BusinessSchedule>::list("/v1/schedules", 100)),
        // `include=holidays` is documented on `/v1/schedules/{id}`, not on the list.
        Arc::new(GetStream::<Holiday>::included_per_item(
            "/v1/schedules",
            "/v1/schedules/{id}?include=holidays",
            100,
        )),
        Arc::new(GetStream::<Assistant>::list("/v1/assistants", 100)),
        Arc::new(GetStream::<App>::list("/v1/apps", 100)),
        Arc::new(GetStream::<AuthCustomerSettings>::single("/v1/auth/customer/settings")),
        Arc::new(GetStream::<AuthRole>::list("/v1/auth/roles", 100)),
        Arc::new(GetStream::<AuthToken>::list("/v1/auth/tokens", 100)),
        Arc::new(GetStream::<ChatSettings>::single("/v1/chat/settings")),
        Arc::new(GetStream::<Setting>::list("/v1/settings", 100)),
        Arc::new(GetStream::<Snippet>::list("/v1/snippets", 100)),
        Arc::new(GetStream::<CustomerSearch>::list("/v1/customers/searches", 100)),
        Arc::new(GetStream::<CustomerSearchPin>::list(
            "/v1/customers/searches/pinned",
            100,
        )),
        Arc::new(GetStream::<CustomerSearchPositions>::single(
            "/v1/customers/searches/positions",
        )),
        Arc::new(GetStream::<EmailHook>::list("/v1/hooks/email", 100)),
        Arc::new(GetStream::<WebHook>::list("/v1/hooks/web", 100)),
        Arc::new(GetStream::<KbArticle>::list("/v1/kb/articles", 100)),
        Arc::new(GetStream::<KbCategory>::list("/v1/kb/categories", 100)),
        Arc::new(GetStream::<KbForm>::list("/v1/kb/forms", 100)),
        Arc::new(GetStream::<KbRoute>::list("/v1/kb/routes", 100)),
        Arc::new(GetStream::<KbTag>::list("/v3/kb/tags", 100)),
        Arc::new(GetStream::<KbTemplate>::list("/v3/kb/templates", 100)),
        Arc::new(GetStream::<KbTheme>::list("/v3/kb/themes", 100)),
        Arc::new(GetStream::<Kview>::list("/v1/kviews", 100)),
        Arc::new(GetStream::<OutboundWebhook>::list("/v1/outbound-webhooks", 100)),
        Arc::new(RawStream::new(
            outbound_webhook_events_schema,
            "/v1/outbound-webhooks",
            |_| vec![(String::new(), "/v1/outbound-webhooks/events".to_owned())],
            |_, body| webhook_event_rows(body),
        )),
        Arc::new(GetStream::<OutboundWebhookTransaction>::list(
            "/v1/outbound-webhooks/transactions",
            100,
        )),
    ]
}

/// The custom-attribute resources the selected streams need discovered.
pub(crate) fn needs_discovery(names: &[&str]) -> (Vec<&'static str>, bool) {
    let mut resources = Vec::new();
    for (table, resource) in [
        ("customers", "customer"),
        ("conversations", "conversation"),
        ("messages", "message"),
        ("companies", "company"),
    ] {
        if names.contains(&table) {
            resources.push(resource);
        }
    }
    let klasses = names.contains(&"kobjects") || names.contains(&"custom_attribute_metadata");
    (resources, klasses)
}
