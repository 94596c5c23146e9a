//! The Parquet destination end to end: simulator → sync → a lake of
//! append-only change files whose current state (computed by DuckDB's
//! `read_parquet` over the manifests' files, by the rules of the module
//! docs) equals the simulator's data; a second run adds only the changes; a
//! run that never finishes stays invisible; and for the same batches (hard
//! deletes, history, sweeps) the lake holds exactly the DuckDB
//! destination's rows and reports the same stats.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use arrow_array::{Array, BooleanArray, Int64Array, StringArray, TimestampMicrosecondArray};
use kustomer::models::{Cell, Customer, Entity, FlatRecord, LogicalType, TableDef};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::parquet::ParquetDestination;
use kustomer::sync::dest::{Destination, IdQuery, StreamTables, WriteBatch, WriteStats};
use kustomer::sync::{Engine, RunReport, SyncError, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use support::parquet::{all_files, assert_lake_equals_simulator, manifests, parquet_int, parquet_rows, table_files};
use support::{db_rows, sim_client};

fn tiny() -> SimConfig {
    SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    }
}

fn paged(page: u32) -> SyncOptions {
    SyncOptions {
        search_page_size: page,
        ..SyncOptions::default()
    }
}

async fn sync(sim: &Simulator, dir: &Path, opts: SyncOptions) -> (RunReport, ParquetDestination) {
    let dest = ParquetDestination::open(dir).unwrap();
    let (report, dest) = Engine::new(sim_client(sim), opts).run(dest).await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    (report, dest)
}

fn child_def(name: &str) -> TableDef {
    Customer::schema()
        .children
        .iter()
        .find(|c| c.name == name)
        .cloned()
        .unwrap()
}

