//! The committed data dictionary and diagram are what the table definitions
//! generate, and every column is documented.

use std::path::PathBuf;

use kustomer_sync::dictionary::dictionary;

const REFRESH: &str = "KUSTOMER_BLESS=1 cargo test -p kustomer-sync --test docs";

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// Compares a generated document with the committed one; with
/// `KUSTOMER_BLESS=1`, writes it instead.
fn check(file: &str, generated: &str) -> Option<String> {
    let path = docs_dir().join(file);
    if std::env::var_os("KUSTOMER_BLESS").is_some() {
        std::fs::create_dir_all(docs_dir()).unwrap();
        std::fs::write(&path, generated).unwrap();
        return None;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    (committed != generated).then(|| format!("docs/{file}"))
}

#[test]
fn committed_docs_match_the_table_definitions() {
    let d = dictionary();
    let stale: Vec<String> = [
        check("tables.md", &d.to_markdown()),
        check("erd.md", &d.erd_mermaid()),
        check("erd.svg", &d.erd_svg()),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        stale.is_empty(),
        "{} differ from the table definitions; refresh them with `{REFRESH}`",
        stale.join(", ")
    );
}

#[test]
fn every_column_of_every_table_has_a_meaning_and_a_source() {
    let d = dictionary();
    let missing = d.undocumented();
    assert!(missing.is_empty(), "undocumented columns: {missing:?}");
    for t in &d.tables {
        assert!(!t.meaning.starts_with("Table `"), "{} has no meaning", t.name);
    }
}

#[test]
fn the_dictionary_has_every_kind_of_table() {
    let d = dictionary();
    for name in [
        "customers",
        "customer_emails",
        "conversation_events",
        "conversation_history",
        "kobject_{klass}",
        "_sync_runs",
        "_kustomer_state",
    ] {
        assert!(d.table(name).is_some(), "{name} missing");
    }
    let customers = d.table("customers").unwrap();
    assert!(customers.columns.iter().any(|c| c.name == "custom_<attribute>"));
    let updated = customers.columns.iter().find(|c| c.name == "updated_at").unwrap();
    assert_eq!(updated.source, "attributes.updatedAt");
    assert_eq!(
        (updated.duckdb.as_str(), updated.postgres.as_str()),
        ("TIMESTAMP", "timestamptz")
    );
    let conv = d.table("conversations").unwrap();
    let customer = conv.columns.iter().find(|c| c.name == "customer_id").unwrap();
    assert_eq!(customer.source, "relationships.customer.data.id");
    // A real klass table is described by the pattern.
    assert_eq!(
        d.table("kobject_order").map(|t| t.name.as_str()),
        Some("kobject_{klass}")
    );
    let json: serde_json::Value = serde_json::from_str(&d.to_json()).unwrap();
    assert!(json["tables"].as_array().is_some_and(|t| t.len() == d.tables.len()));
}
