//! The sync process's footprint (issue #23): peak RSS and records per
//! CPU-second of a first load at 100 k and 1 M records, DuckDB and PostgreSQL
//! side by side. What the README once measured by hand with `examples/sim`
//! and `/usr/bin/time -v examples/sync`: the simulator runs in a process of
//! its own, the sync in another, every table but the per-parent detail
//! lists, no rate limit. Only the sync process is measured (`wait4`'s rusage).
//!
//! ```text
//! cargo bench --bench footprint                              # 100 k and 1 M records
//! cargo bench --bench footprint -- --records 100000          # one size
//! cargo bench --bench footprint -- --dest-only duckdb        # or postgres
//! KUSTOMER_TEST_PG=postgres://… cargo bench --bench footprint  # PostgreSQL beside DuckDB
//! ```
//!
//! After the DuckDB sync, DuckDB alone on the same rows (`child-floor FILE`):
//! every table of the synced file read into Arrow in memory, then appended
//! into a new file, once in one transaction per table and once 500 rows a
//! transaction, and checkpointed. Only the appends and the checkpoint are
//! timed: what DuckDB itself costs to store that org, whatever feeds it.
//!
//! The binary re-executes itself for its children (`child-sim SCALE`,
//! `child-sync BASE_URL DEST`, `child-floor FILE`), so no example needs
//! building first.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

use kustomer::api::Client;
use kustomer::sync::{dest, Engine, SyncOptions};
use kustomer_sim::{OrgSize, SimConfig, Simulator};

/// The per-parent detail lists, excluded as in the README's measurement.
const EXCLUDED: &str = "conversation_events,conversation_times,conversation_forwards,\
                        conversation_attachments,customer_drafts,customer_merges";
/// Records the sync reads per simulator scale unit (92 k at scale 40, 1.03 M at 440).
const RECORDS_PER_SCALE: u64 = 2_300;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("child-sim") => child_sim(&args[1..]),
        Some("child-sync") => child_sync(&args[1..]),
        Some("child-floor") => child_floor(&args[1..]),
        // `cargo test` runs benches without `--bench`: a long measurement is no test.
        _ if !args.iter().any(|a| a == "--bench") => {
            println!("footprint: skipped (run it with `cargo bench --bench footprint`)");
            Ok(())
        }
        _ => parent(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("footprint: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

/// Serves a scaled org without rate limits; prints its URL, then serves until
/// stdin closes (the parent ended) or it is killed.
fn child_sim(args: &[String]) -> Result<(), String> {
    let scale = args.first().and_then(|s| s.parse::<usize>().ok());
    let scale = scale.ok_or("child-sim: expected SCALE")?;
    runtime()?.block_on(async {
        let config = SimConfig {
            size: OrgSize::scaled(scale),
            org_rate_limit: None,
            search_rate_limit: None,
            ..SimConfig::demo()
        };
        let sim = Simulator::start(config).await.map_err(|e| format!("simulator: {e}"))?;
        println!("{}", sim.base_url());
        let stdin = tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()));
        let _ = stdin.await;
        sim.shutdown().await;
        Ok(())
    })
}

