//! PostgreSQL tables and columns carry their meanings as comments. Needs a
//! server: `source .ci/postgres.sh` (exports `KUSTOMER_TEST_PG`); without it
//! the test says "skipped" and passes.
#![cfg(feature = "postgres")]

use kustomer_models::{Customer, Entity};
use kustomer_sync::dest::postgres::PostgresDestination;
use kustomer_sync::dest::{Destination, StreamTables};
use tokio_postgres::NoTls;

#[test]
fn tables_and_columns_carry_their_meanings() {
    let Ok(url) = std::env::var("KUSTOMER_TEST_PG") else {
        eprintln!("skipped: KUSTOMER_TEST_PG is not set");
        return;
    };
    let schema = format!("comments_{}", std::process::id());
    let mut dest = PostgresDestination::connect(&url, &schema).unwrap();
    let s = Customer::schema();
    let tables = StreamTables::new(s.table.clone(), s.children.clone()).with_system_columns();
    dest.prepare(&tables).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (table, column, synced) = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(conn);
        let one = |sql: String| {
            let client = &client;
            async move { client.query_one(&sql, &[]).await.unwrap().get::<_, Option<String>>(0) }
        };
        let table = one(format!(
            "SELECT obj_description('\"{schema}\".customers'::regclass, 'pg_class')"
        ))
        .await;
        let column = one(format!(
            "SELECT col_description('\"{schema}\".customers'::regclass, attnum) FROM pg_attribute
             WHERE attrelid = '\"{schema}\".customers'::regclass AND attname = 'updated_at'"
        ))
        .await;
        let synced = one(format!(
            "SELECT col_description('\"{schema}\".customers'::regclass, attnum) FROM pg_attribute
             WHERE attrelid = '\"{schema}\".customers'::regclass AND attname = '_synced_at'"
        ))
        .await;
        client
            .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await
            .unwrap();
        (table, column, synced)
    });
    assert_eq!(table.as_deref(), Some("Customers: the people the org talks to"));
    let column = column.unwrap();
    assert!(column.ends_with("API: attributes.updatedAt"), "{column}");
    assert!(synced.unwrap().starts_with("Start of the sync run"));
}
