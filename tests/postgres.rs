//! The PostgreSQL destination against a real server: full and incremental
//! syncs of the simulator equal its data row for row; batches written
//! through the trait land exactly as in DuckDB (stats, history, deletes,
//! sweeps, companions); a failing write leaves nothing and no bookmark;
//! new attributes and klasses become columns and tables; concurrent handles
//! converge; no password ever shows in `Debug` or an error.
//!
//! Each test uses a schema of its own (dropped at the end) on the server of
//! `KUSTOMER_TEST_PG` (`.ci/postgres.sh` starts one), or of 127.0.0.1:5432;
//! without either it prints "skipped: …" and passes.

mod support;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use kustomer::models::{Cell, Column, FlatRecord, LogicalType, TableDef};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::postgres::PostgresDestination;
use kustomer::sync::dest::{Companion, Destination, StreamTables, Sweep, WriteBatch, WriteStats};
use kustomer::sync::{Engine, SyncError, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use support::pg::{pg_columns, pg_execute, PgSchema};
use support::things::{thing, things, ts};
use support::{cmp_cell, db_rows, sim_client, Cmp};

fn tiny() -> SimConfig {
    SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    }
}

fn connect(pg: &PgSchema) -> PostgresDestination {
    PostgresDestination::connect_url(&pg.url()).unwrap_or_else(|e| panic!("{e}"))
}

async fn sync(pg: &PgSchema, sim: &Simulator, opts: SyncOptions) -> (kustomer::RunReport, PostgresDestination) {
    let (report, dest) = Engine::new(sim_client(sim), opts).run(connect(pg)).await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    (report, dest)
}

