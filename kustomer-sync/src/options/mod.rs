//! How a sync runs: [`SyncOptions`], its TOML reading, its builder and its
//! `with_*` setters.

mod builder;
mod hash_salt;
mod parse;
mod setters;
#[cfg(test)]
mod tests;

use std::ops::RangeInclusive;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::SyncError;
pub use builder::SyncOptionsBuilder;
pub use hash_salt::HashSalt;
use parse::{config_message, de_start_date, parse_toml};

/// How a sync runs: one set of options, built in code, read from a TOML file,
/// or set by the `sync` example's flags, all with the same names.
///
/// In code, with [`SyncOptions::builder`]:
///
/// ```
/// use kustomer_sync::SyncOptions;
///
/// let opts = SyncOptions::builder()
///     .tables(["customers", "conversations"])
///     .exclude_tables(["conversation_events"])
///     .exclude_columns(["customers.birthday_at"])
///     .hash_columns(["customers.display_name"])
///     .hash_salt("a long random secret")
///     .usage_ceiling(0.5)
///     .build()?;
/// assert!(opts.tables.as_ref().unwrap().contains(&"customers".to_owned()));
/// # Ok::<(), kustomer_sync::SyncError>(())
/// ```
///
/// From a TOML file ([`SyncOptions::from_toml_file`] reads one from disk); every
/// key is optional and an unknown key is an error:
///
/// ```
/// use kustomer_sync::SyncOptions;
///
/// let opts = SyncOptions::from_toml_str(r#"
///     tables = ["customers", "conversations"]
///     exclude_tables = ["conversation_events"]
///     exclude_columns = ["customers.birthday_at"]
///     hash_columns = ["customers.display_name"]
///     hash_salt = "a long random secret"
///     hard_delete = false
///     history = true
///     resync = ["customers"]
///     start_date = 2024-01-01
///     usage_ceiling = 0.5
///     resolved_only = false
///     search_page_size = 500
///     max_concurrent_streams = 4
///     channel_capacity = 8
/// "#)?;
/// assert!(opts.resyncs("customers"));
/// # Ok::<(), kustomer_sync::SyncError>(())
/// ```
///
/// In code without validation, with the `with_*` setters (the engine
/// validates before its first request):
///
/// ```
/// use kustomer_sync::{FirstLoadMode, SyncOptions};
///
/// let opts = SyncOptions::default()
///    .with_tables(["conversations"])
///    .with_first_load(FirstLoadMode::SearchOnly)
///    .with_usage_ceiling(0.5);
/// opts.validate()?;
/// # Ok::<(), kustomer_sync::SyncError>(())
/// ```
///
/// Build it with [`SyncOptions::builder`] (validated), read it with
/// [`SyncOptions::from_toml_str`] / [`SyncOptions::from_toml_file`] (the TOML
/// keys are the field names), or start from [`SyncOptions::default`] and chain
/// the `with_*` setters (not validated: the engine validates before a run, or
/// call [`SyncOptions::validate`]). The fields stay readable and writable;
/// `#[non_exhaustive]` only keeps other crates from struct literals, so a new
/// option is not a breaking change. The `Deserialize` impl accepts exactly
/// these field names, each optional, and rejects unknown ones; it does not
/// validate.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SyncOptions {
    /// Tables to sync (stream or child table names); `None` syncs every table.
    pub tables: Option<Vec<String>>,
    /// Tables never synced (a parent takes its child tables with it).
    pub exclude_tables: Vec<String>,
    /// Columns never written, as `table.column`.
    pub exclude_columns: Vec<String>,
    /// Columns stored as a salted SHA-256 hex digest, as `table.column`.
    pub hash_columns: Vec<String>,
    /// The salt of [`SyncOptions::hash_columns`].
    pub hash_salt: Option<HashSalt>,
    /// Remove deleted rows instead of marking them `_deleted`.
    pub hard_delete: bool,
    /// Keep every observed version of conversations in `conversation_history`.
    pub history: bool,
    /// Tables whose bookmark is forgotten before this run (`*` for all).
    pub resync: Vec<String>,
    /// Lower bound of the first sync of incremental streams; `None` reads all history.
    ///
    /// In TOML: a date (`2024-01-01`, midnight UTC), an RFC 3339 instant, or a
    /// date-time without offset (read as UTC), quoted or not.
    #[serde(deserialize_with = "de_start_date")]
    pub start_date: Option<DateTime<Utc>>,
    /// Share of the org's rate limit this run may use (0.25–0.90); `None` keeps the client's.
    pub usage_ceiling: Option<f64>,
    /// Load only conversations whose status is `done`, with their messages and notes.
    pub resolved_only: bool,
    /// Search page size (max 500).
    pub search_page_size: u32,
    /// Streams running at once.
    pub max_concurrent_streams: usize,
    /// Batches buffered between fetching and loading (2 by default: each
    /// holds up to a page of decoded records, and at 8 they were a third of
    /// the pipeline's peak memory for no gain where the API sets the pace).
    pub channel_capacity: usize,
    /// How a first load (or re-sync) of an incremental table reads: `lists`
    /// (GET lists and search at once, reconciled; all history) or
    /// `search_only` (the last two years).
    pub first_load: crate::mode::FirstLoadMode,
    /// When a full read (a first load, a re-sync) reads the per-parent
    /// detail lists (events, times, forwards, attachments, drafts, merges:
    /// one request per parent each): `after_core` (the core tables first,
    /// then the parents again by id with their details, in the background
    /// of the org budget so no core read waits for them) or
    /// `inline` (with each batch). Incremental runs read them inline.
    pub details: crate::mode::DetailsMode,
    /// Parents whose detail lists the backfill reads per stream and run;
    /// `None` reads them all. The rest waits for the next runs.
    pub details_per_run: Option<u64>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            tables: None,
            exclude_tables: Vec::new(),
            exclude_columns: Vec::new(),
            hash_columns: Vec::new(),
            hash_salt: None,
            hard_delete: false,
            history: false,
            resync: Vec::new(),
            start_date: None,
            usage_ceiling: None,
            resolved_only: false,
            search_page_size: 500,
            max_concurrent_streams: 4,
            channel_capacity: 2,
            first_load: Default::default(),
            details: Default::default(),
            details_per_run: None,
        }
    }
}

