//! How a sync runs: one set of options, built in code, read from a TOML file,
//! or set by the `sync` example's flags, all with the same names.
//!
//! In code, with [`SyncOptions::builder`]:
//!
//! ```
//! use kustomer_sync::SyncOptions;
//!
//! let opts = SyncOptions::builder()
//!     .tables(["customers", "conversations"])
//!     .exclude_tables(["conversation_events"])
//!     .exclude_columns(["customers.birthday_at"])
//!     .hash_columns(["customers.display_name"])
//!     .hash_salt("a long random secret")
//!     .usage_ceiling(0.5)
//!     .build()?;
//! assert!(opts.tables.as_ref().unwrap().contains(&"customers".to_owned()));
//! # Ok::<(), kustomer_sync::SyncError>(())
//! ```
//!
//! From a TOML file ([`SyncOptions::from_toml_file`] reads one from disk); every
//! key is optional and an unknown key is an error:
//!
//! ```
//! use kustomer_sync::SyncOptions;
//!
//! let opts = SyncOptions::from_toml_str(r#"
//!     tables = ["customers", "conversations"]
//!     exclude_tables = ["conversation_events"]
//!     exclude_columns = ["customers.birthday_at"]
//!     hash_columns = ["customers.display_name"]
//!     hash_salt = "a long random secret"
//!     hard_delete = false
//!     history = true
//!     resync = ["customers"]
//!     start_date = 2024-01-01
//!     usage_ceiling = 0.5
//!     resolved_only = false
//!     search_page_size = 500
//!     max_concurrent_streams = 4
//!     channel_capacity = 8
//! "#)?;
//! assert!(opts.resyncs("customers"));
//! # Ok::<(), kustomer_sync::SyncError>(())
//! ```

use std::fmt;
use std::ops::RangeInclusive;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::error::SyncError;

/// The allowed [`SyncOptions::usage_ceiling`] values.
pub const USAGE_CEILING_RANGE: RangeInclusive<f64> = 0.25..=0.90;
/// The allowed [`SyncOptions::search_page_size`] values.
pub const SEARCH_PAGE_SIZE_RANGE: RangeInclusive<u32> = 1..=500;

/// How a sync runs.
///
/// Build it with [`SyncOptions::builder`], read it with
/// [`SyncOptions::from_toml_str`] / [`SyncOptions::from_toml_file`] (the TOML
/// keys are the field names), or set the fields directly and call
/// [`SyncOptions::validate`]. The `Deserialize` impl accepts exactly these field
/// names, each optional, and rejects unknown ones; it does not validate.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// Batches buffered between fetching and loading.
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
            channel_capacity: 8,
            first_load: Default::default(),
            details: Default::default(),
            details_per_run: None,
        }
    }
}

/// The salt of hashed columns: a secret that `Debug` and `Display` never print.
#[derive(Clone, PartialEq, Eq)]
pub struct HashSalt(String);

impl HashSalt {
    /// Wraps a salt.
    pub fn new(salt: impl Into<String>) -> Self {
        HashSalt(salt.into())
    }

    /// The salt itself.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for HashSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashSalt(<redacted>)")
    }
}

impl std::fmt::Display for HashSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for HashSalt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(HashSalt)
    }
}

impl SyncOptions {
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
    /// (see [`crate::select::Selection`]).
    pub fn validate(&self) -> Result<(), SyncError> {
        let mut problems = Vec::new();
        if let Some(c) = self.usage_ceiling {
            if !USAGE_CEILING_RANGE.contains(&c) {
                problems.push(format!(
                    "usage_ceiling {c} is outside {}..={}",
                    USAGE_CEILING_RANGE.start(),
                    USAGE_CEILING_RANGE.end()
                ));
            }
        }
        if !SEARCH_PAGE_SIZE_RANGE.contains(&self.search_page_size) {
            problems.push(format!(
                "search_page_size {} is outside {}..={}",
                self.search_page_size,
                SEARCH_PAGE_SIZE_RANGE.start(),
                SEARCH_PAGE_SIZE_RANGE.end()
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

/// The message of a config error, without the `invalid sync configuration`
/// prefix its `Display` adds.
fn config_message(e: SyncError) -> String {
    match e {
        SyncError::Config(m) => m,
        other => other.to_string(),
    }
}

/// Parses TOML into options; the error gives the position and the parser's
/// message, never the offending text.
fn parse_toml(text: &str) -> Result<SyncOptions, String> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let at = e
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!(" at line {line}, column {column}")
            })
            .unwrap_or_default();
        format!("TOML error{at}: {}", e.message().trim_end())
    })
}

