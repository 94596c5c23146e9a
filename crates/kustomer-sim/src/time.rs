//! Timestamp formatting and parsing in the shapes Kustomer uses.
//!
//! Records carry ISO-8601 UTC strings with exactly three fraction digits; search
//! bounds arrive in many shapes (see spec §4, §6b), all normalised here to
//! microseconds since the epoch so comparisons are exact.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Microseconds in one millisecond.
pub(crate) const MS: i64 = 1_000;
/// Microseconds in one second.
pub(crate) const SEC: i64 = 1_000 * MS;
/// Microseconds in one hour.
pub(crate) const HOUR: i64 = 3_600 * SEC;
/// Microseconds in one day.
pub(crate) const DAY: i64 = 24 * HOUR;

/// Microseconds since the epoch of an instant.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// Formats microseconds since the epoch as Kustomer does: `2024-03-01T10:00:02.130Z`
/// (sub-millisecond digits are truncated, as the API stores milliseconds).
pub(crate) fn format(us: i64) -> String {
    let t = Utc
        .timestamp_micros(us.div_euclid(MS) * MS)
        .single()
        .unwrap_or_default();
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses a record timestamp (RFC 3339) into microseconds since the epoch.
pub(crate) fn parse_instant(s: &str) -> Option<i64> {
    parse_bound(s).map(|(start, _)| start)
}

/// Parses a search date into the half-open interval `[start, end)` it denotes, in
/// microseconds.
///
/// A bare `YYYY-MM-DD` denotes the whole GMT day, the way Elasticsearch rounds
/// date-only bounds (so `lte 2024-01-01` includes that day). A datetime denotes one
/// microsecond. Accepted datetimes: any fraction length (0, 3, 6 …), `Z` or a numeric
/// offset (or none, read as UTC), and `T` or a space between date and time.
pub(crate) fn parse_bound(s: &str) -> Option<(i64, i64)> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let start = d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros();
        return Some((start, start + DAY));
    }
    let normalised: String = s
        .char_indices()
        .map(|(i, c)| if i == 10 && c == ' ' { 'T' } else { c })
        .collect();
    let start = DateTime::parse_from_rfc3339(&normalised)
        .map(|t| t.timestamp_micros())
        .or_else(|_| {
            NaiveDateTime::parse_from_str(&normalised, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|t| t.and_utc().timestamp_micros())
        })
        .ok()?;
    Some((start, start + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds() {
        let us = parse_instant("2024-03-01T10:00:02.130Z").unwrap();
        assert_eq!(format(us), "2024-03-01T10:00:02.130Z");
        assert_eq!(format(us + 999), "2024-03-01T10:00:02.130Z");
    }

    #[test]
    fn parses_every_documented_shape() {
        let want = parse_instant("2024-01-01T00:00:00Z").unwrap();
        for s in [
            "2024-01-01T00:00:00.000Z",
            "2024-01-01T00:00:00.000000Z",
            "2024-01-01 00:00:00+00:00",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T01:00:00+01:00",
            "2024-01-01T00:00:00",
        ] {
            assert_eq!(parse_bound(s), Some((want, want + 1)), "{s}");
        }
        assert_eq!(parse_bound("2024-01-01"), Some((want, want + DAY)));
        assert_eq!(parse_bound("yesterday"), None);
    }
}
