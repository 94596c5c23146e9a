//! Managing outbound webhooks (spec §13): `GET`/`POST /v1/outbound-webhooks`
//! and `DELETE /v1/outbound-webhooks/{id}`.
//!
//! Kustomer allows at most [`MAX_OUTBOUND_WEBHOOKS`] per org.
//! [`Client::create_outbound_webhook`] lists first and returns
//! [`Error::WebhookLimit`] instead of sending a request bound to fail; if the
//! server still refuses (another client created one in between), the refusal is
//! reported as the same error.
//!
//! The created webhook's `token` is the key Kustomer signs deliveries with
//! (`X-Kustomer-Webhook-Signature` = hex HMAC-SHA256 of the body). The models
//! never keep it ([`kustomer_models::Redacted`]), so the create call returns it
//! separately as a [`WebhookSecret`], whose `Debug` and `Display` print a
//! placeholder.

use std::fmt;

use bytes::Bytes;
use futures::TryStreamExt;
use kustomer_models::{decode, OutboundWebhook, Single};
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::limits::BudgetKind;
use crate::Method;

/// The most outbound webhooks an org may have (spec §13).
pub const MAX_OUTBOUND_WEBHOOKS: usize = 5;

const PATH: &str = "/v1/outbound-webhooks";

/// An outbound webhook's HMAC signing key (its `token`). `Debug` and `Display`
/// print a placeholder; [`WebhookSecret::expose_secret`] reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// Wraps a key.
    pub fn new(secret: impl Into<String>) -> Self {
        WebhookSecret(secret.into())
    }

    /// The key itself. Named so that every use stands out in review.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the key is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl fmt::Display for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for WebhookSecret {
    fn from(s: String) -> Self {
        WebhookSecret(s)
    }
}

impl From<&str> for WebhookSecret {
    fn from(s: &str) -> Self {
        WebhookSecret(s.to_owned())
    }
}

/// A custom header Kustomer adds to every delivery. Its value may be a
/// credential for the receiver, so `Debug` withholds it.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct NewWebhookHeader {
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
}

impl fmt::Debug for NewWebhookHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewWebhookHeader")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// The body of `POST /v1/outbound-webhooks`: `{name, url, events[], headers[]}`
/// (spec §13), plus `enabled` when set.
///
/// ```
/// use kustomer_api::NewOutboundWebhook;
/// let hook = NewOutboundWebhook::new("Warehouse", "https://hooks.example.com/kustomer")
///     .event("kustomer.customer.create")
///     .event("kustomer.customer.update")
///     .header("X-Source", "kustomer");
/// assert_eq!(hook.events.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NewOutboundWebhook {
    /// The name shown in Kustomer's settings.
    pub name: String,
    /// Where events are posted (https for a real org).
    pub url: String,
    /// Event names, e.g. `kustomer.conversation.update` (the org's list:
    /// `GET /v1/outbound-webhooks/events`).
    pub events: Vec<String>,
    /// Custom headers sent with every delivery.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<NewWebhookHeader>,
    /// Whether it starts enabled (Kustomer's default when unset: enabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl NewOutboundWebhook {
    /// A webhook named `name` posting to `url`, with no events yet.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        NewOutboundWebhook {
            name: name.into(),
            url: url.into(),
            events: Vec::new(),
            headers: Vec::new(),
            enabled: None,
        }
    }

    /// Subscribes to one more event.
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.events.push(name.into());
        self
    }

    /// Subscribes to these events.
    pub fn events<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.events.extend(names.into_iter().map(Into::into));
        self
    }

    /// Adds a custom header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(NewWebhookHeader {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Sets `enabled`.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = Some(enabled);
        self
    }
}

/// What [`Client::create_outbound_webhook`] returns: the webhook as the API
/// answered, and its signing key (`None` if the answer carried no `token`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreatedOutboundWebhook {
    /// The new webhook (its `token` attribute is withheld by the model).
    pub webhook: OutboundWebhook,
    /// The key deliveries are signed with.
    pub secret: Option<WebhookSecret>,
}

#[derive(Deserialize)]
struct TokenBody {
    data: TokenData,
}

#[derive(Deserialize)]
struct TokenData {
    #[serde(default)]
    attributes: Option<TokenAttributes>,
}

#[derive(Deserialize)]
struct TokenAttributes {
    #[serde(default)]
    token: Option<String>,
}

fn token_of(body: &[u8]) -> Option<WebhookSecret> {
    let body: TokenBody = serde_json::from_slice(body).ok()?;
    let token = body.data.attributes?.token?;
    (!token.is_empty()).then_some(WebhookSecret(token))
}

impl Client {
    /// Every outbound webhook of the org (`GET /v1/outbound-webhooks`, all pages).
    pub async fn list_outbound_webhooks(&self) -> Result<Vec<OutboundWebhook>> {
        let pages = self.list::<OutboundWebhook>(PATH, 100);
        let pages: Vec<_> = pages.try_collect().await?;
        Ok(pages.into_iter().flat_map(|p| p.data).collect())
    }

