//! Cursor paging, as `GET /v1/audit-logs` does it (spec §3, §12): `count` (default
//! 100, clamped to 1..=1000) and `before`/`after` record ids over a newest-first list;
//! links `next` = `…&before=<last id>`, `prev` = `…&after=<first id>`; meta
//! `{count, total, cursorCount}`.

use serde_json::{json, Map, Value};

use crate::errors::ApiError;
use crate::paging::Query;
use crate::store::Item;

/// The default `count`.
pub(crate) const DEFAULT_COUNT: usize = 100;
/// The largest honoured `count`.
pub(crate) const MAX_COUNT: usize = 1_000;

/// A parsed cursor request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CursorRequest {
    /// Items per page, clamped.
    pub count: usize,
    /// Only items older than (ids below) this id.
    pub before: Option<String>,
    /// Only items newer than (ids above) this id.
    pub after: Option<String>,
}

fn object_id(key: &str, v: Option<&str>) -> Result<Option<String>, ApiError> {
    match v {
        None | Some("") => Ok(None),
        Some(id) if id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit()) => Ok(Some(id.to_ascii_lowercase())),
        Some(id) => Err(ApiError::BadRequest(format!(
            "{key} must be an audit-log id, got {id:?}"
        ))),
    }
}

impl CursorRequest {
    /// Reads `count`, `before` and `after`; non-numbers and malformed ids are a 400.
    pub(crate) fn parse(query: &Query) -> Result<CursorRequest, ApiError> {
        let count = match query.get("count") {
            None | Some("") => DEFAULT_COUNT,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .map_err(|_| ApiError::BadRequest(format!("count must be a positive integer, got {v:?}")))?,
        };
        Ok(CursorRequest {
            count: count.clamp(1, MAX_COUNT),
            before: object_id("before", query.get("before"))?,
            after: object_id("after", query.get("after"))?,
        })
    }
}

/// What a cursor pages over: items with an id.
pub(crate) trait Cursored {
    /// The item's id, which orders the list.
    fn cursor_id(&self) -> &str;
}

impl Cursored for Item {
    fn cursor_id(&self) -> &str {
        self.id()
    }
}

/// One page of a newest-first list (ids strictly decreasing).
#[derive(Debug)]
pub(crate) struct CursorPage<'a, T> {
    /// The page's items, newest first.
    pub items: Vec<&'a T>,
    /// How many items lie on the cursor's side (all of them without a cursor).
    pub cursor_count: usize,
    /// Whether older items exist beyond the page.
    pub older: bool,
    /// Whether newer items exist before the page.
    pub newer: bool,
}

/// Cuts `req`'s page out of `items` (newest first). With `after`, the page is the
/// `count` items just newer than the cursor, still listed newest first.
pub(crate) fn page<'a, T: Cursored>(items: &[&'a T], req: &CursorRequest) -> CursorPage<'a, T> {
    let id = |v: &T| v.cursor_id().to_owned();
    let candidates: Vec<&T> = (items.iter().copied())
        .filter(|v| req.before.as_ref().is_none_or(|b| id(v) < *b))
        .filter(|v| req.after.as_ref().is_none_or(|a| id(v) > *a))
        .collect();
    let n = candidates.len();
    let take = req.count.min(n);
    let chosen: Vec<&T> = if req.after.is_some() && req.before.is_none() {
        candidates[n - take..].to_vec()
    } else {
        candidates[..take].to_vec()
    };
    let (first, last) = (chosen.first().map(|v| id(v)), chosen.last().map(|v| id(v)));
    CursorPage {
        older: last.as_ref().is_some_and(|l| items.iter().any(|v| id(v) < *l)),
        newer: first.as_ref().is_some_and(|f| items.iter().any(|v| id(v) > *f)),
        items: chosen,
        cursor_count: n,
    }
}

