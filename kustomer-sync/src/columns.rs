//! The names the sync adds to every destination: system columns and its own
//! tables. Below both the destinations and the docs, so neither imports the
//! other for a name.

/// Whether a parent row is deleted (soft-delete mode keeps the row).
pub const DELETED: &str = "_deleted";
/// When the row was first seen deleted.
pub const DELETED_AT: &str = "_deleted_at";
/// The start of the run that last wrote the row.
pub const SYNCED_AT: &str = "_synced_at";
/// When a version became current (the parent's `updated_at`).
pub const VALID_FROM: &str = "_valid_from";
/// When it stopped being current (`NULL` while current).
pub const VALID_TO: &str = "_valid_to";
/// Whether it is the current version.
pub const IS_CURRENT: &str = "_is_current";

/// The table holding each stream's bookmark (the same name in every destination).
pub const STATE_TABLE: &str = "_kustomer_state";
/// The table each run appends one row per stream to.
pub(crate) const SYNC_RUNS_TABLE: &str = "_sync_runs";
