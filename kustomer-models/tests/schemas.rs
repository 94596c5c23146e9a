//! Invariants over every table definition.

use std::collections::HashSet;

use kustomer_models::{all_schemas, snake_case};

const RESERVED: [&str; 2] = ["_position", "_extra"];

#[test]
fn column_names_are_snake_case_and_unique() {
    for schema in all_schemas() {
        for table in schema.tables() {
            let mut seen = HashSet::new();
            for col in &table.columns {
                assert!(
                    seen.insert(col.name.as_str()),
                    "{}: duplicate column {}",
                    table.name,
                    col.name
                );
                if !RESERVED.contains(&col.name.as_str()) {
                    assert_eq!(
                        snake_case(&col.name),
                        col.name,
                        "{}.{} is not snake_case",
                        table.name,
                        col.name
                    );
                }
            }
            for key in &table.primary_key {
                let col = table
                    .columns
                    .iter()
                    .find(|c| &c.name == key)
                    .unwrap_or_else(|| panic!("{}: key {key}", table.name));
                assert!(!col.nullable, "{}.{key} is a nullable key", table.name);
            }
        }
    }
}

#[test]
fn table_names_are_unique_and_children_point_at_their_parent() {
    let mut names = HashSet::new();
    for schema in all_schemas() {
        assert_eq!(snake_case(&schema.table.name), schema.table.name);
        assert_eq!(schema.table.primary_key, ["id"]);
        assert_eq!(schema.table.columns[0].name, "id");
        assert_eq!(schema.table.columns.last().unwrap().name, "_extra");
        for table in schema.tables() {
            assert!(names.insert(table.name.clone()), "duplicate table {}", table.name);
        }
        for child in &schema.children {
            let parent = child.parent.as_ref().expect("child has a parent");
            assert_eq!(parent.table, schema.table.name);
            let singular = parent.column.strip_suffix("_id").expect("parent column ends in _id");
            assert!(
                child.name.starts_with(&format!("{singular}_")),
                "{} vs {singular}",
                child.name
            );
            assert_eq!(child.primary_key, [parent.column.clone(), "_position".to_owned()]);
            assert_eq!(child.columns[0].name, parent.column);
            assert_eq!(child.columns[1].name, "_position");
        }
    }
}

#[test]
fn catalogue_child_tables_exist() {
    let all: HashSet<String> = all_schemas()
        .iter()
        .flat_map(|s| s.tables().map(|t| t.name.clone()).collect::<Vec<_>>())
        .collect();
    for name in [
        "customers",
        "customer_emails",
        "customer_phones",
        "customer_socials",
        "customer_urls",
        "customer_locations",
        "customer_external_ids",
        "customer_shared_emails",
        "customer_shared_phones",
        "customer_shared_socials",
        "customer_shared_external_ids",
        "customer_tags",
        "customer_whatsapps",
        "conversations",
        "conversation_tags",
        "conversation_assigned_users",
        "conversation_assigned_teams",
        "conversation_channels",
        "conversation_suggested_tags",
        "messages",
        "message_attachments",
        "message_shortcuts",
        "message_assigned_users",
        "message_assigned_teams",
        "message_created_by_teams",
        "notes",
        "note_user_mentions",
        "note_team_mentions",
        "kobjects",
        "companies",
        "company_emails",
        "company_phones",
        "company_locations",
        "company_socials",
        "company_urls",
        "company_domains",
        "company_tags",
        "users",
        "user_roles",
        "teams",
        "team_members",
        "tags",
        "shortcuts",
        "klasses",
        "brands",
        "cards",
        "card_contexts",
        "shortcut_categories",
        "notifications",
        "outbound_accounts",
        "queues",
        "team_routing_settings",
        "team_queues",
        "slas",
        "sla_versions",
        "sla_version_criteria",
        "satisfactions",
        "snoozes",
        "spam_senders",
        "business_schedules",
        "business_schedule_holidays",
        "holidays",
        "assistants",
        "work_sessions",
        "apps",
        "auth_customer_settings",
        "auth_roles",
        "auth_tokens",
        "chat_settings",
        "settings",
        "snippets",
        "customer_searches",
        "customer_searches_pinned",
        "customer_searches_positions",
        "hooks_email",
        "hooks_web",
        "kb_articles",
        "kb_categories",
        "kb_forms",
        "kb_routes",
        "kb_tags",
        "kb_templates",
        "kb_themes",
        "kviews",
        "outbound_webhooks",
        "outbound_webhook_events",
        "outbound_webhook_transactions",
        "routing_queue_rules",
        "routing_statuses",
        "routing_work_items",
        "audit_logs",
        "conversation_events",
        "conversation_times",
        "conversation_forwards",
        "conversation_attachments",
        "customer_drafts",
        "customer_merges",
        "custom_attribute_metadata",
    ] {
        assert!(all.contains(name), "missing table {name}");
    }
}

#[test]
fn every_table_has_an_updated_at_or_is_not_a_resource_list() {
    // The entity macro reads `updatedAt` as the cursor, so every JSON:API
    // entity's parent table has the column.
    for schema in all_schemas() {
        let t = &schema.table;
        let non_jsonapi = ["custom_attribute_metadata", "outbound_webhook_events"];
        if !non_jsonapi.contains(&t.name.as_str()) {
            assert!(t.column_index("updated_at").is_some(), "{} has no updated_at", t.name);
            assert_eq!(t.columns[1].name, "type", "{}", t.name);
        }
    }
}

#[test]
fn secrets_have_no_plain_columns() {
    // Secret-bearing fields are `Redacted` text columns, never JSON that
    // could carry the value.
    for (table, column) in [
        ("outbound_webhooks", "token"),
        ("auth_tokens", "token"),
        ("auth_customer_settings", "secret"),
    ] {
        let schema = all_schemas().into_iter().find(|s| s.table.name == table).unwrap();
        let col = &schema.table.columns[schema.table.column_index(column).unwrap()];
        assert_eq!(col.ty, kustomer_models::LogicalType::Text, "{table}.{column}");
    }
}
