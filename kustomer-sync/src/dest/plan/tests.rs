//! The SQL each dialect's plan holds, as snapshots: a parent with a child
//! table and their history tables, deletes, marks, a companion, sweeps.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use kustomer_models::{Cell, Column, FlatRecord, LogicalType, ParentKey, TableDef};

use super::{plan, Step};
use crate::dest::dialect::Dialect;
use crate::dest::duckdb::DuckDbDialect;
use crate::dest::postgres::PostgresDialect;
use crate::dest::{Companion, StreamTables, Sweep, WriteBatch};

fn tables() -> Arc<StreamTables> {
    let parent = TableDef {
        name: "conversations".into(),
        columns: vec![
            Column::required("id", LogicalType::Text),
            Column::new("updated_at", LogicalType::Timestamp),
            Column::new("subject", LogicalType::Text),
        ],
        primary_key: vec!["id".into()],
        parent: None,
    };
    let tags = TableDef {
        name: "conversation_tags".into(),
        columns: vec![
            Column::required("conversation_id", LogicalType::Text),
            Column::required("_position", LogicalType::BigInt),
            Column::new("tag", LogicalType::Text),
        ],
        primary_key: vec!["conversation_id".into(), "_position".into()],
        parent: Some(ParentKey {
            table: "conversations".into(),
            column: "conversation_id".into(),
        }),
    };
    Arc::new(
        StreamTables::new(parent, vec![tags])
            .with_system_columns()
            .with_history("conversation"),
    )
}

fn notes() -> Arc<StreamTables> {
    let parent = TableDef {
        name: "notes".into(),
        columns: vec![
            Column::required("id", LogicalType::Text),
            Column::new("body", LogicalType::Json),
        ],
        primary_key: vec!["id".into()],
        parent: None,
    };
    Arc::new(StreamTables::new(parent, Vec::new()).with_system_columns())
}

fn at(s: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, s).unwrap()
}

fn batch(hard: bool) -> WriteBatch {
    let t = tables();
    let record = FlatRecord {
        id: "c1".into(),
        row: vec![
            Cell::Text("c1".into()),
            Cell::Timestamp(at(1)),
            Cell::Text("hello".into()),
            Cell::Bool(false),
            Cell::Null,
            Cell::Timestamp(at(2)),
        ],
        children: vec![vec![vec![
            Cell::Text("c1".into()),
            Cell::Int(0),
            Cell::Text("vip".into()),
        ]]],
    };
    let mut b = WriteBatch::new("conversations", t, vec![record]);
    b.newest_wins = true;
    b.deletes = vec!["c9".into()];
    b.mark_deleted = vec!["c8".into()];
    b.companions = vec![Companion {
        tables: notes(),
        records: vec![FlatRecord {
            id: "n1".into(),
            row: vec![
                Cell::Text("n1".into()),
                Cell::Json("{}".into()),
                Cell::Bool(false),
                Cell::Null,
                Cell::Timestamp(at(2)),
            ],
            children: Vec::new(),
        }],
    }];
    b.sweep = Some(Sweep {
        before: at(2),
        since: Some(("updated_at".into(), at(0))),
        hard,
        at: at(3),
    });
    b.bookmark = Some("2026-01-02T03:04:01Z".into());
    b
}

/// The plan as text: a line per step, its phase first.
fn render(batch: &WriteBatch, d: &dyn Dialect) -> String {
    let mut out = String::new();
    for p in plan(batch, d, at(5)) {
        let line = match &p.step {
            Step::Stage { name, def, rows } => {
                format!("STAGE {} row(s) of {} INTO {name}", rows.cells().len(), def.name)
            }
            Step::Run {
                sql,
                args,
                effect,
                if_replacing,
                ..
            } => {
                let sql: Vec<&str> = sql.lines().map(str::trim).collect();
                let mut s = sql.join(" ");
                if !args.is_empty() {
                    s.push_str(&format!("\n    -- args: {args:?}"));
                }
                s.push_str(&format!("\n    -- effect: {effect:?}"));
                if *if_replacing {
                    s.push_str(", only when replacing");
                }
                s
            }
        };
        out.push_str(&format!("[{:?}] {line}\n", p.phase));
    }
    out
}

#[test]
fn duckdb_plan() {
    insta::assert_snapshot!(render(&batch(false), &DuckDbDialect));
}

#[test]
fn postgres_plan() {
    insta::assert_snapshot!(render(&batch(false), &PostgresDialect { schema: "kustomer" }));
}

#[test]
fn hard_sweeps_remove_child_rows_first() {
    insta::assert_snapshot!(render(&batch(true), &DuckDbDialect));
    insta::assert_snapshot!(render(&batch(true), &PostgresDialect { schema: "kustomer" }));
}

#[test]
fn an_empty_batch_only_moves_its_bookmark() {
    let mut b = WriteBatch::new("conversations", tables(), Vec::new());
    b.bookmark = Some("x".into());
    let steps = plan(&b, &DuckDbDialect, at(5));
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].phase, super::Phase::Bookmark);
}
