//! Shared test helpers: a client for the simulator, and comparing a DuckDB
//! destination with the simulator's data, table by table, row by row.

#![allow(dead_code)]

pub mod crash;
pub mod pg;
#[allow(dead_code)]
pub mod s3;

pub mod things;

use std::collections::BTreeMap;

use duckdb::types::{TimeUnit, Value};
use kustomer::api::Client;
use kustomer::models::{
    Cell, Company, Conversation, Customer, Entity, KObject, Klass, LogicalType, Message, Note, Shortcut, TableDef, Tag,
    Team, User,
};
use kustomer::sync::dest::duckdb::{ident, DuckDbDestination};
use kustomer_sim::{Kind, Simulator};

/// A client for the simulator with limits high enough not to slow tests.
pub fn sim_client(sim: &Simulator) -> Client {
    Client::builder()
        .base_url(sim.base_url())
        .token(sim.token())
        .rate_limit(1_000_000)
        .search_rate_limit(1_000_000)
        .build()
        .expect("client")
}

/// A comparable form of a cell: JSON is compared parsed, floats by bits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cmp {
    Null,
    Text(String),
    Int(i64),
    Float(u64),
    Bool(bool),
    Micros(i64),
    Json(String),
}

pub fn cmp_cell(c: &Cell) -> Cmp {
    match c {
        Cell::Null => Cmp::Null,
        Cell::Text(s) => Cmp::Text(s.clone()),
        Cell::Int(i) => Cmp::Int(*i),
        Cell::Float(f) => Cmp::Float(f.to_bits()),
        Cell::Bool(b) => Cmp::Bool(*b),
        Cell::Timestamp(t) => Cmp::Micros(t.timestamp_micros()),
        Cell::Json(s) => Cmp::Json(canonical_json(s)),
        other => panic!("unexpected cell {other:?}"),
    }
}

fn canonical_json(s: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(s).unwrap_or_else(|e| panic!("invalid JSON {s}: {e}"));
    v.to_string()
}

fn cmp_value(v: Value, ty: LogicalType) -> Cmp {
    match (v, ty) {
        (Value::Null, _) => Cmp::Null,
        (Value::Text(s), LogicalType::Json) => Cmp::Json(canonical_json(&s)),
        (Value::Text(s), _) => Cmp::Text(s),
        (Value::BigInt(i), _) => Cmp::Int(i),
        (Value::Double(f), _) => Cmp::Float(f.to_bits()),
        (Value::Boolean(b), _) => Cmp::Bool(b),
        (Value::Timestamp(TimeUnit::Microsecond, m), _) => Cmp::Micros(m),
        (other, ty) => panic!("unexpected DuckDB value {other:?} for {ty:?}"),
    }
}

/// Every row of a table, sorted.
pub fn db_rows(dest: &DuckDbDestination, def: &TableDef) -> Vec<Vec<Cmp>> {
    db_rows_where(dest, def, "true")
}

/// The rows of a table that `filter` (an SQL condition) keeps, sorted.
pub fn db_rows_where(dest: &DuckDbDestination, def: &TableDef, filter: &str) -> Vec<Vec<Cmp>> {
    let cols: Vec<String> = def.columns.iter().map(|c| ident(&c.name)).collect();
    let sql = format!("SELECT {} FROM {} WHERE {filter}", cols.join(", "), ident(&def.name));
    let mut stmt = dest.connection().prepare(&sql).unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        let row: Vec<Cmp> = def
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| cmp_value(r.get::<_, Value>(i).unwrap(), c.ty))
            .collect();
        out.push(row);
    }
    out.sort();
    out
}

/// The rows the simulator's records of `kind` should load as, per table.
pub fn expected_rows<E: Entity>(sim: &Simulator, kind: Kind, include_deleted: bool) -> BTreeMap<String, Vec<Vec<Cmp>>> {
    expected_rows_of::<E>(sim, kind, |deleted, _| include_deleted || !deleted)
}

/// The rows of the simulator's records of `kind` that `keep(deleted, id)` keeps.
pub fn expected_rows_of<E: Entity>(
    sim: &Simulator,
    kind: Kind,
    keep: impl Fn(bool, &str) -> bool,
) -> BTreeMap<String, Vec<Vec<Cmp>>> {
    let records: Vec<serde_json::Value> = sim.with_org(|org| {
        let live: std::collections::HashSet<String> = org
            .live_records(kind)
            .into_iter()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect();
        org.records(kind)
            .into_iter()
            .filter(|r| {
                let id = r["id"].as_str().unwrap_or_default();
                keep(!live.contains(id), id)
            })
            .collect()
    });
    let schema = E::schema();
    let mut out: BTreeMap<String, Vec<Vec<Cmp>>> = schema.tables().map(|t| (t.name.clone(), Vec::new())).collect();
    for r in records {
        let e: E = serde_json::from_value(r).expect("simulator record decodes");
        let flat = e.flatten();
        out.get_mut(&schema.table.name)
            .unwrap()
            .push(flat.row.iter().map(cmp_cell).collect());
        for (child, rows) in schema.children.iter().zip(flat.children) {
            out.get_mut(&child.name)
                .unwrap()
                .extend(rows.iter().map(|r| r.iter().map(cmp_cell).collect()));
        }
    }
    for rows in out.values_mut() {
        rows.sort();
    }
    out
}

