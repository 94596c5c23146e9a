//! The real API's documented limits a [`SimConfig`] switches (spec §3, §4, §10):
//! the status of missing-role answers, the 10,000-record result window, capped
//! search totals, whether archive search is served and which fields it refuses,
//! standard search's refusal of company queries, and paths the org does not serve.

use axum::http::StatusCode;
use serde_json::Value;

use crate::config::SimConfig;
use crate::errors::ApiError;
use crate::http::under;
use crate::paging::PageRequest;
use crate::routes::{self, Route};
use crate::search::Index;

/// Elasticsearch's default `track_total_hits`: the largest total search reports
/// with [`SimConfig::cap_totals`].
pub(crate) const TRACK_TOTAL_HITS: usize = 10_000;

/// The switches of [`SimConfig`] the server applies per request.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    forbidden: Vec<String>,
    role_status: StatusCode,
    result_window: Option<usize>,
    cap_totals: bool,
    archive_search: Option<StatusCode>,
    search_refuses_company: bool,
    unserved: Vec<String>,
}

impl Policy {
    /// The policy `config` describes. Statuses outside 100..=999 fall back to 401
    /// (roles) and 404 (archive search).
    pub(crate) fn new(config: &SimConfig) -> Policy {
        Policy {
            forbidden: config.forbidden.clone(),
            role_status: StatusCode::from_u16(config.role_status).unwrap_or(StatusCode::UNAUTHORIZED),
            result_window: config.result_window,
            cap_totals: config.cap_totals,
            archive_search: (config.archive_search).map(|s| StatusCode::from_u16(s).unwrap_or(StatusCode::NOT_FOUND)),
            search_refuses_company: config.search_refuses_company,
            unserved: config.unserved.clone(),
        }
    }

    /// Whether `path` lies under an unserved prefix: the org answers it as an
    /// unknown path.
    pub(crate) fn unserved(&self, path: &str) -> bool {
        self.unserved.iter().any(|p| under(p, path))
    }

    /// The missing-role answer for a served `path` under a forbidden prefix, naming
    /// the endpoint's role (`org.permission.<first segment>.read` when no route
    /// matches).
    pub(crate) fn missing_role(&self, path: &str, route: Option<Route<'_>>) -> Option<ApiError> {
        if self.unserved(path) || !self.forbidden.iter().any(|p| under(p, path)) {
            return None;
        }
        let role = route.map_or_else(|| routes::fallback_role(path.trim_end_matches('/')), |r| r.role());
        Some(ApiError::Role(role, self.role_status))
    }

    /// Refuses a page whose last position lies past the result window, as
    /// Elasticsearch words it (`from + size` = `page * pageSize`).
    pub(crate) fn window(&self, req: PageRequest) -> Result<(), ApiError> {
        let Some(max) = self.result_window else {
            return Ok(());
        };
        let reach = req.page.saturating_mul(req.size);
        if reach <= max {
            return Ok(());
        }
        Err(ApiError::JsonApi(
            StatusCode::BAD_REQUEST,
            format!(
                "Result window is too large, from + size must be less than or equal to: [{max}] but was [{reach}]."
            ),
        ))
    }

    /// The `meta.total` search reports for `total` hits.
    pub(crate) fn reported_total(&self, total: usize) -> usize {
        if self.cap_totals {
            total.min(TRACK_TOTAL_HITS)
        } else {
            total
        }
    }

    /// Refuses every archive search when the org does not serve it.
    pub(crate) fn archive_served(&self) -> Result<(), ApiError> {
        match self.archive_search {
            None => Ok(()),
            Some(StatusCode::NOT_FOUND) => Err(ApiError::JsonApi(
                StatusCode::NOT_FOUND,
                "No route for POST /v1/customers/archive/search".into(),
            )),
            Some(status) => Err(ApiError::JsonApi(
                status,
                "Archive search is not enabled for this org: it needs a billing feature or role it lacks".into(),
            )),
        }
    }

