//! [`ClientBuilder`]: token, host, timeouts, limits; checks them and builds
//! the HTTP client with the token as a sensitive default header.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, USER_AGENT};

use super::{Client, Inner, DEFAULT_USER_AGENT};
use crate::error::{Error, Result};
use crate::limits::{Governor, RateLimits};
use crate::region::{is_loopback, BaseUrl, Region};
use crate::retry::RetryPolicy;
use crate::token::ApiToken;

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

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
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
