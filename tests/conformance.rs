//! One conformance suite, run against every destination: the same sync
//! scenario (initial load with history, updates, inserts and soft deletes,
//! schema evolution, a run failing midway and its resumption, hard deletes,
//! a re-sync after a purge) gives the same logical rows in DuckDB,
//! PostgreSQL and Delta Lake (on local disk and on S3).
//!
//! The scenario is defined once ([`steps`]): each step changes the
//! simulator, then runs one sync with its options. Each destination gets its
//! own simulator started from the same [`SimConfig`] (same seed, same
//! mutations, so the same source data; the org clock moves only with
//! mutations) and runs every step. After each step the suite reads every
//! table of every stream run so far (the names come from the runs'
//! [`RunReport`]s, so new klass tables count too) as *logical rows*:
//!
//! - parent tables: live rows and soft-deleted rows (`_deleted = true`);
//!   hard-deleted rows are absent;
//! - child, detail, klass and history tables: the rows current with their
//!   parent;
//! - `_synced_at` and `_deleted_at` reduced to set / not set: they hold the
//!   wall clock of the run that wrote them, which differs between two runs.
//!
//! DuckDB is the reference: after every successful step its tables equal the
//! simulator's data (`assert_destination_equals_simulator`), and the other
//! destinations' logical rows, bookmarks ([`Destination::bookmark`] of every
//! stream), parent ids ([`Destination::ids`]) and the run's report (per
//! stream: records, inserted, updated, deleted, child rows) must equal
//! DuckDB's, table by table.
//!
//! Differences the comparison normalizes (each documented where it is made):
//! - PostgreSQL's `jsonb` stores JSON parsed (key order, whitespace,
//!   duplicate keys): every destination's JSON is compared parsed
//!   ([`Cmp::Json`] is canonical JSON).
//! - Not the destinations' doing, but the engine's timing: how many batches
//!   the failed run committed before failing (the engine groups batches that
//!   queue up while the destination is busy), and how many second copies a
//!   first load (lists and search both bring recent records) writes as
//!   updates. So a failed run's state is compared exactly when the same
//!   prefix was committed, else row by row against the states around it; a
//!   full read's report, by rows inserted and deleted.
//!
//! PostgreSQL runs on the server of `KUSTOMER_TEST_PG` (`.ci/postgres.sh`
//! starts one) or of 127.0.0.1:5432, in a schema of its own; without either
//! its test prints "skipped: …" and passes.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kustomer::models::TableDef;
use kustomer::sync::dest::delta::DeltaDestination;
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::dest::{Destination, IdQuery, StreamTables, WriteBatch, WriteStats, DELETED_AT, SYNCED_AT};
use kustomer::sync::{Engine, Mode, SyncError, SyncOptions};
use kustomer::RunReport;
use kustomer_sim::{Kind, Org, OrgSize, SimConfig, Simulator};
use serde_json::json;
use support::pg::{pg_rows, PgSchema};
use support::{assert_destination_equals_simulator_except, db_rows, sim_client, Cmp};

// ---------------------------------------------------------------- scenario

/// The source every destination syncs: a tiny org (same seed every time).
fn org() -> SimConfig {
    SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    }
}

/// The streams the scenario syncs (each with its child, detail, klass and
/// history tables): every entity the simulator comparison knows.
const STREAMS: [&str; 11] = [
    "customers",
    "conversations",
    "messages",
    "notes",
    "companies",
    "kobjects",
    "users",
    "teams",
    "tags",
    "shortcuts",
    "klasses",
];

/// The options of every step unless it says otherwise: history on, small
/// search pages (so a stream writes several batches).
fn base() -> SyncOptions {
    SyncOptions::default()
        .with_tables(STREAMS)
        .with_history(true)
        .with_search_page_size(10)
}

/// One step: change the source, then run one sync.
struct Step {
    name: &'static str,
    /// Changes the source; returns the ids of records purged for good.
    change: fn(&mut Org) -> Vec<String>,
    options: fn() -> SyncOptions,
    /// The destination fails its write after this many successful ones.
    fail_after: Option<usize>,
}

/// Conversations changed before the run that fails.
const CHANGED_BEFORE_FAILURE: usize = 24;

