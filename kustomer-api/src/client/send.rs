//! The request pipeline: the budget, one attempt, the retry decision, a 401
//! told apart (bad token or missing role), and decoding with retries of
//! bodies that are not JSON at all.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use kustomer_models::decode;
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use super::{Client, RawResponse};
use crate::auth::PROBE_PATH;
use crate::error::{parse_error_items, Error, Result};
use crate::limits::BudgetKind;
use crate::retry::{parse_reset, Decision, Outcome};

impl Client {
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
