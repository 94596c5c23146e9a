//! The top of the HTTP layer: authentication, rate limits, latency, statistics
//! and fault injection around every request, then routing to the handlers
//! ([`crate::records`], [`crate::handlers`], [`crate::webhooks`]) over the shared
//! [`Org`].

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;

use crate::conn::Tap;
use crate::errors::ApiError;
use crate::faults::{self, Fault, Real};
use crate::handlers;
use crate::http::{error_response, json_response, not_found, to_bytes};
use crate::kind::Kind;
use crate::limits::Verdict;
use crate::lock::lock;
use crate::org::{Org, Row};
use crate::paging::{OneBody, Query};
use crate::policy::Policy;
use crate::records;
use crate::routes::{Route, Scope};
use crate::search::Index;
use crate::state::Shared;
use crate::webhooks;

/// Request bodies above this size are refused with 413, as the real API does.
const MAX_BODY: usize = 100 * 1024;

/// The axum app: one fallback handler doing its own routing (see [`crate::routes`]).
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(tap): ConnectInfo<Tap>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = shared.sequence.fetch_add(1, Ordering::Relaxed);
    lock(&shared.stats).requests += 1;
    let delay = shared.delay(n);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Err(e) = authorize(&headers, &shared.token) {
        lock(&shared.stats).unauthorized += 1;
        return error_response(&e, None);
    }
    // Unserved paths answer as unknown ones; the others may lack a role.
    let route = (!shared.policy.unserved(uri.path()))
        .then(|| Route::parse(&method, uri.path()))
        .flatten();
    if let Some(e) = shared.policy.missing_role(uri.path(), route) {
        lock(&shared.stats).forbidden += 1;
        return error_response(&e, None);
    }
    // Archive search draws on the search budget too (spec §4, §9).
    let is_search = matches!(route, Some(Route::Search | Route::ArchiveSearch));
    {
        let mut stats = lock(&shared.stats);
        let family = route.map_or_else(|| "other".to_owned(), |r| r.family());
        *stats.by_family.entry(family).or_default() += 1;
        stats.search_requests += u64::from(is_search);
    }
    let rate = match lock(&shared.limits).charge(is_search) {
        Verdict::Allowed(h) => h,
        Verdict::Throttled(h) => {
            lock(&shared.stats).throttled += 1;
            return error_response(&ApiError::TooManyRequests, Some(h));
        }
    };
    let armed = shared.faults.armed();
    if armed {
        faults::run_hooks(&shared.faults, &shared.org, &method, uri.path());
    }
    let query = Query::parse(uri.query());
    let result = match route {
        None => Err(ApiError::NotFound(format!("No route for {method} {}", uri.path()))),
        Some(_) if body.len() > MAX_BODY => Err(ApiError::TooLarge),
        Some(Route::Webhook(op)) => webhooks::respond(&mut lock(&shared.org), op, &body),
        Some(route) => respond(&lock(&shared.org), &shared.policy, route, &query, &body).map(|b| (StatusCode::OK, b)),
    };
    let (status, body) = match result {
        Ok(ok) => ok,
        Err(e) => (e.status(), e.body().to_string().into_bytes()),
    };
    if !armed {
        return json_response(status, body, rate);
    }
    let answer = faults::answer(&shared.faults, &method, uri.path(), Real { status, body, rate }, &tap);
    if let Some(fault) = &answer.fault {
        let mut stats = lock(&shared.stats);
        stats.faults += 1;
        stats.throttled += u64::from(matches!(fault, Fault::TooManyRequests { .. }));
    }
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    answer.response
}

/// Checks `Authorization: Bearer <token>` (exactly one space).
fn authorize(headers: &HeaderMap, token: &str) -> Result<(), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::Unauthorized("Missing Authorization header".into()))?;
    match value.strip_prefix("Bearer ") {
        Some(t) if t == token => Ok(()),
        Some(_) => Err(ApiError::Unauthorized("Invalid API token".into())),
        None => Err(ApiError::Unauthorized(
            "Authorization header must be \"Bearer <token>\"".into(),
        )),
    }
}

/// Answers one routed request from the org.
fn respond(org: &Org, policy: &Policy, route: Route<'_>, query: &Query, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let one = |row: Option<&Row>, what: &str, id: &str| match row {
        Some(r) if !r.meta.deleted => Ok(to_bytes(&OneBody { data: r.json() })),
        _ => Err(not_found(what, id)),
    };
    match route {
        Route::CurrentUser => org
            .current_user()
            .map(|u| to_bytes(&OneBody { data: u.json() }))
            .ok_or_else(|| not_found("user", "current")),
        Route::Get(kind, id) => one(org.row(kind, id), kind.resource_type(), id),
        Route::KObject(klass, id) => {
            let row = org
                .row(Kind::KObject, id)
                .filter(|r| r.meta.klass.as_deref() == Some(klass));
            one(row, "kobject", id)
        }
        Route::KlassOrKObjects(x) => match org.row(Kind::Klass, x) {
            Some(klass) => one(Some(klass), "klass", x),
            None if org.klass_named(x).is_some() => records::list(org, policy, Kind::KObject, Scope::Klass(x), query),
            None => Err(not_found("klass", x)),
        },
        Route::List(kind, scope) => records::list(org, policy, kind, scope, query),
        Route::Search => records::search(org, policy, query, body, Index::Search),
        Route::ArchiveSearch => records::search(org, policy, query, body, Index::Archive),
        Route::Config(spec) => handlers::config_list(org, policy, spec, query),
        Route::ConfigItem(spec, id) => handlers::config_item(org, spec, id, query),
        Route::Metadata(resource) => handlers::metadata(org, resource),
        Route::AuditLogs => handlers::audit_logs(org, query),
        Route::WebhookEvents => Ok(handlers::webhook_events(org)),
        Route::Detail(d, id) => handlers::detail_list(org, policy, d, id, query),
        Route::TimesByIds(ids) => handlers::times_by_ids(org, ids),
        Route::CustomerMerge(id) => handlers::customer_merge(org, id),
        Route::Webhook(_) => unreachable!("webhook writes are answered by `handle`: they need the org mutably"),
    }
}