fn live_id(o: &Org, kind: Kind, n: usize) -> String {
    o.live_records(kind)[n]["id"].as_str().unwrap().to_owned()
}

fn steps() -> Vec<Step> {
    vec![
        Step {
            name: "1 initial load with history",
            change: |_| Vec::new(),
            options: base,
            fail_after: None,
        },
        Step {
            name: "2 updates, inserts and soft deletes",
            change: |o| {
                for i in 0..3 {
                    let id = live_id(o, Kind::Customer, i);
                    assert!(o.update(Kind::Customer, &id, |a| {
                        a.insert("name".into(), json!(format!("Renamed customer {i}")));
                    }));
                }
                for i in 0..3 {
                    let id = live_id(o, Kind::Conversation, i);
                    assert!(o.update(Kind::Conversation, &id, |a| {
                        a.insert("status".into(), json!("done"));
                    }));
                }
                // A conversation losing its tags: its child rows are replaced by none.
                let tagged = o
                    .live_records(Kind::Conversation)
                    .iter()
                    .find(|c| c["attributes"]["tags"].as_array().is_some_and(|t| !t.is_empty()))
                    .map(|c| c["id"].as_str().unwrap().to_owned())
                    .expect("a tagged conversation");
                assert!(o.update(Kind::Conversation, &tagged, |a| {
                    a.insert("tags".into(), json!([]));
                }));
                o.insert(Kind::Customer);
                o.insert(Kind::Customer);
                o.insert(Kind::Conversation);
                let conv = live_id(o, Kind::Conversation, 4);
                o.insert_into(Kind::Message, &conv).expect("a new message");
                o.insert_into(Kind::Note, &conv).expect("a new note");
                // Soft deletes: search returns them flagged; the tag leaves its list.
                let gone = [
                    (Kind::Customer, live_id(o, Kind::Customer, 5)),
                    (Kind::Conversation, live_id(o, Kind::Conversation, 6)),
                    (Kind::Message, live_id(o, Kind::Message, 0)),
                    (Kind::Note, live_id(o, Kind::Note, 0)),
                    (Kind::Tag, live_id(o, Kind::Tag, 0)),
                ];
                for (kind, id) in gone {
                    assert!(o.delete(kind, &id), "{kind:?} {id}");
                }
                Vec::new()
            },
            options: base,
            fail_after: None,
        },
        Step {
            name: "3 schema evolution: new custom attributes and a new klass",
            change: |o| {
                assert_eq!(o.add_custom_attribute(Kind::Customer, "loyaltyPointsNum", 5).len(), 5);
                assert_eq!(
                    o.add_custom_attribute(Kind::Conversation, "escalationReasonStr", 4)
                        .len(),
                    4
                );
                // A column more in an existing klass table (a child table of kobjects).
                let klass = o.live_records(Kind::Klass)[0]["attributes"]["name"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                assert_eq!(o.add_klass_attribute(&klass, "priorityNum", 3).len(), 3);
                o.add_klass("returns-portal.return", 7);
                Vec::new()
            },
            options: base,
            fail_after: None,
        },
        Step {
            name: "4 a run failing midway",
            change: |o| {
                for i in 0..CHANGED_BEFORE_FAILURE {
                    let id = live_id(o, Kind::Conversation, i);
                    assert!(o.update(Kind::Conversation, &id, |a| {
                        a.insert("status".into(), json!("snoozed"));
                    }));
                }
                Vec::new()
            },
            // One stream, so its records reach the destination in one order
            // (the keyset pages'), whichever destination: what a failure
            // leaves committed is a prefix of it. (How long a prefix depends
            // on timing: the engine groups batches that queue up while the
            // destination is busy into one write.)
            options: || base().with_tables(["conversations"]).with_search_page_size(3),
            fail_after: Some(1),
        },
        Step {
            name: "5 the resumed run",
            change: |_| Vec::new(),
            options: base,
            fail_after: None,
        },
        Step {
            name: "6 hard deletes",
            // (The Conversation, Message and KObject models have no `deleted`
            // or `deletedAt` yet: those three land as updates, not deleted,
            // alike in every destination.)
            change: |o| {
                let gone = [
                    (Kind::Customer, live_id(o, Kind::Customer, 1)),
                    (Kind::Conversation, live_id(o, Kind::Conversation, 2)),
                    (Kind::Message, live_id(o, Kind::Message, 1)),
                    (Kind::Note, live_id(o, Kind::Note, 1)),
                    (Kind::KObject, live_id(o, Kind::KObject, 0)),
                    (Kind::Tag, live_id(o, Kind::Tag, 0)),
                    (Kind::User, live_id(o, Kind::User, 1)),
                ];
                for (kind, id) in gone {
                    assert!(o.delete(kind, &id), "{kind:?} {id}");
                }
                Vec::new()
            },
            options: || base().with_hard_delete(true),
            fail_after: None,
        },
        Step {
            name: "7 a re-sync of customers after a purge",
            change: |o| {
                let id = live_id(o, Kind::Customer, 2);
                assert!(o.purge(Kind::Customer, &id));
                vec![id]
            },
            options: || base().with_resync(["customers"]),
            fail_after: None,
        },
    ]
}

// ------------------------------------------------------------ destinations

/// Fails `write` once `writes_left` writes went through (like a full disk),
/// delegating everything else.
struct FailAfter<D: Destination> {
    inner: D,
    writes_left: usize,
}

impl<D: Destination> Destination for FailAfter<D> {
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        self.inner.prepare(tables)
    }
    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        self.inner.bookmark(stream)
    }
    fn reset(&mut self, stream: &str) -> Result<(), SyncError> {
        self.inner.reset(stream)
    }
    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        if self.writes_left == 0 {
            return Err(SyncError::Destination("injected: disk full".into()));
        }
        self.writes_left -= 1;
        self.inner.write(batch)
    }
    fn row_count(&mut self, table: &str) -> Result<u64, SyncError> {
        self.inner.row_count(table)
    }
    fn finish(&mut self) -> Result<(), SyncError> {
        self.inner.finish()
    }
    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        self.inner.ids(table, query)
    }
}

