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

impl SyncOptionsBuilder {
    /// Tables to sync (stream or child table names); not calling it syncs every table.
    pub fn tables(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts = self.opts.with_tables(tables);
        self
    }

    /// Tables never synced (a parent takes its child tables with it).
    pub fn exclude_tables(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts = self.opts.with_exclude_tables(tables);
        self
    }

    /// Columns never written, as `table.column`.
    pub fn exclude_columns(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts = self.opts.with_exclude_columns(columns);
        self
    }

    /// Columns stored as a salted SHA-256 hex digest, as `table.column`.
    pub fn hash_columns(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts = self.opts.with_hash_columns(columns);
        self
    }

    /// The salt of the hashed columns.
    pub fn hash_salt(mut self, salt: impl Into<String>) -> Self {
        self.opts = self.opts.with_hash_salt(salt);
        self
    }

    /// Remove deleted rows instead of marking them `_deleted`.
    pub fn hard_delete(mut self, on: bool) -> Self {
        self.opts = self.opts.with_hard_delete(on);
        self
    }

    /// Keep every observed version of conversations.
    pub fn history(mut self, on: bool) -> Self {
        self.opts = self.opts.with_history(on);
        self
    }

    /// Tables whose bookmark is forgotten before this run (`*` for all).
    pub fn resync(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts = self.opts.with_resync(tables);
        self
    }

    /// Forgets every bookmark before this run (`resync = ["*"]`).
    pub fn resync_all(self) -> Self {
        self.resync(["*"])
    }

    /// Lower bound of the first sync of incremental streams.
    pub fn start_date(mut self, start: DateTime<Utc>) -> Self {
        self.opts = self.opts.with_start_date(start);
        self
    }

    /// Share of the org's rate limit this run may use (0.25–0.90).
    pub fn usage_ceiling(mut self, ceiling: f64) -> Self {
        self.opts = self.opts.with_usage_ceiling(ceiling);
        self
    }

    /// Load only resolved conversations, with their messages and notes.
    pub fn resolved_only(mut self, on: bool) -> Self {
        self.opts = self.opts.with_resolved_only(on);
        self
    }

    /// Search page size (1–500).
    pub fn search_page_size(mut self, size: u32) -> Self {
        self.opts = self.opts.with_search_page_size(size);
        self
    }

    /// Streams running at once (at least 1).
    pub fn max_concurrent_streams(mut self, n: usize) -> Self {
        self.opts = self.opts.with_max_concurrent_streams(n);
        self
    }

    /// Batches buffered between fetching and loading (at least 1).
    pub fn channel_capacity(mut self, n: usize) -> Self {
        self.opts = self.opts.with_channel_capacity(n);
        self
    }

    /// When a full read reads the detail lists (see [`SyncOptions::details`]).
    pub fn details(mut self, mode: DetailsMode) -> Self {
        self.opts = self.opts.with_details(mode);
        self
    }

    /// See [`SyncOptions::details_per_run`].
    pub fn details_per_run(mut self, parents: u64) -> Self {
        self.opts = self.opts.with_details_per_run(parents);
        self
    }

    /// How a first load reads (`FirstLoadMode::Lists` by default).
    pub fn first_load(mut self, mode: FirstLoadMode) -> Self {
        self.opts = self.opts.with_first_load(mode);
        self
    }

    /// The options, validated (see [`SyncOptions::validate`]).
    pub fn build(self) -> Result<SyncOptions, SyncError> {
        self.opts.validate()?;
        Ok(self.opts)
    }
}
