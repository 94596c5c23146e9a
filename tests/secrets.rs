//! The API token and the hashing salt never appear in `Debug`, `Display`,
//! errors, reports or tracing output, whichever error path a run takes.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use kustomer::api::Client;
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::{Engine, SyncOptions};
use kustomer_sim::{OrgSize, SimConfig, Simulator};

const TOKEN: &str = "tok-VERY-SECRET-0123456789";
const SALT: &str = "salt-VERY-SECRET-9876543210";

/// Everything every thread logs, at the most verbose level.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf: Arc<Mutex<Vec<u8>>> = Arc::default();
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || Writer(sink.clone()))
            .init();
        buf
    })
    .clone()
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl Write for Writer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "the token leaked into {what}: {text}");
    assert!(!text.contains(SALT), "the salt leaked into {what}: {text}");
}

fn hashing(tables: &[&str]) -> SyncOptions {
    SyncOptions::builder()
        .tables(tables.iter().copied())
        .hash_columns(["customer_emails.email"])
        .hash_salt(SALT)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_leak_on_any_path() {
    let logs = logs();
    let sim = Simulator::start(SimConfig {
        size: OrgSize::tiny(),
        token: TOKEN.to_owned(),
        forbidden: vec!["/v1/tags".to_owned()],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = |token: &str| {
        Client::builder()
            .base_url(sim.base_url())
            .token(token)
            .request_timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    };
    let mut seen = Vec::new();

    // A successful run with hashing, and a missing role (401) on one table.
    let opts = hashing(&["customers", "tags"]);
    seen.push(format!("{opts:?}"));
    let (report, dest) = Engine::new(client(TOKEN), opts)
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .unwrap();
    seen.push(format!("{report:?} {report} {dest:?} {:?}", client(TOKEN)));
    assert!(report.stream("tags").unwrap().skipped.is_some());

    // 401: a wrong token (the server saw ours, the error must not echo it).
    let wrong = format!("{TOKEN}-but-wrong");
    let err = Engine::new(client(&wrong), hashing(&["customers"]))
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .expect_err("401");
    seen.push(format!("{err} {err:?}"));
    assert!(!err.to_string().contains(&wrong));

    // Configuration errors: no salt, bad ceiling, bad URL.
    let err = SyncOptions::from_toml_str(&format!(
        "hash_columns = [\"customers.name\"]\nhash_salts = \"{SALT}\"\n"
    ))
    .expect_err("unknown key");
    seen.push(format!("{err} {err:?}"));
    let err = SyncOptions::builder()
        .hash_salt(SALT)
        .usage_ceiling(2.0)
        .build()
        .expect_err("bad ceiling");
    seen.push(format!("{err} {err:?}"));
    let err = Client::builder()
        .base_url("http://example.com")
        .token(TOKEN)
        .build()
        .expect_err("plain http to a remote host");
    seen.push(format!("{err} {err:?}"));

    // Transport errors: nothing listens there.
    let dead = Client::builder()
        .base_url("http://127.0.0.1:9")
        .token(TOKEN)
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = Engine::new(dead, hashing(&["customers"]))
        .run(DuckDbDestination::in_memory().unwrap())
        .await
        .map(|(r, _)| format!("{r:?}"))
        .unwrap_or_else(|e| format!("{e} {e:?}"));
    seen.push(err);

    // A panic message carrying a client or options is redacted too.
    let c = client(TOKEN);
    let o = hashing(&["customers"]);
    let panic =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || panic!("{c:?} {o:?}"))).expect_err("panicked");
    seen.push(panic.downcast_ref::<String>().cloned().unwrap_or_default());

    for (i, s) in seen.iter().enumerate() {
        assert_clean(&format!("output #{i}"), s);
    }
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(logged.len() > 1_000, "tracing captured: {} bytes", logged.len());
    assert_clean("tracing output", &logged);
    sim.shutdown().await;
}