/// `meta` and `links` of a cursor page of `total` items at `path`, keeping the
/// request's other parameters (filters) verbatim. `prev`/`next` are `null` when
/// there is nothing newer/older (or the page is empty).
pub(crate) fn envelope<T: Cursored>(
    path: &str,
    query: &Query,
    req: &CursorRequest,
    page: &CursorPage<'_, T>,
    total: usize,
) -> (Value, Value) {
    let others = query.others_except(&["count", "before", "after"]);
    let base = format!("{path}?count={}{others}", req.count);
    let mut this = base.clone();
    for (key, v) in [("before", &req.before), ("after", &req.after)] {
        if let Some(v) = v {
            this.push_str(&format!("&{key}={v}"));
        }
    }
    let edge = |cond: bool, key: &str, item: Option<&&T>| match item {
        Some(v) if cond => json!(format!("{base}&{key}={}", v.cursor_id())),
        _ => Value::Null,
    };
    let mut links = Map::new();
    links.insert("self".into(), json!(this));
    links.insert("first".into(), json!(base));
    links.insert("prev".into(), edge(page.newer, "after", page.items.first()));
    links.insert("next".into(), edge(page.older, "before", page.items.last()));
    let meta = json!({"count": req.count, "total": total, "cursorCount": page.cursor_count});
    (meta, Value::Object(links))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Cursored for Value {
        fn cursor_id(&self) -> &str {
            crate::resource::id(self)
        }
    }

    fn items() -> Vec<Value> {
        (0..10u8).rev().map(|i| json!({"id": format!("{i:024x}")})).collect()
    }

    #[test]
    fn pages_newest_first_both_ways() {
        let owned = items();
        let all: Vec<&Value> = owned.iter().collect();
        let q = Query::parse(Some("count=4&filter%5BobjectType%5D=customer"));
        let req = CursorRequest::parse(&q).unwrap();
        let p1 = page(&all, &req);
        assert_eq!(p1.items, all[..4]);
        assert!(p1.older && !p1.newer);
        let (meta, links) = envelope("/v1/audit-logs", &q, &req, &p1, 10);
        assert_eq!(meta, json!({"count": 4, "total": 10, "cursorCount": 10}));
        assert_eq!(links["self"], "/v1/audit-logs?count=4&filter%5BobjectType%5D=customer");
        assert_eq!(links["prev"], Value::Null);
        let next = links["next"].as_str().unwrap();
        assert_eq!(
            next,
            format!(
                "/v1/audit-logs?count=4&filter%5BobjectType%5D=customer&before={:024x}",
                6
            )
        );

        let q2 = Query::parse(next.split_once('?').map(|x| x.1));
        let req2 = CursorRequest::parse(&q2).unwrap();
        let p2 = page(&all, &req2);
        assert_eq!(p2.items, all[4..8]);
        assert_eq!(p2.cursor_count, 6);
        let (_, links2) = envelope("/v1/audit-logs", &q2, &req2, &p2, 10);
        let prev = links2["prev"].as_str().unwrap();
        let req3 = CursorRequest::parse(&Query::parse(prev.split_once('?').map(|x| x.1))).unwrap();
        assert_eq!(page(&all, &req3).items, all[..4], "prev returns to the first page");

        let last = page(
            &all,
            &CursorRequest {
                before: Some(format!("{:024x}", 2)),
                ..req2
            },
        );
        assert_eq!(last.items.len(), 2);
        assert!(!last.older);
    }

    #[test]
    fn clamps_count_and_rejects_bad_cursors() {
        let req = CursorRequest::parse(&Query::parse(Some("count=5000"))).unwrap();
        assert_eq!(req.count, MAX_COUNT);
        assert_eq!(CursorRequest::parse(&Query::default()).unwrap().count, DEFAULT_COUNT);
        assert!(CursorRequest::parse(&Query::parse(Some("before=xyz"))).is_err());
        assert!(CursorRequest::parse(&Query::parse(Some("count=ten"))).is_err());
    }
}
