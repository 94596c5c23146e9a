//! The client: configuration, the request pipeline (budget → send → retry),
//! and typed calls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::Stream;
use kustomer_models::{decode, Page, Single};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use crate::auth::{TokenCheck, PROBE_PATH};
use crate::error::{parse_error_items, Error, Result};
use crate::limits::{BudgetKind, Governor, RateLimits};
use crate::region::{is_loopback, BaseUrl, Region};
use crate::retry::{parse_reset, Decision, Outcome, RetryPolicy};
use crate::search::SearchQuery;
use crate::token::ApiToken;

/// The user agent sent unless another is configured.
pub const DEFAULT_USER_AGENT: &str = concat!("kustomer-rs/", env!("CARGO_PKG_VERSION"));

/// Largest `pageSize` of search (larger values are clamped by the server).
pub const SEARCH_MAX_PAGE_SIZE: u32 = 500;
/// Search refuses pages past this one.
pub const SEARCH_PAGE_CAP: u32 = 100;
/// No query reaches past this many records, GET lists and search alike
/// (AWS Glue's Kustomer connector notes: "a maximum of 10K records ... irrespective
/// of a filtered or a non-filtered request"); a page beyond it is refused with a
/// 400. Search's `meta.total` may also stop here, so a total of exactly this
/// many means "at least".
pub const RESULT_WINDOW: u32 = 10_000;

/// Builds a [`Client`].
///
/// ```
/// use kustomer_api::{Client, Region};
/// let client = Client::builder()
///     .token("my-api-key")
///     .region(Region::Eu)
///     .usage_ceiling(0.5)
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("my-api-key"));
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    token: Option<ApiToken>,
    base: BaseUrl,
    connect_timeout: Duration,
    request_timeout: Duration,
    user_agent: String,
    limits: RateLimits,
    retry: RetryPolicy,
    allow_plain_http: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            token: None,
            base: BaseUrl::Region(Region::Us),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            limits: RateLimits::default(),
            retry: RetryPolicy::default(),
            allow_plain_http: false,
        }
    }
}

impl ClientBuilder {
    /// The API token (required).
    pub fn token(mut self, token: impl Into<ApiToken>) -> Self {
        self.token = Some(token.into());
        self
    }
    /// Use the org's own host, `https://{org}.api.kustomerapp.com`.
    pub fn org(mut self, org: impl Into<String>) -> Self {
        self.base = BaseUrl::Org(org.into());
        self
    }
    /// Use a regional host.
    pub fn region(mut self, region: Region) -> Self {
        self.base = BaseUrl::Region(region);
        self
    }
    /// Use any base URL (scheme, host, port; the client appends `/v1/…`).
    /// Plain `http` is accepted only for loopback hosts (a local simulator)
    /// unless [`ClientBuilder::danger_allow_plain_http`] is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base = BaseUrl::Url(url.into());
        self
    }
    /// Allows plain `http` to a non-loopback host, sending the token
    /// unencrypted. Only for a simulator on another test host.
    pub fn danger_allow_plain_http(mut self, yes: bool) -> Self {
        self.allow_plain_http = yes;
        self
    }
    /// TCP/TLS connect timeout.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }
    /// Whole-request timeout (headers and body).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }
    /// The `User-Agent`.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }
    /// The org's plan limit per minute (default 1000; adopted from
    /// `x-ratelimit-limit` once the server sends it).
    pub fn rate_limit(mut self, per_minute: u32) -> Self {
        self.limits.org_per_minute = per_minute;
        self
    }
    /// The search sub-limit per minute (default 100).
    pub fn search_rate_limit(mut self, per_minute: u32) -> Self {
        self.limits.search_per_minute = per_minute;
        self
    }
    /// The share of the limits this client may use, 0.25–0.90 (default 0.90).
    pub fn usage_ceiling(mut self, share: f64) -> Self {
        self.limits.usage_ceiling = share;
        self
    }
    /// Retry limits and backoff.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client> {
        let token = self
            .token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Config("no API token: set one (the sync example reads KUSTOMER_API_TOKEN)".into()))?;
        RateLimits::check_ceiling(self.limits.usage_ceiling)?;
        let base = self.base.resolve()?;
        if base.scheme() == "http" && !is_loopback(&base) && !self.allow_plain_http {
            return Err(Error::Config(format!(
                "refusing plain http to {}: the token would travel unencrypted (use https)",
                base.host_str().unwrap_or_default()
            )));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| Error::Config("the API token contains characters not allowed in a header".into()))?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&self.user_agent).map_err(|_| Error::Config("invalid user agent".into()))?,
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .https_only(base.scheme() != "http")
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                governor: Governor::new(self.limits),
                retry: self.retry,
                request_timeout: self.request_timeout,
                stats: Arc::default(),
                token_check: Arc::default(),
                jitter: AtomicU64::new(0x9E37_79B9_7F4A_7C15),
            }),
            scope: None,
            background: false,
        })
    }
}