fn at(t: DateTime<Utc>) -> String {
    format!("'{}'::timestamptz", t.to_rfc3339())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_equals_the_simulator_row_for_row() {
    let Some(pg) = PgSchema::new("full") else { return };
    let sim = Simulator::start(tiny()).await.unwrap();
    let (report, mut dest) = sync(&pg, &sim, SyncOptions::default()).await;
    assert_eq!(dest.schema(), pg.schema);
    support::pg::assert_pg_equals_simulator(&pg.server, &pg.schema, &sim);

    let customers = dest.row_count("customers").unwrap();
    assert!(customers > 0);
    assert_eq!(customers as i64, pg.count("customers", "true"));
    assert_eq!(report.stream("customers").unwrap().written.inserted, customers);
    // One `_sync_runs` row per stream; bookmarks of the incremental streams.
    assert_eq!(pg.count("_sync_runs", "true"), report.streams.len() as i64);
    for stream in ["customers", "conversations", "messages", "notes"] {
        assert!(dest.bookmark(stream).unwrap().is_some(), "{stream}");
    }

    // The one type mapping, as PostgreSQL reports it.
    let cols: std::collections::HashMap<String, String> =
        pg_columns(&pg.server, &pg.schema, "customers").into_iter().collect();
    assert_eq!(cols["id"], "text");
    assert_eq!(cols["_deleted"], "boolean");
    assert_eq!(cols["_synced_at"], "timestamp with time zone");
    assert_eq!(cols["_extra"], "jsonb");
    assert!(cols.values().any(|t| t == "bigint"), "{cols:?}");
    // Every row carries the run's start, to the microsecond.
    assert_eq!(
        pg.count("customers", &format!("_synced_at = {}", at(report.started_at))),
        customers as i64
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_loads_only_the_changes() {
    let Some(pg) = PgSchema::new("incr") else { return };
    let sim = Simulator::start(tiny()).await.unwrap();
    let (_, dest) = sync(&pg, &sim, SyncOptions::default()).await;
    drop(dest);
    let first_bookmark = connect(&pg).bookmark("customers").unwrap().unwrap();

    let (convs, customers, notes) = sim.with_org(|org| {
        let convs: Vec<String> = org.ids(Kind::Conversation).into_iter().take(3).collect();
        for id in &convs {
            org.update(Kind::Conversation, id, |a| {
                a.insert("status".into(), "done".into());
            });
        }
        let customers: Vec<String> = (0..2).map(|_| org.insert(Kind::Customer)).collect();
        let notes: Vec<String> = org.ids(Kind::Note).into_iter().take(1).collect();
        for id in &notes {
            org.delete(Kind::Note, id);
        }
        (convs, customers, notes)
    });

    let (report, mut dest) = sync(&pg, &sim, SyncOptions::default()).await;
    let s = |n: &str| report.stream(n).unwrap().clone();
    assert_eq!(s("conversations").records as usize, convs.len());
    assert_eq!(s("conversations").written.updated as usize, convs.len());
    assert_eq!(s("conversations").written.inserted, 0);
    assert_eq!(s("customers").records as usize, customers.len());
    assert_eq!(s("customers").written.inserted as usize, customers.len());
    assert_eq!(s("notes").records as usize, notes.len());
    assert_eq!(s("notes").written.deleted as usize, notes.len());
    assert_eq!(s("companies").records, 0);
    assert_eq!(s("kobjects").records, 0);
    // Only the changed rows were written by this run.
    let this_run = format!("_synced_at = {}", at(report.started_at));
    assert_eq!(pg.count("conversations", &this_run) as usize, convs.len());
    assert_eq!(pg.count("customers", &this_run) as usize, customers.len());
    assert_eq!(pg.count("notes", &this_run) as usize, notes.len());
    assert_eq!(pg.count("notes", &format!("id = '{}' AND _deleted", notes[0])), 1);
    assert_ne!(dest.bookmark("customers").unwrap().unwrap(), first_bookmark);
    support::pg::assert_pg_equals_simulator(&pg.server, &pg.schema, &sim);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_failing_mid_transaction_leaves_nothing_half_written() {
    let Some(pg) = PgSchema::new("fault") else { return };
    let sim = Simulator::start(tiny()).await.unwrap();
    // A child table whose column cannot take the child rows: the notes
    // batch fails after its parent rows were merged, inside the transaction.
    pg_execute(
        &pg.server,
        &format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {t} (note_id text NOT NULL, _position bigint NOT NULL, user_id bigint, PRIMARY KEY (note_id, _position))",
            schema = kustomer::sync::dest::postgres::ident(&pg.schema),
            t = pg.table("note_user_mentions")
        ),
    );
    let opts = SyncOptions::default().with_tables(["notes"]);
    let err = Engine::new(sim_client(&sim), opts.clone())
        .run(connect(&pg))
        .await
        .expect_err("the write fails");
    let msg = err.to_string();
    assert!(
        msg.contains("destination") && msg.contains("postgres") && msg.contains("child rows"),
        "{msg}"
    );
    assert_eq!(pg.count("notes", "true"), 0, "parent rows rolled back");
    assert_eq!(pg.count("note_user_mentions", "true"), 0);
    assert_eq!(pg.count("_kustomer_state", "true"), 0, "no bookmark moved");

    // Repaired, the next run loads everything exactly once.
    pg_execute(&pg.server, &format!("DROP TABLE {}", pg.table("note_user_mentions")));
    let (report, dest) = sync(&pg, &sim, opts).await;
    let notes = report.stream("notes").unwrap().written.inserted;
    assert!(notes > 0);
    assert_eq!(pg.count("notes", "true") as u64, notes);
    assert!(pg.count("note_user_mentions", "true") > 0);
    drop(dest);
    sync(&pg, &sim, SyncOptions::default()).await;
    support::pg::assert_pg_equals_simulator(&pg.server, &pg.schema, &sim);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_klass_and_a_new_custom_attribute_become_a_table_and_a_column() {
    let Some(pg) = PgSchema::new("evolve") else { return };
    let sim = Simulator::start(tiny()).await.unwrap();
    sync(&pg, &sim, SyncOptions::default()).await;
    let before = pg_columns(&pg.server, &pg.schema, "customers");
    assert!(!before.iter().any(|(c, _)| c == "custom_loyalty_points_num"));

    let touched = sim.with_org(|org| {
        org.add_klass("returns-portal.return", 7);
        org.add_custom_attribute(Kind::Customer, "loyaltyPointsNum", 5)
    });
    let (_, mut dest) = sync(&pg, &sim, SyncOptions::default()).await;
    assert_eq!(dest.row_count("kobject_returns_portal_return").unwrap(), 7);
    let after = pg_columns(&pg.server, &pg.schema, "customers");
    assert!(
        after.contains(&("custom_loyalty_points_num".into(), "double precision".into())),
        "{after:?}"
    );
    // Added, nothing dropped, order kept.
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(
        pg.count("customers", "custom_loyalty_points_num IS NOT NULL") as usize,
        touched.len()
    );
    support::pg::assert_pg_equals_simulator(&pg.server, &pg.schema, &sim);
    sim.shutdown().await;
}

// ---- batches written through the trait ----

fn widgets() -> Arc<StreamTables> {
    let parent = TableDef {
        name: "widgets".into(),
        columns: vec![
            Column::required("id", LogicalType::Text),
            Column::new("updated_at", LogicalType::Timestamp),
        ],
        primary_key: vec!["id".into()],
        parent: None,
    };
    Arc::new(StreamTables::new(parent, Vec::new()).with_system_columns())
}

fn widget(id: &str, updated: i64, synced: DateTime<Utc>) -> FlatRecord {
    FlatRecord {
        id: id.into(),
        row: vec![
            Cell::Text(id.into()),
            Cell::Timestamp(ts(updated)),
            Cell::Bool(false),
            Cell::Null,
            Cell::Timestamp(synced),
        ],
        children: Vec::new(),
    }
}

fn batch(records: Vec<FlatRecord>, bookmark: &str) -> WriteBatch {
    let mut b = WriteBatch::new("things", things(), records);
    b.bookmark = Some(bookmark.into());
    b
}

/// Rows with `_deleted_at` reduced to set / not set: `mark_deleted` stamps
/// the wall clock, which differs between two destinations.
fn masked(def: &TableDef, mut rows: Vec<Vec<Cmp>>) -> Vec<Vec<Cmp>> {
    if let Some(i) = def.column_index("_deleted_at") {
        for r in &mut rows {
            r[i] = Cmp::Bool(r[i] != Cmp::Null);
        }
        rows.sort();
    }
    rows
}

#[test]
fn batches_land_exactly_as_in_duckdb() {
    let Some(pg) = PgSchema::new("conform") else { return };
    let mut pdest = connect(&pg);
    let mut duck = DuckDbDestination::in_memory().unwrap();
    let tables = things();
    for d in [&mut pdest as &mut dyn Destination, &mut duck] {
        d.prepare(&tables).unwrap();
        d.prepare(&widgets()).unwrap();
    }
    let (s1, s2, s3, s5, s6) = (ts(1000), ts(2000), ts(3000), ts(5000), ts(6000));
    let swept_at = ts(5555);

    let mut steps: Vec<(&str, WriteBatch, WriteStats)> = Vec::new();
    let stats = |inserted, updated, child_rows, deleted| WriteStats {
        inserted,
        updated,
        child_rows,
        deleted,
    };
    steps.push((
        "first load",
        batch(
            vec![
                thing("a", 100, s1, false, &["x", "y"]),
                thing("b", 100, s1, false, &["z"]),
                thing("c", 100, s1, false, &[]),
            ],
            "b1",
        ),
        stats(3, 0, 3, 0),
    ));
    steps.push((
        "updates, a deleted record, a new one",
        batch(
            vec![
                thing("a", 200, s2, false, &["x"]),
                thing("b", 200, s2, true, &["z"]),
                thing("d", 200, s2, false, &["w"]),
            ],
            "b2",
        ),
        stats(1, 2, 3, 1),
    ));
    steps.push((
        "a version replayed replaces itself",
        batch(vec![thing("a", 200, s2, false, &["x", "x2"])], "b2"),
        stats(0, 1, 2, 0),
    ));
    let mut newest = batch(
        vec![
            thing("a", 150, s3, false, &["old"]),
            thing("c", 300, s3, false, &["c1", "c2"]),
        ],
        "b3",
    );
    newest.newest_wins = true;
    steps.push(("newest wins: a stale copy is dropped", newest, stats(0, 1, 3, 0)));
    let mut deletes = batch(Vec::new(), "b4");
    deletes.deletes = vec!["d".into(), "nope".into()];
    deletes.mark_deleted = vec!["c".into(), "b".into()];
    steps.push(("hard deletes and marks", deletes, stats(0, 0, 0, 2)));
    let mut soft = batch(vec![thing("e", 400, s5, false, &["e1"])], "b5");
    soft.sweep = Some(Sweep {
        before: s5,
        since: None,
        hard: false,
        at: swept_at,
    });
    steps.push(("soft sweep", soft, stats(1, 0, 1, 1)));
    let mut hard = batch(Vec::new(), "b6");
    hard.companions = vec![Companion {
        tables: widgets(),
        records: vec![widget("w1", 10, s6), widget("w2", 20, s6)],
    }];
    hard.sweep = Some(Sweep {
        before: s6,
        since: Some(("updated_at".into(), ts(350))),
        hard: true,
        at: s6,
    });
    steps.push(("companions and a hard sweep in a window", hard, stats(0, 0, 0, 1)));

    for (what, b, want) in steps {
        let got_pg = pdest.write(b.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
        let got_duck = duck.write(b).unwrap();
        assert_eq!(got_duck, want, "{what}: DuckDB stats");
        assert_eq!(got_pg, want, "{what}: PostgreSQL stats");
        for def in tables.all().chain(widgets().all()) {
            assert_eq!(
                masked(def, pg.rows(def, "true")),
                masked(def, db_rows(&duck, def)),
                "{what}: table {}",
                def.name
            );
        }
        assert_eq!(
            pdest.bookmark("things").unwrap(),
            duck.bookmark("things").unwrap(),
            "{what}"
        );
    }
    // The end state, spelled out: a marked by the sweep at its instant, e
    // removed with its child rows, history kept for every version.
    assert_eq!(
        pg.count(
            "things",
            &format!("id = 'a' AND _deleted AND _deleted_at = {}", at(swept_at))
        ),
        1
    );
    assert_eq!(pg.count("things", "true"), 3);
    assert_eq!(pg.count("thing_parts", "thing_id = 'e'"), 0);
    assert_eq!(pg.count("thing_history", "id = 'a'"), 2);
    assert_eq!(pg.count("thing_history", "_is_current"), 5);
    assert_eq!(pg.count("widgets", "true"), 2);
    assert_eq!(
        pdest.row_count("thing_history_parts").unwrap(),
        duck.row_count("thing_history_parts").unwrap()
    );

    // Reset forgets the bookmark.
    pdest.reset("things").unwrap();
    assert_eq!(pdest.bookmark("things").unwrap(), None);
}

#[test]
fn every_value_round_trips_exactly() {
    let Some(pg) = PgSchema::new("values") else { return };
    let mut dest = connect(&pg);
    let tables = things();
    let micros = Utc.timestamp_micros(1_700_000_000_123_456).unwrap();
    let floats = [
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::from_bits(1),
        f64::MIN_POSITIVE,
        f64::MAX,
        0.1 + 0.2,
        1e300,
    ];
    let mut records = Vec::new();
    let mut want = Vec::new();
    for (i, f) in floats.into_iter().enumerate() {
        let id = format!("v{i}");
        let name = format!("nul\0in text ✓ {i}");
        let payload =
            format!(r#"{{"s":"a\u0000b","esc":"\\u0000","e":"\u00e9\ud83d\ude00","n":[1,2.5,1e-7],"i":{i}}}"#);
        let row = vec![
            Cell::Text(id.clone()),
            Cell::Timestamp(micros + chrono::Duration::microseconds(i as i64)),
            Cell::Text(name.clone()),
            Cell::Float(f),
            Cell::Int(if i % 2 == 0 { i64::MIN } else { i64::MAX }),
            Cell::Bool(i % 2 == 0),
            Cell::Json(payload.clone()),
            Cell::Bool(false),
            Cell::Null,
            Cell::Timestamp(micros),
        ];
        // What PostgreSQL can store: NUL becomes U+FFFD (text) or \uFFFD (JSON).
        let mut stored = row.clone();
        stored[2] = Cell::Text(name.replace('\0', "\u{FFFD}"));
        stored[6] = Cell::Json(payload.replace(r"a\u0000b", r"a\uFFFDb"));
        want.push(stored.iter().map(cmp_cell).collect::<Vec<_>>());
        records.push(FlatRecord {
            id,
            row,
            children: vec![vec![]],
        });
    }
    dest.write(WriteBatch::new("things", tables.clone(), records)).unwrap();
    want.sort();
    assert_eq!(pg.rows(&tables.parent, "true"), want);
    // A row of NULLs wherever nullable.
    let mut nulls = vec![Cell::Null; tables.parent.columns.len()];
    nulls[0] = Cell::Text("nulls".into());
    nulls[7] = Cell::Bool(false);
    nulls[9] = Cell::Timestamp(micros);
    let want: Vec<Cmp> = nulls.iter().map(cmp_cell).collect();
    let record = FlatRecord {
        id: "nulls".into(),
        row: nulls,
        children: vec![vec![]],
    };
    dest.write(WriteBatch::new("things", tables.clone(), vec![record]))
        .unwrap();
    assert_eq!(pg.rows(&tables.parent, "id = 'nulls'"), vec![want]);
}

#[test]
fn a_malformed_row_fails_the_batch_and_the_next_one_succeeds() {
    let Some(pg) = PgSchema::new("malformed") else { return };
    let mut dest = connect(&pg);
    let good = thing("a", 1, ts(1), false, &["p"]);
    let mut bad = thing("b", 1, ts(1), false, &["p", "q"]);
    bad.children[0][1].pop();
    let err = dest
        .write(batch(vec![good.clone(), bad], "moved"))
        .expect_err("a short child row is refused");
    let msg = err.to_string();
    assert!(msg.contains("thing_parts") && msg.contains("cells"), "{msg}");
    assert_eq!(pg.count("things", "true"), 0);
    assert_eq!(dest.bookmark("things").unwrap(), None);
    // The pool's connections are still good.
    let stats = dest.write(batch(vec![good], "ok")).unwrap();
    assert_eq!((stats.inserted, stats.child_rows), (1, 1));
    assert_eq!(dest.bookmark("things").unwrap().as_deref(), Some("ok"));
}

#[test]
fn prepare_adds_missing_columns_and_never_drops() {
    let Some(pg) = PgSchema::new("prepare") else { return };
    let mut dest = connect(&pg);
    let tables = things();
    dest.prepare(&tables).unwrap();
    let mut wider = (*tables).clone();
    wider.parent.columns.push(Column::new("added", LogicalType::Json));
    let long = "a_column_name_longer_than_the_sixty_three_bytes_postgres_keeps_for_names";
    wider.parent.columns.push(Column::new(long, LogicalType::BigInt));
    dest.prepare(&wider).unwrap();
    // A second handle (a fresh column cache) finds nothing to add.
    dest.try_clone().unwrap().prepare(&wider).unwrap();
    let cols = pg_columns(&pg.server, &pg.schema, "things");
    assert!(cols.contains(&("added".into(), "jsonb".into())), "{cols:?}");
    assert!(cols.contains(&(long[..63].into(), "bigint".into())), "{cols:?}");
    // Writing with the narrower definition leaves the new columns NULL.
    dest.write(batch(vec![thing("a", 1, ts(1), false, &[])], "b")).unwrap();
    dest.prepare(&tables).unwrap();
    assert_eq!(pg_columns(&pg.server, &pg.schema, "things").len(), cols.len());
    assert_eq!(pg.count("things", "added IS NULL"), 1);
}

#[test]
fn handles_writing_the_same_rows_at_once_converge() {
    let Some(pg) = PgSchema::new("clones") else { return };
    let dest = connect(&pg);
    let ids: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
    let handles = [dest.try_clone().unwrap(), dest.try_clone().unwrap(), dest];
    let writers: Vec<_> = handles
        .into_iter()
        .enumerate()
        .map(|(j, mut d)| {
            let ids = ids.clone();
            std::thread::spawn(move || {
                for k in 0..20 {
                    let updated = 1000 + 3 * k + j as i64;
                    // The writers list the ids in different orders.
                    let mut order = ids.clone();
                    order.rotate_left(3 * j);
                    let records = order
                        .iter()
                        .map(|id| thing(id, updated, ts(updated), false, &["p", "q"][..(k % 2 + 1) as usize]))
                        .collect();
                    let mut b = batch(records, &format!("{j}-{k}"));
                    b.newest_wins = true;
                    d.write(b).unwrap_or_else(|e| panic!("writer {j}, batch {k}: {e}"));
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    // The newest version of each row won, with its own child rows, and one
    // current version in the history.
    assert_eq!(pg.count("things", "n = 1059"), 10);
    assert_eq!(pg.count("thing_parts", "label IN ('p@1059', 'q@1059')"), 20);
    assert_eq!(pg.count("thing_parts", "true"), 20);
    assert_eq!(pg.count("thing_history", "_is_current"), 10);
    assert_eq!(pg.count("thing_history", "_is_current AND n = 1059"), 10);
    assert_eq!(pg.count("thing_history", "NOT _is_current AND _valid_to IS NULL"), 0);
}

#[tokio::test]
async fn no_password_in_debug_or_any_error() {
    const SECRET: &str = "Sup3r-s3cret-pw";
    let check = |what: &str, text: &str| {
        assert!(!text.contains(SECRET), "{what} shows the password: {text}");
        assert!(!text.contains("s3cret"), "{what} shows part of the password: {text}");
    };
    let free_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let refused = format!("postgres://kuser:{SECRET}@127.0.0.1:{free_port}/db?schema=x");
    let err = PostgresDestination::connect_url(&refused).expect_err("nothing listens there");
    assert!(matches!(err, SyncError::Destination(_)), "{err:?}");
    assert!(err.to_string().contains("postgres: connect"), "{err}");
    check("a connect error", &err.to_string());
    check("a connect error's Debug", &format!("{err:?}"));
    for bad in [
        format!("postgres://kuser:{SECRET}@127.0.0.1:notaport/db"),
        format!("postgresql://kuser:{SECRET}@127.0.0.1:1/db?schema=%zz"),
        format!("postgres://kuser:{SECRET}@127.0.0.1:1/db?nosuchoption={SECRET}"),
    ] {
        let err = PostgresDestination::connect_url(&bad).expect_err("an invalid URL");
        check("an invalid URL's error", &err.to_string());
        check("an invalid URL's error's Debug", &format!("{err:?}"));
    }
    let err = kustomer::sync::dest::open(&refused)
        .err()
        .expect("nothing listens there");
    check("dest::open's error", &err.to_string());

    // With a server: trust auth accepts any password, so the URL can carry one.
    let Some(pg) = PgSchema::new("secret") else { return };
    let Some((scheme, rest)) = pg.url().split_once("://").map(|(a, b)| (a.to_owned(), b.to_owned())) else {
        panic!("not a URL: {}", pg.url())
    };
    let with_password = match rest.split_once('@') {
        Some((user, host)) if !user.contains(':') => format!("{scheme}://{user}:{SECRET}@{host}"),
        Some(_) => return, // the server's URL has a password of its own
        None => format!("{scheme}://postgres:{SECRET}@{rest}"),
    };
    let mut dest = PostgresDestination::connect_url(&with_password).unwrap();
    let debug = format!("{dest:?}");
    check("Debug", &debug);
    assert!(debug.contains(&pg.schema) && debug.contains("tables"), "{debug}");
    let errors = [
        dest.row_count("no_such_table").unwrap_err(),
        dest.ids("no_such_table", &Default::default()).unwrap_err(),
        dest.write(batch(
            vec![thing("a", 1, ts(1), false, &["p"]), thing("a", 1, ts(1), false, &[])],
            "x",
        ))
        .unwrap_err(),
    ];
    for e in errors {
        check("an error", &e.to_string());
        check("an error's Debug", &format!("{e:?}"));
        assert!(e.to_string().starts_with("destination error: postgres: "), "{e}");
    }
    // A second handle says no more.
    let clone = dest.try_clone().unwrap();
    check("a clone's Debug", &format!("{clone:?}"));
}
