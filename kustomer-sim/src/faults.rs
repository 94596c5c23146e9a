//! Fault injection for reliability tests: rules that make matching requests fail the
//! ways networks, proxies and the API itself fail, and hooks that change the org
//! while a client is paging.
//!
//! Rules and hooks see the requests the simulator would otherwise answer from the
//! org: those that pass authentication (a bad token is still a 401),
//! [`crate::SimConfig::forbidden`] and the configured rate limits (a faulted request
//! has been charged to the budget, and counts in [`crate::SimStats`] like any other).
//! With none set, a request pays one atomic load.

use std::cell::OnceCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::conn::Tap;
use crate::errors::ApiError;
use crate::http::{error_response, json_response, under};
use crate::limits::RateHeaders;
use crate::lock::lock;
use crate::org::Org;

/// What goes wrong with a request a [`FaultRule`] matches.
///
/// Faults that keep "the real body" ([`Fault::TruncatedJson`], [`Fault::ResetMidBody`],
/// [`Fault::Slow`]) keep the real status and headers too: on a request that would
/// have failed (a 404, say) they alter that error response.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `429 Too Many Requests` with the usual JSON:API error body.
    ///
    /// `retry_after` adds `Retry-After: <seconds>`; `reset` adds `x-ratelimit-reset`.
    /// With neither, the 429 carries no timing hint at all (the client must back off
    /// on its own). When the simulator has a rate limit configured, the response
    /// also carries `x-ratelimit-limit` (that budget) and `x-ratelimit-remaining: 0`,
    /// as its own 429s do; without one it sends no `x-ratelimit-*` header but the
    /// requested reset.
    TooManyRequests {
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
        /// `x-ratelimit-reset`.
        reset: Option<Reset>,
    },
    /// This status (meant for 5xx; an invalid code becomes 500) with a JSON:API
    /// error body `{"errors":[{"status","code":"server_error","title","detail"}]}`.
    ServerError(u16),
    /// The real status, headers (including the real `Content-Length`) and the first
    /// half of the body, then the connection is shut down: the client gets a
    /// transport error while reading the body.
    ResetMidBody,
    /// The real status and headers with the body cut to its first half (floor);
    /// `Content-Length` is that of the bytes sent.
    TruncatedJson,
    /// `200` with `Content-Type: application/json` and a body that is not JSON at all.
    InvalidJson,
    /// A load balancer's HTML error page: this status (an invalid code becomes 502),
    /// `Content-Type: text/html`, and no `x-ratelimit-*` headers.
    HtmlPage(u16),
    /// The real response, sent after this delay.
    Slow(Duration),
    /// A page of a `page`/`pageSize` or cursor list, or of search, that holds fewer
    /// items than it should although more follow: the first half (floor) of `data`
    /// is kept, `meta` and `links` (with its non-null `next`) are the real ones.
    ///
    /// Such a rule only matches responses it can shorten: status 200, a `data` array
    /// of at least two items and a non-null `links.next`. Other requests on its path
    /// do not count towards its `skip` and `times`.
    ShortPage,
}

/// The value of an `x-ratelimit-reset` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// UTC epoch seconds, this many seconds from now (what the simulator's own rate
    /// limiter sends).
    Epoch(u64),
    /// Seconds from now, sent as is (the other reading of the header).
    Delta(u64),
}

impl Reset {
    /// The header value.
    fn value(self) -> u64 {
        match self {
            Reset::Epoch(secs) => {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                now + secs
            }
            Reset::Delta(secs) => secs,
        }
    }
}

/// When a [`Fault`] fires: on which requests, after how many, and how often.
///
/// Rules are checked in the order they were injected, and the first that fires on
/// a request wins; a request a rule fires on is not seen by the rules after it. So
/// `ServerError` ×2 followed by `TooManyRequests` ×1 on the same path answers
/// 500, 500, 429, then normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// The method it matches (`None`: any).
    pub method: Option<Method>,
    /// The paths it matches, without the query, segment-wise as
    /// [`crate::SimConfig::forbidden`]: `/v1/customers` matches `/v1/customers`,
    /// `/v1/customers/` and everything below (`/v1/customers/search`,
    /// `/v1/customers/{id}/conversations`), not `/v1/customersx`. `""` (or `"/"`)
    /// matches every path.
    pub path_prefix: String,
    /// Matching requests to let through before it fires.
    pub skip: u32,
    /// Matching requests to fire on after that (`u32::MAX`: every one, forever).
    pub times: u32,
}

impl FaultRule {
    /// `fault` on the next request (any method) under `path_prefix`, once.
    pub fn new(fault: Fault, path_prefix: impl Into<String>) -> Self {
        Self {
            fault,
            method: None,
            path_prefix: path_prefix.into(),
            skip: 0,
            times: 1,
        }
    }

    /// Matches only requests with this method.
    pub fn method(self, method: Method) -> Self {
        Self {
            method: Some(method),
            ..self
        }
    }