/// Files a reader sees (hidden temporary files left out).
fn visible(dir: &Path) -> Vec<String> {
    all_files(dir)
        .into_iter()
        .filter(|p| !Path::new(p).file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

/// The manifests' files and the manifests themselves.
fn listed(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = manifests(dir)
        .iter()
        .flat_map(|m| {
            m.tables
                .values()
                .flat_map(|t| t.files.iter().map(|f| f.path.clone()))
                .chain([format!("_manifests/{}.json", m.run_id)])
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_equals_the_simulator() {
    let sim = Simulator::start(tiny()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (report, mut dest) = sync(&sim, dir.path(), paged(10)).await;
    assert_eq!(dest.dir(), dir.path());
    assert_lake_equals_simulator(dir.path(), &sim);

    // The same org into DuckDB reports the same writes.
    let (duck, _) = Engine::new(sim_client(&sim), paged(10))
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .unwrap();
    // Updates and rewritten child rows depend on how the writer grouped the
    // batches (a list page and a search page holding one record count one
    // insert and one update, or one insert when committed together): compare
    // what does not.
    for s in &report.streams {
        let d = duck.stream(&s.name).unwrap();
        assert_eq!(s.written.inserted, d.written.inserted, "{}", s.name);
        assert_eq!(s.written.deleted, d.written.deleted, "{}", s.name);
        assert_eq!(s.records, d.records, "{}", s.name);
    }

    // Layout: one manifest, the files it lists, nothing else.
    let ms = manifests(dir.path());
    assert_eq!(ms.len(), 1);
    let m = &ms[0];
    assert_eq!(all_files(dir.path()), listed(dir.path()));
    for (table, t) in &m.tables {
        for f in &t.files {
            assert!(f.path.starts_with(&format!("{table}/{}-", m.run_id)), "{}", f.path);
            assert!(f.path.ends_with(".parquet") && f.rows > 0 && f.min_seq <= f.max_seq);
        }
    }
    let seq = m.seq.unwrap();
    assert!(seq.first >= 1 && seq.last == m.last_seq);
    assert!(m.bookmarks.contains_key("customers"), "{:?}", m.bookmarks);
    assert_eq!(
        dest.bookmark("customers").unwrap().as_ref(),
        m.bookmarks.get("customers")
    );

    // row_count: live current rows.
    let live = sim.with_org(|o| o.live_records(Kind::Customer).len()) as u64;
    assert_eq!(dest.row_count("customers").unwrap(), live);
    let emails = child_def("customer_emails");
    let live_emails = parquet_int(dir.path(), &emails, false, "SELECT count(*) FROM t");
    assert!(live_emails > 0);
    assert_eq!(dest.row_count("customer_emails").unwrap(), live_emails as u64);
    let run_rows = dest.row_count("_sync_runs").unwrap();
    assert_eq!(run_rows, report.streams.len() as u64);

    // One table read back with the parquet crate: Arrow types and row counts.
    let files = table_files(dir.path(), "customers");
    assert!(!files.is_empty());
    let utc = TimestampMicrosecondArray::from(Vec::<i64>::new()).with_timezone("UTC");
    let text = StringArray::from(Vec::<&str>::new());
    let mut rows = 0;
    for f in &files {
        let builder =
            ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(f).unwrap())
                .unwrap();
        let schema = builder.schema().clone();
        let field = |n: &str| schema.field_with_name(n).unwrap().clone();
        assert_eq!(field("_synced_at").data_type(), utc.data_type());
        assert!(!field("_synced_at").is_nullable());
        assert_eq!(field("_deleted_at").data_type(), utc.data_type());
        assert_eq!(field("updated_at").data_type(), utc.data_type());
        assert_eq!(field("id").data_type(), text.data_type());
        assert!(!field("id").is_nullable());
        assert_eq!(
            field("_deleted").data_type(),
            BooleanArray::from(Vec::<bool>::new()).data_type()
        );
        assert_eq!(
            field("_extra").metadata().get("logical_type").map(String::as_str),
            Some("json")
        );
        let last = schema.fields().last().unwrap();
        assert_eq!(last.name(), "_seq");
        assert_eq!(last.data_type(), Int64Array::from(Vec::<i64>::new()).data_type());
        assert!(!last.is_nullable());
        for b in builder.build().unwrap() {
            let b = b.unwrap();
            let synced = b.column_by_name("_synced_at").unwrap();
            let synced = synced.as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap();
            assert_eq!(synced.value(0), report.started_at.timestamp_micros());
            rows += b.num_rows();
        }
    }
    let listed_rows: u64 = m.tables["customers"].files.iter().map(|f| f.rows).sum();
    assert_eq!(rows as u64, listed_rows);
    let customers = sim.with_org(|o| o.records(Kind::Customer).len());
    assert!(rows >= customers, "every customer written at least once");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_adds_only_the_changes() {
    let sim = Simulator::start(tiny()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, dest) = sync(&sim, dir.path(), paged(50)).await;
    drop(dest);
    let first = manifests(dir.path()).remove(0);

    let (convs, customers, notes) = sim.with_org(|org| {
        let convs: Vec<String> = org.ids(Kind::Conversation).into_iter().take(7).collect();
        for id in &convs {
            org.update(Kind::Conversation, id, |a| {
                a.insert("status".into(), "done".into());
            });
        }
        let customers: Vec<String> = (0..5).map(|_| org.insert(Kind::Customer)).collect();
        let notes: Vec<String> = org
            .live_records(Kind::Note)
            .iter()
            .take(2)
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        for id in &notes {
            assert!(org.delete(Kind::Note, id));
        }
        (convs, customers, notes)
    });

    // A new process: the indexes are rebuilt from the committed files.
    let (report, _) = sync(&sim, dir.path(), paged(10)).await;
    let s = |n: &str| report.stream(n).unwrap().clone();
    assert_eq!(s("conversations").records as usize, convs.len());
    assert_eq!(s("conversations").written.updated as usize, convs.len());
    assert_eq!(s("conversations").written.inserted, 0);
    assert_eq!(s("customers").written.inserted as usize, customers.len());
    assert_eq!(s("notes").records as usize, notes.len());
    assert_eq!(s("notes").written.updated as usize, notes.len());
    assert_eq!(s("notes").written.deleted as usize, notes.len());
    assert_eq!(s("companies").records, 0);
    assert_lake_equals_simulator(dir.path(), &sim);
    let notes_def = kustomer::models::Note::schema().table.clone();
    assert_eq!(
        parquet_int(
            dir.path(),
            &notes_def,
            true,
            "SELECT count(*) FROM t WHERE _deleted AND _deleted_at IS NOT NULL"
        ),
        sim.with_org(|o| o.records(Kind::Note).len() - o.live_records(Kind::Note).len()) as i64
    );

    // The second manifest lists only the second run's files.
    let ms = manifests(dir.path());
    assert_eq!(ms.len(), 2);
    let second = &ms[1];
    assert_eq!(first.run_id, ms[0].run_id);
    assert!(second.run_id > first.run_id);
    let first_files: Vec<&String> = first
        .tables
        .values()
        .flat_map(|t| t.files.iter().map(|f| &f.path))
        .collect();
    for (table, t) in &second.tables {
        for f in &t.files {
            assert!(f.path.starts_with(&format!("{table}/{}-", second.run_id)), "{}", f.path);
            assert!(!first_files.contains(&&f.path));
            assert!(f.min_seq > first.last_seq, "_seq grows across runs");
        }
    }
    let rows = |table: &str| -> u64 {
        second
            .tables
            .get(table)
            .map_or(0, |t| t.files.iter().map(|f| f.rows).sum())
    };
    assert_eq!(rows("conversations") as usize, convs.len());
    assert_eq!(rows("customers") as usize, customers.len());
    assert_eq!(rows("companies"), 0);
    assert!(second.seq.unwrap().first > first.last_seq);
    assert!(second.bookmarks.len() >= first.bookmarks.len());
    assert_eq!(all_files(dir.path()), listed(dir.path()));
    sim.shutdown().await;
}

/// A destination that fails on a given write, like a full disk; with
/// `kill`, it also leaks the lake's open files (as a SIGKILL would leave them).
#[derive(Debug)]
struct FailOnWrite {
    inner: Option<ParquetDestination>,
    writes_left: usize,
    kill: bool,
}

impl FailOnWrite {
    fn inner(&mut self) -> Result<&mut ParquetDestination, SyncError> {
        self.inner
            .as_mut()
            .ok_or_else(|| SyncError::Destination("killed".into()))
    }
}

impl Destination for FailOnWrite {
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        self.inner()?.prepare(tables)
    }
    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        self.inner()?.bookmark(stream)
    }
    fn reset(&mut self, stream: &str) -> Result<(), SyncError> {
        self.inner()?.reset(stream)
    }
    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        if self.writes_left == 0 {
            if self.kill {
                std::mem::forget(self.inner.take());
            }
            return Err(SyncError::Destination("injected: disk full".into()));
        }
        self.writes_left -= 1;
        self.inner()?.write(batch)
    }
    fn row_count(&mut self, table: &str) -> Result<u64, SyncError> {
        self.inner()?.row_count(table)
    }
    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        self.inner()?.ids(table, query)
    }
    fn finish(&mut self) -> Result<(), SyncError> {
        self.inner()?.finish()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_never_finishes_stays_invisible() {
    let sim = Simulator::start(tiny()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, dest) = sync(&sim, dir.path(), paged(10)).await;
    drop(dest);
    let committed = all_files(dir.path());
    let bookmarks = manifests(dir.path())[0].bookmarks.clone();
    assert!(!bookmarks.is_empty());

    let changed: Vec<String> = sim.with_org(|org| {
        let ids: Vec<String> = org.ids(Kind::Conversation).into_iter().take(5).collect();
        for id in &ids {
            org.update(Kind::Conversation, id, |a| {
                a.insert("status".into(), "snoozed".into());
            });
        }
        for _ in 0..3 {
            org.insert(Kind::Customer);
        }
        ids
    });

    for kill in [false, true] {
        let dest = FailOnWrite {
            inner: Some(ParquetDestination::open(dir.path()).unwrap()),
            writes_left: 3,
            kill,
        };
        let err = Engine::new(sim_client(&sim), paged(10))
            .run(dest)
            .await
            .expect_err("the write fails");
        assert!(err.to_string().contains("injected"), "{err}");
        // Dropped without finish: its files are gone. Killed: only hidden
        // temporary files are left, which a reader never sees.
        assert_eq!(visible(dir.path()), committed, "kill: {kill}");
        if !kill {
            assert_eq!(all_files(dir.path()), committed);
        }
        // Opening cleans up; the bookmarks are the last committed ones.
        let mut dest = ParquetDestination::open(dir.path()).unwrap();
        assert_eq!(all_files(dir.path()), committed);
        for (stream, bm) in &bookmarks {
            assert_eq!(dest.bookmark(stream).unwrap().as_ref(), Some(bm), "{stream}");
        }
        assert_eq!(manifests(dir.path()).len(), 1);
    }
    let run_rows = ParquetDestination::open(dir.path())
        .and_then(|mut d| {
            d.prepare(&StreamTables::new(
                kustomer::sync::report::sync_runs_table(),
                Vec::new(),
            ))?;
            d.row_count("_sync_runs")
        })
        .unwrap();
    assert!(run_rows > 0);

    // A destination dropped after writes but before finish(): nothing visible.
    {
        let mut dest = ParquetDestination::open(dir.path()).unwrap();
        let tables = std::sync::Arc::new(StreamTables::new(kustomer::sync::report::sync_runs_table(), Vec::new()));
        dest.prepare(&tables).unwrap();
        let row: Vec<Cell> = tables
            .parent
            .columns
            .iter()
            .map(|c| match c.ty {
                _ if c.nullable => Cell::Null,
                LogicalType::BigInt => Cell::Int(0),
                _ => Cell::Text("x".into()),
            })
            .collect();
        let record = FlatRecord {
            id: "x".into(),
            row,
            children: Vec::new(),
        };
        let mut batch = WriteBatch::new("x", tables, vec![record]);
        batch.bookmark = Some("moved".into());
        assert_eq!(dest.write(batch).unwrap().inserted, 1);
        assert_eq!(dest.bookmark("x").unwrap().as_deref(), Some("moved"));
        assert_eq!(dest.row_count("_sync_runs").unwrap(), 1 + run_rows);
        assert!(
            all_files(dir.path()).len() > committed.len(),
            "the row is in a temporary file"
        );
    }
    assert_eq!(all_files(dir.path()), committed);
    assert_eq!(
        ParquetDestination::open(dir.path()).unwrap().bookmark("x").unwrap(),
        None
    );

    // The next run converges: it reads the changes again, exactly once.
    let (report, _) = sync(&sim, dir.path(), paged(10)).await;
    let s = report.stream("conversations").unwrap();
    assert_eq!(s.records as usize, changed.len());
    assert_eq!(s.written.updated as usize, changed.len());
    assert_eq!(report.stream("customers").unwrap().written.inserted, 3);
    assert_lake_equals_simulator(dir.path(), &sim);
    assert_eq!(manifests(dir.path()).len(), 2);
    assert_eq!(all_files(dir.path()), listed(dir.path()));
    sim.shutdown().await;
}

fn live_id(o: &kustomer_sim::Org, kind: Kind, n: usize) -> String {
    o.live_records(kind)[n]["id"].as_str().unwrap().to_owned()
}

/// Every call into DuckDB and into the lake: both must report the same
/// stats and bookmarks. Remembers every table definition it sees.
struct Tee {
    duck: DuckDbDestination,
    lake: ParquetDestination,
    defs: BTreeMap<String, TableDef>,
}

impl Tee {
    fn note(&mut self, t: &StreamTables) {
        for d in t.all() {
            self.defs.insert(d.name.clone(), d.clone());
        }
    }
}

impl Destination for Tee {
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        self.note(tables);
        self.duck.prepare(tables)?;
        self.lake.prepare(tables)
    }
    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        let a = self.duck.bookmark(stream)?;
        assert_eq!(a, self.lake.bookmark(stream)?, "bookmark of {stream}");
        Ok(a)
    }
    fn reset(&mut self, stream: &str) -> Result<(), SyncError> {
        self.duck.reset(stream)?;
        self.lake.reset(stream)
    }
    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        self.note(&batch.tables);
        for c in &batch.companions {
            self.note(&c.tables);
        }
        let what = format!(
            "{}: {} records, {} deletes, sweep {:?}",
            batch.stream,
            batch.records.len(),
            batch.deletes.len(),
            batch.sweep
        );
        let a = self.duck.write(batch.clone())?;
        let b = self.lake.write(batch)?;
        assert_eq!(a, b, "stats of {what}");
        Ok(a)
    }
    fn row_count(&mut self, table: &str) -> Result<u64, SyncError> {
        self.duck.row_count(table)
    }
    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        let mut a = self.duck.ids(table, query)?;
        a.sort();
        assert_eq!(a, self.lake.ids(table, query)?, "ids of {table} ({query:?})");
        Ok(a)
    }
    fn finish(&mut self) -> Result<(), SyncError> {
        self.duck.finish()?;
        self.lake.finish()
    }
}

