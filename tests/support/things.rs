//! `things`: a stream with every logical type, a child table and the
//! bookkeeping columns, for driving destinations batch by batch.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use kustomer::models::{Cell, Column, FlatRecord, LogicalType, ParentKey, TableDef};
use kustomer::sync::dest::StreamTables;

/// An instant `secs` after a fixed origin.
pub fn ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
}

/// `things` (every logical type) with child rows `thing_parts`, the
/// bookkeeping columns and history tables.
pub fn things() -> Arc<StreamTables> {
    Arc::new(things_tables().with_history("thing"))
}

/// [`things`] without history tables.
pub fn things_tables() -> StreamTables {
    use LogicalType::*;
    let parent = TableDef {
        name: "things".into(),
        columns: vec![
            Column::required("id", Text),
            Column::new("updated_at", Timestamp),
            Column::new("name", Text),
            Column::new("score", Double),
            Column::new("n", BigInt),
            Column::new("flag", Boolean),
            Column::new("payload", Json),
        ],
        primary_key: vec!["id".into()],
        parent: None,
    };
    let parts = TableDef {
        name: "thing_parts".into(),
        columns: vec![
            Column::required("thing_id", Text),
            Column::required("_position", BigInt),
            Column::new("label", Text),
        ],
        primary_key: vec!["thing_id".into(), "_position".into()],
        parent: Some(ParentKey {
            table: "things".into(),
            column: "thing_id".into(),
        }),
    };
    StreamTables::new(parent, vec![parts]).with_system_columns()
}

/// A `things` record: version `updated`, one child row per part.
pub fn thing(id: &str, updated: i64, synced: DateTime<Utc>, deleted: bool, parts: &[&str]) -> FlatRecord {
    FlatRecord {
        id: id.into(),
        row: vec![
            Cell::Text(id.into()),
            Cell::Timestamp(ts(updated)),
            Cell::Text(format!("{id} v{updated}")),
            Cell::Float(updated as f64 / 3.0),
            Cell::Int(updated),
            Cell::Bool(updated % 2 == 0),
            Cell::Json(format!(r#"{{"v":{updated},"id":"{id}","tags":["a","é"]}}"#)),
            Cell::Bool(deleted),
            Cell::Null,
            Cell::Timestamp(synced),
        ],
        children: vec![parts
            .iter()
            .enumerate()
            .map(|(i, l)| {
                vec![
                    Cell::Text(id.into()),
                    Cell::Int(i as i64),
                    Cell::Text(format!("{l}@{updated}")),
                ]
            })
            .collect()],
    }
}