/// What a run showed its destination: the definition of every table, and
/// the stats of every write that succeeded, per stream.
#[derive(Default)]
struct Seen {
    defs: BTreeMap<String, TableDef>,
    written: BTreeMap<String, WriteStats>,
}

/// Notes what passes through (shared, so it survives a failed run, whose
/// destination the engine drops).
struct Recording<D: Destination> {
    inner: D,
    seen: Arc<Mutex<Seen>>,
}

impl<D: Destination> Recording<D> {
    fn note(&self, tables: &StreamTables) {
        let mut seen = self.seen.lock().unwrap();
        for def in tables.all() {
            seen.defs.insert(def.name.clone(), def.clone());
        }
    }
}

impl<D: Destination> Destination for Recording<D> {
    fn prepare(&mut self, tables: &StreamTables) -> Result<(), SyncError> {
        self.note(tables);
        self.inner.prepare(tables)
    }
    fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> {
        self.inner.bookmark(stream)
    }
    fn reset(&mut self, stream: &str) -> Result<(), SyncError> {
        self.inner.reset(stream)
    }
    fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
        self.note(&batch.tables);
        for c in &batch.companions {
            self.note(&c.tables);
        }
        let stream = batch.stream.clone();
        let stats = self.inner.write(batch)?;
        *self.seen.lock().unwrap().written.entry(stream).or_default() += stats;
        Ok(stats)
    }
    fn row_count(&mut self, table: &str) -> Result<u64, SyncError> {
        self.inner.row_count(table)
    }
    fn finish(&mut self) -> Result<(), SyncError> {
        self.inner.finish()
    }
    fn ids(&mut self, table: &str, query: &IdQuery) -> Result<Vec<String>, SyncError> {
        self.inner.ids(table, query)
    }
}

/// A destination under test, opened each run through `dest::open` with the
/// `--dest` form the sync example takes.
enum Target {
    DuckDb(PathBuf),
    Postgres(PgSchema),
    /// A `delta:///…` or `s3://…` location.
    Delta(String),
}

