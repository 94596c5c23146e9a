//! Crash tests: the `sync` example run as a process and killed with SIGKILL
//! at seeded random moments.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kustomer_sim::Simulator;

/// The `sync` example against `sim` into `dest` (a `--dest` value), with
/// `args` before it; its errors shown only when `show_errors` (a run meant
/// to finish).
pub fn spawn_sync(sim: &Simulator, dest: &str, args: &[&str], show_errors: bool) -> Child {
    Command::new(super::sync_example())
        .args(["--base-url", &sim.base_url(), "--quiet"])
        .args(args)
        .args(["--dest", dest])
        .env("KUSTOMER_API_TOKEN", sim.token())
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(if show_errors { Stdio::inherit() } else { Stdio::null() })
        .spawn()
        .unwrap()
}

/// xorshift: a kill schedule that is the same every run.
pub fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Starts the example into `dest` `kills` times, each killed (SIGKILL)
/// after `base` plus a seeded random share of `spread` unless it finished
/// first; returns how many kills landed mid-run.
pub async fn kill_repeatedly(
    sim: &Simulator,
    dest: &str,
    kills: u64,
    mut seed: u64,
    base: Duration,
    spread: Duration,
) -> u64 {
    let mut killed_mid_run = 0;
    for _ in 0..kills {
        let mut child = spawn_sync(sim, dest, &[], false);
        let wait = base + Duration::from_millis(next(&mut seed) % spread.as_millis().max(1) as u64);
        tokio::time::sleep(wait).await;
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed_mid_run += 1;
        }
        child.wait().unwrap();
    }
    killed_mid_run
}
