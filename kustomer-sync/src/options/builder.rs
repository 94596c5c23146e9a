//! The validating builder; each method is the `with_*` setter of the same name.

use super::SyncOptions;
use crate::error::SyncError;
use crate::mode::{DetailsMode, FirstLoadMode};
use chrono::{DateTime, Utc};

/// Builds [`SyncOptions`] field by field (same names as the fields and the
/// TOML keys); [`SyncOptionsBuilder::build`] validates.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use kustomer_sync::SyncOptions;
///
/// let opts = SyncOptions::builder()
///     .start_date(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap())
///     .resync_all()
///     .max_concurrent_streams(2)
///     .build()?;
/// assert!(opts.resyncs("customers"));
/// # Ok::<(), kustomer_sync::SyncError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct SyncOptionsBuilder {
    opts: SyncOptions,
}

/// Each builder method is the `with_*` setter of the same name, written once
/// here rather than forwarded by hand.
macro_rules! forward {
    ($($(#[$doc:meta])* $name:ident => $with:ident($arg:ident: $ty:ty);)*) => {
        impl SyncOptionsBuilder {
            $(
                $(#[$doc])*
                pub fn $name(mut self, $arg: $ty) -> Self {
                    self.opts = self.opts.$with($arg);
                    self
                }
            )*
        }
    };
}

forward! {
    /// Tables to sync (stream or child table names); not calling it syncs every table.
    tables => with_tables(tables: impl IntoIterator<Item = impl Into<String>>);
    /// Tables never synced (a parent takes its child tables with it).
    exclude_tables => with_exclude_tables(tables: impl IntoIterator<Item = impl Into<String>>);
    /// Columns never written, as `table.column`.
    exclude_columns => with_exclude_columns(columns: impl IntoIterator<Item = impl Into<String>>);
    /// Columns stored as a salted SHA-256 hex digest, as `table.column`.
    hash_columns => with_hash_columns(columns: impl IntoIterator<Item = impl Into<String>>);
    /// The salt of the hashed columns.
    hash_salt => with_hash_salt(salt: impl Into<String>);
    /// Remove deleted rows instead of marking them `_deleted`.
    hard_delete => with_hard_delete(on: bool);
    /// Keep every observed version of conversations.
    history => with_history(on: bool);
    /// Tables whose bookmark is forgotten before this run (`*` for all).
    resync => with_resync(tables: impl IntoIterator<Item = impl Into<String>>);
    /// Lower bound of the first sync of incremental streams.
    start_date => with_start_date(start: DateTime<Utc>);
    /// Share of the org's rate limit this run may use (0.25–0.90).
    usage_ceiling => with_usage_ceiling(ceiling: f64);
    /// Load only resolved conversations, with their messages and notes.
    resolved_only => with_resolved_only(on: bool);
    /// Search page size (1–500).
    search_page_size => with_search_page_size(size: u32);
    /// Streams running at once (at least 1).
    max_concurrent_streams => with_max_concurrent_streams(n: usize);
    /// Batches buffered between fetching and loading (at least 1).
    channel_capacity => with_channel_capacity(n: usize);
    /// When a full read reads the detail lists (see [`SyncOptions::details`]).
    details => with_details(mode: DetailsMode);
    /// See [`SyncOptions::details_per_run`].
    details_per_run => with_details_per_run(parents: u64);
    /// How a first load reads (`FirstLoadMode::Lists` by default).
    first_load => with_first_load(mode: FirstLoadMode);
}

impl SyncOptionsBuilder {
    /// Forgets every bookmark before this run (`resync = ["*"]`).
    pub fn resync_all(self) -> Self {
        self.resync(["*"])
    }

    /// The options, validated (see [`SyncOptions::validate`]).
    pub fn build(self) -> Result<SyncOptions, SyncError> {
        self.opts.validate()?;
        Ok(self.opts)
    }
}
