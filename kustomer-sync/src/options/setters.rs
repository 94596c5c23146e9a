//! `with_*` setters: options built from the defaults in one expression,
//! without validation (the engine validates before a run), so a test can
//! hand the engine options it must reject.

use chrono::{DateTime, Utc};

use super::{HashSalt, SyncOptions};
use crate::mode::{DetailsMode, FirstLoadMode};

fn strings(items: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

impl SyncOptions {
    /// Tables to sync (stream or child table names); not calling it syncs every table.
    #[must_use]
    pub fn with_tables(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.tables = Some(strings(tables));
        self
    }

    /// Tables never synced (a parent takes its child tables with it).
    #[must_use]
    pub fn with_exclude_tables(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.exclude_tables = strings(tables);
        self
    }

    /// Columns never written, as `table.column`.
    #[must_use]
    pub fn with_exclude_columns(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.exclude_columns = strings(columns);
        self
    }

    /// Columns stored as a salted SHA-256 hex digest, as `table.column`.
    #[must_use]
    pub fn with_hash_columns(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.hash_columns = strings(columns);
        self
    }

    /// The salt of the hashed columns.
    #[must_use]
    pub fn with_hash_salt(mut self, salt: impl Into<String>) -> Self {
        self.hash_salt = Some(HashSalt::new(salt));
        self
    }

    /// Remove deleted rows instead of marking them `_deleted`.
    #[must_use]
    pub fn with_hard_delete(mut self, on: bool) -> Self {
        self.hard_delete = on;
        self
    }

    /// Keep every observed version of conversations.
    #[must_use]
    pub fn with_history(mut self, on: bool) -> Self {
        self.history = on;
        self
    }

    /// Tables whose bookmark is forgotten before this run (`*` for all).
    #[must_use]
    pub fn with_resync(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.resync = strings(tables);
        self
    }

    /// Lower bound of the first sync of incremental streams.
    #[must_use]
    pub fn with_start_date(mut self, start: DateTime<Utc>) -> Self {
        self.start_date = Some(start);
        self
    }

    /// Share of the org's rate limit this run may use (0.25–0.90).
    #[must_use]
    pub fn with_usage_ceiling(mut self, ceiling: f64) -> Self {
        self.usage_ceiling = Some(ceiling);
        self
    }

    /// Load only resolved conversations, with their messages and notes.
    #[must_use]
    pub fn with_resolved_only(mut self, on: bool) -> Self {
        self.resolved_only = on;
        self
    }

    /// Search page size (1–500).
    #[must_use]
    pub fn with_search_page_size(mut self, size: u32) -> Self {
        self.search_page_size = size;
        self
    }

    /// Streams running at once (at least 1).
    #[must_use]
    pub fn with_max_concurrent_streams(mut self, n: usize) -> Self {
        self.max_concurrent_streams = n;
        self
    }

    /// Batches buffered between fetching and loading (at least 1).
    #[must_use]
    pub fn with_channel_capacity(mut self, n: usize) -> Self {
        self.channel_capacity = n;
        self
    }

    /// How a first load reads (`FirstLoadMode::Lists` by default).
    #[must_use]
    pub fn with_first_load(mut self, mode: FirstLoadMode) -> Self {
        self.first_load = mode;
        self
    }

    /// When a full read reads the detail lists (see [`SyncOptions::details`]).
    #[must_use]
    pub fn with_details(mut self, mode: DetailsMode) -> Self {
        self.details = mode;
        self
    }

    /// See [`SyncOptions::details_per_run`].
    #[must_use]
    pub fn with_details_per_run(mut self, parents: u64) -> Self {
        self.details_per_run = Some(parents);
        self
    }
}
