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
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use hmac::{Hmac, KeyInit, Mac};
use kustomer_models::{decode, Conversation, Customer, DecodeError, Entity, FlatRecord, Message, Tag, Team, User};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::Sha256;

use crate::error::SyncError;

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

/// The record an event carries, typed by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookRecord {
    /// `kustomer.customer.*`.
    Customer(Customer),
    /// `kustomer.conversation.*`.
    Conversation(Conversation),
    /// `kustomer.message.*`.
    Message(Message),
    /// `kustomer.user.*`.
    User(User),
    /// `kustomer.team.*`.
    Team(Team),
    /// `kustomer.tag.*`.
    Tag(Tag),
}

/// Calls `$f` on the record inside any variant.
macro_rules! each {
    ($rec:expr, $r:ident => $f:expr) => {
        match $rec {
            WebhookRecord::Customer($r) => $f,
            WebhookRecord::Conversation($r) => $f,
            WebhookRecord::Message($r) => $f,
            WebhookRecord::User($r) => $f,
            WebhookRecord::Team($r) => $f,
            WebhookRecord::Tag($r) => $f,
        }
    };
}

fn table_of<E: Entity>(_: &E) -> &'static str {
    E::schema().table.name.as_str()
}

impl WebhookRecord {
    /// The catalogue stream (and parent table) the record belongs to:
    /// `customers`, `conversations`, `messages`, `users`, `teams` or `tags`.
    pub fn stream(&self) -> &'static str {
        each!(self, r => table_of(r))
    }

    /// Flattens the record into its rows, as the stream would.
    pub fn flatten(self) -> FlatRecord {
        each!(self, r => r.flatten())
    }

    /// `updatedAt`.
    pub fn updated_at(&self) -> Option<DateTime<Utc>> {
        each!(self, r => r.updated_at())
    }

    /// The record's id.
    pub fn id(&self) -> &str {
        each!(self, r => r.id())
    }
}

/// One verified event.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The event's id (the same on every retry of one event).
    pub id: String,
    /// Its name, e.g. `kustomer.customer.update`.
    pub name: String,
    /// When Kustomer created it, if the body says (and says it legibly).
    pub created_at: Option<DateTime<Utc>>,
    /// The record as it was after the change.
    pub record: WebhookRecord,
}

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

#[derive(Deserialize)]
struct Head {
    name: String,
}

#[derive(Deserialize)]
struct Envelope<T> {
    id: String,
    name: String,
    #[serde(rename = "createdAt", default)]
    created_at: Option<serde_json::Value>,
    data: T,
}