    /// Lets `n` matching requests through before firing.
    pub fn skip(self, n: u32) -> Self {
        Self { skip: n, ..self }
    }

    /// Fires on `n` matching requests (`u32::MAX`: forever).
    pub fn times(self, n: u32) -> Self {
        Self { times: n, ..self }
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        self.method.as_ref().is_none_or(|m| m == method) && under(&self.path_prefix, path)
    }
}

/// A rule and the matching requests it has seen.
#[derive(Debug)]
struct Armed {
    rule: FaultRule,
    seen: u64,
}

type HookFn = Box<dyn FnOnce(&mut Org) + Send>;

/// A one-shot [`crate::Simulator::on_request`] hook.
struct Hook {
    method: Option<Method>,
    path_prefix: String,
    skip: u32,
    seen: u32,
    f: HookFn,
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field("method", &self.method)
            .field("path_prefix", &self.path_prefix)
            .field("skip", &self.skip)
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Armed>,
    hooks: Vec<Hook>,
}

impl State {
    fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.hooks.is_empty()
    }
}

/// The server's rules and hooks.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Whether there are any: checked without the lock on every request.
    armed: AtomicBool,
    state: Mutex<State>,
}

impl Faults {
    /// Whether any rule or hook is set.
    pub(crate) fn armed(&self) -> bool {
        self.armed.load(Ordering::Acquire)
    }

    fn edit(&self, f: impl FnOnce(&mut State)) {
        let mut state = lock(&self.state);
        f(&mut state);
        self.armed.store(!state.is_empty(), Ordering::Release);
    }

    /// Adds a rule after the others.
    pub(crate) fn inject(&self, rule: FaultRule) {
        if rule.times > 0 {
            self.edit(|s| s.rules.push(Armed { rule, seen: 0 }));
        }
    }

    /// Adds a one-shot hook.
    pub(crate) fn on_request(&self, method: Option<Method>, path_prefix: String, skip: u32, f: HookFn) {
        let hook = Hook {
            method,
            path_prefix,
            skip,
            seen: 0,
            f,
        };
        self.edit(|s| s.hooks.push(hook));
    }

    /// Removes every rule and pending hook.
    pub(crate) fn clear(&self) {
        self.edit(|s| *s = State::default());
    }

    /// Counts the request against every hook it matches and takes out those now due,
    /// in the order they were added.
    pub(crate) fn due_hooks(&self, method: &Method, path: &str) -> Vec<HookFn> {
        let mut due = Vec::new();
        self.edit(|s| {
            let mut i = 0;
            while i < s.hooks.len() {
                let h = &mut s.hooks[i];
                if h.method.as_ref().is_none_or(|m| m == method) && under(&h.path_prefix, path) {
                    h.seen = h.seen.saturating_add(1);
                    if h.seen > h.skip {
                        due.push(s.hooks.remove(i).f);
                        continue;
                    }
                }
                i += 1;
            }
        });
        due
    }

    /// The fault that fires on this request, if any. `applies` says whether a
    /// matching rule's fault can alter this response (only [`Fault::ShortPage`]
    /// ever cannot).
    pub(crate) fn select(&self, method: &Method, path: &str, mut applies: impl FnMut(&Fault) -> bool) -> Option<Fault> {
        let mut fired = None;
        self.edit(|s| {
            let hit = s
                .rules
                .iter_mut()
                .enumerate()
                .filter(|(_, a)| a.rule.matches(method, path))
                .find_map(|(i, a)| {
                    if !applies(&a.rule.fault) {
                        return None;
                    }
                    a.seen += 1;
                    (a.seen > u64::from(a.rule.skip)).then_some(i)
                });
            if let Some(i) = hit {
                let a = &s.rules[i];
                fired = Some(a.rule.fault.clone());
                if a.seen >= u64::from(a.rule.skip) + u64::from(a.rule.times) {
                    s.rules.remove(i);
                }
            }
        });
        fired
    }
}

/// Runs the hooks due on this request on the org.
pub(crate) fn run_hooks(faults: &Faults, org: &Mutex<Org>, method: &Method, path: &str) {
    let due = faults.due_hooks(method, path);
    if !due.is_empty() {
        let mut org = lock(org);
        for f in due {
            f(&mut org);
        }
    }
}

/// The body of a [`Fault::InvalidJson`] response.
const NOT_JSON: &str = "kustomer-sim: this response body is not JSON";

/// `body` with the first half of its `data`, if it is a page with more after it.
fn shorten(status: StatusCode, body: &[u8]) -> Option<Vec<u8>> {
    if status != StatusCode::OK {
        return None;
    }
    let mut page: Value = serde_json::from_slice(body).ok()?;
    if !page["links"]["next"].is_string() {
        return None;
    }
    let data = page.get_mut("data")?.as_array_mut()?;
    if data.len() < 2 {
        return None;
    }
    data.truncate(data.len() / 2);
    serde_json::to_vec(&page).ok()
}

