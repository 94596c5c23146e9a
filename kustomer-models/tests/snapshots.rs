//! Snapshots of every entity: its table definitions and the rows a realistic
//! page flattens into. Review changes with `cargo insta review` (or
//! `INSTA_UPDATE=always` and a diff of `tests/snapshots/`).

use kustomer_models::*;
use serde_json::{json, Map, Value};

fn fixture(name: &str) -> Vec<u8> {
    // At run time: a binary reused from another checkout must read this one's fixtures.
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let path = format!("{dir}/tests/fixtures/{name}.json");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn page<E: Entity>(name: &str) -> Page<E> {
    decode(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Lays flattened records out as `{table: {columns: [...], rows: [[cell, ...], ...]}}`,
/// checking on the way that each row has one cell per column and each cell
/// fits its column type.
fn tabled(schema: &EntitySchema, records: impl IntoIterator<Item = FlatRecord>) -> Value {
    let mut rows: Vec<Vec<Value>> = vec![Vec::new(); 1 + schema.children.len()];
    let mut count = 0;
    for flat in records {
        count += 1;
        assert_eq!(
            flat.children.len(),
            schema.children.len(),
            "{}: child table count",
            schema.table.name
        );
        let tables = std::iter::once(vec![flat.row]).chain(flat.children);
        for (i, (def, table_rows)) in schema.tables().zip(tables).enumerate() {
            for row in table_rows {
                assert_eq!(row.len(), def.columns.len(), "{}: row width", def.name);
                for (cell, col) in row.iter().zip(&def.columns) {
                    assert!(
                        cell.fits(col.ty),
                        "{}.{}: {cell:?} does not fit {:?}",
                        def.name,
                        col.name,
                        col.ty
                    );
                    assert!(col.nullable || !cell.is_null(), "{}.{} is NULL", def.name, col.name);
                }
                rows[i].push(serde_json::to_value(&row).unwrap());
            }
        }
    }
    assert!(count > 0, "{}: no records", schema.table.name);
    let mut out = Map::new();
    for (def, rows) in schema.tables().zip(rows) {
        let columns: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
        out.insert(def.name.clone(), json!({ "columns": columns, "rows": rows }));
    }
    Value::Object(out)
}

/// Decodes a fixture page and flattens every record.
fn flattened<E: Entity>(name: &str) -> Value {
    tabled(E::schema(), page::<E>(name).data.into_iter().map(Entity::flatten))
}

/// Flattens the resources of type `E` side-loaded in a fixture page's `included[]`.
fn flattened_included<P: Entity, E: Entity>(name: &str) -> Value {
    let included = page::<P>(name).included_of::<E>().unwrap();
    tabled(E::schema(), included.into_iter().map(Entity::flatten))
}

macro_rules! snapshot_entity {
    ($test:ident, $ty:ty, $fixture:literal) => {
        snapshot_entity!($test, $ty, $fixture, flattened::<$ty>($fixture));
    };
    ($test:ident, $ty:ty, $name:literal, $rows:expr) => {
        #[test]
        fn $test() {
            insta::assert_yaml_snapshot!(concat!($name, "_schema"), <$ty as Entity>::schema());
            insta::assert_yaml_snapshot!(concat!($name, "_rows"), $rows);
        }
    };
}

snapshot_entity!(customers, Customer, "customers");
snapshot_entity!(conversations, Conversation, "conversations");
snapshot_entity!(messages, Message, "messages");
snapshot_entity!(notes, Note, "notes");
snapshot_entity!(companies, Company, "companies");
snapshot_entity!(kobjects, KObject, "kobjects");
snapshot_entity!(users, User, "users");
snapshot_entity!(teams, Team, "teams");
snapshot_entity!(tags, Tag, "tags");
snapshot_entity!(shortcuts, Shortcut, "shortcuts");
snapshot_entity!(klasses, Klass, "klasses");
snapshot_entity!(brands, Brand, "brands");
snapshot_entity!(cards, Card, "cards");
snapshot_entity!(shortcut_categories, ShortcutCategory, "shortcut_categories");
snapshot_entity!(notifications, Notification, "notifications");
snapshot_entity!(
    outbound_accounts,
    OutboundAccount,
    "outbound_accounts",
    tabled(
        OutboundAccount::schema(),
        outbound_accounts_page(&fixture("outbound_accounts"))
            .unwrap()
            .data
            .into_iter()
            .map(Entity::flatten)
    )
);
snapshot_entity!(queues, Queue, "queues");
snapshot_entity!(team_routing_settings, TeamRoutingSettings, "team_routing_settings");
snapshot_entity!(slas, Sla, "slas");
snapshot_entity!(
    sla_versions,
    SlaVersion,
    "sla_versions",
    flattened_included::<Sla, SlaVersion>("slas")
);
snapshot_entity!(satisfactions, Satisfaction, "satisfactions");
snapshot_entity!(snoozes, Snooze, "snoozes");
snapshot_entity!(spam_senders, SpamSender, "spam_senders");
snapshot_entity!(business_schedules, BusinessSchedule, "business_schedules");
snapshot_entity!(
    holidays,
    Holiday,
    "holidays",
    flattened_included::<BusinessSchedule, Holiday>("business_schedules")
);
snapshot_entity!(assistants, Assistant, "assistants");
snapshot_entity!(work_sessions, WorkSession, "work_sessions");
snapshot_entity!(apps, App, "apps");
snapshot_entity!(auth_customer_settings, AuthCustomerSettings, "auth_customer_settings");
snapshot_entity!(auth_roles, AuthRole, "auth_roles");
snapshot_entity!(auth_tokens, AuthToken, "auth_tokens");
snapshot_entity!(chat_settings, ChatSettings, "chat_settings");
snapshot_entity!(settings, Setting, "settings");
snapshot_entity!(snippets, Snippet, "snippets");
snapshot_entity!(customer_searches, CustomerSearch, "customer_searches");
snapshot_entity!(customer_searches_pinned, CustomerSearchPin, "customer_searches_pinned");
snapshot_entity!(
    customer_searches_positions,
    CustomerSearchPositions,
    "customer_searches_positions"
);
snapshot_entity!(hooks_email, EmailHook, "hooks_email");
snapshot_entity!(hooks_web, WebHook, "hooks_web");
snapshot_entity!(kb_articles, KbArticle, "kb_articles");
snapshot_entity!(kb_categories, KbCategory, "kb_categories");
snapshot_entity!(kb_forms, KbForm, "kb_forms");
snapshot_entity!(kb_routes, KbRoute, "kb_routes");
snapshot_entity!(kb_tags, KbTag, "kb_tags");
snapshot_entity!(kb_templates, KbTemplate, "kb_templates");
snapshot_entity!(kb_themes, KbTheme, "kb_themes");
snapshot_entity!(kviews, Kview, "kviews");
snapshot_entity!(outbound_webhooks, OutboundWebhook, "outbound_webhooks");
snapshot_entity!(
    outbound_webhook_transactions,
    OutboundWebhookTransaction,
    "outbound_webhook_transactions"
);
snapshot_entity!(routing_queue_rules, RoutingQueueRule, "routing_queue_rules");
snapshot_entity!(routing_statuses, RoutingStatus, "routing_statuses");
snapshot_entity!(routing_work_items, RoutingWorkItem, "routing_work_items");
snapshot_entity!(audit_logs, AuditLog, "audit_logs");
snapshot_entity!(conversation_events, ConversationEvent, "conversation_events");
snapshot_entity!(conversation_times, ConversationTime, "conversation_times");
snapshot_entity!(conversation_forwards, ConversationForward, "conversation_forwards");
snapshot_entity!(
    conversation_attachments,
    ConversationAttachment,
    "conversation_attachments"
);
snapshot_entity!(customer_drafts, CustomerDraft, "customer_drafts");
snapshot_entity!(customer_merges, CustomerMerge, "customer_merges");

#[test]
fn custom_attribute_metadata() {
    let schema = custom_attribute_metadata_schema();
    insta::assert_yaml_snapshot!("custom_attribute_metadata_schema", schema);
    let rows = metadata_rows("conversation", &fixture("custom_attribute_metadata")).unwrap();
    insta::assert_yaml_snapshot!("custom_attribute_metadata_rows", tabled(schema, rows));
}

#[test]
fn outbound_webhook_events() {
    let schema = outbound_webhook_events_schema();
    insta::assert_yaml_snapshot!("outbound_webhook_events_schema", schema);
    let rows = webhook_event_rows(&fixture("outbound_webhook_events")).unwrap();
    insta::assert_yaml_snapshot!("outbound_webhook_events_rows", tabled(schema, rows));
}