impl Target {
    fn name(&self) -> &'static str {
        match self {
            Target::DuckDb(_) => "DuckDB",
            Target::Postgres(_) => "PostgreSQL",
            Target::Delta(_) => "Delta",
        }
    }

    /// The `--dest` value.
    fn spec(&self) -> String {
        match self {
            Target::DuckDb(path) => path.to_string_lossy().into_owned(),
            Target::Postgres(pg) => pg.url(),
            Target::Delta(spec) => spec.clone(),
        }
    }

    fn open(&self) -> Box<dyn Destination> {
        kustomer::sync::dest::open(&self.spec()).unwrap_or_else(|e| panic!("{}: {e}", self.name()))
    }

    /// Every table's logical rows (see the module docs), unmasked.
    fn rows(&self, defs: &[&TableDef]) -> BTreeMap<String, Vec<Vec<Cmp>>> {
        match self {
            Target::DuckDb(path) => {
                let db = DuckDbDestination::open(path).unwrap();
                defs.iter().map(|d| (d.name.clone(), db_rows(&db, d))).collect()
            }
            Target::Postgres(pg) => defs
                .iter()
                .map(|d| (d.name.clone(), pg_rows(&pg.server, &pg.schema, d, "true")))
                .collect(),
            Target::Delta(spec) => {
                let mut lake = DeltaDestination::open(spec).unwrap();
                defs.iter()
                    .map(|d| (d.name.clone(), db_rows(&lake.read_table(&d.name).unwrap(), d)))
                    .collect()
            }
        }
    }
}

// ---------------------------------------------------------------- snapshots

/// A run's report in comparable form: per stream, records and what was written.
type Written = BTreeMap<String, (u64, WriteStats)>;

/// What a destination holds after one step.
#[derive(Debug)]
struct Snapshot {
    step: &'static str,
    /// The run's error (the failing step), if any.
    error: Option<String>,
    /// The run's report; `None` when it failed.
    report: Option<Written>,
    /// Incremental streams this run read in full (a first load, a re-sync).
    full_reads: BTreeSet<String>,
    /// The stats of the writes that succeeded, per stream (a failed run's too).
    committed: BTreeMap<String, WriteStats>,
    /// Every table of the streams run so far: its logical rows, sorted.
    tables: BTreeMap<String, Vec<Vec<Cmp>>>,
    /// Their columns (as the runs defined them).
    columns: BTreeMap<String, Vec<String>>,
    /// Every stream's stored bookmark.
    bookmarks: BTreeMap<String, Option<String>>,
    /// [`Destination::ids`] of every incremental stream's parent table, sorted.
    ids: BTreeMap<String, Vec<String>>,
}

/// `_synced_at` and `_deleted_at` as set / not set: wall-clock instants.
fn logical(def: &TableDef, mut rows: Vec<Vec<Cmp>>) -> Vec<Vec<Cmp>> {
    let clocks: Vec<usize> = [SYNCED_AT, DELETED_AT]
        .iter()
        .filter_map(|c| def.column_index(c))
        .collect();
    if !clocks.is_empty() {
        for r in &mut rows {
            for &i in &clocks {
                r[i] = Cmp::Bool(r[i] != Cmp::Null);
            }
        }
        rows.sort();
    }
    rows
}

fn written(report: &RunReport) -> Written {
    report
        .streams
        .iter()
        .map(|s| (s.name.clone(), (s.records, s.written)))
        .collect()
}

