//! Room in DuckDB's buffer pool for its widest table. An append and a
//! checkpoint hold a block (256 KiB) per column of the table they write,
//! inside the memory limit: a 400-column table fails its first commit at
//! 64 MB, and a checkpoint that cannot get a block fails with a FATAL error
//! that invalidates the database (at 32 MB, the simulator's 95-column
//! `conversations` did). Custom attributes are columns, so an org's widest
//! table is known only at run time: the limit is raised to fit it, never
//! lowered.

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

/// The memory limit a table of `columns` columns needs.
pub(super) fn needed(columns: usize) -> u64 {
    columns as u64 * BLOCK * 5 / 4 + HEADROOM
}

/// Raises the connection's memory limit to [`needed`] for `columns` if it is
/// lower (a limit the caller set higher stays).
pub(super) fn ensure_room(conn: &Connection, columns: usize) -> Result<(), SyncError> {
    let err = |e: duckdb::Error| SyncError::Destination(format!("duckdb: memory limit: {e}"));
    let current: String = conn
        .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
        .map_err(err)?;
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
pub(super) fn log_bytes(conn: &Connection) -> Result<u64, SyncError> {
    let wal: String = conn
        .query_row(
            "SELECT wal_size FROM pragma_database_size() WHERE database_name = current_database()",
            [],
            |r| r.get(0),
        )
        .map_err(|e| SyncError::Destination(format!("duckdb: log size: {e}")))?;
    Ok(parse_size(&wal).unwrap_or(0))
}

/// `CHECKPOINT` with DuckDB's default limit (80 % of the machine) for its
/// duration, then the limit it had. A checkpoint that cannot pin a block
/// fails with a FATAL error that invalidates the database; the extra room
/// is taken only while it runs, and DuckDB evicts down to the limit again
/// when it is restored.
pub(super) fn checkpoint(conn: &Connection) -> Result<(), SyncError> {
    let err = |e: duckdb::Error| SyncError::Destination(format!("duckdb: checkpoint: {e}"));
    let current: String = conn
        .query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0))
        .map_err(err)?;
    let Some(limit) = parse_size(&current) else {
        return conn.execute_batch("CHECKPOINT").map_err(err);
    };
    conn.execute_batch("RESET memory_limit").map_err(err)?;
    let done = conn.execute_batch("CHECKPOINT").map_err(err);
    let restored = conn.execute_batch(&format!("SET memory_limit = '{}KiB'", limit.div_ceil(1024)));
    done.and(restored.map_err(err))
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