/// What `examples/sync` does for the README's command (`--quiet`, rate limits
/// of 1,000,000, the detail lists excluded); prints the records read.
fn child_sync(args: &[String]) -> Result<(), String> {
    let [base_url, spec] = args else {
        return Err("child-sync: expected BASE_URL DEST".into());
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let options = (SyncOptions::builder().exclude_tables(EXCLUDED.split(',')).build()).map_err(|e| e.to_string())?;
    let client = (Client::builder().base_url(base_url.clone()).token("sim-token"))
        .rate_limit(1_000_000)
        .search_rate_limit(1_000_000)
        .build()
        .map_err(|e| e.to_string())?;
    // `dest::open` is what the example uses without --duckdb-memory-limit:
    // DuckDB with its defaults, so a change to them is measured.
    let db = dest::open(spec).map_err(|e| format!("open {spec}: {e}"))?;
    let engine = Engine::new(client, options).plan_first_load(true);
    let (report, db) = runtime()?.block_on(engine.run(db)).map_err(|e| e.to_string())?;
    drop(db);
    if let Some(s) = report.streams.iter().find(|s| s.error.is_some()) {
        return Err(format!("{} failed: {}", s.name, s.error.as_deref().unwrap_or_default()));
    }
    println!("{}", report.streams.iter().map(|s| s.records).sum::<u64>());
    Ok(())
}

/// CPU seconds of this process so far (every thread).
fn cpu_now() -> f64 {
    // SAFETY: rusage is plain data, all-zero is a valid value; the pointer is valid for writes.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    cpu_secs(&usage)
}

/// User plus system CPU seconds of a rusage.
fn cpu_secs(usage: &libc::rusage) -> f64 {
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// DuckDB alone on a synced file's rows; prints the CPU seconds of one
/// transaction per table, then of 500 rows a transaction.
fn child_floor(args: &[String]) -> Result<(), String> {
    let [file] = args else {
        return Err("child-floor: expected FILE".into());
    };
    let err = |e: duckdb::Error| e.to_string();
    let src = duckdb::Connection::open(file).map_err(err)?;
    let names: Vec<String> = (src.prepare(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'",
    ))
    .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
    .map_err(err)?;
    let mut tables = Vec::new();
    for name in names {
        let mut stmt = src.prepare(&format!("SELECT * FROM \"{name}\"")).map_err(err)?;
        let batches: Vec<_> = stmt.query_arrow([]).map_err(err)?.collect();
        tables.push((name, batches));
    }
    drop(src);
    let mut figures = Vec::new();
    for rows_per_commit in [None, Some(500)] {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let conn = duckdb::Connection::open(dir.path().join("floor.duckdb")).map_err(err)?;
        conn.execute_batch(&format!(
            "SET threads = 1; SET memory_limit = '256MB'; ATTACH '{file}' AS src (READ_ONLY)"
        ))
        .map_err(err)?;
        for (name, _) in &tables {
            conn.execute_batch(&format!(
                "CREATE TABLE \"{name}\" AS SELECT * FROM src.\"{name}\" LIMIT 0"
            ))
            .map_err(err)?;
        }
        conn.execute_batch("DETACH src").map_err(err)?;
        let start = cpu_now();
        for (name, batches) in &tables {
            let mut app = conn.appender(name).map_err(err)?;
            for batch in batches {
                let step = rows_per_commit.unwrap_or(batch.num_rows()).max(1);
                for offset in (0..batch.num_rows()).step_by(step) {
                    let part = batch.slice(offset, step.min(batch.num_rows() - offset));
                    app.append_record_batch(part).map_err(err)?;
                    if rows_per_commit.is_some() {
                        app.flush().map_err(err)?; // a flush is a transaction
                    }
                }
            }
            app.flush().map_err(err)?;
        }
        conn.execute_batch("CHECKPOINT").map_err(err)?;
        figures.push(format!("{:.2}", cpu_now() - start));
    }
    println!("{}", figures.join(" "));
    Ok(())
}

/// The simulator child; killed when dropped.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sim(exe: &std::path::Path, scale: u64) -> Result<(Sim, String), String> {
    let child = (Command::new(exe).args(["child-sim", &scale.to_string()]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the simulator: {e}"))?;
    let mut sim = Sim(child);
    let mut line = String::new();
    let out = sim.0.stdout.take().ok_or("simulator: no stdout")?;
    BufReader::new(out)
        .read_line(&mut line)
        .map_err(|e| format!("simulator: {e}"))?;
    let url = line.trim();
    if !url.starts_with("http://") {
        return Err(format!("simulator: expected its URL, got {url:?}"));
    }
    Ok((sim, url.to_owned()))
}

/// One measured sync: records read, peak RSS (MB), CPU (s), wall (s).
struct Run {
    records: u64,
    peak_mb: f64,
    cpu_s: f64,
    wall_s: f64,
}

fn measure_sync(exe: &std::path::Path, url: &str, spec: &str) -> Result<Run, String> {
    let started = Instant::now();
    let mut child = (Command::new(exe).args(["child-sync", url, spec]))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the sync: {e}"))?;
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        s.read_to_string(&mut out).map_err(|e| format!("sync output: {e}"))?;
    }
    // wait4 rather than Child::wait: only it returns the child's rusage.
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our unreaped child; both pointers are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {err}"));
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!(
            "the sync into {spec} failed (wait status {status}; stderr above)"
        ));
    }
    let last = out.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    let records = (last.trim().parse()).map_err(|_| format!("the sync printed {last:?}, not its record count"))?;
    Ok(Run {
        records,
        // ru_maxrss is in KiB on Linux.
        peak_mb: usage.ru_maxrss as f64 / 1024.0,
        cpu_s: cpu_secs(&usage),
        wall_s,
    })
}

/// Runs `child-floor` on a synced file and prints its figures.
fn floor(exe: &std::path::Path, file: &std::path::Path, records: u64) -> Result<(), String> {
    let out = (Command::new(exe).arg("child-floor").arg(file))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start the floor: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let secs: Vec<f64> = text.split_whitespace().filter_map(|s| s.parse().ok()).collect();
    let [bulk, small] = secs[..] else {
        return Err(format!("the floor printed {text:?}, not two CPU times"));
    };
    let rate = |s: f64| records as f64 / s.max(1e-9);
    println!(
        "footprint/DuckDB alone, the same rows from Arrow in memory: one transaction per table {bulk:.1} CPU-s \
         ({:.0} rec/CPU-s), 500 rows a transaction {small:.1} CPU-s ({:.0} rec/CPU-s)",
        rate(bulk),
        rate(small)
    );
    Ok(())
}