impl SyncOptions {
    /// The allowed [`SyncOptions::usage_ceiling`] values.
    pub const USAGE_CEILING_RANGE: RangeInclusive<f64> = 0.25..=0.90;
    /// The allowed [`SyncOptions::search_page_size`] values.
    pub const SEARCH_PAGE_SIZE_RANGE: RangeInclusive<u32> = 1..=500;

    /// A builder starting from the defaults.
    pub fn builder() -> SyncOptionsBuilder {
        SyncOptionsBuilder::default()
    }

    /// Reads options from TOML text (keys are the field names, all optional)
    /// and validates them.
    ///
    /// Errors give the line and column of a TOML problem but never echo the
    /// text itself, so a misspelt `hash_salt` key cannot leak the salt.
    pub fn from_toml_str(text: &str) -> Result<SyncOptions, SyncError> {
        let opts = parse_toml(text).map_err(SyncError::Config)?;
        opts.validate()?;
        Ok(opts)
    }

    /// Reads options from a TOML file (see [`SyncOptions::from_toml_str`]) and
    /// validates them. Errors name the file.
    ///
    /// ```no_run
    /// let opts = kustomer_sync::SyncOptions::from_toml_file("kustomer-sync.toml")?;
    /// # Ok::<(), kustomer_sync::SyncError>(())
    /// ```
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<SyncOptions, SyncError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SyncError::Config(format!("cannot read {}: {e}", path.display())))?;
        let opts = parse_toml(&text).map_err(|e| SyncError::Config(format!("{}: {e}", path.display())))?;
        opts.validate()
            .map_err(|e| SyncError::Config(format!("{}: {}", path.display(), config_message(e))))?;
        Ok(opts)
    }

    /// Checks the options hang together:
    ///
    /// - `usage_ceiling` within 0.25–0.90, `search_page_size` within 1–500,
    ///   `max_concurrent_streams` and `channel_capacity` at least 1;
    /// - every `exclude_columns` / `hash_columns` entry is `table.column`;
    /// - `hash_columns` needs a non-empty `hash_salt`;
    /// - no column is both excluded and hashed.
    ///
    /// Whether tables and columns exist is checked later, against the catalogue
    /// (before the first request of a run).
    pub fn validate(&self) -> Result<(), SyncError> {
        let mut problems = Vec::new();
        if let Some(c) = self.usage_ceiling {
            if !Self::USAGE_CEILING_RANGE.contains(&c) {
                problems.push(format!(
                    "usage_ceiling {c} is outside {}..={}",
                    Self::USAGE_CEILING_RANGE.start(),
                    Self::USAGE_CEILING_RANGE.end()
                ));
            }
        }
        if !Self::SEARCH_PAGE_SIZE_RANGE.contains(&self.search_page_size) {
            problems.push(format!(
                "search_page_size {} is outside {}..={}",
                self.search_page_size,
                Self::SEARCH_PAGE_SIZE_RANGE.start(),
                Self::SEARCH_PAGE_SIZE_RANGE.end()
            ));
        }
        if self.max_concurrent_streams == 0 {
            problems.push("max_concurrent_streams must be at least 1".to_owned());
        }
        if self.channel_capacity == 0 {
            problems.push("channel_capacity must be at least 1".to_owned());
        }
        for (key, specs) in [
            ("exclude_columns", &self.exclude_columns),
            ("hash_columns", &self.hash_columns),
        ] {
            for spec in specs {
                if split_column_spec(spec).is_none() {
                    problems.push(format!("{key} entry {spec:?} is not `table.column`"));
                }
            }
        }
        let salted = self.hash_salt.as_ref().is_some_and(|s| !s.expose_secret().is_empty());
        if !self.hash_columns.is_empty() && !salted {
            problems.push(
                "hash_columns needs a salt: set `hash_salt = \"<secret>\"` in the config file (the sync example also reads `--hash-salt` and `KUSTOMER_HASH_SALT`) or call \
                 `SyncOptionsBuilder::hash_salt` (a long random secret, kept out of version control and \
                 never changed: another salt gives other digests)"
                    .to_owned(),
            );
        }
        for spec in &self.hash_columns {
            if self.exclude_columns.contains(spec) {
                problems.push(format!(
                    "column {spec} is both in exclude_columns and hash_columns; keep one"
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SyncError::Config(problems.join("; ")))
        }
    }

    /// Whether this run forgets the bookmark of `table` (`resync` holds `*` or
    /// the name).
    pub fn resyncs(&self, table: &str) -> bool {
        self.resync.iter().any(|r| r == "*" || r == table)
    }
}

/// Splits `table.column` (exactly one dot, both sides non-empty).
pub(crate) fn split_column_spec(spec: &str) -> Option<(&str, &str)> {
    let (table, column) = spec.split_once('.')?;
    (!table.is_empty() && !column.is_empty() && !column.contains('.')).then_some((table, column))
}
