//! The sync options, end to end against the simulator, asserting on the
//! destination's rows: modes and the run report, deletes (soft and hard,
//! replace and update tables), history, selection, hashing, re-sync, start
//! date, usage ceiling and resolved-only conversations.

mod support;

use chrono::{DateTime, Utc};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::{Engine, Mode, RunReport, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::sim_client;

fn org() -> SimConfig {
    SimConfig {
        size: OrgSize {
            customers: 40,
            conversations: 80,
            messages: 240,
            notes: 60,
            companies: 8,
            kobjects: 30,
            users: 8,
            teams: 3,
            tags: 10,
            shortcuts: 5,
            klasses: 2,
        },
        ..SimConfig::default()
    }
}

struct Fixture {
    sim: Simulator,
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Fixture {
    async fn new() -> Fixture {
        let sim = Simulator::start(org()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.duckdb");
        Fixture { sim, _dir: dir, path }
    }

    /// One run with `options`; asserts it succeeded.
    async fn run(&self, options: SyncOptions) -> (RunReport, DuckDbDestination) {
        let dest = DuckDbDestination::open(&self.path).unwrap();
        let (report, dest) = Engine::new(sim_client(&self.sim), options).run(dest).await.unwrap();
        assert!(report.is_success(), "{report:#?}");
        (report, dest)
    }
}

fn tables(names: &[&str]) -> SyncOptions {
    SyncOptions::default()
        .with_tables(names.iter().copied())
        .with_search_page_size(50)
}

fn int(dest: &DuckDbDestination, sql: &str) -> i64 {
    dest.connection()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn text(dest: &DuckDbDestination, sql: &str) -> Option<String> {
    dest.connection()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn columns(dest: &DuckDbDestination, table: &str) -> Vec<String> {
    let mut stmt = dest
        .connection()
        .prepare("SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position")
        .unwrap();
    let rows = stmt.query_map([table], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

fn table_exists(dest: &DuckDbDestination, table: &str) -> bool {
    !columns(dest, table).is_empty()
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    &v["attributes"][name]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_and_the_run_report() {
    let f = Fixture::new().await;
    let (report, dest) = f.run(tables(&["customers", "tags", "audit_logs"])).await;
    let mode = |n: &str| report.stream(n).unwrap().mode;
    assert_eq!(mode("customers"), Some(Mode::Update));
    assert_eq!(mode("tags"), Some(Mode::Replace));
    assert_eq!(mode("audit_logs"), Some(Mode::Append));
    // Every live customer, and the deleted ones search returned (a first
    // load's GET lists never show deleted records).
    let customers = int(&dest, "SELECT count(*) FROM customers");
    assert!(customers >= f.sim.with_org(|o| o.live_records(Kind::Customer).len()) as i64);

    // One `_sync_runs` row per stream, with what the report says.
    let run_id = report.run_id();
    let row = |table: &str, col: &str| {
        int(
            &dest,
            &format!("SELECT {col} FROM _sync_runs WHERE run_id = '{run_id}' AND table_name = '{table}'"),
        )
    };
    assert_eq!(int(&dest, "SELECT count(*) FROM _sync_runs"), 3);
    assert_eq!(row("customers", "inserted"), customers);
    // A record both a list page and search bring (created before the first
    // load's split, changed after it) is inserted once, then updated.
    assert_eq!(
        row("customers", "updated"),
        report.stream("customers").unwrap().written.updated as i64
    );
    assert!(row("customers", "requests") >= 1);
    assert_eq!(
        row("customers", "requests") as u64,
        report.stream("customers").unwrap().client.requests
    );
    assert_eq!(row("customers", "throttled"), 0);
    assert_eq!(
        text(&dest, "SELECT mode FROM _sync_runs WHERE table_name = 'audit_logs'").as_deref(),
        Some("append")
    );
    assert_eq!(
        int(
            &dest,
            "SELECT count(*) FROM _sync_runs WHERE status = 'ok' AND finished_at >= started_at"
        ),
        3
    );
    // Requests are attributed to the stream that made them.
    let per_stream: u64 = report.streams.iter().map(|s| s.client.requests).sum();
    assert!(per_stream <= report.client.requests);
    // The printed summary has a line per stream.
    let summary = report.to_string();
    for s in ["customers", "tags", "audit_logs", "429"] {
        assert!(summary.contains(s), "{summary}");
    }
    drop(dest);

    // A second run appends its own rows; nothing changed, nothing written.
    let (report, dest) = f.run(tables(&["customers", "tags", "audit_logs"])).await;
    assert_eq!(int(&dest, "SELECT count(*) FROM _sync_runs"), 6);
    assert_eq!(report.stream("customers").unwrap().records, 0);
    assert_eq!(int(&dest, "SELECT count(*) FROM customers"), customers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_tables_mark_vanished_rows_and_hard_delete_removes_them() {
    let f = Fixture::new().await;
    let (_, dest) = f.run(tables(&["tags", "users"])).await;
    assert_eq!(int(&dest, "SELECT count(*) FROM tags WHERE _deleted"), 0);
    drop(dest);

    let (tag, user) = f.sim.with_org(|o| {
        let tag = o.ids(Kind::Tag)[0].clone();
        assert!(o.delete(Kind::Tag, &tag));
        let user = o.ids(Kind::User)[1].clone();
        assert!(o.delete(Kind::User, &user));
        (tag, user)
    });
    let (report, dest) = f.run(tables(&["tags", "users"])).await;
    assert_eq!(report.stream("tags").unwrap().written.deleted, 1);
    assert_eq!(
        int(
            &dest,
            &format!("SELECT count(*) FROM tags WHERE id = '{tag}' AND _deleted AND _deleted_at IS NOT NULL")
        ),
        1
    );
    assert_eq!(int(&dest, "SELECT count(*) FROM tags WHERE _deleted"), 1);
    let roles = int(
        &dest,
        &format!("SELECT count(*) FROM user_roles WHERE user_id = '{user}'"),
    );
    assert!(roles > 0, "the deleted user keeps its child rows while soft-deleted");
    assert_destination_equals_simulator_for_config(&dest, &f.sim);
    drop(dest);

    // Hard deletes: the vanished rows go, with their child rows.
    let opts = tables(&["tags", "users"]).with_hard_delete(true);
    let (report, dest) = f.run(opts).await;
    assert_eq!(report.stream("users").unwrap().written.deleted, 1);
    assert_eq!(int(&dest, &format!("SELECT count(*) FROM tags WHERE id = '{tag}'")), 0);
    assert_eq!(
        int(&dest, &format!("SELECT count(*) FROM users WHERE id = '{user}'")),
        0
    );
    assert_eq!(
        int(
            &dest,
            &format!("SELECT count(*) FROM user_roles WHERE user_id = '{user}'")
        ),
        0
    );
    let live_tags = f.sim.with_org(|o| o.live_records(Kind::Tag).len()) as i64;
    assert_eq!(int(&dest, "SELECT count(*) FROM tags"), live_tags);
}

fn assert_destination_equals_simulator_for_config(dest: &DuckDbDestination, sim: &Simulator) {
    for (table, kind) in [("tags", Kind::Tag), ("users", Kind::User)] {
        let live = sim.with_org(|o| o.live_records(kind).len()) as i64;
        assert_eq!(
            int(dest, &format!("SELECT count(*) FROM {table} WHERE NOT _deleted")),
            live,
            "{table}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_tables_follow_the_records_deleted_flags() {
    let f = Fixture::new().await;
    let (_, dest) = f.run(tables(&["notes"])).await;
    drop(dest);
    // Two deleted notes, one of them with user mentions (child rows).
    let (soft, hard) = f.sim.with_org(|o| {
        let ids = o.ids(Kind::Note);
        let with_mentions = ids
            .iter()
            .find(|id| {
                o.get(Kind::Note, id).is_some_and(|n| {
                    n["relationships"]["userMentions"]["data"]
                        .as_array()
                        .is_some_and(|m| !m.is_empty())
                })
            })
            .cloned()
            .expect("a note with mentions");
        let other = ids.iter().find(|id| **id != with_mentions).cloned().unwrap();
        assert!(o.delete(Kind::Note, &other));
        (other, with_mentions)
    });
    let (report, dest) = f.run(tables(&["notes"])).await;
    assert_eq!(report.stream("notes").unwrap().written.deleted, 1);
    let deleted_at = text(
        &dest,
        &format!(
            "SELECT strftime(_deleted_at, '%Y-%m-%dT%H:%M:%S') FROM notes WHERE id = '{soft}' AND _deleted AND deleted"
        ),
    );
    let wire = f.sim.with_org(|o| {
        attr(&o.get(Kind::Note, &soft).unwrap(), "deletedAt")
            .as_str()
            .unwrap()
            .to_owned()
    });
    assert_eq!(
        deleted_at.as_deref(),
        Some(&wire[..19]),
        "_deleted_at is the record's deletedAt"
    );
    drop(dest);

    f.sim.with_org(|o| assert!(o.delete(Kind::Note, &hard)));
    let mentions_before = {
        let dest = DuckDbDestination::open(&f.path).unwrap();
        int(
            &dest,
            &format!("SELECT count(*) FROM note_user_mentions WHERE note_id = '{hard}'"),
        )
    };
    assert!(mentions_before > 0);
    let opts = tables(&["notes"]).with_hard_delete(true);
    let (report, dest) = f.run(opts).await;
    assert_eq!(report.stream("notes").unwrap().written.deleted, 1);
    assert_eq!(
        int(&dest, &format!("SELECT count(*) FROM notes WHERE id = '{hard}'")),
        0
    );
    assert_eq!(
        int(
            &dest,
            &format!("SELECT count(*) FROM note_user_mentions WHERE note_id = '{hard}'")
        ),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_keeps_every_observed_version_with_contiguous_validity() {
    let f = Fixture::new().await;
    let opts = || tables(&["conversations"]).with_history(true);
    let conv = f.sim.with_org(|o| {
        o.ids(Kind::Conversation)
            .into_iter()
            .find(|id| {
                attr(&o.get(Kind::Conversation, id).unwrap(), "tags")
                    .as_array()
                    .is_some_and(|t| !t.is_empty())
            })
            .expect("a tagged conversation")
    });
    let (_, dest) = f.run(opts()).await;
    let total = f.sim.with_org(|o| o.records(Kind::Conversation).len()) as i64;
    assert_eq!(int(&dest, "SELECT count(*) FROM conversation_history"), total);
    drop(dest);

    for status in ["snoozed", "done"] {
        f.sim.with_org(|o| {
            assert!(o.update(Kind::Conversation, &conv, |a| {
                a.insert("status".into(), status.into());
            }))
        });
        let (report, dest) = f.run(opts()).await;
        assert_eq!(report.stream("conversations").unwrap().records, 1);
        drop(dest);
    }
    // A run with nothing new adds no version.
    let (_, dest) = f.run(opts()).await;

    let mut stmt = dest
        .connection()
        .prepare(&format!(
            "SELECT status, _valid_from::VARCHAR, _valid_to::VARCHAR, _is_current FROM conversation_history
             WHERE id = '{conv}' ORDER BY _valid_from"
        ))
        .unwrap();
    let versions: Vec<(String, String, Option<String>, bool)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(versions.len(), 3, "{versions:#?}");
    assert_eq!(versions[1].0, "snoozed");
    assert_eq!(versions[2].0, "done");
    for w in versions.windows(2) {
        assert_eq!(
            w[0].2.as_deref(),
            Some(w[1].1.as_str()),
            "validity is contiguous: {versions:#?}"
        );
        assert!(!w[0].3);
    }
    assert!(versions[2].3 && versions[2].2.is_none());
    // The current version equals the conversations row; other conversations have one version each.
    assert_eq!(
        int(&dest, "SELECT count(*) FROM conversation_history WHERE _is_current"),
        total
    );
    assert_eq!(int(&dest, "SELECT count(*) FROM conversation_history"), total + 2);
    // Child tables keep versions too: the tags of each of the three versions.
    let tags = int(
        &dest,
        &format!("SELECT count(*) FROM conversation_tags WHERE conversation_id = '{conv}'"),
    );
    assert!(tags > 0);
    assert_eq!(
        int(
            &dest,
            &format!("SELECT count(*) FROM conversation_history_tags WHERE conversation_id = '{conv}'")
        ),
        3 * tags
    );
    assert_eq!(
        int(
            &dest,
            &format!("SELECT count(*) FROM conversation_history_tags WHERE conversation_id = '{conv}' AND _is_current")
        ),
        tags
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluded_tables_and_columns_are_never_written() {
    let f = Fixture::new().await;
    let opts = tables(&["customers", "conversations", "messages"])
        .with_exclude_tables(["conversation_events", "customer_drafts", "messages"])
        .with_exclude_columns(["customers.name", "conversation_tags.tag_id"]);
    let before = f.sim.stats();
    let (report, dest) = f.run(opts).await;
    assert!(report.stream("messages").is_none());
    assert!(!table_exists(&dest, "messages"));
    assert!(!table_exists(&dest, "conversation_events"));
    assert!(!table_exists(&dest, "customer_drafts"));
    assert!(!table_exists(&dest, "users"), "tables not asked for are not synced");
    assert!(table_exists(&dest, "conversation_times") && table_exists(&dest, "customer_merges"));
    let cols = columns(&dest, "customers");
    assert!(!cols.contains(&"name".to_owned()), "{cols:?}");
    assert!(cols.contains(&"display_name".to_owned()));
    assert!(!columns(&dest, "conversation_tags").contains(&"tag_id".to_owned()));
    let convs = f.sim.with_org(|o| o.records(Kind::Conversation).len()) as i64;
    assert_eq!(int(&dest, "SELECT count(*) FROM conversations"), convs);
    // Excluded detail lists are not even fetched.
    let after = f.sim.stats();
    let events = after
        .by_family
        .get("GET /v1/conversations/{id}/events")
        .copied()
        .unwrap_or(0)
        - before
            .by_family
            .get("GET /v1/conversations/{id}/events")
            .copied()
            .unwrap_or(0);
    assert_eq!(events, 0, "{:?}", after.by_family);

    // Unknown names are refused before any request.
    let requests = f.sim.stats().requests;
    let bad = tables(&["customers"]).with_exclude_columns(["customers.nmae"]);
    let err = Engine::new(sim_client(&f.sim), bad)
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .expect_err("unknown column refused");
    assert!(err.to_string().contains("nmae"), "{err}");
    let bad = SyncOptions::default().with_exclude_tables(["custmers"]);
    let err = Engine::new(sim_client(&f.sim), bad)
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .expect_err("unknown table refused");
    assert!(err.to_string().contains("custmers"), "{err}");
    assert!(
        f.sim.stats().requests - requests <= 4,
        "only discovery ran before the column check"
    );
}

fn sha_hex(salt: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(value.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_columns_are_equal_across_tables() {
    let f = Fixture::new().await;
    let salt = "s3cr3t-pepper";
    let opts = SyncOptions::builder()
        .tables(["customers", "conversations"])
        .hash_columns(["customers.id", "conversations.customer_id", "customers.name"])
        .hash_salt(salt)
        .search_page_size(50)
        .build()
        .unwrap();
    assert!(!format!("{opts:?}").contains(salt));
    let (_, dest) = f.run(opts).await;
    let (conv, customer, name) = f.sim.with_org(|o| {
        let c = o.records(Kind::Conversation)[0].clone();
        let cust = c["relationships"]["customer"]["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let name = attr(&o.get(Kind::Customer, &cust).unwrap(), "name")
            .as_str()
            .map(str::to_owned);
        (c["id"].as_str().unwrap().to_owned(), cust, name)
    });
    let hashed = sha_hex(salt, &customer);
    assert_eq!(
        text(
            &dest,
            &format!("SELECT customer_id FROM conversations WHERE id = '{conv}'")
        ),
        Some(hashed.clone())
    );
    // The join still works, and nothing raw is left.
    assert_eq!(
        int(
            &dest,
            &format!(
                "SELECT count(*) FROM conversations v JOIN customers c ON c.id = v.customer_id WHERE v.id = '{conv}'"
            )
        ),
        1
    );
    assert_eq!(
        int(
            &dest,
            &format!("SELECT count(*) FROM customers WHERE id = '{customer}'")
        ),
        0
    );
    assert_eq!(
        int(&dest, "SELECT count(*) FROM customers WHERE length(id) <> 64"),
        0,
        "every id is a SHA-256 hex digest"
    );
    // Child tables key on the hashed id too.
    assert_eq!(
        int(
            &dest,
            "SELECT count(*) FROM customer_emails WHERE customer_id NOT IN (SELECT id FROM customers)"
        ),
        0
    );
    if let Some(name) = name {
        assert_eq!(
            text(&dest, &format!("SELECT name FROM customers WHERE id = '{hashed}'")),
            Some(sha_hex(salt, &name))
        );
    }
    // A later incremental run keys updates on the same hashes.
    drop(dest);
    f.sim.with_org(|o| assert!(o.touch(Kind::Customer, &customer)));
    let opts = SyncOptions::builder()
        .tables(["customers", "conversations"])
        .hash_columns(["customers.id", "conversations.customer_id", "customers.name"])
        .hash_salt(salt)
        .build()
        .unwrap();
    let (report, dest) = f.run(opts).await;
    assert_eq!(report.stream("customers").unwrap().written.updated, 1);
    let customers = f.sim.with_org(|o| o.records(Kind::Customer).len()) as i64;
    assert_eq!(int(&dest, "SELECT count(*) FROM customers"), customers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_reloads_in_full_and_computes_deletes() {
    let f = Fixture::new().await;
    // Within search's two-year window whatever today's date.
    let gone = f.sim.with_org(|o| {
        let id = o.ids(Kind::Customer)[3].clone();
        assert!(o.touch(Kind::Customer, &id));
        id
    });
    let (_, dest) = f.run(tables(&["customers"])).await;
    drop(dest);
    f.sim.with_org(|o| assert!(o.purge(Kind::Customer, &gone)));

    // An incremental run cannot see a purge.
    let (report, dest) = f.run(tables(&["customers"])).await;
    assert_eq!(report.stream("customers").unwrap().records, 0);
    assert_eq!(int(&dest, "SELECT count(*) FROM customers WHERE _deleted"), 0);
    drop(dest);

    // A re-sync reads everything again and marks what it no longer finds.
    let opts = tables(&["customers"]).with_resync(["customers"]);
    let (report, dest) = f.run(opts).await;
    let live = f.sim.with_org(|o| o.live_records(Kind::Customer).len()) as u64;
    let s = report.stream("customers").unwrap();
    assert!(s.records >= live, "{s:?}");
    assert_eq!(s.written.deleted, 1);
    assert_eq!(
        int(
            &dest,
            &format!("SELECT count(*) FROM customers WHERE id = '{gone}' AND _deleted")
        ),
        1
    );
    assert_eq!(int(&dest, "SELECT count(*) FROM customers WHERE _deleted"), 1);
    drop(dest);
    // And the run after it is incremental again.
    let (report, _) = f.run(tables(&["customers"])).await;
    assert_eq!(report.stream("customers").unwrap().records, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_date_bounds_the_first_sync() {
    let f = Fixture::new().await;
    let (start, expected) = f.sim.with_org(|o| {
        let mut times: Vec<DateTime<Utc>> = o
            .records(Kind::Conversation)
            .iter()
            .map(|c| attr(c, "updatedAt").as_str().unwrap().parse().unwrap())
            .collect();
        times.sort();
        let start = times[times.len() / 2];
        (start, times.iter().filter(|t| **t >= start).count() as i64)
    });
    let opts = tables(&["conversations"]).with_start_date(start);
    let (_, dest) = f.run(opts).await;
    assert_eq!(int(&dest, "SELECT count(*) FROM conversations"), expected);
    let micros = start.timestamp_micros();
    assert_eq!(
        int(
            &dest,
            &format!("SELECT count(*) FROM conversations WHERE epoch_us(updated_at) < {micros}")
        ),
        0
    );
}

#[tokio::test]
async fn usage_ceiling_is_set_per_run() {
    let f = Fixture::new().await;
    let opts = tables(&["tags"]).with_usage_ceiling(0.3);
    let (report, _) = f.run(opts).await;
    assert_eq!(report.usage_ceiling, 0.3);
    let bad = tables(&["tags"]).with_usage_ceiling(0.95);
    let err = Engine::new(sim_client(&f.sim), bad)
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .expect_err("0.95 refused");
    assert!(err.to_string().contains("0.95"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolved_only_loads_done_conversations_whole_and_again_on_a_new_message() {
    let f = Fixture::new().await;
    let opts = || tables(&["conversations", "messages", "notes"]).with_resolved_only(true);
    let (report, dest) = f.run(opts()).await;
    assert!(report.stream("messages").unwrap().skipped.is_some());
    let (done, messages, notes) = f.sim.with_org(|o| {
        let done: Vec<String> = o
            .records(Kind::Conversation)
            .iter()
            .filter(|c| attr(c, "status") == "done")
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        // A deleted conversation's lists answer 404: only live ones bring messages.
        let live_conversations = o.live_records(Kind::Conversation);
        let live_done: Vec<&str> = live_conversations
            .iter()
            .filter(|c| attr(c, "status") == "done")
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        let of_done = |k: Kind| {
            o.live_records(k)
                .iter()
                .filter(|m| {
                    m["relationships"]["conversation"]["data"]["id"]
                        .as_str()
                        .is_some_and(|c| live_done.contains(&c))
                })
                .count() as i64
        };
        let (m, n) = (of_done(Kind::Message), of_done(Kind::Note));
        (done, m, n)
    });
    assert!(!done.is_empty() && messages > 0);
    assert_eq!(int(&dest, "SELECT count(*) FROM conversations"), done.len() as i64);
    assert_eq!(
        int(&dest, "SELECT count(*) FROM conversations WHERE status <> 'done'"),
        0
    );
    assert_eq!(int(&dest, "SELECT count(*) FROM messages"), messages);
    assert_eq!(int(&dest, "SELECT count(*) FROM notes"), notes);
    assert_eq!(
        int(
            &dest,
            "SELECT count(*) FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)"
        ),
        0
    );
    drop(dest);

    // A new message on a done conversation: the whole conversation again.
    let conv = f.sim.with_org(|o| {
        done.iter()
            .find(|id| {
                o.live_records(Kind::Conversation)
                    .iter()
                    .any(|c| c["id"] == id.as_str())
            })
            .cloned()
            .unwrap()
    });
    let msg = f.sim.with_org(|o| o.insert_into(Kind::Message, &conv).unwrap());
    let (report, dest) = f.run(opts()).await;
    assert_eq!(report.stream("conversations").unwrap().records, 1);
    assert_eq!(
        int(&dest, &format!("SELECT count(*) FROM messages WHERE id = '{msg}'")),
        1
    );
    let in_conv = f.sim.with_org(|o| {
        o.live_records(Kind::Message)
            .iter()
            .filter(|m| m["relationships"]["conversation"]["data"]["id"] == conv.as_str())
            .count() as i64
    });
    assert_eq!(
        int(
            &dest,
            &format!("SELECT count(*) FROM messages WHERE conversation_id = '{conv}'")
        ),
        in_conv
    );
    assert_eq!(int(&dest, "SELECT count(*) FROM messages"), messages + 1);
}

#[test]
fn the_example_config_file_matches_the_builder() {
    // Compiled in, so the check follows the file wherever the clone lives.
    let text = include_str!("../examples/kustomer.toml");
    // The file leaves the salt to the environment.
    let err = SyncOptions::from_toml_str(text).unwrap_err();
    assert!(err.to_string().contains("hash_salt"), "{err}");
    let from_file = SyncOptions::from_toml_str(&format!("{text}\nhash_salt = \"pepper\"\n")).unwrap();
    let built = SyncOptions::builder()
        .tables(["customers", "conversations", "messages", "notes", "tags", "users"])
        .exclude_tables(["conversation_events"])
        .exclude_columns(["customers.avatar_url"])
        .hash_columns(["customer_emails.email", "customer_phones.phone"])
        .hash_salt("pepper")
        .history(true)
        .start_date("2024-01-01T00:00:00Z".parse().unwrap())
        .usage_ceiling(0.5)
        .build()
        .unwrap();
    assert_eq!(from_file, built);
    assert!(!format!("{from_file:?}").contains("pepper"));
}
