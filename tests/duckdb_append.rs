//! DuckDB's direct path (stored copies deleted, then the batch appended)
//! against the merge: whichever path a batch takes, the tables and the
//! counts are those of an exact upsert.

mod support;

use std::sync::Arc;

use chrono::Utc;
use kustomer::models::Cell;
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::{Destination, StreamTables, WriteBatch, WriteStats};
use support::things::{thing, things_tables};

fn open() -> (tempfile::TempDir, DuckDbDestination, Arc<StreamTables>) {
    let dir = tempfile::tempdir().unwrap();
    let mut dest = DuckDbDestination::open(dir.path().join("a.duckdb")).unwrap();
    let tables = Arc::new(things_tables());
    dest.prepare(&tables).unwrap();
    (dir, dest, tables)
}

fn write(
    dest: &mut DuckDbDestination,
    tables: &Arc<StreamTables>,
    records: Vec<kustomer::models::FlatRecord>,
) -> WriteStats {
    let mut b = WriteBatch::new("things", tables.clone(), records);
    b.newest_wins = true;
    dest.write(b).unwrap()
}

fn rows(dest: &DuckDbDestination, sql: &str) -> Vec<String> {
    let mut stmt = dest.connection().prepare(sql).unwrap();
    let out = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    out.map(Result::unwrap).collect()
}

fn state(dest: &DuckDbDestination) -> (Vec<String>, Vec<String>) {
    (
        rows(
            dest,
            "SELECT id || ' ' || name || ' ' || _deleted FROM things ORDER BY id",
        ),
        rows(
            dest,
            "SELECT thing_id || ' ' || _position || ' ' || label FROM thing_parts ORDER BY 1",
        ),
    )
}

#[test]
fn new_and_stored_parents_mixed_in_any_order_land_as_an_exact_upsert() {
    let (_dir, mut dest, tables) = open();
    let now = Utc::now();
    // All new: inserted, and a deleted one counted as deleted.
    let s = write(
        &mut dest,
        &tables,
        vec![thing("a", 1, now, false, &["x", "y"]), thing("b", 1, now, true, &["z"])],
    );
    assert_eq!((s.inserted, s.updated, s.deleted, s.child_rows), (2, 0, 1, 3));

    // One stored (newer, fewer parts) beside a new one: a's stored copy
    // goes with its child rows, and both are appended.
    let s = write(
        &mut dest,
        &tables,
        vec![thing("a", 2, now, false, &["x"]), thing("c", 1, now, false, &[])],
    );
    assert_eq!((s.inserted, s.updated, s.child_rows), (1, 1, 1));

    // A stale copy of a stored parent is skipped; the new one lands.
    let s = write(
        &mut dest,
        &tables,
        vec![
            thing("a", 1, now, false, &["old", "old"]),
            thing("d", 5, now, false, &["w"]),
        ],
    );
    assert_eq!(s.inserted, 1);

    // Batch after batch of new parents: appended, same rows as a merge.
    for (i, id) in ["e", "f", "g", "h", "i"].iter().enumerate() {
        let s = write(
            &mut dest,
            &tables,
            vec![thing(id, 10 + i as i64, now, false, &["p", "q"])],
        );
        assert_eq!((s.inserted, s.updated, s.child_rows), (1, 0, 2), "{id}");
    }
    let (parents, parts) = state(&dest);
    assert_eq!(
        parents,
        [
            "a a v2 false",
            "b b v1 true",
            "c c v1 false",
            "d d v5 false",
            "e e v10 false",
            "f f v11 false",
            "g g v12 false",
            "h h v13 false",
            "i i v14 false"
        ]
    );
    let mut want = vec!["a 0 x@2".to_owned(), "b 0 z@1".into(), "d 0 w@5".into()];
    for (i, id) in ["e", "f", "g", "h", "i"].iter().enumerate() {
        want.push(format!("{id} 0 p@{}", 10 + i));
        want.push(format!("{id} 1 q@{}", 10 + i));
    }
    want.sort();
    assert_eq!(parts, want);

    // Deleted again is not newly deleted; a stored parent deleted now is.
    let s = write(
        &mut dest,
        &tables,
        vec![thing("b", 2, now, true, &[]), thing("c", 2, now, true, &[])],
    );
    assert_eq!((s.inserted, s.updated, s.deleted, s.child_rows), (0, 2, 1, 0));
}

