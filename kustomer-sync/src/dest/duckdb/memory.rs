//! Room in DuckDB's buffer pool for its widest table. An append and a
//! checkpoint hold a block (256 KiB) per column of the table they write,
//! inside the memory limit: a 400-column table fails its first commit at
//! 64 MB, and a checkpoint that cannot get a block fails with a FATAL error
//! that invalidates the database (at 32 MB, the simulator's 95-column
//! `conversations` did). Custom attributes are columns, so an org's widest
//! table is known only at run time: the limit is raised to fit it, never
//! lowered.
//!
//! A checkpoint needs more than that, and DuckDB's own checkpoints run at
//! the limit: a 150-column table of random strings, 500 rows a commit,
//! failed its checkpoint FATAL at the 81 MiB this module set for it, after
//! 55 k rows, invalidating the file (`tests/duckdb_wide.rs`;
//! `repro_wide_checkpoint` in `repro.rs` shows it in DuckDB alone). With
//! the limit lifted for checkpoints only, 150 columns failed at 104 MiB and
//! loaded at 128 MiB, 250 columns loaded at 204 MiB: about three blocks a
//! column. So DuckDB's own checkpoints are off ([`super::DEFAULT_SETTINGS`])
//! and the destination checkpoints every [`CHECKPOINT_EVERY`] of log with
//! the limit lifted to [`checkpoint_room`] of the file's widest table for
//! the checkpoint's duration ([`checkpoint`]). Lifting it to DuckDB's own
//! default instead cost the simulator's sync 55 MB of peak: with room, a
//! checkpoint keeps what it read rather than evicting it.

use duckdb::Connection;

use crate::error::SyncError;

/// What an append or a checkpoint holds per column of a table.
const BLOCK: u64 = 256 * 1024;
/// Beside the blocks of the table being checkpointed: the appends, staging
/// and merges of the batch that triggered it.
const HEADROOM: u64 = 32 << 20;

/// Log (write-ahead) after which [`super::DuckDbDestination`] checkpoints:
/// DuckDB's default threshold.
pub(super) const CHECKPOINT_EVERY: u64 = 16 << 20;

/// What a checkpoint pins per column of the table it writes: the segment
/// being compressed, the block it compresses into, one read.
const CHECKPOINT_BLOCKS: u64 = 3;

/// The memory limit a checkpoint of a table of `columns` columns needs.
pub(super) fn checkpoint_room(columns: usize) -> u64 {
    columns as u64 * CHECKPOINT_BLOCKS * BLOCK + HEADROOM
}

/// The memory limit a table of `columns` columns needs.
pub(super) fn needed(columns: usize) -> u64 {
    columns as u64 * BLOCK * 5 / 4 + HEADROOM
}

/// Raises the connection's memory limit to [`needed`] for `columns` if it is
/// lower (a limit the caller set higher stays).
pub(super) fn ensure_room(conn: &Connection, columns: usize) -> Result<(), SyncError> {
    let err = |e: duckdb::Error| SyncError::Destination(format!("duckdb: memory limit: {e}"));
    let current = current_limit(conn).map_err(err)?;
    let need = needed(columns);
    match parse_size(&current) {
        Some(limit) if limit >= need => Ok(()),
        Some(_) => {
            let mib = need.div_ceil(1 << 20);
            tracing::info!(columns, from = %current, to_mib = mib, "raising DuckDB's memory limit for a wide table");
            conn.execute_batch(&format!("SET memory_limit = '{mib}MiB'"))
                .map_err(err)
        }
        None => {
            tracing::debug!(%current, "memory limit not understood; left as it is");
            Ok(())
        }
    }
}

/// The size of the database's write-ahead log.
fn log_bytes(conn: &Connection) -> Result<u64, SyncError> {
    let wal: String = conn
        .query_row(
            "SELECT wal_size FROM pragma_database_size() WHERE database_name = current_database()",
            [],
            |r| r.get(0),
        )
        .map_err(|e| SyncError::Destination(format!("duckdb: log size: {e}")))?;
    Ok(parse_size(&wal).unwrap_or(0))
}

/// Once the log holds `at_least` bytes, `CHECKPOINT` with the limit lifted
/// to [`checkpoint_room`] for the file's widest table while it runs (a
/// checkpoint that cannot pin a block fails FATAL, invalidating the
/// database), then the limit it had, to which DuckDB evicts again. The
/// widest table is read from the catalog, so a clone or a connection of the
/// caller's that created it counts.
pub(super) fn checkpoint(conn: &Connection, at_least: u64) -> Result<(), SyncError> {
    if log_bytes(conn)? < at_least {
        return Ok(());
    }
    let err = |e: duckdb::Error| SyncError::Destination(format!("duckdb: checkpoint: {e}"));
    let widest: i64 = conn
        .query_row(
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM duckdb_columns() \
             WHERE database_name = current_database() GROUP BY schema_name, table_name)",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    let room = checkpoint_room(widest.max(0) as usize);
    let limit = match parse_size(&current_limit(conn).map_err(err)?) {
        Some(limit) if limit < room => limit,
        _ => return conn.execute_batch("CHECKPOINT").map_err(err),
    };
    let mib = |n: u64| n.div_ceil(1 << 20);
    tracing::debug!(widest, to_mib = mib(room), "checkpoint with the memory limit lifted");
    conn.execute_batch(&format!("SET memory_limit = '{}MiB'", mib(room)))
        .map_err(err)?;
    let done = conn.execute_batch("CHECKPOINT").map_err(err);
    let restored = conn.execute_batch(&format!("SET memory_limit = '{}KiB'", limit.div_ceil(1024)));
    done.and(restored.map_err(err))
}

/// The connection's `memory_limit`, as DuckDB renders it.
fn current_limit(conn: &Connection) -> Result<String, duckdb::Error> {
    conn.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
}

/// DuckDB's rendering of a size ("61.0 MiB", "1.5 GiB", "512 bytes").
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "bytes" | "b" => 1.0,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return None,
    };
    Some((num * scale) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_duckdb_renders_them() {
        assert_eq!(parse_size("61.0 MiB"), Some(61 << 20));
        assert_eq!(parse_size("1.5 GiB"), Some(3 << 29));
        assert_eq!(parse_size("512 bytes"), Some(512));
        assert_eq!(parse_size("64MB"), Some(64_000_000));
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn a_wide_table_raises_the_limit_and_a_higher_one_stays() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("SET memory_limit = '64MB'").unwrap();
        ensure_room(&conn, 80).unwrap();
        let limit = |c: &Connection| -> String {
            c.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(limit(&conn), "61.0 MiB", "80 columns fit in 64 MB");
        ensure_room(&conn, 400).unwrap();
        assert!(parse_size(&limit(&conn)).unwrap() >= needed(400), "{}", limit(&conn));
        conn.execute_batch("SET memory_limit = '2GB'").unwrap();
        ensure_room(&conn, 400).unwrap();
        assert_eq!(limit(&conn), "1.8 GiB");
    }
}
