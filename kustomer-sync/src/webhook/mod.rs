//! Receiving Kustomer's outbound webhooks (feature `webhook`).
//!
//! Kustomer posts one JSON event per change of a customer, conversation,
//! message, user, team or tag to each subscribed webhook (spec §13), signed
//! with the webhook's `token`: `X-Kustomer-Webhook-Signature` is the hex
//! HMAC-SHA256 of the raw body. [`WebhookReceiver::router`] is an axum router
//! that answers every `POST` (any path):
//!
//! | Answer | When | Sink called |
//! |---|---|---|
//! | 413 | body over [`MAX_BODY`] (400 kB, Kustomer's own webhook limit) | no |
//! | 401 | signature header missing, not hex, or matching none of the secrets | no |
//! | 400 | not JSON, or an event of a handled kind that does not decode; names the JSON path | no |
//! | 202 | an event this receiver does not handle (`kustomer.kobject.*`, …): ignored | no |
//! | 503 | [`EventSink::apply`] failed, so Kustomer retries later | yes |
//! | 200 | [`EventSink::apply`] made the event durable | yes |
//!
//! Other methods get 405. Signatures are checked in constant time against every
//! configured secret, so a secret can be rotated by configuring old and new
//! together. Neither secrets nor bodies are ever logged.
//!
//! Kustomer retries failed deliveries, so a sink sees an event more than once;
//! [`WebhookEvent::id`] identifies repeats, and [`WebhookRecord::updated_at`]
//! orders versions of one record.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use futures::FutureExt;
//! use kustomer_sync::webhook::{EventSink, WebhookEvent, WebhookReceiver, WebhookSecret};
//! use kustomer_sync::SyncError;
//!
//! let sink = |event: WebhookEvent| {
//!     async move {
//!         println!("{} {} → {}", event.name, event.record.id(), event.record.stream());
//!         Ok::<(), SyncError>(())
//!     }
//!     .boxed()
//! };
//! let secret = WebhookSecret::new(std::env::var("KUSTOMER_WEBHOOK_SECRET").unwrap());
//! let app = WebhookReceiver::new(vec![secret], Arc::new(sink)).router();
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::future::BoxFuture;
use hmac::{Hmac, KeyInit, Mac};
use kustomer_models::decode;
use sha2::Sha256;

use crate::error::SyncError;

mod event;
#[cfg(test)]
mod tests;

use event::Head;
pub use event::{parse_event, WebhookEvent, WebhookRecord};

/// The signing key of an outbound webhook (its `token`, as
/// [`kustomer_api::Client::create_outbound_webhook`] returns it). `Debug` and
/// `Display` print a placeholder.
pub use kustomer_api::WebhookSecret;

/// Largest body accepted: 400 kB, Kustomer's limit for webhook bodies (spec §9).
pub const MAX_BODY: usize = 400 * 1024;

/// Every event the receiver applies: create and update of customers,
/// conversations, messages, users, teams and tags (what to subscribe to).
pub const EVENTS: [&str; 12] = [
    "kustomer.customer.create",
    "kustomer.customer.update",
    "kustomer.conversation.create",
    "kustomer.conversation.update",
    "kustomer.message.create",
    "kustomer.message.update",
    "kustomer.user.create",
    "kustomer.user.update",
    "kustomer.team.create",
    "kustomer.team.update",
    "kustomer.tag.create",
    "kustomer.tag.update",
];

/// The header carrying the body's hex HMAC-SHA256.
pub const SIGNATURE_HEADER: &str = "x-kustomer-webhook-signature";

/// Where verified events go. `apply` must make the event durable before it
/// returns `Ok` (the receiver answers 2xx only then); an `Err` makes the
/// receiver answer 503, and Kustomer delivers the event again later.
///
/// Closures `Fn(WebhookEvent) -> BoxFuture<'static, Result<(), SyncError>>`
/// are sinks.
pub trait EventSink: Send + Sync + 'static {
    /// Stores one event.
    fn apply(&self, event: WebhookEvent) -> BoxFuture<'static, Result<(), SyncError>>;
}