/// A real response that faults may alter.
pub(crate) struct Real {
    /// Its status.
    pub status: StatusCode,
    /// Its JSON body.
    pub body: Vec<u8>,
    /// Its rate-limit headers.
    pub rate: Option<RateHeaders>,
}

impl Real {
    fn send(self) -> Response {
        json_response(self.status, self.body, self.rate)
    }
}

/// What a fault makes of a request: the fault that fired (if any) and the response.
pub(crate) struct Answer {
    /// The fault that fired.
    pub fault: Option<Fault>,
    /// The response, unless it has to wait ([`Fault::Slow`]).
    pub response: Response,
    /// How long to wait before sending it.
    pub delay: Duration,
}

/// Picks the fault (if any) for a request whose real answer is `real`, and builds the
/// response.
pub(crate) fn answer(faults: &Faults, method: &Method, path: &str, real: Real, tap: &Tap) -> Answer {
    let short = OnceCell::new();
    let fault = faults.select(method, path, |f| match f {
        Fault::ShortPage => short.get_or_init(|| shorten(real.status, &real.body)).is_some(),
        _ => true,
    });
    let mut delay = Duration::ZERO;
    let response = match &fault {
        None => real.send(),
        Some(Fault::TooManyRequests { retry_after, reset }) => {
            let mut r = error_response(&ApiError::TooManyRequests, None);
            let h = r.headers_mut();
            if let Some(rate) = real.rate {
                h.insert("x-ratelimit-limit", HeaderValue::from(rate.limit));
                h.insert("x-ratelimit-remaining", HeaderValue::from(0));
            }
            if let Some(reset) = reset {
                h.insert("x-ratelimit-reset", HeaderValue::from(reset.value()));
            }
            if let Some(secs) = retry_after {
                h.insert(header::RETRY_AFTER, HeaderValue::from(*secs));
            }
            r
        }
        Some(Fault::ServerError(code)) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            error_response(&ApiError::Server(status), real.rate)
        }
        Some(Fault::ResetMidBody) => {
            tap.drop_after_body_bytes(real.body.len() / 2);
            real.send()
        }
        Some(Fault::TruncatedJson) => {
            let half = real.body.len() / 2;
            json_response(real.status, real.body[..half].to_vec(), real.rate)
        }
        Some(Fault::InvalidJson) => json_response(StatusCode::OK, NOT_JSON.into(), real.rate),
        Some(Fault::HtmlPage(code)) => html_page(StatusCode::from_u16(*code).unwrap_or(StatusCode::BAD_GATEWAY)),
        Some(Fault::Slow(d)) => {
            delay = *d;
            real.send()
        }
        Some(Fault::ShortPage) => match short.into_inner().flatten() {
            Some(body) => json_response(real.status, body, real.rate),
            None => real.send(),
        },
    };
    Answer { fault, response, delay }
}

/// An AWS load balancer's error page.
fn html_page(status: StatusCode) -> Response {
    let line = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("Error"));
    let page = format!(
        "<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(Body::from(page));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_in_order_and_count_their_own_requests() {
        let faults = Faults::default();
        assert!(!faults.armed());
        faults.inject(FaultRule::new(Fault::ServerError(500), "/v1/customers").times(2));
        faults.inject(FaultRule::new(Fault::InvalidJson, "/v1/customers").skip(1));
        faults.inject(FaultRule::new(Fault::HtmlPage(502), "").method(Method::POST));
        assert!(faults.armed());
        let get = |path: &str| faults.select(&Method::GET, path, |_| true);
        assert_eq!(get("/v1/customers"), Some(Fault::ServerError(500)));
        assert_eq!(get("/v1/customers/x/notes"), Some(Fault::ServerError(500)));
        assert_eq!(get("/v1/customersx"), None);
        // The first request the second rule sees is skipped, the second fires.
        assert_eq!(get("/v1/customers/"), None);
        assert_eq!(get("/v1/customers"), Some(Fault::InvalidJson));
        assert_eq!(get("/v1/customers"), None);
        assert_eq!(
            faults.select(&Method::POST, "/v1/customers/search", |_| true),
            Some(Fault::HtmlPage(502))
        );
        assert!(!faults.armed(), "exhausted rules are dropped");
    }

    #[test]
    fn short_page_keeps_links_and_meta() {
        let body = br#"{"meta":{"page":1},"links":{"next":"/v1/x?page=2"},"data":[1,2,3,4,5]}"#;
        let short: Value = serde_json::from_slice(&shorten(StatusCode::OK, body).unwrap()).unwrap();
        assert_eq!(short["data"], serde_json::json!([1, 2]));
        assert_eq!(short["links"]["next"], "/v1/x?page=2");
        let last = br#"{"meta":{},"links":{"next":null},"data":[1,2,3]}"#;
        assert_eq!(shorten(StatusCode::OK, last), None);
        assert_eq!(shorten(StatusCode::NOT_FOUND, body), None);
    }
}
