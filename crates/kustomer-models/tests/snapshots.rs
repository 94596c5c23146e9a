//! Snapshots of every entity: its table definitions and the rows a realistic
//! page flattens into. Review changes with `cargo insta review` (or
//! `INSTA_UPDATE=always` and a diff of `tests/snapshots/`).

use kustomer_models::{
    decode, Company, Conversation, Customer, Entity, KObject, Klass, Message, Note, Page, Shortcut, Tag, Team, User,
};
use serde_json::{json, Map, Value};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Decodes a fixture page and flattens every record into
/// `{table: {columns: [...], rows: [[cell, ...], ...]}}`, checking on the way
/// that each row has one cell per column and each cell fits its column type.
fn flattened<E: Entity>(name: &str) -> Value {
    let page: Page<E> = decode(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(!page.data.is_empty(), "{name}: empty page");
    let schema = E::schema();
    let mut rows: Vec<Vec<Value>> = vec![Vec::new(); 1 + schema.children.len()];
    for record in page.data {
        let flat = record.flatten();
        assert_eq!(flat.children.len(), schema.children.len(), "{name}: child table count");
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
    let mut out = Map::new();
    for (def, rows) in schema.tables().zip(rows) {
        let columns: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
        out.insert(def.name.clone(), json!({ "columns": columns, "rows": rows }));
    }
    Value::Object(out)
}

macro_rules! snapshot_entity {
    ($test:ident, $ty:ty, $fixture:literal) => {
        #[test]
        fn $test() {
            insta::assert_yaml_snapshot!(concat!($fixture, "_schema"), <$ty as Entity>::schema());
            insta::assert_yaml_snapshot!(concat!($fixture, "_rows"), flattened::<$ty>($fixture));
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
