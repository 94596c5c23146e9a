//! The client: its shared state, counters and scopes, and the constants of
//! the API's paging. The builder, the request pipeline (budget → send →
//! retry) and the typed paging calls live in the submodules.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;

use crate::auth::TokenCheck;
use crate::error::Result;
use crate::limits::{BudgetKind, Governor, RateLimits};
use crate::retry::RetryPolicy;

// The submodules add to `Client` and use its state; this module uses none of
// them (lib.rs re-exports the builder).
pub(crate) mod builder;
mod paging;
mod send;

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use reqwest::Method;
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
