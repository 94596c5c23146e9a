//! A wide table of values that do not compress, past a row group, into the
//! DuckDB file with its default settings: every batch commits, and the file
//! reopens with every row. With DuckDB's own checkpoints at the bounded
//! limit, the checkpoint of such a table failed with a FATAL error that
//! invalidated the file (`repro_wide_checkpoint` in the destination's
//! `repro.rs` shows it without this crate).

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kustomer::models::{Cell, Column, FlatRecord, LogicalType, TableDef};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::{Destination, StreamTables, WriteBatch};

/// Custom attributes of an org that has many: 150 text columns.
const WIDTH: usize = 150;
/// Past one row group (122,880 rows), where the checkpoint failed.
const ROWS: usize = 130_000;
const BATCH: usize = 500;

fn tables() -> Arc<StreamTables> {
    let mut columns = vec![
        Column::required("id", LogicalType::Text),
        Column::new("updated_at", LogicalType::Timestamp),
    ];
    columns.extend((0..WIDTH).map(|i| Column::new(format!("attr_{i}"), LogicalType::Text)));
    let parent = TableDef {
        name: "wide".into(),
        columns,
        primary_key: vec!["id".into()],
        parent: None,
    };
    Arc::new(StreamTables::new(parent, vec![]).with_system_columns())
}

/// 32 hex digits from a xorshift: values a dictionary or FSST cannot shrink.
fn noise(state: &mut u64) -> String {
    let mut next = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    };
    format!("{:016x}{:016x}", next(), next())
}

fn record(n: usize, state: &mut u64) -> FlatRecord {
    let at = Utc.timestamp_opt(1_700_000_000 + n as i64, 0).unwrap();
    let id = format!("{n:024x}");
    let mut row = vec![Cell::Text(id.clone()), Cell::Timestamp(at)];
    row.extend((0..WIDTH).map(|_| Cell::Text(noise(state))));
    row.extend([Cell::Bool(false), Cell::Null, Cell::Timestamp(at)]);
    FlatRecord {
        id,
        row,
        children: vec![],
    }
}

#[test]
fn a_wide_table_of_random_values_checkpoints_within_the_default_settings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.duckdb");
    let tables = tables();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    {
        let mut dest = DuckDbDestination::open(&path).unwrap();
        dest.prepare(&tables).unwrap();
        for start in (0..ROWS).step_by(BATCH) {
            let records = (start..start + BATCH).map(|n| record(n, &mut state)).collect();
            let stats = dest
                .write(WriteBatch::new("wide", tables.clone(), records))
                .unwrap_or_else(|e| panic!("the batch at row {start} failed: {e}"));
            assert_eq!(stats.inserted, BATCH as u64);
        }
        let limit: String = (dest.connection())
            .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
            .unwrap();
        assert!(
            limit.ends_with("MiB"),
            "the bounded limit is back after each checkpoint: {limit}"
        );
    }
    let conn = duckdb::Connection::open(&path).unwrap();
    let (rows, ids): (i64, i64) = conn
        .query_row("SELECT count(*), count(DISTINCT id) FROM wide", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((rows, ids), (ROWS as i64, ROWS as i64));
    let wal = path.with_extension("duckdb.wal");
    assert!(
        !wal.exists() || wal.metadata().unwrap().len() == 0,
        "the close checkpointed the log"
    );
}
