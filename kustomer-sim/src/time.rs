//! Timestamp formatting and parsing in the shapes Kustomer uses.
//!
//! Records carry ISO-8601 UTC strings with exactly three fraction digits; search
//! bounds arrive in many shapes (see spec §4, §6b), all normalised here to
//! microseconds since the epoch so comparisons are exact.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

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
    // Hand-rolled (generation formats hundreds of thousands of these).
    let ms = us.div_euclid(MS);
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (h, min, s, milli) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1_000 % 60,
        ms_of_day % 1_000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// Days since 1970-01-01 to a proleptic Gregorian `(year, month, day)`
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `(year, month, day)` to days since 1970-01-01 (inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a record timestamp into microseconds since the epoch: the exact shape
/// [`format()`] writes is read directly, anything else goes through [`parse_bound`].
pub(crate) fn parse_instant(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z';
    if shape_ok {
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            b[r].iter().try_fold(0i64, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
            })
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
        if (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && sec < 60 {
            let days = days_from_civil(y, mo, d);
            return Some(((days * 24 + h) * 60 + mi) * 60 * SEC + sec * SEC + ms * MS);
        }
    }
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
            NaiveDateTime::parse_from_str(&normalised, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc().timestamp_micros())
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
    fn fast_paths_agree_with_chrono() {
        let mut us = -86_400_000_000i64 * 365 * 3;
        while us < 86_400_000_000i64 * 365 * 80 {
            let s = format(us);
            let t = DateTime::parse_from_rfc3339(&s).unwrap();
            assert_eq!(t.timestamp_millis(), us.div_euclid(MS), "{s}");
            assert_eq!(parse_instant(&s), Some(us.div_euclid(MS) * MS), "{s}");
            us += 7_777_777_777_123;
        }
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