/// Runs every step against `target` (its own simulator), returning what it
/// holds after each. Against DuckDB, also checks the simulator's data.
async fn run_scenario(target: &Target) -> Vec<Snapshot> {
    let started = Instant::now();
    let sim = Simulator::start(org()).await.unwrap();
    let mut defs: BTreeMap<String, TableDef> = BTreeMap::new();
    let mut tables: BTreeSet<String> = BTreeSet::new();
    let mut streams: BTreeSet<String> = BTreeSet::new();
    // The parent tables of incremental streams.
    let mut parents: BTreeSet<String> = BTreeSet::new();
    let mut purged: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for step in steps() {
        purged.extend(sim.with_org(step.change));
        let options = (step.options)();
        let had_bookmark = |stream: &str| {
            out.last()
                .is_some_and(|s: &Snapshot| s.bookmarks.get(stream).is_some_and(Option::is_some))
        };
        let seen = Arc::new(Mutex::new(Seen::default()));
        let dest = Recording {
            inner: FailAfter {
                inner: target.open(),
                writes_left: step.fail_after.unwrap_or(usize::MAX),
            },
            seen: seen.clone(),
        };
        let result = Engine::new(sim_client(&sim), options.clone()).run(dest).await;
        let mut full_reads = BTreeSet::new();
        let (report, error) = match result {
            Ok((report, dest)) => {
                drop(dest);
                assert!(
                    report.is_success(),
                    "{}, step {}: {report:#?}",
                    target.name(),
                    step.name
                );
                assert!(
                    step.fail_after.is_none(),
                    "{}, step {}: the run did not fail",
                    target.name(),
                    step.name
                );
                for s in &report.streams {
                    streams.insert(s.name.clone());
                    tables.extend(s.tables.iter().cloned());
                    if s.mode != Some(Mode::Update) {
                        continue;
                    }
                    parents.insert(s.tables[0].clone());
                    if !had_bookmark(&s.name) || options.resyncs(&s.name) {
                        full_reads.insert(s.name.clone());
                    }
                }
                (Some(written(&report)), None)
            }
            Err(e) => {
                let e = e.to_string();
                assert!(
                    step.fail_after.is_some() && e.contains("injected"),
                    "{}, step {}: {e}",
                    target.name(),
                    step.name
                );
                (None, Some(e))
            }
        };
        let Seen {
            defs: new_defs,
            written: committed,
        } = std::mem::take(&mut *seen.lock().unwrap());
        defs.extend(new_defs);

        let read: Vec<&TableDef> = tables
            .iter()
            .map(|t| defs.get(t).unwrap_or_else(|| panic!("no definition of {t}")))
            .collect();
        let rows = target
            .rows(&read)
            .into_iter()
            .map(|(name, rows)| {
                let rows = logical(&defs[&name], rows);
                (name, rows)
            })
            .collect();
        let (bookmarks, ids) = {
            let mut dest = target.open();
            let bookmarks = streams.iter().map(|s| (s.clone(), dest.bookmark(s).unwrap())).collect();
            let ids = parents
                .iter()
                .map(|t| {
                    let mut ids = dest.ids(t, &IdQuery::default()).unwrap();
                    ids.sort();
                    (t.clone(), ids)
                })
                .collect();
            (bookmarks, ids)
        };
        if let (Target::DuckDb(path), None) = (target, &error) {
            let db = DuckDbDestination::open(path).unwrap();
            assert_destination_equals_simulator_except(&db, &sim, &purged);
            // A purged record that a re-sync no longer finds is marked deleted.
            for id in &purged {
                let n: i64 = db
                    .connection()
                    .query_row("SELECT count(*) FROM customers WHERE id = ? AND _deleted", [id], |r| {
                        r.get(0)
                    })
                    .unwrap();
                assert_eq!(n, 1, "step {}: purged customer {id}", step.name);
            }
        }
        out.push(Snapshot {
            step: step.name,
            error,
            report,
            full_reads,
            committed,
            tables: rows,
            columns: read
                .iter()
                .map(|d| (d.name.clone(), d.columns.iter().map(|c| c.name.clone()).collect()))
                .collect(),
            bookmarks,
            ids,
        });
    }
    sim.shutdown().await;
    let rows: usize = out.last().unwrap().tables.values().map(Vec::len).sum();
    eprintln!(
        "conformance: {} ran {} steps in {:.1} s ({} tables, {rows} rows at the end)",
        target.name(),
        out.len(),
        started.elapsed().as_secs_f64(),
        tables.len()
    );
    out
}

/// DuckDB's snapshots, computed once per process (every test compares with them).
static REFERENCE: tokio::sync::OnceCell<Vec<Snapshot>> = tokio::sync::OnceCell::const_new();

async fn reference() -> &'static [Snapshot] {
    REFERENCE
        .get_or_init(|| async {
            let dir = tempfile::tempdir().unwrap();
            run_scenario(&Target::DuckDb(dir.path().join("kustomer.duckdb"))).await
        })
        .await
}

fn assert_same_tables(
    dest: &str,
    step: &str,
    want: &BTreeMap<String, Vec<Vec<Cmp>>>,
    got: &BTreeMap<String, Vec<Vec<Cmp>>>,
) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{dest}, step {step}: tables"
    );
    for (table, want) in want {
        let got = &got[table];
        if got != want {
            let missing = want.iter().filter(|r| !got.contains(r)).count();
            let extra = got.iter().filter(|r| !want.contains(r)).count();
            let first_missing = want.iter().find(|r| !got.contains(r));
            let first_extra = got.iter().find(|r| !want.contains(r));
            panic!(
                "{dest}, step {step}: table {table}: {} rows, DuckDB {} ({missing} missing, {extra} unexpected); \
                 first missing: {first_missing:?}; first unexpected: {first_extra:?}",
                got.len(),
                want.len()
            );
        }
    }
}

