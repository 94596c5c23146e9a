//! The HTTP layer: authentication, rate limits, latency, statistics, fault
//! injection, and the endpoint handlers, all over one shared [`Org`].

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::config::SimConfig;
use crate::conn::Tap;
use crate::errors::ApiError;
use crate::faults::{self, Fault, Faults, Real};
use crate::handlers;
use crate::kind::Kind;
use crate::limits::{Limits, RateHeaders, Verdict};
use crate::org::{Org, Row};
use crate::paging::{self, ListBody, OneBody, PageRequest, Query, Totals};
use crate::policy::Policy;
use crate::rng::{combine, Rng};
use crate::routes::{Route, Scope};
use crate::row::to_raw;
use crate::search::{self, Index, Search};
use crate::stats::SimStats;

/// Request bodies above this size are refused with 413, as the real API does.
const MAX_BODY: usize = 100 * 1024;

/// State shared by the server task and the [`crate::Simulator`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The org's data.
    pub org: Mutex<Org>,
    /// Rate budgets.
    limits: Mutex<Limits>,
    /// Counters.
    pub stats: Mutex<SimStats>,
    /// The accepted bearer token.
    pub token: String,
    latency: Range<Duration>,
    seed: u64,
    sequence: AtomicU64,
    /// Missing roles, the result window, unserved paths and the other switches.
    policy: Policy,
    /// Injected faults and request hooks.
    pub faults: Faults,
}

/// Locks a mutex, recovering from poisoning: a panicking test closure must not take
/// the server down with it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// State for an org generated from `config`.
    pub(crate) fn new(config: &SimConfig) -> Shared {
        Shared {
            org: Mutex::new(Org::generate(config)),
            limits: Mutex::new(Limits::new(config.org_rate_limit, config.search_rate_limit)),
            stats: Mutex::new(SimStats::default()),
            token: config.token.clone(),
            latency: config.latency.clone(),
            seed: config.seed,
            sequence: AtomicU64::new(0),
            policy: Policy::new(config),
            faults: Faults::default(),
        }
    }

    /// The `n`-th request's delay: a deterministic draw from the latency range.
    fn delay(&self, n: u64) -> Duration {
        let lo = self.latency.start.as_micros() as i64;
        let hi = self.latency.end.as_micros() as i64;
        let mut rng = Rng::new(combine(self.seed ^ 0x1a7e, n));
        Duration::from_micros(rng.range(lo, hi).max(lo) as u64)
    }
}

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
        Some(Route::Webhook(op)) => crate::webhooks::respond(&mut lock(&shared.org), op, &body),
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

/// Whether `path` lies under `prefix`, segment-wise: `/v1/audit-logs` covers
/// `/v1/audit-logs`, `/v1/audit-logs/` and `/v1/audit-logs/x`, not `/v1/audit-logsx`;
/// `""` and `"/"` cover every path.
pub(crate) fn under(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    (path.trim_end_matches('/').strip_prefix(prefix)).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
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

pub(crate) fn json_response(status: StatusCode, body: Vec<u8>, rate: Option<RateHeaders>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(rate) = rate {
        for (name, value) in [
            ("x-ratelimit-limit", u64::from(rate.limit)),
            ("x-ratelimit-remaining", u64::from(rate.remaining)),
            ("x-ratelimit-reset", rate.reset),
        ] {
            h.insert(name, HeaderValue::from(value));
        }
    }
    response
}

pub(crate) fn error_response(e: &ApiError, rate: Option<RateHeaders>) -> Response {
    json_response(e.status(), e.body().to_string().into_bytes(), rate)
}

/// Serialises a response body.
pub(crate) fn to_bytes(body: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

/// A 404 for a missing record.
pub(crate) fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::NotFound(format!("{what} {id} not found"))
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
            None if org.klass_named(x).is_some() => list(org, policy, Kind::KObject, Scope::Klass(x), query),
            None => Err(not_found("klass", x)),
        },
        Route::List(kind, scope) => list(org, policy, kind, scope, query),
        Route::Search => search(org, policy, query, body, Index::Search),
        Route::ArchiveSearch => search(org, policy, query, body, Index::Archive),
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

/// A live parent record or a 404.
pub(crate) fn parent<'o>(org: &'o Org, kind: Kind, id: &str) -> Result<&'o Row, ApiError> {
    org.row(kind, id)
        .filter(|r| !r.meta.deleted)
        .ok_or_else(|| not_found(kind.resource_type(), id))
}