impl<F> EventSink for F
where
    F: Fn(WebhookEvent) -> BoxFuture<'static, Result<(), SyncError>> + Send + Sync + 'static,
{
    fn apply(&self, event: WebhookEvent) -> BoxFuture<'static, Result<(), SyncError>> {
        self(event)
    }
}

/// Verifies and decodes Kustomer's webhook deliveries; see the [module docs](self).
#[derive(Clone)]
pub struct WebhookReceiver {
    inner: Arc<Inner>,
}

struct Inner {
    secrets: Vec<WebhookSecret>,
    sink: Arc<dyn EventSink>,
}

impl fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookReceiver")
            .field("secrets", &self.inner.secrets)
            .finish_non_exhaustive()
    }
}

impl WebhookReceiver {
    /// A receiver accepting bodies signed with any of `secrets` (more than one
    /// while rotating), handing events to `sink`. With no secrets every
    /// request is refused with 401.
    pub fn new(secrets: Vec<WebhookSecret>, sink: Arc<dyn EventSink>) -> Self {
        if secrets.is_empty() {
            tracing::warn!("webhook receiver has no secrets: every delivery will be refused");
        }
        WebhookReceiver {
            inner: Arc::new(Inner { secrets, sink }),
        }
    }

    /// Whether `signature` (the header's value) is the hex HMAC-SHA256 of
    /// `body` under one of the receiver's secrets. Constant time per secret.
    pub fn verify(&self, body: &[u8], signature: &str) -> bool {
        verify(&self.inner.secrets, body, signature)
    }

    /// The router: `POST` on any path (mount it with [`Router::nest`] or serve
    /// it alone).
    pub fn router(self) -> Router {
        Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(self.inner)
    }
}

fn verify(secrets: &[WebhookSecret], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = hex::decode(signature.trim()) else {
        return false;
    };
    secrets.iter().any(|secret| {
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes()) else {
            return false;
        };
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    })
}

fn answer(status: StatusCode, text: impl Into<String>) -> Response {
    (status, text.into()).into_response()
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if method != Method::POST {
        return answer(StatusCode::METHOD_NOT_ALLOWED, "webhook deliveries are POSTs");
    }
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            tracing::warn!(status = %rejection.status(), "webhook body refused: {}", rejection.body_text());
            return rejection.into_response();
        }
    };
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let Some(signature) = signature else {
        tracing::warn!(bytes = body.len(), "webhook delivery without a signature; refused");
        return answer(StatusCode::UNAUTHORIZED, "missing X-Kustomer-Webhook-Signature");
    };
    if !verify(&inner.secrets, &body, signature) {
        tracing::warn!(bytes = body.len(), "webhook delivery with a bad signature; refused");
        return answer(StatusCode::UNAUTHORIZED, "bad X-Kustomer-Webhook-Signature");
    }
    let event = match parse_event(&body) {
        Ok(Some(event)) => event,
        Ok(None) => {
            let name = decode::<Head>(&body).map(|h| h.name).unwrap_or_default();
            tracing::info!(name, "webhook event of a kind not handled; ignored");
            return answer(StatusCode::ACCEPTED, "event not handled; ignored");
        }
        Err(e) => {
            // The path and position only: serde's message may quote the body.
            tracing::warn!(path = %e.path, line = e.line, column = e.column, "webhook event does not decode");
            return answer(StatusCode::BAD_REQUEST, e.to_string());
        }
    };
    let (id, name) = (event.id.clone(), event.name.clone());
    match inner.sink.apply(event).await {
        Ok(()) => {
            tracing::debug!(event_id = %id, name, "webhook event applied");
            answer(StatusCode::OK, "ok")
        }
        Err(e) => {
            tracing::warn!(event_id = %id, name, error = %e, "webhook sink failed; answering 503 so Kustomer retries");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "could not store the event; retry later",
            )
        }
    }
}
