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
    ] {
        assert!(all.contains(name), "missing table {name}");
    }
}
