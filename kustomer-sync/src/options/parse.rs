//! Reading options from TOML: positions in errors, never the text; the
//! forms `start_date` accepts.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use super::SyncOptions;
use crate::error::SyncError;

/// The message of a config error, without the `invalid sync configuration`
/// prefix its `Display` adds.
pub(super) fn config_message(e: SyncError) -> String {
    match e {
        SyncError::Config(m) => m,
        other => other.to_string(),
    }
}

/// Parses TOML into options; the error gives the position and the parser's
/// message, never the offending text.
pub(super) fn parse_toml(text: &str) -> Result<SyncOptions, String> {
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

pub(super) fn de_start_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
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