/// Asserts that a destination holds what DuckDB holds: the logical rows of
/// every table, every stream's bookmark, the ids `Destination::ids` lists.
fn assert_same_state(dest: &str, step: &str, want: &Snapshot, got: &Snapshot) {
    assert_same_tables(dest, step, &want.tables, &got.tables);
    assert_eq!(got.bookmarks, want.bookmarks, "{dest}, step {step}: bookmarks");
    assert_eq!(got.ids, want.ids, "{dest}, step {step}: ids");
}

/// Asserts that every row of `got` is one of `before`'s or `after`'s, table
/// by table: a failed run left nothing half-written.
fn assert_between(dest: &str, step: &str, before: &Snapshot, after: &Snapshot, got: &Snapshot) {
    for (table, rows) in &got.tables {
        let stray = rows
            .iter()
            .filter(|r| !before.tables[table].contains(r) && !after.tables[table].contains(r))
            .count();
        let first = rows
            .iter()
            .find(|r| !before.tables[table].contains(r) && !after.tables[table].contains(r));
        assert_eq!(
            stray, 0,
            "{dest}, step {step}: table {table}: rows neither before nor after the failed run, first: {first:?}"
        );
    }
}

/// Asserts that a run's report gives DuckDB's: per stream, what it wrote
/// plus `carry` (what a failed run before it had committed).
fn assert_same_report(
    dest: &str,
    (w, w_carry): (&Snapshot, &BTreeMap<String, WriteStats>),
    (g, g_carry): (&Snapshot, &BTreeMap<String, WriteStats>),
) {
    let step = w.step;
    let (Some(wr), Some(gr)) = (&w.report, &g.report) else {
        panic!("{dest}, step {step}: no report")
    };
    assert_eq!(gr.keys().collect::<Vec<_>>(), wr.keys().collect::<Vec<_>>());
    assert_eq!(g.full_reads, w.full_reads, "{dest}, step {step}: first loads");
    let total = |s: WriteStats, carry: &BTreeMap<String, WriteStats>, stream: &str| {
        let mut s = s;
        if let Some(c) = carry.get(stream) {
            s += *c;
        }
        s
    };
    for (stream, &(w_records, w_written)) in wr {
        let (g_records, g_written) = gr[stream];
        let (w_total, g_total) = (total(w_written, w_carry, stream), total(g_written, g_carry, stream));
        if w.full_reads.contains(stream) {
            // A full read gets records updated after its hand-over instant
            // from the lists and from search; whether the second copy lands
            // in a write of its own (counted updated, its child rows again)
            // or is folded into the first copy's (the engine groups batches
            // that queue up while the destination is busy) depends on
            // timing. Which rows land does not.
            assert_eq!(
                (g_total.inserted, g_total.deleted),
                (w_total.inserted, w_total.deleted),
                "{dest}, step {step}: stream {stream} (a full read) inserted and deleted"
            );
        } else {
            assert_eq!(g_total, w_total, "{dest}, step {step}: stream {stream} written");
            if w_carry.is_empty() && g_carry.is_empty() {
                assert_eq!(g_records, w_records, "{dest}, step {step}: stream {stream} records");
            }
        }
    }
}

/// Asserts that `got` (a destination's snapshots) equals DuckDB's, step by
/// step.
fn assert_conforms(dest: &str, want: &[Snapshot], got: &[Snapshot]) {
    assert_eq!(got.len(), want.len());
    let none = BTreeMap::new();
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        let step = w.step;
        assert_eq!(
            g.error.is_some(),
            w.error.is_some(),
            "{dest}, step {step}: {:?}",
            g.error
        );
        if w.error.is_some() {
            if g.committed == w.committed {
                // The same prefix of the run committed: the same state.
                assert_same_state(dest, step, w, g);
            } else {
                eprintln!(
                    "conformance: {dest}, step {step}: the failed run committed {:?}, DuckDB's {:?}: compared with the states around it",
                    g.committed, w.committed
                );
                assert_between(dest, step, &want[i - 1], &want[i + 1], g);
            }
            continue;
        }
        assert_same_state(dest, step, w, g);
        // After a failed run: what it committed counts with the resumed run.
        let resumed = i > 0 && want[i - 1].error.is_some();
        let w_carry = if resumed { &want[i - 1].committed } else { &none };
        let g_carry = if resumed { &got[i - 1].committed } else { &none };
        assert_same_report(dest, (w, w_carry), (g, g_carry));
    }
}