#[test]
fn malformed_json_fails_a_batch_of_new_parents_as_it_fails_a_merge() {
    let (_dir, mut dest, tables) = open();
    let now = Utc::now();
    write(&mut dest, &tables, vec![thing("a", 1, now, false, &["x"])]);
    let bad = |id: &str| {
        let mut r = thing(id, 2, now, false, &["y"]);
        r.row[6] = Cell::Json("{not json".into());
        r
    };
    for records in [vec![bad("new")], vec![bad("a")]] {
        let err = dest
            .write(WriteBatch::new("things", tables.clone(), records))
            .expect_err("malformed JSON is refused");
        assert!(err.to_string().to_lowercase().contains("json"), "{err}");
        assert_eq!(
            state(&dest),
            (vec!["a a v1 false".to_owned()], vec!["a 0 x@1".to_owned()])
        );
    }
}

/// No key is declared (DuckDB's key index grew memory with the org): the
/// merge keeps one row per id across a reopened file, a batch carrying an
/// id twice, and two handles on the database writing the same new ids.
#[test]
fn each_id_stays_one_row_without_a_declared_key() {
    let (dir, mut dest, tables) = open();
    let now = Utc::now();
    write(
        &mut dest,
        &tables,
        vec![thing("a", 1, now, false, &["x"]), thing("b", 1, now, false, &[])],
    );
    drop(dest);

    // Reopened: what the file holds is known before anything is appended.
    let mut dest = DuckDbDestination::open(dir.path().join("a.duckdb")).unwrap();
    dest.prepare(&tables).unwrap();
    let s = write(
        &mut dest,
        &tables,
        vec![
            thing("a", 2, now, false, &["y", "z"]),
            thing("c", 1, now, false, &["p"]),
            thing("c", 3, now, false, &["q"]),
        ],
    );
    assert_eq!((s.inserted, s.updated, s.child_rows), (1, 1, 3));

    // A clone (a webhook receiver beside a poll) appending the same new ids
    // at the same time: one row each, whichever commits first.
    let mut other = dest.try_clone().unwrap();
    let t2 = tables.clone();
    let racer = std::thread::spawn(move || {
        for i in 0..20 {
            write(&mut other, &t2, vec![thing(&format!("n{i:02}"), 4, now, false, &["o"])]);
        }
    });
    for i in 0..20 {
        write(
            &mut dest,
            &tables,
            vec![thing(&format!("n{i:02}"), 4, now, false, &["o"])],
        );
    }
    racer.join().unwrap();

    let (parents, parts) = state(&dest);
    assert_eq!(parents.len(), 23, "{parents:?}");
    assert_eq!(&parents[..3], ["a a v2 false", "b b v1 false", "c c v3 false"]);
    assert_eq!(parts.len(), 2 + 1 + 20, "{parts:?}");
    assert!(parts.contains(&"c 0 q@3".to_owned()), "{parts:?}");
    let keys = rows(
        &dest,
        "SELECT count(*)::VARCHAR FROM duckdb_constraints() WHERE table_name = 'things' AND constraint_type = 'PRIMARY KEY'",
    );
    assert_eq!(keys, ["0"], "no declared key, no index growing with the table");
}

/// A checkpoint holds a block per column of the table it writes, inside
/// DuckDB's memory limit, and failing to get one is a FATAL error that
/// invalidates the database: a table wider than the default limit allows
/// (custom attributes are columns) raises it.
#[test]
fn a_table_too_wide_for_the_default_memory_limit_still_checkpoints() {
    use kustomer::models::{Column, FlatRecord, LogicalType, TableDef};
    let dir = tempfile::tempdir().unwrap();
    let mut dest = DuckDbDestination::open(dir.path().join("wide.duckdb")).unwrap();
    let mut columns = vec![Column::required("id", LogicalType::Text)];
    columns.extend((0..400).map(|i| Column::new(format!("custom_{i}_str"), LogicalType::Text)));
    let def = TableDef {
        name: "wide".into(),
        columns,
        primary_key: vec!["id".into()],
        parent: None,
    };
    let tables = Arc::new(StreamTables::new(def, vec![]));
    let records: Vec<FlatRecord> = (0..3_000)
        .map(|i| {
            let id = format!("w{i:05}");
            let mut row = vec![Cell::Text(id.clone())];
            row.extend((0..400).map(|c| Cell::Text(format!("value {c} of record {i}"))));
            FlatRecord {
                id,
                row,
                children: vec![],
            }
        })
        .collect();
    dest.write(WriteBatch::new("wide", tables, records)).unwrap();
    dest.connection()
        .execute_batch("CHECKPOINT")
        .expect("the checkpoint has room");
    assert_eq!(rows(&dest, "SELECT count(*)::VARCHAR FROM wide"), ["3000"]);
}
