//! DuckDB tables and columns carry their meanings as comments, as any SQL
//! client browsing the file shows them (`duckdb_tables()`, `duckdb_columns()`),
//! and they stay as they are when the tables are prepared again.

use kustomer::models::{Customer, Entity};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::{Destination, StreamTables};

fn comments(dest: &DuckDbDestination) -> (Option<String>, Option<String>, Option<String>) {
    let c = dest.connection();
    let table = c
        .query_row(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'customers'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let column = |name: &str| {
        c.query_row(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'customers' AND column_name = ?",
            [name],
            |r| r.get(0),
        )
        .unwrap()
    };
    (table, column("updated_at"), column("_synced_at"))
}

#[test]
fn tables_and_columns_carry_their_meanings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("comments.duckdb");
    let s = Customer::schema();
    let tables = StreamTables::new(s.table.clone(), s.children.clone()).with_system_columns();
    let mut dest = DuckDbDestination::open(&path).unwrap();
    dest.prepare(&tables).unwrap();
    let (table, column, synced) = comments(&dest);
    assert_eq!(table.as_deref(), Some("Customers: the people the org talks to"));
    let column = column.unwrap();
    assert!(column.ends_with("API: attributes.updatedAt"), "{column}");
    assert!(synced.unwrap().starts_with("Start of the sync run"));

    // Reopened and prepared again: the comments stay.
    drop(dest);
    let mut dest = DuckDbDestination::open(&path).unwrap();
    dest.prepare(&tables).unwrap();
    assert_eq!(
        comments(&dest).0.as_deref(),
        Some("Customers: the people the org talks to")
    );
}