    /// Creates an outbound webhook (`POST /v1/outbound-webhooks`) and returns it
    /// with its signing key.
    ///
    /// Lists the org's webhooks first: with [`MAX_OUTBOUND_WEBHOOKS`] already
    /// there it returns [`Error::WebhookLimit`] without sending the create. A
    /// 4xx refusal of the create is also reported as [`Error::WebhookLimit`] when
    /// a second listing shows the limit reached (a concurrent create won).
    ///
    /// The create is sent at most once apart from 429s (see [`Client::send_once`]):
    /// after a 5xx, timeout or connection failure the webhook may or may not exist,
    /// so list before trying again.
    pub async fn create_outbound_webhook(&self, new: &NewOutboundWebhook) -> Result<CreatedOutboundWebhook> {
        self.check_webhook_room().await?;
        let body = serde_json::to_vec(new).map_err(|e| Error::Config(format!("outbound webhook body: {e}")))?;
        let sent = self
            .send_once(Method::POST, PATH, Some(Bytes::from(body)), BudgetKind::Org)
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) if matches!(e.status(), Some(400..=499)) && !matches!(e.status(), Some(401 | 403 | 404 | 429)) => {
                // Was it the limit? Only a fresh count can tell (the error body's
                // wording is not documented).
                self.check_webhook_room().await?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let webhook = decode::<Single<OutboundWebhook>>(&resp.body)
            .map_err(|source| Error::Decode {
                path: PATH.to_owned(),
                source,
            })?
            .data;
        Ok(CreatedOutboundWebhook {
            webhook,
            secret: token_of(&resp.body),
        })
    }

    /// Deletes an outbound webhook (`DELETE /v1/outbound-webhooks/{id}`). An
    /// unknown id is an [`Error::Api`] 404.
    pub async fn delete_outbound_webhook(&self, id: &str) -> Result<()> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(Error::Config(format!("not an outbound webhook id: {id:?}")));
        }
        self.send(Method::DELETE, &format!("{PATH}/{id}"), None, BudgetKind::Org)
            .await
            .map(|_| ())
    }

    /// [`Error::WebhookLimit`] if the org has no room for another webhook.
    async fn check_webhook_room(&self) -> Result<()> {
        let existing = self.list_outbound_webhooks().await?.len();
        if existing >= MAX_OUTBOUND_WEBHOOKS {
            return Err(Error::WebhookLimit {
                limit: MAX_OUTBOUND_WEBHOOKS,
                existing,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    /// A loopback server answering requests with `script`'s (status, body) in
    /// order (then 500), recording each request line.
    fn scripted(script: Vec<(u16, String)>) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut script = script.into_iter();
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap_or_default();
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
                reader.read_exact(&mut body).unwrap_or_default();
                log.lock().unwrap().push(line.trim().to_owned());
                let (status, body) = script.next().unwrap_or((500, "{}".into()));
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (format!("http://{addr}"), seen)
    }

    fn listing(n: usize) -> String {
        let items: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"type":"outbound_webhook","id":"w{i}","attributes":{{"token":"secret-{i}"}}}}"#))
            .collect();
        format!(
            r#"{{"data":[{}],"links":{{"self":"/v1/outbound-webhooks","next":null}},"meta":{{}}}}"#,
            items.join(",")
        )
    }

    fn client(base: &str) -> Client {
        Client::builder()
            .token("t")
            .base_url(base)
            .rate_limit(60_000)
            .retry_policy(crate::retry::RetryPolicy {
                base_delay: std::time::Duration::from_millis(1),
                ..Default::default()
            })
            .build()
            .unwrap()
    }

    fn new_hook() -> NewOutboundWebhook {
        NewOutboundWebhook::new("w", "https://h.example/x").event("kustomer.customer.update")
    }

    #[tokio::test]
    async fn a_refusal_is_the_limit_when_a_recount_shows_it() {
        let refusal = r#"{"errors":[{"code":"bad_request","message":"nope"}]}"#.to_owned();
        let (base, seen) = scripted(vec![(200, listing(4)), (400, refusal.clone()), (200, listing(5))]);
        match client(&base).create_outbound_webhook(&new_hook()).await {
            Err(Error::WebhookLimit { limit: 5, existing: 5 }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(seen.lock().unwrap().len(), 3);

        // A refusal for another reason stays what it was.
        let (base, _) = scripted(vec![(200, listing(1)), (400, refusal), (200, listing(1))]);
        let e = client(&base).create_outbound_webhook(&new_hook()).await.unwrap_err();
        assert_eq!(e.status(), Some(400), "{e}");
    }

    #[tokio::test]
    async fn a_create_is_not_resent_after_a_server_error() {
        let (base, seen) = scripted(vec![(200, listing(0)), (503, "{}".into())]);
        let e = client(&base).create_outbound_webhook(&new_hook()).await.unwrap_err();
        assert!(matches!(e, Error::Api { status: 503, .. }), "{e:?}");
        let seen = seen.lock().unwrap();
        assert_eq!(seen.iter().filter(|l| l.starts_with("POST")).count(), 1, "{seen:?}");
    }

    #[tokio::test]
    async fn a_throttled_create_is_retried_and_returns_the_secret() {
        let created = r#"{"data":{"type":"outbound_webhook","id":"w9","attributes":{"name":"w","token":"k3y"}}}"#;
        let (base, seen) = scripted(vec![
            (200, listing(0)),
            (429, r#"{"errors":[{"status":"429"}]}"#.into()),
            (201, created.into()),
        ]);
        let c = client(&base);
        let done = c.create_outbound_webhook(&new_hook()).await.unwrap();
        assert_eq!(done.webhook.id.as_str(), "w9");
        assert_eq!(done.secret.as_ref().map(WebhookSecret::expose_secret), Some("k3y"));
        assert!(!format!("{done:?}").contains("k3y"));
        assert_eq!(seen.lock().unwrap().iter().filter(|l| l.starts_with("POST")).count(), 2);
    }

    #[test]
    fn secrets_and_header_values_are_not_printed() {
        let s = WebhookSecret::new("hunter2");
        assert!(!format!("{s:?} {s} {s:#?}").contains("hunter2"));
        let h = new_hook().header("Authorization", "Bearer hunter2");
        assert!(!format!("{h:?}").contains("hunter2"));
        let body = serde_json::to_value(&h).unwrap();
        assert_eq!(body["headers"][0]["value"], "Bearer hunter2", "the body carries it");
        assert!(body.get("enabled").is_none());
    }
}