// -------------------------------------------------------------------- tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duckdb_equals_the_simulator_after_every_step() {
    let snaps = reference().await;
    assert_eq!(snaps.len(), steps().len());
    let at = |step: usize| &snaps[step - 1];
    // The scenario does what it says (so the other destinations are
    // compared on something).
    let rows = |step: usize, table: &str| at(step).tables.get(table).map_or(0, Vec::len);
    assert!(rows(1, "conversation_history") > 0);
    assert!(rows(1, "conversation_history_tags") > 0);
    assert!(rows(1, "customer_emails") > 0);
    assert!(rows(1, "conversation_events") > 0);
    assert_eq!(rows(2, "kobject_returns_portal_return"), 0);
    let has = |step: usize, table: &str, column: &str| {
        at(step)
            .columns
            .get(table)
            .is_some_and(|c| c.iter().any(|c| c == column))
    };
    for (table, column) in [
        ("customers", "custom_loyalty_points_num"),
        ("conversations", "custom_escalation_reason_str"),
        ("conversation_history", "custom_escalation_reason_str"),
    ] {
        assert!(!has(2, table, column) && has(3, table, column), "{table}.{column}");
    }
    assert!(at(3)
        .columns
        .iter()
        .any(|(t, c)| t.starts_with("kobject_") && c.iter().any(|c| c == "custom_priority_num")));
    assert_eq!(rows(3, "kobject_returns_portal_return"), 7);
    let s = |step: usize, stream: &str| at(step).report.as_ref().unwrap()[stream].1;
    assert_eq!(s(2, "customers").inserted, 2);
    assert!(s(2, "customers").deleted >= 1);
    assert!(s(2, "tags").deleted >= 1);
    assert!(s(2, "notes").deleted >= 1);
    // The failed run committed some of its batches, no more.
    assert!(at(4).error.is_some());
    let failed = &at(4).committed["conversations"];
    let changed = CHANGED_BEFORE_FAILURE as u64;
    assert!(failed.updated > 0 && failed.updated < changed, "{failed:?}");
    assert_ne!(at(4).bookmarks["conversations"], at(3).bookmarks["conversations"]);
    assert_ne!(at(4).tables["conversations"], at(3).tables["conversations"]);
    assert_ne!(at(4).tables["conversations"], at(5).tables["conversations"]);
    assert_between("DuckDB", at(4).step, at(3), at(5), at(4));
    assert_eq!(s(5, "conversations").updated + failed.updated, changed);
    for stream in ["customers", "notes", "users"] {
        assert_eq!(s(6, stream).deleted, 1, "{stream}");
    }
    // The tag deleted now and the one soft-deleted in step 2 are removed.
    assert_eq!(s(6, "tags").deleted, 2);
    // The purged customer, marked by the re-sync (checked by id above).
    assert!(s(7, "customers").deleted >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_gives_duckdbs_rows_after_every_step() {
    let Some(pg) = PgSchema::new("conformance") else { return };
    let want = reference().await;
    let got = run_scenario(&Target::Postgres(pg)).await;
    assert_conforms("PostgreSQL", want, &got);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_gives_duckdbs_rows_after_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let want = reference().await;
    let got = run_scenario(&Target::Delta(format!("delta://{}", dir.path().join("lake").display()))).await;
    assert_conforms("Delta", want, &got);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_on_s3_gives_duckdbs_rows_after_every_step() {
    let Some(bucket) = support::s3::bucket("conformance") else {
        return;
    };
    let want = reference().await;
    let got = run_scenario(&Target::Delta(format!("{bucket}/lake"))).await;
    assert_conforms("Delta on S3", want, &got);
}
