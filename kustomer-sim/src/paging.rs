//! Page parameters, the list envelope's `meta`/`links`, and body serialisation
//! (spec §2, §3).

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use crate::errors::ApiError;

/// The default `pageSize` of every list and of search.
pub(crate) const DEFAULT_PAGE_SIZE: usize = 100;

/// A parsed URL query string that keeps the raw pairs, so links can carry the
/// request's other parameters verbatim.
#[derive(Debug, Default)]
pub(crate) struct Query {
    /// `(raw key, raw value, decoded key, decoded value)`.
    pairs: Vec<(String, String, String, String)>,
}

impl Query {
    /// Parses `a=1&b=x%20y` (a missing query is empty).
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), v.to_owned(), decode(k), decode(v))
            })
            .collect();
        Query { pairs }
    }

    /// The first decoded value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|p| p.2 == key).map(|p| p.3.as_str())
    }

    /// `&k=v…` for every parameter except `page` and `pageSize`, raw, in request order.
    fn others(&self) -> String {
        self.others_except(&["page", "pageSize"])
    }

    /// `&k=v…` for every parameter not named in `skip`, raw, in request order.
    pub(crate) fn others_except(&self, skip: &[&str]) -> String {
        self.pairs
            .iter()
            .filter(|p| !skip.contains(&p.2.as_str()))
            .map(|p| format!("&{}={}", p.0, p.1))
            .collect()
    }
}

/// Decodes `%XX` escapes and `+` (as a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(hi), Some(lo)) => {
                        out.push((hi * 16 + lo) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A requested page: 1-based number and size, already clamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageRequest {
    /// 1-based page number.
    pub page: usize,
    /// Items per page.
    pub size: usize,
}

impl PageRequest {
    /// Reads `page` (default 1) and `pageSize` (default 100), clamping `pageSize` to
    /// `1..=max` silently as the real API does. Non-numbers are a 400.
    pub(crate) fn parse(query: &Query, max: usize) -> Result<PageRequest, ApiError> {
        let number = |key: &str, default: usize| -> Result<usize, ApiError> {
            match query.get(key) {
                None | Some("") => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| ApiError::BadRequest(format!("{key} must be a positive integer, got {v:?}"))),
            }
        };
        Ok(PageRequest {
            page: number("page", 1)?.max(1),
            size: number("pageSize", DEFAULT_PAGE_SIZE)?.clamp(1, max),
        })
    }

    /// Index of the page's first item.
    pub(crate) fn offset(&self) -> usize {
        (self.page - 1).saturating_mul(self.size)
    }

    /// The page's slice of `items`.
    pub(crate) fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = self.offset().min(items.len());
        let end = start.saturating_add(self.size).min(items.len());
        &items[start..end]
    }

    /// Number of pages `total` items fill.
    pub(crate) fn total_pages(&self, total: usize) -> usize {
        total.div_ceil(self.size)
    }
}

/// Which optional parts a list envelope carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Totals {
    /// Only `{pageSize, page}` and no `last` link (most lists).
    None,
    /// `total`/`totalPages` in meta and a `last` link (`GET /v1/customers`).
    Counted,
    /// As `Counted`, plus search's `aggregations: {}` and `timed_out: false`.
    Search,
}

/// Builds `meta` and `links` for page `req` of `total` items at `path` (relative,
/// e.g. `/v1/customers`), keeping the request's other query parameters. `prev` and
/// `next` are always present, `null` at the ends.
pub(crate) fn envelope(path: &str, query: &Query, req: PageRequest, total: usize, totals: Totals) -> (Value, Value) {
    envelope_reporting(path, query, req, total, total, totals)
}

/// As [`envelope`], but `meta.total`, `meta.totalPages` and `links.last` report
/// `reported` items (search's capped totals) while `next` follows the real `total`.
pub(crate) fn envelope_reporting(
    path: &str,
    query: &Query,
    req: PageRequest,
    total: usize,
    reported: usize,
    totals: Totals,
) -> (Value, Value) {
    let others = query.others();
    let href = |page: usize| json!(format!("{path}?page={page}&pageSize={}{others}", req.size));
    let pages = req.total_pages(reported);
    let mut links = Map::new();
    links.insert("self".into(), href(req.page));
    links.insert("first".into(), href(1));
    links.insert(
        "prev".into(),
        if req.page > 1 { href(req.page - 1) } else { Value::Null },
    );
    links.insert(
        "next".into(),
        if req.offset().saturating_add(req.size) < total {
            href(req.page + 1)
        } else {
            Value::Null
        },
    );
    let mut meta = Map::new();
    meta.insert("pageSize".into(), json!(req.size));
    meta.insert("page".into(), json!(req.page));
    if totals != Totals::None {
        links.insert("last".into(), href(pages.max(1)));
        meta.insert("total".into(), json!(reported));
        meta.insert("totalPages".into(), json!(pages));
    }
    if totals == Totals::Search {
        meta.insert("aggregations".into(), json!({}));
        meta.insert("timed_out".into(), json!(false));
    }
    (Value::Object(meta), Value::Object(links))
}

/// A list response body, serialised without cloning the records: each is written
/// as stored.
#[derive(Debug, Serialize)]
pub(crate) struct ListBody<'a> {
    /// Page facts.
    pub meta: Value,
    /// Relative navigation links.
    pub links: Value,
    /// The page's resource objects.
    pub data: &'a [&'a RawValue],
}

/// A single-resource body: `{"data": resource}`.
#[derive(Debug, Serialize)]
pub(crate) struct OneBody<'a> {
    /// The resource object.
    pub data: &'a RawValue,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_and_defaults() {
        let q = Query::parse(Some("pageSize=1000&page=0"));
        assert_eq!(PageRequest::parse(&q, 100).unwrap(), PageRequest { page: 1, size: 100 });
        let q = Query::parse(None);
        assert_eq!(PageRequest::parse(&q, 500).unwrap(), PageRequest { page: 1, size: 100 });
        assert!(PageRequest::parse(&Query::parse(Some("page=x")), 100).is_err());
    }

    #[test]
    fn links_keep_other_params_and_null_ends() {
        let q = Query::parse(Some("sort=desc&page=2&pageSize=10"));
        let req = PageRequest::parse(&q, 100).unwrap();
        let (meta, links) = envelope("/v1/conversations", &q, req, 25, Totals::None);
        assert_eq!(meta, json!({"pageSize": 10, "page": 2}));
        assert_eq!(links["self"], "/v1/conversations?page=2&pageSize=10&sort=desc");
        assert_eq!(links["prev"], "/v1/conversations?page=1&pageSize=10&sort=desc");
        assert_eq!(links["next"], "/v1/conversations?page=3&pageSize=10&sort=desc");
        assert!(links.get("last").is_none());
        let req = PageRequest { page: 3, size: 10 };
        let (_, links) = envelope("/v1/customers", &Query::default(), req, 25, Totals::Counted);
        assert_eq!(links["next"], Value::Null);
        assert_eq!(links["last"], "/v1/customers?page=3&pageSize=10");
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(decode("a%20b+c%2"), "a b c%2");
    }
}