/// Decodes an event body. `Ok(None)`: an event name this receiver does not
/// handle (anything but `kustomer.{customer,conversation,message,user,team,tag}.*`).
/// A body that is not JSON, or a handled event that does not decode (or whose
/// `data.type` does not match its name), is an error naming the JSON path.
pub fn parse_event(body: &[u8]) -> Result<Option<WebhookEvent>, DecodeError> {
    let head: Head = decode(body)?;
    let mut parts = head.name.split('.');
    let (Some("kustomer"), Some(resource), Some(_action), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    let record = match resource {
        "customer" => typed(body, WebhookRecord::Customer)?,
        "conversation" => typed(body, WebhookRecord::Conversation)?,
        "message" => typed(body, WebhookRecord::Message)?,
        "user" => typed(body, WebhookRecord::User)?,
        "team" => typed(body, WebhookRecord::Team)?,
        "tag" => typed(body, WebhookRecord::Tag)?,
        _ => return Ok(None),
    };
    let (id, name, created_at, record) = record;
    let kind = each!(&record, r => r.kind().to_owned());
    if kind != resource {
        return Err(DecodeError {
            path: "data.type".into(),
            message: format!("a {name} event carries a `{kind}` record"),
            line: 0,
            column: 0,
        });
    }
    Ok(Some(WebhookEvent {
        id,
        name,
        created_at,
        record,
    }))
}

type Parts = (String, String, Option<DateTime<Utc>>, WebhookRecord);

fn typed<E: Entity + DeserializeOwned>(body: &[u8], wrap: fn(E) -> WebhookRecord) -> Result<Parts, DecodeError> {
    let e: Envelope<E> = decode(body)?;
    let created_at = match &e.created_at {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc)),
        Some(_) => None,
    };
    if created_at.is_none() && e.created_at.as_ref().is_some_and(|v| !v.is_null()) {
        tracing::debug!(event_id = %e.id, "webhook event createdAt is not an RFC 3339 instant; ignored");
    }
    Ok((e.id, e.name, created_at, wrap(e.data)))
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::body::Body;
    use axum::http::Request;
    use futures::FutureExt;
    use serde_json::json;
    use tower::ServiceExt;

    use super::*;

    const SECRET: &str = "s3cr3t-token";

    /// A sink recording events, failing when told to.
    #[derive(Clone, Default)]
    struct Recorder {
        events: Arc<Mutex<Vec<WebhookEvent>>>,
        fail: bool,
    }

    impl EventSink for Recorder {
        fn apply(&self, event: WebhookEvent) -> BoxFuture<'static, Result<(), SyncError>> {
            let (events, fail) = (Arc::clone(&self.events), self.fail);
            async move {
                if fail {
                    return Err(SyncError::Destination("disk full".into()));
                }
                events.lock().unwrap().push(event);
                Ok(())
            }
            .boxed()
        }
    }

    impl Recorder {
        fn taken(&self) -> Vec<WebhookEvent> {
            self.events.lock().unwrap().clone()
        }
    }

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn customer_event() -> Vec<u8> {
        json!({
            "id": "6717c2a4e5b1f00012ab3500", "name": "kustomer.customer.update",
            "org": "5f8481c6a22ab5b9d5f2dd8a", "partition": "5f8481c6a22ab5b9d5f2dd8a",
            "createdAt": "2024-03-01T11:00:00.012Z",
            "data": {"type": "customer", "id": "65e1a0c2b1f0a3001e4d2a11",
                     "attributes": {"name": "Jane", "updatedAt": "2024-03-01T11:00:00.000Z",
                                    "emails": [{"type": "home", "email": "jane@example.com"}]},
                     "relationships": {}, "links": {"self": "/v1/customers/65e1a0c2b1f0a3001e4d2a11"}},
            "changes": {"attributes": {"name": {"op": "replace", "before": "J", "after": "Jane"}}}
        })
        .to_string()
        .into_bytes()
    }

    fn receiver(sink: &Recorder) -> Router {
        WebhookReceiver::new(vec![WebhookSecret::new(SECRET)], Arc::new(sink.clone())).router()
    }

    async fn post(app: Router, body: Vec<u8>, signature: Option<String>) -> (StatusCode, String) {
        let mut req = Request::builder().method("POST").uri("/kustomer/hook");
        if let Some(s) = signature {
            req = req.header("X-Kustomer-Webhook-Signature", s);
        }
        let resp = app.oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
        let status = resp.status();
        let text = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8_lossy(&text).into_owned())
    }

    #[tokio::test]
    async fn a_signed_event_reaches_the_sink_typed() {
        let sink = Recorder::default();
        let body = customer_event();
        let (status, _) = post(receiver(&sink), body.clone(), Some(sign(SECRET, &body))).await;
        assert_eq!(status, StatusCode::OK);
        let events = sink.taken();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(
            (e.id.as_str(), e.name.as_str()),
            ("6717c2a4e5b1f00012ab3500", "kustomer.customer.update")
        );
        assert_eq!(e.created_at.unwrap().to_rfc3339(), "2024-03-01T11:00:00.012+00:00");
        let WebhookRecord::Customer(c) = &e.record else {
            panic!("{:?}", e.record)
        };
        assert_eq!(c.attributes.name.as_deref(), Some("Jane"));
        assert_eq!(e.record.stream(), "customers");
        assert_eq!(e.record.id(), "65e1a0c2b1f0a3001e4d2a11");
        assert_eq!(e.record.updated_at().unwrap().to_rfc3339(), "2024-03-01T11:00:00+00:00");
        let flat = e.record.clone().flatten();
        assert_eq!(flat.id, "65e1a0c2b1f0a3001e4d2a11");
        assert_eq!(flat.children[0].len(), 1, "customer_emails");
    }

    #[tokio::test]
    async fn any_configured_secret_verifies_and_uppercase_hex_is_fine() {
        let sink = Recorder::default();
        let app = WebhookReceiver::new(
            vec![WebhookSecret::new("old"), WebhookSecret::new("new")],
            Arc::new(sink.clone()),
        )
        .router();
        let body = customer_event();
        let (status, _) = post(app.clone(), body.clone(), Some(sign("old", &body))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = post(app, body.clone(), Some(sign("new", &body).to_uppercase())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sink.taken().len(), 2);
    }

    #[tokio::test]
    async fn bad_or_missing_signatures_are_refused_and_nothing_is_applied() {
        let sink = Recorder::default();
        let body = customer_event();
        let good = sign(SECRET, &body);
        let mut tampered = body.clone();
        let at = tampered.iter().position(|&b| b == b'J').unwrap();
        tampered[at] = b'K';
        for (body, signature) in [
            (tampered, Some(good.clone())),
            (body.clone(), Some(sign("another secret", &body))),
            (body.clone(), None),
            (body.clone(), Some("not hex".into())),
            (body.clone(), Some(good[..20].to_owned())),
            (body.clone(), Some(String::new())),
        ] {
            let (status, _) = post(receiver(&sink), body, signature.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{signature:?}");
        }
        let nobody = WebhookReceiver::new(Vec::new(), Arc::new(sink.clone())).router();
        assert_eq!(post(nobody, body, Some(good)).await.0, StatusCode::UNAUTHORIZED);
        assert!(sink.taken().is_empty());
    }

    #[tokio::test]
    async fn oversize_bodies_are_refused() {
        let sink = Recorder::default();
        let mut body = customer_event();
        body.truncate(body.len() - 1);
        body.extend(format!(r#","pad":"{}"}}"#, "x".repeat(MAX_BODY)).bytes());
        let (status, _) = post(receiver(&sink), body.clone(), Some(sign(SECRET, &body))).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(sink.taken().is_empty());

        // Just under the limit is fine.
        let mut body = customer_event();
        body.truncate(body.len() - 1);
        let room = MAX_BODY - body.len() - r#","pad":""}"#.len();
        body.extend(format!(r#","pad":"{}"}}"#, "x".repeat(room)).bytes());
        assert_eq!(body.len(), MAX_BODY);
        let (status, _) = post(receiver(&sink), body.clone(), Some(sign(SECRET, &body))).await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn malformed_events_are_400_naming_the_path() {
        let sink = Recorder::default();
        let cases: [(&[u8], &str); 4] = [
            (b"{not json", "line 1, column 2"),
            (br#"{"id":"e","name":"kustomer.customer.create","data":{"type":"customer","id":"c","attributes":"oops"}}"#, "`data.attributes`"),
            (br#"{"id":"e","name":"kustomer.tag.update","data":{"type":"team","id":"t"}}"#, "`data.type`"),
            (br#"{"name":"kustomer.user.create","data":{"type":"user","id":"u"}}"#, "missing field `id`"),
        ];
        for (body, expected) in cases {
            let (status, text) = post(receiver(&sink), body.to_vec(), Some(sign(SECRET, body))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
            assert!(text.contains(expected), "{expected}: {text}");
        }
        assert!(sink.taken().is_empty());
    }

    #[tokio::test]
    async fn unknown_events_are_accepted_and_ignored() {
        let sink = Recorder::default();
        for name in ["kustomer.kobject.create", "kustomer.app.web.hook-3", "custom.thing"] {
            let body = json!({"id": "e", "name": name, "data": {"type": "kobject.order", "id": "k"}}).to_string();
            let (status, _) = post(
                receiver(&sink),
                body.clone().into_bytes(),
                Some(sign(SECRET, body.as_bytes())),
            )
            .await;
            assert_eq!(status, StatusCode::ACCEPTED, "{name}");
        }
        assert!(sink.taken().is_empty());
    }

    #[tokio::test]
    async fn a_failing_sink_makes_kustomer_retry() {
        let sink = Recorder {
            fail: true,
            ..Recorder::default()
        };
        let body = customer_event();
        let (status, text) = post(receiver(&sink), body.clone(), Some(sign(SECRET, &body))).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!text.contains("disk full"), "internal errors stay internal");
    }

    #[tokio::test]
    async fn only_posts() {
        let sink = Recorder::default();
        let req = Request::builder().method("GET").uri("/").body(Body::empty()).unwrap();
        let resp = receiver(&sink).oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn secrets_are_never_printed() {
        let secret = WebhookSecret::new(SECRET);
        let r = WebhookReceiver::new(vec![secret.clone()], Arc::new(Recorder::default()));
        let shown = format!("{r:?} {r:#?} {secret:?} {secret}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(r.verify(b"x", &sign(SECRET, b"x")));
    }

    #[test]
    fn every_kind_maps_to_its_stream() {
        for (resource, stream) in [
            ("customer", "customers"),
            ("conversation", "conversations"),
            ("message", "messages"),
            ("user", "users"),
            ("team", "teams"),
            ("tag", "tags"),
        ] {
            let body = json!({"id": "e", "name": format!("kustomer.{resource}.create"),
                              "data": {"type": resource, "id": "x"}});
            let event = parse_event(body.to_string().as_bytes()).unwrap().unwrap();
            assert_eq!(event.record.stream(), stream);
            assert_eq!(event.created_at, None);
        }
    }
}
