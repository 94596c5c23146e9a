//! The receiver end to end: signatures, decoding, answers.

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
        (
            br#"{"id":"e","name":"kustomer.customer.create","data":{"type":"customer","id":"c","attributes":"oops"}}"#,
            "`data.attributes`",
        ),
        (
            br#"{"id":"e","name":"kustomer.tag.update","data":{"type":"team","id":"t"}}"#,
            "`data.type`",
        ),
        (
            br#"{"name":"kustomer.user.create","data":{"type":"user","id":"u"}}"#,
            "missing field `id`",
        ),
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