/// Drops a bench schema: the PostgreSQL server is a shared one.
fn drop_schema(server: &str, schema: &str) {
    let dropped = runtime().and_then(|rt| {
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(server, tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            client.batch_execute(&sql).await
        })
        .map_err(|e| e.to_string())
    });
    if let Err(e) = dropped {
        eprintln!("footprint: could not drop the schema {schema}: {e}");
    }
}

/// The destinations, in the table's order.
const DESTS: [&str; 2] = ["DuckDB", "PostgreSQL"];

fn parent(args: &[String]) -> Result<(), String> {
    let mut sizes = vec![100_000u64, 1_000_000];
    let (mut duckdb, mut postgres) = (true, true);
    let mut it = args.iter().filter(|a| *a != "--bench");
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag}: expected a value"))?;
        match (flag.as_str(), value.as_str()) {
            ("--records", _) => {
                sizes = (value.split(',').map(|s| s.trim().parse::<u64>()))
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("--records {value}: expected counts such as 100000,1000000"))?;
            }
            ("--dest-only", "duckdb") => postgres = false,
            ("--dest-only", "postgres") => duckdb = false,
            _ => {
                return Err(format!(
                    "{flag} {value}: expected --records N[,N…] or --dest-only duckdb|postgres"
                ))
            }
        }
    }
    let pg = std::env::var("KUSTOMER_TEST_PG")
        .ok()
        .filter(|s| postgres && !s.is_empty());
    if postgres && pg.is_none() {
        println!("footprint/PostgreSQL: skipped (set KUSTOMER_TEST_PG to a server's URL to measure it)");
    }
    if !duckdb && pg.is_none() {
        return Err("no destination to measure".into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    // Per size: the records the sync read, and a run per destination.
    let mut rows: Vec<(u64, [Option<Run>; 2])> = Vec::new();
    for &size in &sizes {
        let scale = size.div_ceil(RECORDS_PER_SCALE).max(1);
        println!("footprint: {size} records: simulator at scale {scale} (generating…)");
        let (_sim, url) = start_sim(&exe, scale)?;
        let mut runs = [None, None];
        if duckdb {
            let file = dir.path().join(format!("footprint_{size}.duckdb"));
            let run = measure_sync(&exe, &url, &file.display().to_string())?;
            floor(&exe, &file, run.records)?;
            runs[0] = Some(run);
            let _ = std::fs::remove_file(&file); // a 1 M file is large; the directory goes at the end
        }
        if let Some(server) = &pg {
            let schema = format!("bench_footprint_{}_{size}", std::process::id());
            let sep = if server.contains('?') { '&' } else { '?' };
            let run = measure_sync(&exe, &url, &format!("{server}{sep}schema={schema}"));
            drop_schema(server, &schema);
            runs[1] = Some(run?);
        }
        for (name, run) in DESTS.iter().zip(&runs) {
            if let Some(r) = run {
                let c = cell(run);
                println!(
                    "footprint/{name}: {} records; peak MB, CPU s, rec/CPU-s, wall s: {c}",
                    r.records
                );
            }
        }
        let records = runs.iter().flatten().next().map_or(size, |r| r.records);
        rows.push((records, runs));
    }
    println!("\n{:>9} │ {:^34} │ {:^34}", "", DESTS[0], DESTS[1]);
    let head = format!("{:>8} {:>7} {:>9} {:>7}", "peak MB", "CPU s", "rec/CPU-s", "wall s");
    println!("{:>9} │ {head} │ {head}", "records");
    for (records, [a, b]) in &rows {
        println!("{records:>9} │ {} │ {}", cell(a), cell(b));
    }
    // How peak memory grows from the first size to the last (#23 asks ≤ 1.2× from 100 k to 1 M).
    if let [(n0, first), .., (n1, last)] = &rows[..] {
        for (i, name) in DESTS.iter().enumerate() {
            if let (Some(a), Some(b)) = (&first[i], &last[i]) {
                println!("{name}: peak({n1}) / peak({n0}) = {:.2}×", b.peak_mb / a.peak_mb);
            }
        }
    }
    Ok(())
}

/// A run's figures: peak MB, CPU s, records per CPU-second, wall s.
fn cell(r: &Option<Run>) -> String {
    let Some(r) = r else { return format!("{:>34}", "—") };
    let rate = r.records as f64 / r.cpu_s.max(1e-9);
    format!("{:>8.0} {:>7.1} {rate:>9.0} {:>7.1}", r.peak_mb, r.cpu_s, r.wall_s)
}