/// Counters of what a client did; clones share them (see also
/// [`Client::scope_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent (every attempt).
    pub requests: u64,
    /// Search requests among them.
    pub search_requests: u64,
    /// 429 answers received.
    pub throttled: u64,
    /// Attempts retried.
    pub retries: u64,
}

#[derive(Debug, Default)]
struct StatsInner {
    requests: AtomicU64,
    search_requests: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
}

impl StatsInner {
    fn snapshot(&self) -> ClientStats {
        ClientStats {
            requests: self.requests.load(Ordering::Relaxed),
            search_requests: self.search_requests.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}

/// The counters of one [`Client::scoped`] client and, for a scope opened on a
/// scoped client, the enclosing scope, which counts its requests too.
#[derive(Debug, Default)]
struct Scope {
    stats: StatsInner,
    parent: Option<Arc<Scope>>,
}

/// A Kustomer API client. Cheap to clone; clones share the connection pool,
/// the rate budgets, the counters and the scope ([`Client::scoped`]).
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    scope: Option<Arc<Scope>>,
    /// Takes only the org slots other requests leave unused ([`Client::background`]).
    background: bool,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    governor: Governor,
    retry: RetryPolicy,
    request_timeout: Duration,
    /// Shared with clients derived by [`Client::with_usage_ceiling`], so the
    /// global counters cover every request over this connection pool.
    stats: Arc<StatsInner>,
    /// Whether the token works, to classify 401s (shared like `stats`).
    token_check: Arc<TokenCheck>,
    jitter: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A successful raw response.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Bytes,
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The resolved base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// What the client and every clone, scope and [`Client::with_usage_ceiling`]
    /// client derived from it have done so far.
    pub fn stats(&self) -> ClientStats {
        self.inner.stats.snapshot()
    }

    /// A clone whose requests take only the org-budget slots that requests of
    /// the other clones leave unused: work that must never slow the rest
    /// down (the sync's detail backfill). Shares everything else, its scope
    /// included. Search requests are paced as usual.
    pub fn background(&self) -> Client {
        Client {
            background: true,
            ..self.clone()
        }
    }

    /// A clone that also counts its requests into counters of its own, read with
    /// [`Client::scope_stats`]; everything else (pool, budgets, the global
    /// [`Client::stats`]) stays shared. Its clones share the scope. A scope opened
    /// on a scoped client is nested: its requests count in the enclosing scope too.
    ///
    /// Lets a caller report requests and 429s per unit of work (the sync engine:
    /// per stream) while all of them draw on one rate budget.
    pub fn scoped(&self) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            scope: Some(Arc::new(Scope {
                stats: StatsInner::default(),
                parent: self.scope.clone(),
            })),
            background: self.background,
        }
    }

    /// The counters of this client's scope (see [`Client::scoped`]); for a
    /// client that is not scoped, the global [`Client::stats`].
    pub fn scope_stats(&self) -> ClientStats {
        match &self.scope {
            Some(scope) => scope.stats.snapshot(),
            None => self.stats(),
        }
    }

    /// Adds one to a counter, globally and in every enclosing scope.
    fn count(&self, counter: fn(&StatsInner) -> &AtomicU64) {
        counter(&self.inner.stats).fetch_add(1, Ordering::Relaxed);
        let mut scope = self.scope.as_deref();
        while let Some(s) = scope {
            counter(&s.stats).fetch_add(1, Ordering::Relaxed);
            scope = s.parent.as_deref();
        }
    }

    /// Requests per minute the client currently paces itself to, per budget.
    pub fn paced_rate(&self, kind: BudgetKind) -> f64 {
        self.inner.governor.budget(kind).per_minute()
    }

    /// The org's limit per minute as the server announced it
    /// (`x-ratelimit-limit` on an org-budget answer), once one did; `None`
    /// while the client paces to the configured or default limit.
    pub fn server_rate_limit(&self) -> Option<u32> {
        self.inner.governor.org.observed_limit()
    }

    /// The share of the limits this client paces itself to.
    pub fn usage_ceiling(&self) -> f64 {
        self.inner.governor.org.ceiling()
    }

    /// A client pacing at `share` (0.25–0.90) of the limits, for one run whose
    /// ceiling differs from the one the client was built with. It shares the
    /// connection pool, base URL, token, retry policy, timeouts, counters and
    /// scope, but has budgets of its own, built from the current limits (a limit
    /// already adopted from `x-ratelimit-limit` included; a pause after a 429
    /// carries over).
    ///
    /// Because the budgets are separate, requests through `self` and through the
    /// new client do not pace each other: running both at once can use up to the
    /// sum of their shares of the org's limit.
    pub fn with_usage_ceiling(&self, share: f64) -> Result<Client> {
        RateLimits::check_ceiling(share)?;
        let inner = &self.inner;
        Ok(Client {
            inner: Arc::new(Inner {
                http: inner.http.clone(),
                base: inner.base.clone(),
                governor: inner.governor.with_ceiling(share),
                retry: inner.retry.clone(),
                request_timeout: inner.request_timeout,
                stats: Arc::clone(&inner.stats),
                token_check: Arc::clone(&inner.token_check),
                // Its own jitter sequence, so the two clients' retries do not move in lockstep.
                jitter: AtomicU64::new((inner.jitter.load(Ordering::Relaxed) ^ 0x5DEE_CE66_D1CE_4E5B) | 1),
            }),
            scope: self.scope.clone(),
            background: self.background,
        })
    }

    fn url(&self, path_and_query: &str) -> Result<Url> {
        if !path_and_query.starts_with('/') {
            return Err(Error::Config(format!(
                "request path must start with '/': {path_and_query:?}"
            )));
        }
        self.inner
            .base
            .join(path_and_query)
            .map_err(|e| Error::Config(format!("bad path {path_and_query:?}: {e}")))
    }

    fn next_jitter(&self) -> f64 {
        // xorshift64*: jitter needs spread, not cryptographic quality.
        let mut x = self.inner.jitter.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.inner.jitter.store(x, Ordering::Relaxed);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Sends one request through the budget and retry pipeline and returns a
    /// successful body. `path_and_query` is relative to the base URL
    /// (`/v1/customers?page=2`), as Kustomer's `links` are.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Bytes>,
        kind: BudgetKind,
    ) -> Result<RawResponse> {
        self.send_with(method, path_and_query, body, kind, true).await
    }

    /// [`Client::send`] for a request that must not be sent twice (a create):
    /// only a 429, which the server refused before doing anything, is retried.
    /// A 5xx, timeout or connection failure is returned at once, since the
    /// server may have acted on the request.
    pub async fn send_once(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Bytes>,
        kind: BudgetKind,
    ) -> Result<RawResponse> {
        self.send_with(method, path_and_query, body, kind, false).await
    }

    async fn send_with(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Bytes>,
        kind: BudgetKind,
        replay_safe: bool,
    ) -> Result<RawResponse> {
        let url = self.url(path_and_query)?;
        let mut attempt = 0u32;
        let mut throttled = 0u32;
        loop {
            attempt += 1;
            self.inner.governor.acquire(kind, self.background).await;
            self.count(|s| &s.requests);
            if kind == BudgetKind::Search {
                self.count(|s| &s.search_requests);
            }
            let started = std::time::Instant::now();
            let (outcome, error) = match self.attempt(&method, &url, path_and_query, body.clone(), kind).await {
                Ok(resp) => {
                    tracing::debug!(%method, path = path_and_query, status = resp.status, ms = started.elapsed().as_millis() as u64, "request");
                    return Ok(resp);
                }
                Err(failure) => failure,
            };
            if matches!(outcome, Outcome::Status { status: 429, .. }) {
                throttled += 1;
                self.count(|s| &s.throttled);
            }
            let now_epoch = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            let throttled_now = matches!(outcome, Outcome::Status { status: 429, .. });
            let decision = if replay_safe || throttled_now {
                self.inner
                    .retry
                    .decide(attempt - throttled, throttled, &outcome, now_epoch, self.next_jitter())
            } else {
                Decision::Fail
            };
            match decision {
                Decision::RetryAfter(wait) => {
                    tracing::warn!(%method, path = path_and_query, attempt, ?wait, error = %error, "retrying");
                    self.count(|s| &s.retries);
                    if matches!(outcome, Outcome::Status { status: 429, .. }) {
                        // Everyone on this budget waits, not just this request.
                        self.inner
                            .governor
                            .budget(kind)
                            .pause_until(tokio::time::Instant::now() + wait);
                    }
                    tokio::time::sleep(wait).await;
                }
                Decision::Fail if matches!(outcome, Outcome::Status { status: 401, .. }) => {
                    // A bad token, or a missing role (Kustomer answers 401 to both).
                    let probe = || self.probe_token();
                    return Err(self.inner.token_check.classify(path_and_query, error, probe).await);
                }
                Decision::Fail => {
                    let retryable = !matches!(outcome, Outcome::Status { status, .. } if status != 429 && status < 500);
                    return Err(if retryable && attempt > 1 && (replay_safe || throttled_now) {
                        Error::RetriesExhausted {
                            attempts: attempt,
                            last: Box::new(error),
                        }
                    } else {
                        error
                    });
                }
            }
        }
    }

    /// `GET /v1/users/current`, which any valid token may read (see
    /// [`TokenCheck`]). Boxed: it runs inside [`Client::send_with`].
    fn probe_token(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + '_>> {
        Box::pin(async move {
            self.send(Method::GET, PROBE_PATH, None, BudgetKind::Org)
                .await
                .map(|_| ())
        })
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        path: &str,
        body: Option<Bytes>,
        kind: BudgetKind,
    ) -> std::result::Result<RawResponse, (Outcome, Error)> {
        let mut req = self.inner.http.request(method.clone(), url.clone());
        if let Some(b) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(b);
        }
        let transport = |e: reqwest::Error| -> (Outcome, Error) {
            if e.is_timeout() {
                (
                    Outcome::Timeout,
                    Error::Timeout {
                        path: path.to_owned(),
                        timeout: self.inner.request_timeout,
                    },
                )
            } else {
                (
                    Outcome::Transport,
                    Error::Transport {
                        path: path.to_owned(),
                        message: transport_message(&e),
                    },
                )
            }
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        self.observe_headers(&headers, kind);
        let bytes = resp.bytes().await.map_err(transport)?;
        if (200..300).contains(&status) {
            return Ok(RawResponse { status, body: bytes });
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let errors = parse_error_items(&bytes);
        let snippet = errors.is_empty().then(|| snippet(&bytes)).flatten();
        Err((
            Outcome::Status {
                status,
                retry_after: header("retry-after"),
                ratelimit_reset: header("x-ratelimit-reset"),
            },
            Error::Api {
                status,
                method: method.to_string(),
                path: path.to_owned(),
                errors,
                snippet,
            },
        ))
    }

    fn observe_headers(&self, headers: &HeaderMap, kind: BudgetKind) {
        let num = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        // The limit header describes the org budget; on search answers it is
        // ambiguous (it may be the sub-limit), so only org answers adjust it.
        if kind == BudgetKind::Org {
            if let Some(limit) = num("x-ratelimit-limit") {
                if (1.0..1e6).contains(&limit) {
                    self.inner.governor.org.observe_limit(limit as u32);
                }
            }
        }
        if num("x-ratelimit-remaining") == Some(0.0) {
            let now_epoch = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            if let Some(wait) = headers
                .get("x-ratelimit-reset")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_reset(v, now_epoch))
            {
                self.inner
                    .governor
                    .budget(kind)
                    .pause_until(tokio::time::Instant::now() + wait.min(Duration::from_secs(120)));
            }
        }
    }

    /// Sends a request and decodes its JSON body as `T`.
    pub async fn request_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Bytes>,
        kind: BudgetKind,
    ) -> Result<T> {
        let mut bad_body_retries = 0;
        loop {
            let resp = self.send(method.clone(), path_and_query, body.clone(), kind).await?;
            match decode::<T>(&resp.body) {
                Ok(v) => return Ok(v),
                Err(source) => {
                    // A 2xx whose body is not JSON at all (a proxy's page, a cut
                    // body) is transient; one that is JSON of the wrong shape is not.
                    let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(&resp.body).is_ok();
                    if !is_json && bad_body_retries < self.inner.retry.max_retries {
                        bad_body_retries += 1;
                        self.count(|s| &s.retries);
                        tracing::warn!(path = path_and_query, error = %source, "unparseable body; retrying");
                        let wait = match self.inner.retry.decide(
                            bad_body_retries,
                            0,
                            &Outcome::BadBody,
                            0.0,
                            self.next_jitter(),
                        ) {
                            Decision::RetryAfter(w) => w,
                            Decision::Fail => Duration::ZERO,
                        };
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(Error::Decode {
                        path: path_and_query.to_owned(),
                        source,
                    });
                }
            }
        }
    }

    /// `GET` one page of a list (`path_and_query` as in a `links.next`).
    pub async fn get_page<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<Page<T>> {
        self.request_json(Method::GET, path_and_query, None, BudgetKind::Org)
            .await
    }

    /// `GET` one resource, e.g. `/v1/customers/{id}`.
    pub async fn get_one<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request_json::<Single<T>>(Method::GET, path, None, BudgetKind::Org)
            .await
            .map(|s| s.data)
    }

    /// Every page of a `page`/`pageSize` list, lazily: nothing is requested
    /// before the stream is first polled, and each page is requested only
    /// when the previous one has been taken. Follows `links.next`; stops when
    /// it is `null`, or if the server repeats a link (a cursor that did not
    /// move), so it can never loop.
    pub fn list<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.pages_from(&format!("{path}{sep}page=1&pageSize={page_size}"))
    }

    /// Every page from `first` (a path with its query, e.g. a cursor list's
    /// `/v1/audit-logs?count=1000`), lazily, following `links.next` until it
    /// is `null`, a page comes back empty, or a link repeats.
    pub fn pages_from<T: DeserializeOwned + Send + 'static>(
        &self,
        first: &str,
    ) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        let client = self.clone();
        let first = first.to_owned();
        async_stream::try_stream! {
            let mut next = Some(first);
            let mut seen = std::collections::HashSet::new();
            while let Some(link) = next.take() {
                if !seen.insert(link.clone()) {
                    tracing::warn!(link, "the server repeated a page link; stopping this list");
                    break;
                }
                let page: Page<T> = client.get_page(&link).await?;
                next = page.links.next.clone().filter(|n| !n.is_empty());
                let empty = page.data.is_empty();
                yield page;
                if empty {
                    break;
                }
            }
        }
    }

    /// One search page: `POST /v1/customers/search?page=N&pageSize=M`.
    pub async fn search_page<T: DeserializeOwned>(
        &self,
        query: &SearchQuery,
        page: u32,
        page_size: u32,
    ) -> Result<Page<T>> {
        self.post_search("/v1/customers/search", query, page, page_size).await
    }

    /// One archive search page: `POST /v1/customers/archive/search?page=N&pageSize=M`
    /// (spec §4). Same body, paging and 100-page cap as [`Client::search_page`], on the
    /// search budget, but it sees only records whose `updatedAt` is older than
    /// search's two-year window, and returns them thin: scalar attributes only (no
    /// `custom`, emails or nested objects) and no relationships.
    pub async fn archive_search_page<T: DeserializeOwned>(
        &self,
        query: &SearchQuery,
        page: u32,
        page_size: u32,
    ) -> Result<Page<T>> {
        self.post_search("/v1/customers/archive/search", query, page, page_size)
            .await
    }

    /// Posts `query` to a search endpoint (`path` without query string) on the
    /// search budget.
    async fn post_search<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &SearchQuery,
        page: u32,
        page_size: u32,
    ) -> Result<Page<T>> {
        let body = serde_json::to_vec(query).map_err(|e| Error::Config(format!("search body: {e}")))?;
        let path = format!("{path}?page={page}&pageSize={page_size}");
        self.request_json(Method::POST, &path, Some(Bytes::from(body)), BudgetKind::Search)
            .await
    }

    /// Every page of one search, lazily, up to the 100-page cap. For reading
    /// more than the cap holds, see `kustomer-sync`'s keyset streams.
    pub fn search<T: DeserializeOwned + Send + 'static>(
        &self,
        query: SearchQuery,
        page_size: u32,
    ) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
        let client = self.clone();
        async_stream::try_stream! {
            let mut page_no = 1u32;
            loop {
                let page: Page<T> = client.search_page(&query, page_no, page_size).await?;
                let more = page.links.next.is_some() && !page.data.is_empty() && page_no < SEARCH_PAGE_CAP;
                yield page;
                if !more {
                    break;
                }
                page_no += 1;
            }
        }
    }
}