/// Parses a start date: `2024-01-01` (midnight UTC), RFC 3339, or a date-time
/// without offset (UTC).
fn parse_start_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc())
}

fn de_start_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    struct StartDate;

    impl<'de> Visitor<'de> for StartDate {
        type Value = Option<DateTime<Utc>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date (2024-01-01) or an RFC 3339 date-time")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse_start_date(v).map(Some).ok_or_else(|| {
                E::custom(format!(
                    "start_date {v:?} is not a date (2024-01-01) or an RFC 3339 date-time"
                ))
            })
        }

        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            // A TOML datetime literal.
            let dt = toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
            if dt.date.is_none() {
                return Err(de::Error::custom(format!("start_date {dt} has no date")));
            }
            self.visit_str(&dt.to_string())
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(StartDate)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    deserializer.deserialize_any(StartDate)
}

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

fn strings(items: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

impl SyncOptionsBuilder {
    /// Tables to sync (stream or child table names); not calling it syncs every table.
    pub fn tables(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts.tables = Some(strings(tables));
        self
    }

    /// Tables never synced (a parent takes its child tables with it).
    pub fn exclude_tables(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts.exclude_tables = strings(tables);
        self
    }

    /// Columns never written, as `table.column`.
    pub fn exclude_columns(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts.exclude_columns = strings(columns);
        self
    }

    /// Columns stored as a salted SHA-256 hex digest, as `table.column`.
    pub fn hash_columns(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts.hash_columns = strings(columns);
        self
    }

    /// The salt of the hashed columns.
    pub fn hash_salt(mut self, salt: impl Into<String>) -> Self {
        self.opts.hash_salt = Some(HashSalt::new(salt));
        self
    }

    /// Remove deleted rows instead of marking them `_deleted`.
    pub fn hard_delete(mut self, on: bool) -> Self {
        self.opts.hard_delete = on;
        self
    }

    /// Keep every observed version of conversations.
    pub fn history(mut self, on: bool) -> Self {
        self.opts.history = on;
        self
    }

    /// Tables whose bookmark is forgotten before this run (`*` for all).
    pub fn resync(mut self, tables: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.opts.resync = strings(tables);
        self
    }

    /// Forgets every bookmark before this run (`resync = ["*"]`).
    pub fn resync_all(mut self) -> Self {
        self.opts.resync = vec!["*".to_owned()];
        self
    }

    /// Lower bound of the first sync of incremental streams.
    pub fn start_date(mut self, start: DateTime<Utc>) -> Self {
        self.opts.start_date = Some(start);
        self
    }

    /// Share of the org's rate limit this run may use (0.25–0.90).
    pub fn usage_ceiling(mut self, ceiling: f64) -> Self {
        self.opts.usage_ceiling = Some(ceiling);
        self
    }

    /// Load only resolved conversations, with their messages and notes.
    pub fn resolved_only(mut self, on: bool) -> Self {
        self.opts.resolved_only = on;
        self
    }

    /// Search page size (1–500).
    pub fn search_page_size(mut self, size: u32) -> Self {
        self.opts.search_page_size = size;
        self
    }

    /// Streams running at once (at least 1).
    pub fn max_concurrent_streams(mut self, n: usize) -> Self {
        self.opts.max_concurrent_streams = n;
        self
    }

    /// Batches buffered between fetching and loading (at least 1).
    pub fn channel_capacity(mut self, n: usize) -> Self {
        self.opts.channel_capacity = n;
        self
    }

    /// When a full read reads the detail lists (see [`SyncOptions::details`]).
    pub fn details(mut self, mode: crate::mode::DetailsMode) -> Self {
        self.opts.details = mode;
        self
    }

    /// See [`SyncOptions::details_per_run`].
    pub fn details_per_run(mut self, parents: u64) -> Self {
        self.opts.details_per_run = Some(parents);
        self
    }

    /// How a first load reads (`FirstLoadMode::Lists` by default).
    pub fn first_load(mut self, mode: crate::mode::FirstLoadMode) -> Self {
        self.opts.first_load = mode;
        self
    }

    /// The options, validated (see [`SyncOptions::validate`]).
    pub fn build(self) -> Result<SyncOptions, SyncError> {
        self.opts.validate()?;
        Ok(self.opts)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const SALT: &str = "pepper-7f3a9c";

    const EVERY_KEY: &str = r#"
        tables = ["customers", "conversations", "kobject_order"]
        exclude_tables = ["conversation_events"]
        exclude_columns = ["customers.birthday_at"]
        hash_columns = ["customers.display_name", "messages.customer_id"]
        hash_salt = "pepper-7f3a9c"
        hard_delete = true
        history = true
        resync = ["customers"]
        start_date = "2024-01-01"
        usage_ceiling = 0.5
        resolved_only = true
        search_page_size = 200
        max_concurrent_streams = 2
        channel_capacity = 16
        first_load = "search_only"
        details = "inline"
        details_per_run = 5000
    "#;

    fn message(e: SyncError) -> String {
        match e {
            SyncError::Config(m) => m,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    fn expected() -> SyncOptions {
        SyncOptions {
            tables: Some(vec!["customers".into(), "conversations".into(), "kobject_order".into()]),
            exclude_tables: vec!["conversation_events".into()],
            exclude_columns: vec!["customers.birthday_at".into()],
            hash_columns: vec!["customers.display_name".into(), "messages.customer_id".into()],
            hash_salt: Some(HashSalt::new(SALT)),
            hard_delete: true,
            history: true,
            resync: vec!["customers".into()],
            start_date: Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()),
            usage_ceiling: Some(0.5),
            resolved_only: true,
            search_page_size: 200,
            max_concurrent_streams: 2,
            channel_capacity: 16,
            first_load: crate::mode::FirstLoadMode::SearchOnly,
            details: crate::mode::DetailsMode::Inline,
            details_per_run: Some(5_000),
        }
    }

    #[test]
    fn toml_reads_every_key() {
        assert_eq!(SyncOptions::from_toml_str(EVERY_KEY).unwrap(), expected());
    }

    #[test]
    fn empty_toml_is_the_default() {
        assert_eq!(SyncOptions::from_toml_str("").unwrap(), SyncOptions::default());
    }

    #[test]
    fn builder_equals_toml() {
        let built = SyncOptions::builder()
            .tables(["customers", "conversations", "kobject_order"])
            .exclude_tables(["conversation_events"])
            .exclude_columns(["customers.birthday_at"])
            .hash_columns(vec![
                "customers.display_name".to_owned(),
                "messages.customer_id".to_owned(),
            ])
            .hash_salt(SALT)
            .hard_delete(true)
            .history(true)
            .resync(["customers"])
            .start_date(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap())
            .usage_ceiling(0.5)
            .resolved_only(true)
            .search_page_size(200)
            .max_concurrent_streams(2)
            .channel_capacity(16)
            .first_load(crate::mode::FirstLoadMode::SearchOnly)
            .details(crate::mode::DetailsMode::Inline)
            .details_per_run(5_000)
            .build()
            .unwrap();
        assert_eq!(built, SyncOptions::from_toml_str(EVERY_KEY).unwrap());
        assert_eq!(SyncOptions::builder().build().unwrap(), SyncOptions::default());
    }

    #[test]
    fn start_date_forms() {
        let at = |s: &str| {
            SyncOptions::from_toml_str(&format!("start_date = {s}"))
                .unwrap()
                .start_date
        };
        let midnight = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        let ten = Some(Utc.with_ymd_and_hms(2024, 1, 1, 10, 0, 0).unwrap());
        assert_eq!(at("\"2024-01-01\""), midnight);
        assert_eq!(at("2024-01-01"), midnight);
        assert_eq!(at("\"2024-01-01T10:00:00Z\""), ten);
        assert_eq!(at("\"2024-01-01T12:00:00+02:00\""), ten);
        assert_eq!(at("2024-01-01T12:00:00+02:00"), ten);
        assert_eq!(at("2024-01-01T10:00:00Z"), ten);
        assert_eq!(at("2024-01-01T10:00:00"), ten);
        assert_eq!(at("2024-01-01 10:00:00Z"), ten);
        let err = message(SyncOptions::from_toml_str("start_date = \"yesterday\"").unwrap_err());
        assert!(err.contains("start_date") && err.contains("yesterday"), "{err}");
        let err = message(SyncOptions::from_toml_str("start_date = 10:00:00").unwrap_err());
        assert!(err.contains("no date"), "{err}");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = message(SyncOptions::from_toml_str("tables = [\"customers\"]\nmax_streams = 3\n").unwrap_err());
        assert!(err.contains("max_streams"), "{err}");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn wrong_type_is_an_error() {
        let err = message(SyncOptions::from_toml_str("hard_delete = \"yes\"").unwrap_err());
        assert!(err.contains("TOML error"), "{err}");
    }

    #[test]
    fn ceiling_out_of_range() {
        for bad in ["0.1", "0.95", "1", "nan"] {
            let err = message(SyncOptions::from_toml_str(&format!("usage_ceiling = {bad}")).unwrap_err());
            assert!(err.contains("usage_ceiling"), "{err}");
        }
        for good in ["0.25", "0.9", "0.5"] {
            SyncOptions::from_toml_str(&format!("usage_ceiling = {good}")).unwrap();
        }
        assert!(SyncOptions::builder().usage_ceiling(0.91).build().is_err());
    }

    #[test]
    fn other_limits() {
        assert!(SyncOptions::builder().search_page_size(0).build().is_err());
        assert!(SyncOptions::builder().search_page_size(501).build().is_err());
        SyncOptions::builder().search_page_size(1).build().unwrap();
        assert!(SyncOptions::builder().max_concurrent_streams(0).build().is_err());
        assert!(SyncOptions::builder().channel_capacity(0).build().is_err());
    }

    #[test]
    fn column_specs_need_one_dot() {
        for bad in ["customers", "customers.", ".name", "a.b.c", ""] {
            let err = message(SyncOptions::builder().exclude_columns([bad]).build().unwrap_err());
            assert!(err.contains("exclude_columns") && err.contains("table.column"), "{err}");
            let err = message(
                SyncOptions::builder()
                    .hash_columns([bad])
                    .hash_salt(SALT)
                    .build()
                    .unwrap_err(),
            );
            assert!(err.contains("hash_columns"), "{err}");
        }
    }

    #[test]
    fn hash_without_salt() {
        for opts in [
            SyncOptions::builder().hash_columns(["customers.name"]),
            SyncOptions::builder().hash_columns(["customers.name"]).hash_salt(""),
        ] {
            let err = message(opts.build().unwrap_err());
            assert!(err.contains("hash_salt"), "{err}");
        }
        // A salt without hashed columns is harmless.
        SyncOptions::builder().hash_salt(SALT).build().unwrap();
    }

    #[test]
    fn excluded_and_hashed() {
        let err = message(
            SyncOptions::builder()
                .exclude_columns(["customers.name"])
                .hash_columns(["customers.name"])
                .hash_salt(SALT)
                .build()
                .unwrap_err(),
        );
        assert!(err.contains("customers.name") && err.contains("both"), "{err}");
    }

    #[test]
    fn salt_never_printed() {
        let opts = SyncOptions::from_toml_str(EVERY_KEY).unwrap();
        assert!(!format!("{opts:?}").contains(SALT));
        assert!(!format!("{opts:#?}").contains(SALT));
        let salt = opts.hash_salt.clone().unwrap();
        assert!(!format!("{salt}").contains(SALT));
        assert!(!format!("{salt:?}").contains(SALT));
        assert_eq!(salt.expose_secret(), SALT);
        assert!(!format!("{:?}", SyncOptions::builder().hash_salt(SALT)).contains(SALT));
        // Errors of a config that holds the salt.
        let errors = [
            SyncOptions::from_toml_str(&format!("{EVERY_KEY}\nusage_ceiling_x = 2")).unwrap_err(),
            SyncOptions::from_toml_str(&format!("hash_salts = \"{SALT}\"")).unwrap_err(),
            SyncOptions::from_toml_str(&format!("hash_salt = \"{SALT}\"\nhash_salt = \"{SALT}\"")).unwrap_err(),
            SyncOptions::from_toml_str(&format!("hash_salt = \"{SALT}")).unwrap_err(),
            SyncOptions::builder()
                .hash_salt(SALT)
                .hash_columns(["customers.name"])
                .exclude_columns(["customers.name"])
                .usage_ceiling(3.0)
                .build()
                .unwrap_err(),
        ];
        for e in errors {
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(SALT), "{shown}");
        }
    }

    #[test]
    fn file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.toml");
        std::fs::write(&path, EVERY_KEY).unwrap();
        assert_eq!(SyncOptions::from_toml_file(&path).unwrap(), expected());

        std::fs::write(&path, "bogus = 1").unwrap();
        let err = message(SyncOptions::from_toml_file(&path).unwrap_err());
        assert!(err.contains("sync.toml") && err.contains("bogus"), "{err}");

        std::fs::write(&path, "usage_ceiling = 2.0").unwrap();
        let err = message(SyncOptions::from_toml_file(&path).unwrap_err());
        assert!(err.contains("sync.toml") && err.contains("usage_ceiling"), "{err}");

        let err = message(SyncOptions::from_toml_file(dir.path().join("missing.toml")).unwrap_err());
        assert!(err.contains("missing.toml"), "{err}");
    }

    #[test]
    fn resyncs() {
        let opts = SyncOptions::builder().resync(["customers"]).build().unwrap();
        assert!(opts.resyncs("customers"));
        assert!(!opts.resyncs("messages"));
        let all = SyncOptions::builder().resync_all().build().unwrap();
        assert!(all.resyncs("messages"));
        assert!(!SyncOptions::default().resyncs("customers"));
    }
}