/// The one generic list handler: scope, filters, order, paging and envelope.
fn list(org: &Org, policy: &Policy, kind: Kind, scope: Scope<'_>, query: &Query) -> Result<Vec<u8>, ApiError> {
    let (path, totals) = match scope {
        Scope::All => (format!("/v1/{}", kind.collection()), {
            if kind == Kind::Customer {
                Totals::Counted
            } else {
                Totals::None
            }
        }),
        Scope::Customer(id) => {
            parent(org, Kind::Customer, id)?;
            (format!("/v1/customers/{id}/{}", kind.collection()), Totals::None)
        }
        Scope::Conversation(id) => {
            parent(org, Kind::Conversation, id)?;
            (format!("/v1/conversations/{id}/{}", kind.collection()), Totals::None)
        }
        Scope::Klass(name) => (format!("/v1/klasses/{name}"), Totals::None),
        Scope::CustomerKlass(id, name) => {
            parent(org, Kind::Customer, id)?;
            if org.klass_named(name).is_none() {
                return Err(not_found("klass", name));
            }
            (format!("/v1/customers/{id}/klasses/{name}"), Totals::None)
        }
    };
    let req = PageRequest::parse(query, kind.max_page_size())?;
    policy.window(req)?;
    // `GET /v1/users?deleted=true` lists only deactivated users; otherwise deleted
    // records are hidden.
    let want_deleted = kind == Kind::User && query.get("deleted") == Some("true");
    let status = (kind == Kind::Klass).then(|| query.get("status").unwrap_or("enabled"));
    let in_scope = |r: &Row| match scope {
        Scope::All => true,
        Scope::Customer(id) => r.meta.customer.as_deref() == Some(id),
        Scope::Conversation(id) => r.meta.conversation.as_deref() == Some(id),
        Scope::Klass(name) => r.meta.klass.as_deref() == Some(name),
        Scope::CustomerKlass(id, name) => {
            r.meta.customer.as_deref() == Some(id) && r.meta.klass.as_deref() == Some(name)
        }
    };
    let mut items: Vec<&RawValue> = (org.rows(kind).iter())
        .filter(|r| r.meta.deleted == want_deleted)
        .filter(|r| in_scope(r))
        .filter(|r| status.is_none_or(|s| r.meta.status.as_deref() == Some(s)))
        .map(Row::json)
        .collect();
    if kind.sortable_list() && query.get("sort") == Some("desc") {
        items.reverse();
    }
    let (meta, links) = paging::envelope(&path, query, req, items.len(), totals);
    Ok(to_bytes(&ListBody {
        meta,
        links,
        data: req.slice(&items),
    }))
}

/// `POST /v1/customers/search` and `POST /v1/customers/archive/search`: one handler,
/// the index deciding which records are seen and whether they come thin. Checks
/// come in this order: archive search served, page cap (404), result window (400),
/// body (400).
fn search(org: &Org, policy: &Policy, query: &Query, body: &[u8], index: Index) -> Result<Vec<u8>, ApiError> {
    if index == Index::Archive {
        policy.archive_served()?;
    }
    let req = PageRequest::parse(query, search::MAX_PAGE_SIZE)?;
    if req.page > search::PAGE_CAP {
        return Err(ApiError::NotFound(format!(
            "Search results are limited to {} pages",
            search::PAGE_CAP
        )));
    }
    policy.window(req)?;
    let parsed = Search::parse(body)?;
    policy.check_body(index, body)?;
    let hits = parsed.run(org, index);
    let reported = policy.reported_total(hits.len());
    let (meta, links) = paging::envelope_reporting(
        index.path(),
        &Query::default(),
        req,
        hits.len(),
        reported,
        Totals::Search,
    );
    let page = req.slice(&hits);
    if index == Index::Search {
        let data: Vec<&RawValue> = page.iter().map(|r| r.json()).collect();
        return Ok(to_bytes(&ListBody {
            meta,
            links,
            data: &data,
        }));
    }
    let thin: Vec<Box<RawValue>> = page.iter().map(|r| to_raw(&search::thin(&r.value()))).collect();
    let data: Vec<&RawValue> = thin.iter().map(|t| &**t).collect();
    Ok(to_bytes(&ListBody {
        meta,
        links,
        data: &data,
    }))
}
