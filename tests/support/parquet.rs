//! Reading a Parquet destination's current state with DuckDB's
//! `read_parquet` over the files the manifests list, by the rules of
//! `kustomer::sync::dest::parquet` (its module docs hold the same SQL).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use duckdb::types::Value;
use duckdb::Connection;
use kustomer::models::{
    Company, Conversation, Customer, Entity, KObject, Klass, LogicalType, Message, Note, Shortcut, TableDef, Tag, Team,
    User,
};
use kustomer::sync::dest::duckdb::ident;
use kustomer::sync::dest::parquet::manifest::Manifest;
use kustomer_sim::{Kind, Simulator};

use super::{cmp_value, expected_rows, Cmp};

/// Every committed manifest, oldest first.
pub fn manifests(dir: &Path) -> Vec<Manifest> {
    let mdir = dir.join("_manifests");
    let Ok(entries) = std::fs::read_dir(&mdir) else {
        return Vec::new();
    };
    let mut out: Vec<Manifest> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".json") && !name.starts_with('.')
        })
        .map(|p| serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap())
        .collect();
    out.sort_by_key(|m| m.last_seq);
    out
}

/// The files of `table` the manifests list.
pub fn table_files(dir: &Path, table: &str) -> Vec<PathBuf> {
    manifests(dir)
        .iter()
        .filter_map(|m| m.tables.get(table))
        .flat_map(|t| t.files.iter().map(|f| dir.join(&f.path)))
        .collect()
}

/// Every file under `dir` (relative paths), sorted: what a reader would see.
pub fn all_files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn scan(dir: &Path, table: &str) -> Option<String> {
    let files = table_files(dir, table);
    if files.is_empty() {
        return None;
    }
    let list: Vec<String> = files.iter().map(|p| quote(&p.to_string_lossy())).collect();
    Some(format!("read_parquet([{}], union_by_name = true)", list.join(", ")))
}

/// The newest row (greatest `_seq`) per `key`.
fn newest(from: &str, key: &str) -> String {
    format!(
        "SELECT * EXCLUDE (_rn) FROM (SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY _seq DESC) AS _rn FROM {from}) WHERE _rn = 1"
    )
}

/// A query of a table's current rows (every column, `_seq` included):
/// parents' newest row per id (without `_deleted` ones unless
/// `include_deleted`; never hard-delete tombstones), children's rows
/// written with their parent's current row, history tables' newest row per
/// version, child history rows written with their version's current row.
/// `None` when the table has no file.
pub fn current_sql(dir: &Path, def: &TableDef, include_deleted: bool) -> Option<String> {
    let from = scan(dir, &def.name)?;
    let history = def.columns.iter().any(|c| c.name == "_valid_from");
    Some(match (&def.parent, history) {
        (None, false) => {
            let mut sql = newest(&from, "id");
            if !include_deleted {
                sql.push_str(" AND NOT _deleted");
            }
            let gone: Vec<String> = manifests(dir)
                .iter()
                .filter_map(|m| m.tables.get(&def.name))
                .flat_map(|t| t.tombstones.iter().map(|(id, seq)| quote(&format!("{id}:{seq}"))))
                .collect();
            if !gone.is_empty() {
                sql.push_str(&format!(
                    " AND NOT list_contains([{}], id || ':' || _seq::VARCHAR)",
                    gone.join(", ")
                ));
            }
            sql
        }
        (Some(parent), false) => {
            let pfrom = scan(dir, &parent.table)?;
            let live = if include_deleted { "" } else { " WHERE NOT p._deleted" };
            format!(
                "SELECT c.* FROM {from} c JOIN ({}) p ON c.{} = p.id AND c._seq = p._seq{live}",
                newest(&pfrom, "id"),
                ident(&parent.column)
            )
        }
        (None, true) => newest(&from, "id, _valid_from"),
        (Some(parent), true) => {
            let at = def.name.find("_history_").expect("a child history table");
            let hfrom = scan(dir, &format!("{}_history", &def.name[..at]))?;
            format!(
                "SELECT c.* FROM {from} c JOIN ({}) h ON c.{} = h.id AND c._valid_from = h._valid_from AND c._seq = h._seq",
                newest(&hfrom, "id, _valid_from"),
                ident(&parent.column)
            )
        }
    })
}

