//! Manifests: one JSON file per committed run, the only record of which
//! data files exist and of the streams' bookmarks.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The directory manifests live in.
pub const MANIFESTS: &str = "_manifests";

/// A committed run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version.
    pub version: u32,
    /// The run (also the manifest's file name and its data files' prefix).
    pub run_id: String,
    /// When the run started (its first prepare or write).
    pub started_at: DateTime<Utc>,
    /// When it committed.
    pub committed_at: DateTime<Utc>,
    /// The `_seq` values its rows carry (none if it wrote no rows).
    pub seq: Option<SeqRange>,
    /// The destination's last `_seq` after this run: the next run continues above it.
    pub last_seq: i64,
    /// What the run added, per table.
    pub tables: BTreeMap<String, TableEntry>,
    /// Every stream's bookmark after this run.
    pub bookmarks: BTreeMap<String, String>,
}

/// A range of `_seq` values.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SeqRange {
    /// The first.
    pub first: i64,
    /// The last.
    pub last: i64,
}

/// What a run added to one table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableEntry {
    /// Its new files.
    pub files: Vec<FileEntry>,
    /// Hard-delete tombstones it wrote, as (`id`, `_seq`): rows whose id is
    /// gone rather than soft-deleted (what `WriteStats` counts as absent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tombstones: Vec<(String, i64)>,
}

/// One data file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the destination directory: `table/run-n.parquet`.
    pub path: String,
    /// Rows.
    pub rows: u64,
    /// Smallest `_seq` in the file.
    pub min_seq: i64,
    /// Greatest `_seq` in the file.
    pub max_seq: i64,
}

/// Every committed manifest in `dir`, oldest first. Temporary manifests of
/// a commit that never finished are deleted.
pub(crate) fn read_all(dir: &Path) -> Result<Vec<Manifest>, String> {
    let mdir = dir.join(MANIFESTS);
    let entries = match std::fs::read_dir(&mdir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("read {}: {e}", mdir.display())),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("read {}: {e}", mdir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with('.') && name.ends_with(".tmp") {
            std::fs::remove_file(&path).map_err(|e| format!("remove {}: {e}", path.display()))?;
            continue;
        }
        if !name.ends_with(".json") || name.starts_with('.') {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("read {}: {e}", path.display()))?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| format!("manifest {}: {e}", path.display()))?;
        out.push(m);
    }
    // `_seq` orders runs even if the clock went back between two of them.
    out.sort_by(|a, b| (a.last_seq, &a.run_id).cmp(&(b.last_seq, &b.run_id)));
    Ok(out)
}

/// Commits a manifest: written under a temporary name, synced, renamed
/// (the atomic commit point), and the directory synced. An error means the
/// run did not commit.
pub(crate) fn commit(dir: &Path, m: &Manifest) -> Result<(), String> {
    let mdir = dir.join(MANIFESTS);
    std::fs::create_dir_all(&mdir).map_err(|e| format!("create {}: {e}", mdir.display()))?;
    let tmp = mdir.join(format!(".{}.json.tmp", m.run_id));
    let path = mdir.join(format!("{}.json", m.run_id));
    let text = serde_json::to_vec_pretty(m).map_err(|e| format!("manifest: {e}"))?;
    let mut f = File::create(&tmp).map_err(|e| format!("create {}: {e}", tmp.display()))?;
    f.write_all(&text)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("write {}: {e}", tmp.display()))?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(|e| format!("rename {}: {e}", tmp.display()))?;
    // Committed: the rename is visible. Syncing the directories makes it
    // durable; failing that is not a reason to discard the run.
    for d in [mdir.as_path(), dir] {
        if let Err(e) = sync_dir(d) {
            tracing::warn!("{e}");
        }
    }
    Ok(())
}

/// Makes a directory's entries (creations, renames) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), String> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("sync {}: {e}", dir.display()))
}