/// One run into both destinations, then every table compared row for row.
async fn tee_run(sim: &Simulator, db: &Path, lake: &Path, opts: SyncOptions) -> RunReport {
    let tee = Tee {
        duck: DuckDbDestination::open(db).unwrap(),
        lake: ParquetDestination::open(lake).unwrap(),
        defs: BTreeMap::new(),
    };
    let (report, tee) = Engine::new(sim_client(sim), opts).run(tee).await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert!(tee.defs.contains_key("conversation_history_tags"));
    let mut compared = 0;
    for def in tee.defs.values() {
        let want = db_rows(&tee.duck, def);
        let got = parquet_rows(lake, def, true);
        if got != want {
            let missing = want.iter().find(|r| !got.contains(r));
            let extra = got.iter().find(|r| !want.contains(r));
            panic!(
                "table {}: {} rows in the lake, {} in DuckDB; first missing: {missing:?}; first unexpected: {extra:?}",
                def.name,
                got.len(),
                want.len()
            );
        }
        compared += got.len();
    }
    assert!(compared > 500, "{compared} rows compared");
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_sweeps_and_history_give_duckdbs_rows() {
    let sim = Simulator::start(tiny()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, lake) = (dir.path().join("k.duckdb"), dir.path().join("lake"));
    let opts = |hard: bool, resync: &[&str]| SyncOptions {
        tables: Some(
            ["customers", "conversations", "notes", "tags", "users"]
                .map(String::from)
                .to_vec(),
        ),
        history: true,
        hard_delete: hard,
        resync: resync.iter().map(|s| s.to_string()).collect(),
        search_page_size: 10,
        ..SyncOptions::default()
    };
    // A customer inside search's two-year window, purged later (only a re-sync sees it go).
    let (conv, purged) = sim.with_org(|o| {
        let conv = o
            .live_records(Kind::Conversation)
            .iter()
            .find(|c| c["attributes"]["tags"].as_array().is_some_and(|t| !t.is_empty()))
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .expect("a tagged conversation");
        let purged = o.ids(Kind::Customer)[3].clone();
        assert!(o.touch(Kind::Customer, &purged));
        (conv, purged)
    });
    tee_run(&sim, &db, &lake, opts(false, &[])).await;

    // Soft deletes: a deleted note, a tag and a user gone from their lists,
    // a purged customer found missing by a re-sync; a new conversation version.
    let note_deleted = |o: &mut kustomer_sim::Org| {
        let id = live_id(o, Kind::Note, 0);
        assert!(o.delete(Kind::Note, &id));
    };
    sim.with_org(|o| {
        note_deleted(o);
        let tag = live_id(o, Kind::Tag, 0);
        assert!(o.delete(Kind::Tag, &tag));
        let user = live_id(o, Kind::User, 1);
        assert!(o.delete(Kind::User, &user));
        assert!(o.purge(Kind::Customer, &purged));
        assert!(o.update(Kind::Conversation, &conv, |a| {
            a.insert("status".into(), "snoozed".into());
        }));
    });
    let report = tee_run(&sim, &db, &lake, opts(false, &["customers"])).await;
    let tags = kustomer::models::Tag::schema().table.clone();
    let deleted = "SELECT count(*) FROM t WHERE _deleted";
    assert_eq!(parquet_int(&lake, &tags, true, deleted), 1, "soft-deleted, kept");
    assert_eq!(report.stream("tags").unwrap().written.deleted, 1);
    assert_eq!(report.stream("users").unwrap().written.deleted, 1);
    assert_eq!(report.stream("customers").unwrap().written.deleted, 1);
    assert_eq!(report.stream("notes").unwrap().written.deleted, 1);

    // Hard deletes: another deleted note (a tombstone), and the vanished
    // rows of replace tables removed, soft-deleted earlier or not.
    sim.with_org(|o| {
        note_deleted(o);
        let tag = live_id(o, Kind::Tag, 0);
        assert!(o.delete(Kind::Tag, &tag));
        assert!(o.update(Kind::Conversation, &conv, |a| {
            a.insert("status".into(), "done".into());
        }));
    });
    let report = tee_run(&sim, &db, &lake, opts(true, &[])).await;
    assert_eq!(report.stream("notes").unwrap().written.deleted, 1);
    assert_eq!(report.stream("tags").unwrap().written.deleted, 2);
    assert_eq!(report.stream("users").unwrap().written.deleted, 1);
    let manifest = manifests(&lake).pop().unwrap();
    assert_eq!(manifest.tables["notes"].tombstones.len(), 1);
    assert_eq!(manifest.tables["tags"].tombstones.len(), 2);
    assert_eq!(parquet_int(&lake, &tags, true, deleted), 0, "removed");
    let live_tags = sim.with_org(|o| o.live_records(Kind::Tag).len()) as i64;
    assert_eq!(parquet_int(&lake, &tags, true, "SELECT count(*) FROM t"), live_tags);

    // Nothing new: nothing written; then one more version.
    tee_run(&sim, &db, &lake, opts(true, &[])).await;
    sim.with_org(|o| {
        assert!(o.update(Kind::Conversation, &conv, |a| {
            a.insert("status".into(), "open".into());
        }))
    });
    tee_run(&sim, &db, &lake, opts(true, &[])).await;
    let history = TableDef {
        name: "conversation_history".into(),
        columns: vec![
            kustomer::models::Column::required("id", kustomer::models::LogicalType::Text),
            kustomer::models::Column::required("_valid_from", kustomer::models::LogicalType::Timestamp),
        ],
        primary_key: vec!["id".into(), "_valid_from".into()],
        parent: None,
    };
    assert_eq!(
        parquet_int(
            &lake,
            &history,
            true,
            &format!("SELECT count(*) FROM t WHERE id = '{conv}'")
        ),
        4,
        "four versions of the conversation"
    );
    assert_eq!(
        parquet_int(
            &lake,
            &history,
            true,
            &format!("SELECT count(*) FROM t WHERE id = '{conv}' AND _is_current AND _valid_to IS NULL")
        ),
        1
    );
    // Child versions: the conversation's tags once per version.
    let tag_history = TableDef {
        name: "conversation_history_tags".into(),
        parent: Some(kustomer::models::ParentKey {
            table: "conversations".into(),
            column: "conversation_id".into(),
        }),
        ..history.clone()
    };
    let tags_now = sim.with_org(|o| {
        o.get(Kind::Conversation, &conv).unwrap()["attributes"]["tags"]
            .as_array()
            .unwrap()
            .len()
    }) as i64;
    assert_eq!(
        parquet_int(
            &lake,
            &tag_history,
            true,
            &format!("SELECT count(*) FROM t WHERE conversation_id = '{conv}'")
        ),
        4 * tags_now
    );
    assert_eq!(
        parquet_int(
            &lake,
            &tag_history,
            true,
            &format!("SELECT count(*) FROM t WHERE conversation_id = '{conv}' AND _is_current")
        ),
        tags_now
    );
    sim.shutdown().await;
}

/// A small parent table with one child table, for writes by hand.
fn things(extra: bool) -> std::sync::Arc<StreamTables> {
    use kustomer::models::{Column, ParentKey};
    let mut columns = vec![
        Column::required("id", LogicalType::Text),
        Column::new("name", LogicalType::Text),
        Column::new("updated_at", LogicalType::Timestamp),
        Column::new("doc", LogicalType::Json),
    ];
    if extra {
        columns.push(Column::new("custom_size", LogicalType::Double));
    }
    let parent = TableDef {
        name: "things".into(),
        columns,
        primary_key: vec!["id".into()],
        parent: None,
    };
    let child = TableDef {
        name: "thing_tags".into(),
        columns: vec![
            Column::required("thing_id", LogicalType::Text),
            Column::required("_position", LogicalType::BigInt),
            Column::new("tag", LogicalType::Text),
        ],
        primary_key: vec!["thing_id".into(), "_position".into()],
        parent: Some(ParentKey {
            table: "things".into(),
            column: "thing_id".into(),
        }),
    };
    std::sync::Arc::new(StreamTables::new(parent, vec![child]).with_system_columns())
}

fn thing(id: &str, updated_secs: i64, size: Option<f64>, tags: &[&str]) -> FlatRecord {
    let at = chrono::DateTime::from_timestamp(1_700_000_000 + updated_secs, 0).unwrap();
    let mut row = vec![
        Cell::Text(id.into()),
        Cell::Text(format!("{id} v{updated_secs}")),
        Cell::Timestamp(at),
        Cell::Json(format!("{{\"v\": {updated_secs}}}")),
    ];
    if let Some(s) = size {
        row.push(Cell::Float(s));
    }
    row.extend([Cell::Bool(false), Cell::Null, Cell::Timestamp(at)]);
    let children = vec![tags
        .iter()
        .enumerate()
        .map(|(i, t)| vec![Cell::Text(id.into()), Cell::Int(i as i64), Cell::Text((*t).into())])
        .collect()];
    FlatRecord {
        id: id.into(),
        row,
        children,
    }
}

#[test]
fn new_columns_start_a_new_file_and_older_copies_never_win() {
    let dir = tempfile::tempdir().unwrap();
    let mut dest = ParquetDestination::open(dir.path()).unwrap();
    let (narrow, wide) = (things(false), things(true));
    dest.prepare(&narrow).unwrap();
    let mut batch = WriteBatch::new(
        "things",
        narrow.clone(),
        vec![thing("a", 1, None, &["x", "y"]), thing("b", 1, None, &["z"])],
    );
    batch.bookmark = Some("1".into());
    let stats = dest.write(batch).unwrap();
    assert_eq!((stats.inserted, stats.updated, stats.child_rows), (2, 0, 3));

    // The table gains a column mid-run: the next rows go to a new file.
    let mut batch = WriteBatch::new(
        "things",
        wide.clone(),
        vec![thing("a", 2, Some(1.5), &["x"]), thing("c", 2, Some(2.5), &[])],
    );
    batch.newest_wins = true;
    let stats = dest.write(batch).unwrap();
    assert_eq!((stats.inserted, stats.updated, stats.child_rows), (1, 1, 1));

    // An older copy (a late webhook, say) changes nothing, children included.
    let mut batch = WriteBatch::new("things", wide.clone(), vec![thing("a", 1, Some(9.0), &["old"])]);
    batch.newest_wins = true;
    let stats = dest.write(batch).unwrap();
    assert_eq!((stats.inserted, stats.updated), (0, 0));
    assert_eq!(dest.row_count("things").unwrap(), 3);
    assert_eq!(dest.row_count("thing_tags").unwrap(), 2);
    dest.finish().unwrap();

    let m = manifests(dir.path()).pop().unwrap();
    let files: Vec<&str> = m.tables["things"].files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        files,
        [
            format!("things/{}-0.parquet", m.run_id),
            format!("things/{}-1.parquet", m.run_id)
        ]
    );
    assert_eq!(m.bookmarks.get("things").map(String::as_str), Some("1"));
    let schema = |path: &str| {
        let f = std::fs::File::open(dir.path().join(path)).unwrap();
        ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
            .unwrap()
            .schema()
            .clone()
    };
    assert!(schema(files[0]).field_with_name("custom_size").is_err());
    assert!(schema(files[1]).field_with_name("custom_size").is_ok());

    // Current state: a's second version (with its one tag), b without the new column, c.
    let expect = |r: FlatRecord| -> Vec<support::Cmp> { r.row.iter().map(support::cmp_cell).collect() };
    let mut want = vec![
        expect(thing("a", 2, Some(1.5), &[])),
        expect(thing("b", 1, None, &[])),
        expect(thing("c", 2, Some(2.5), &[])),
    ];
    // b was written before the column existed: NULL there.
    want[1].insert(4, support::Cmp::Null);
    want.sort();
    assert_eq!(parquet_rows(dir.path(), &wide.parent, false), want);
    let tags = parquet_rows(dir.path(), &wide.children[0], false);
    let tag_names: Vec<&support::Cmp> = tags.iter().map(|r| &r[2]).collect();
    assert_eq!(
        tag_names,
        [&support::Cmp::Text("x".into()), &support::Cmp::Text("z".into())]
    );

    // A new process reads the same state back into its index.
    let mut dest = ParquetDestination::open(dir.path()).unwrap();
    dest.prepare(&wide).unwrap();
    assert_eq!(dest.row_count("things").unwrap(), 3);
    assert_eq!(dest.row_count("thing_tags").unwrap(), 2);
    let mut batch = WriteBatch::new("things", wide.clone(), vec![thing("a", 1, Some(0.0), &[])]);
    batch.newest_wins = true;
    assert_eq!(dest.write(batch).unwrap(), WriteStats::default());
}