/// A table's current rows as the DuckDB reader of `support` gives them:
/// `def`'s columns, comparable, sorted.
pub fn parquet_rows(dir: &Path, def: &TableDef, include_deleted: bool) -> Vec<Vec<Cmp>> {
    let Some(current) = current_sql(dir, def, include_deleted) else {
        return Vec::new();
    };
    let conn = Connection::open_in_memory().unwrap();
    let present: HashSet<String> = {
        let mut stmt = conn
            .prepare(&format!("SELECT column_name FROM (DESCRIBE {current})"))
            .unwrap();
        let names = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        names.map(Result::unwrap).collect()
    };
    let cols: Vec<String> = def
        .columns
        .iter()
        .map(|c| match c.ty {
            _ if !present.contains(&c.name) => "NULL".to_owned(),
            // Parquet's UTC instants read as TIMESTAMPTZ; compare as plain UTC timestamps.
            LogicalType::Timestamp => format!("CAST(q.{} AS TIMESTAMP)", ident(&c.name)),
            _ => format!("q.{}", ident(&c.name)),
        })
        .collect();
    let sql = format!("SELECT {} FROM ({current}) q", cols.join(", "));
    let mut stmt = conn.prepare(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap() {
        out.push(
            def.columns
                .iter()
                .enumerate()
                .map(|(i, c)| cmp_value(r.get::<_, Value>(i).unwrap(), c.ty))
                .collect(),
        );
    }
    out.sort();
    out
}

/// One integer from a query over a table's current rows, named `t` in `sql`
/// (`SELECT count(*) FROM t WHERE _deleted`).
pub fn parquet_int(dir: &Path, def: &TableDef, include_deleted: bool, sql: &str) -> i64 {
    let Some(current) = current_sql(dir, def, include_deleted) else {
        return 0;
    };
    let conn = Connection::open_in_memory().unwrap();
    let sql = format!("WITH t AS ({current}) {sql}");
    conn.query_row(&sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn assert_entity<E: Entity>(dir: &Path, sim: &Simulator, kind: Kind, include_deleted: bool) {
    let expected = expected_rows::<E>(sim, kind, include_deleted);
    for def in E::schema().tables() {
        let got = parquet_rows(dir, def, include_deleted);
        let want = &expected[&def.name];
        if &got != want {
            let missing = want.iter().filter(|r| !got.contains(r)).count();
            let extra = got.iter().filter(|r| !want.contains(r)).count();
            let first_missing = want.iter().find(|r| !got.contains(r));
            let first_extra = got.iter().find(|r| !want.contains(r));
            panic!(
                "table {}: {} current rows, {} expected ({missing} missing, {extra} unexpected); first missing: {first_missing:?}; first unexpected: {first_extra:?}",
                def.name,
                got.len(),
                want.len()
            );
        }
    }
}

/// Asserts that every table's current state in the lake equals the
/// simulator's data exactly (as `assert_destination_equals_simulator` for DuckDB).
pub fn assert_lake_equals_simulator(dir: &Path, sim: &Simulator) {
    // Search streams ask for deleted records too; GET lists never show them.
    assert_entity::<Customer>(dir, sim, Kind::Customer, true);
    assert_entity::<Conversation>(dir, sim, Kind::Conversation, true);
    assert_entity::<Message>(dir, sim, Kind::Message, true);
    assert_entity::<Note>(dir, sim, Kind::Note, true);
    assert_entity::<Company>(dir, sim, Kind::Company, true);
    assert_entity::<KObject>(dir, sim, Kind::KObject, true);
    assert_entity::<User>(dir, sim, Kind::User, false);
    assert_entity::<Team>(dir, sim, Kind::Team, false);
    assert_entity::<Tag>(dir, sim, Kind::Tag, false);
    assert_entity::<Shortcut>(dir, sim, Kind::Shortcut, false);
    assert_entity::<Klass>(dir, sim, Kind::Klass, false);
}