fn transport_message(e: &reqwest::Error) -> String {
    // reqwest's Display names the URL, which is fine (no secrets in it); add
    // the innermost cause, which says what actually failed.
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    if let Some(l) = last {
        if !msg.contains(&l) {
            msg = format!("{msg}: {l}");
        }
    }
    msg
}

fn snippet(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let cut: String = text.chars().take(200).collect();
    Some(cut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    /// A loopback HTTP/1.1 server answering one request per connection:
    /// `/v1/busy…` gets one 429 (`Retry-After: 0`) per path, then 200;
    /// `/v1/limit` sends `x-ratelimit-limit: 300`; anything else 200 `{}`.
    /// (std only: the crate has no HTTP mock among its dev-dependencies.)
    fn serve() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut throttled = std::collections::HashSet::new();
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or_default();
                let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
                let mut length = 0usize;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or_default() == 0 || header.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = header.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0; length];
                std::io::Read::read_exact(&mut reader, &mut body).unwrap_or_default();
                let (status, extra) = if path.starts_with("/v1/busy") && throttled.insert(path.clone()) {
                    ("429 Too Many Requests", "retry-after: 0\r\n")
                } else if path == "/v1/limit" {
                    ("200 OK", "x-ratelimit-limit: 300\r\n")
                } else {
                    ("200 OK", "")
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\n{extra}content-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
                );
            }
        });
        format!("http://{addr}")
    }

    fn client(base: &str) -> Client {
        Client::builder()
            .token("t")
            .base_url(base)
            .rate_limit(60_000)
            .search_rate_limit(60_000)
            .build()
            .unwrap()
    }

    async fn get(c: &Client, path: &str, kind: BudgetKind) {
        let method = if kind == BudgetKind::Search {
            Method::POST
        } else {
            Method::GET
        };
        c.send(method, path, None, kind).await.unwrap();
    }

    #[tokio::test]
    async fn scopes_count_apart_and_add_up_to_the_global_counters() {
        let base = serve();
        let client = client(&base);
        let (a, b) = (client.scoped(), client.scoped());
        let a2 = a.clone();
        get(&a, "/v1/customers", BudgetKind::Org).await;
        get(&a2, "/v1/customers", BudgetKind::Org).await;
        get(&b, "/v1/busy/1", BudgetKind::Org).await;
        get(&b, "/v1/customers/search", BudgetKind::Search).await;
        let nested = a.scoped();
        get(&nested, "/v1/busy/2", BudgetKind::Org).await;
        get(&client, "/v1/users", BudgetKind::Org).await;

        let stats = |requests, search_requests, throttled, retries| ClientStats {
            requests,
            search_requests,
            throttled,
            retries,
        };
        assert_eq!(
            a.scope_stats(),
            stats(4, 0, 1, 1),
            "a and its clone, plus the nested scope"
        );
        assert_eq!(a2.scope_stats(), a.scope_stats(), "clones share the scope");
        assert_eq!(nested.scope_stats(), stats(2, 0, 1, 1));
        assert_eq!(b.scope_stats(), stats(3, 1, 1, 1));
        assert_eq!(client.stats(), stats(8, 1, 2, 2), "every request counts globally");
        assert_eq!(client.scope_stats(), client.stats(), "unscoped: the global counters");
        assert_eq!(a.stats(), client.stats());
    }

    #[tokio::test]
    async fn with_usage_ceiling_rescales_the_pace_and_keeps_the_rest() {
        let base = serve();
        let client = Client::builder().token("t").base_url(&base).build().unwrap();
        assert_eq!(client.usage_ceiling(), 0.9);
        let before = client.paced_rate(BudgetKind::Org);
        let half = client.with_usage_ceiling(0.5).unwrap();
        assert_eq!(half.usage_ceiling(), 0.5);
        assert!((half.paced_rate(BudgetKind::Org) - before * 0.5 / 0.9).abs() < 1e-9);
        assert!((half.paced_rate(BudgetKind::Search) - 50.0).abs() < 1e-9);
        assert_eq!(client.usage_ceiling(), 0.9, "the original is unchanged");
        assert_eq!(half.base_url(), client.base_url());

        // Counters are shared; a limit adopted from the server carries over.
        get(&half, "/v1/limit", BudgetKind::Org).await;
        assert_eq!(client.stats().requests, 1);
        assert!((half.paced_rate(BudgetKind::Org) - 150.0).abs() < 1e-9);
        assert!(
            (client.paced_rate(BudgetKind::Org) - 900.0).abs() < 1e-9,
            "budgets are separate"
        );
        get(&client, "/v1/limit", BudgetKind::Org).await;
        let again = client.with_usage_ceiling(0.25).unwrap();
        assert!((again.paced_rate(BudgetKind::Org) - 75.0).abs() < 1e-9);

        for bad in [0.95, 0.2, f64::NAN] {
            match client.with_usage_ceiling(bad) {
                Err(Error::Config(msg)) => assert!(msg.contains(&bad.to_string()), "{msg}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(Client::builder().token("t").usage_ceiling(0.95).build().is_err());
    }
}