    /// Refuses (400) a search body the index's schema does not accept: in archive
    /// search, note queries (`queryContext: "note"` or any `note_*` field: the
    /// archive schema lists customer, company, conversation, message and kobject
    /// fields only, with `additionalProperties: false`); in standard search with
    /// [`SimConfig::search_refuses_company`], company queries. Call it on a body
    /// [`crate::search::Search::parse`] accepted.
    pub(crate) fn check_body(&self, index: Index, body: &[u8]) -> Result<(), ApiError> {
        let (prefix, which) = match index {
            Index::Archive => (
                "note",
                "archive search indexes customer, company, conversation, message and kobject fields only",
            ),
            Index::Search if self.search_refuses_company => {
                ("company", "company fields are in the archive schema only")
            }
            Index::Search => return Ok(()),
        };
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return Ok(());
        };
        if body.get("queryContext").and_then(Value::as_str) == Some(prefix) {
            return Err(ApiError::BadRequest(format!(
                "Invalid queryContext \"{prefix}\": {which}"
            )));
        }
        let field = format!("{prefix}_");
        match first_key(&body, &|k| k.starts_with(&field)) {
            Some(name) => Err(ApiError::BadRequest(format!(
                "Unknown search field \"{name}\": {which}"
            ))),
            None => Ok(()),
        }
    }
}

/// The first object key anywhere in `v` (depth first) that `hit` accepts.
fn first_key<'v>(v: &'v Value, hit: &dyn Fn(&str) -> bool) -> Option<&'v str> {
    match v {
        Value::Object(m) => m.iter().find_map(|(k, inner)| {
            if hit(k) {
                Some(k.as_str())
            } else {
                first_key(inner, hit)
            }
        }),
        Value::Array(items) => items.iter().find_map(|i| first_key(i, hit)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(f: impl FnOnce(&mut SimConfig)) -> Policy {
        let mut c = SimConfig::tiny();
        f(&mut c);
        Policy::new(&c)
    }

    #[test]
    fn window_allows_pages_ending_at_the_limit() {
        let p = policy(|_| {});
        assert!(p.window(PageRequest { page: 100, size: 100 }).is_ok());
        assert!(p.window(PageRequest { page: 20, size: 500 }).is_ok());
        let e = p.window(PageRequest { page: 101, size: 100 }).unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body()["errors"][0]["detail"],
            "Result window is too large, from + size must be less than or equal to: [10000] but was [10100]."
        );
        let off = policy(|c| c.result_window = None);
        assert!(off
            .window(PageRequest {
                page: usize::MAX,
                size: 500
            })
            .is_ok());
    }

    #[test]
    fn archive_refuses_note_fields_anywhere() {
        let p = policy(|_| {});
        let check = |body: &str, index| p.check_body(index, body.as_bytes());
        assert!(check(r#"{"queryContext":"note"}"#, Index::Archive).is_err());
        assert!(check(r#"{"or":[{"and":[{"note_deleted":{"equals":true}}]}]}"#, Index::Archive).is_err());
        assert!(check(r#"{"sort":[{"note_updated_at":"asc"}]}"#, Index::Archive).is_err());
        assert!(check(r#"{"queryContext":"note"}"#, Index::Search).is_ok());
        assert!(check(r#"{"queryContext":"company"}"#, Index::Search).is_ok());
        let strict = policy(|c| c.search_refuses_company = true);
        assert!(strict
            .check_body(
                Index::Search,
                br#"{"and":[{"company_updated_at":{"gte":"2024-01-01"}}]}"#
            )
            .is_err());
        assert!(strict
            .check_body(Index::Archive, br#"{"queryContext":"company"}"#)
            .is_ok());
    }

    #[test]
    fn unserved_wins_over_forbidden() {
        let p = policy(|c| {
            c.forbidden = vec!["/v1".into()];
            c.unserved = vec!["/v1/assistants".into()];
        });
        assert!(p.unserved("/v1/assistants/") && !p.unserved("/v1/assistantsx"));
        assert!(p.missing_role("/v1/assistants", None).is_none());
        let e = p.missing_role("/v1/brands", None).expect("forbidden");
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
    }
}