pub fn assert_entity<E: Entity>(
    dest: &DuckDbDestination,
    sim: &Simulator,
    kind: Kind,
    include_deleted: bool,
    purged: &[String],
) {
    let schema = E::schema();
    // Every live record, and every deleted one the sync loaded (search with
    // `includeDeleted` returns them; a first load's GET lists never do).
    let stored: std::collections::HashSet<String> = {
        let sql = format!("SELECT id FROM {}", ident(&schema.table.name));
        let mut stmt = dest.connection().prepare(&sql).unwrap();
        let ids = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        ids.map(Result::unwrap).collect()
    };
    let expected = expected_rows_of::<E>(sim, kind, |deleted, id| {
        !deleted || (include_deleted && stored.contains(id))
    });
    // Rows of a re-read table that vanished stay, marked `_deleted`.
    let live = format!(
        "id IN (SELECT id FROM {} WHERE NOT _deleted)",
        ident(&schema.table.name)
    );
    // Records purged from the source after they were loaded: the simulator
    // no longer knows them, so their rows are left to the caller.
    let kept = if purged.is_empty() {
        "true".to_owned()
    } else {
        let ids: Vec<String> = purged
            .iter()
            .map(|id| format!("'{}'", id.replace('\'', "''")))
            .collect();
        format!("id NOT IN ({})", ids.join(", "))
    };
    for def in schema.tables() {
        let filter = match def.parent_column() {
            _ if include_deleted => "true".to_owned(),
            Some(p) => live.replace("id IN", &format!("{} IN", ident(p))),
            None => live.clone(),
        };
        let kept = match def.parent_column() {
            Some(p) => kept.replacen("id NOT IN", &format!("{} NOT IN", ident(p)), 1),
            None => kept.clone(),
        };
        let got = db_rows_where(dest, def, &format!("({filter}) AND {kept}"));
        let want = &expected[&def.name];
        if &got != want {
            let missing = want.iter().filter(|r| !got.contains(r)).count();
            let extra = got.iter().filter(|r| !want.contains(r)).count();
            let first_missing = want.iter().find(|r| !got.contains(r));
            let first_unexpected = got.iter().find(|r| !want.contains(r));
            panic!(
                "table {}: {} rows loaded, {} expected ({missing} missing, {extra} unexpected); first missing: {first_missing:?}; first unexpected: {first_unexpected:?}",
                def.name,
                got.len(),
                want.len()
            );
        }
    }
}

/// Asserts that every table equals the simulator's data exactly.
pub fn assert_destination_equals_simulator(dest: &DuckDbDestination, sim: &Simulator) {
    assert_destination_equals_simulator_except(dest, sim, &[]);
}

/// [`assert_destination_equals_simulator`], leaving out the rows (and child
/// rows) of records `purged` from the simulator after they were loaded
/// ([`kustomer_sim::Org::purge`]): the simulator no longer knows them, so
/// what became of them is for the caller to check.
pub fn assert_destination_equals_simulator_except(dest: &DuckDbDestination, sim: &Simulator, purged: &[String]) {
    // Search streams ask for deleted records too; GET lists never show them.
    assert_entity::<Customer>(dest, sim, Kind::Customer, true, purged);
    assert_entity::<Conversation>(dest, sim, Kind::Conversation, true, purged);
    assert_entity::<Message>(dest, sim, Kind::Message, true, purged);
    assert_entity::<Note>(dest, sim, Kind::Note, true, purged);
    assert_entity::<Company>(dest, sim, Kind::Company, true, purged);
    assert_entity::<KObject>(dest, sim, Kind::KObject, true, purged);
    assert_entity::<User>(dest, sim, Kind::User, false, purged);
    assert_entity::<Team>(dest, sim, Kind::Team, false, purged);
    assert_entity::<Tag>(dest, sim, Kind::Tag, false, purged);
    assert_entity::<Shortcut>(dest, sim, Kind::Shortcut, false, purged);
    assert_entity::<Klass>(dest, sim, Kind::Klass, false, purged);
}

/// Asserts that every live record equals the simulator's, row for row, and
/// that no record deleted in the simulator is live here. (A first load from
/// the GET lists never sees records deleted before it, which search with
/// `includeDeleted` would return marked deleted.)
pub fn assert_live_equals_simulator(dest: &DuckDbDestination, sim: &Simulator) {
    assert_entity::<Customer>(dest, sim, Kind::Customer, false, &[]);
    assert_entity::<Conversation>(dest, sim, Kind::Conversation, false, &[]);
    assert_entity::<Message>(dest, sim, Kind::Message, false, &[]);
    assert_entity::<Note>(dest, sim, Kind::Note, false, &[]);
    assert_entity::<Company>(dest, sim, Kind::Company, false, &[]);
    assert_entity::<KObject>(dest, sim, Kind::KObject, false, &[]);
}

/// The `sync` example's binary (`cargo test` builds it beside the tests:
/// target/<profile>/deps/<test>-… → target/<profile>/examples/sync).
/// `KUSTOMER_SYNC_EXAMPLE` names another binary (a copy, when several
/// worktrees share one target directory and rebuild the example in turn).
pub fn sync_example() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("KUSTOMER_SYNC_EXAMPLE") {
        return p.into();
    }
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(std::path::Path::parent).unwrap();
    let path = dir
        .join("examples")
        .join(format!("sync{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is built by `cargo test`", path.display());
    path
}
