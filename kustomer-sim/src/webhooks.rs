//! Outbound webhooks (spec §13): subscriptions managed over the API, and signed,
//! retried, per-record-ordered delivery of `kustomer.<resource>.<create|update>`
//! events when the org changes a customer, conversation, message, user, team or tag.
//!
//! - `POST /v1/outbound-webhooks` `{name, url, events[], headers?, enabled?}` answers
//!   201 `{"data": <outbound_webhook>}` with the HMAC key in `attributes.token`; with
//!   [`MAX_OUTBOUND_WEBHOOKS`] webhooks already listed it answers 400 instead.
//! - `DELETE /v1/outbound-webhooks/{id}` answers 204 (404 if there is no such webhook).
//!   Both show in `GET /v1/outbound-webhooks`, which lists every webhook, generated
//!   ones included.
//! - Only webhooks created through the API receive events: the generated ones point
//!   at example hosts. A webhook gets an event while it is listed, `enabled` is not
//!   `false` and its `events` contain the event's name, all read when the change
//!   happens (so [`crate::Org::update_in`] on `outbound_webhooks` can disable one).
//! - Event body: see `event_body` in [`crate::outbox`]. Headers: `Content-Type: application/json`,
//!   `X-Kustomer-Webhook-Event: <name>`, `X-Kustomer-Webhook-Signature: <hex
//!   HMAC-SHA256(token, raw body)>`, and the webhook's custom headers.
//! - Delivery runs on tokio tasks, never inside the mutation. Events of one record to
//!   one webhook are delivered one at a time in the order the changes happened
//!   (other records' events do not wait for them). An attempt fails on a non-2xx
//!   answer, a connection error or no answer within [`ATTEMPT_TIMEOUT`](crate::outbox::ATTEMPT_TIMEOUT); it is
//!   retried after each delay of the retry schedule in turn (default
//!   [`DEFAULT_RETRY_DELAYS`](crate::outbox::DEFAULT_RETRY_DELAYS): the real 1, 1, 2, 5, 10, 15, 30-minute schedule with
//!   minutes read as milliseconds), so at most 8 attempts. Then the event is dropped.
//! - Nothing about the org changes with deliveries (`isError`,
//!   `consecutiveErrorsCount` and the transactions list stay as generated), so the
//!   org clock, ids and bodies never depend on a receiver's timing.

use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::dataset::config_lists::WEBHOOK_EVENTS;
use crate::errors::ApiError;
use crate::org::Org;
use crate::outbox::COLLECTION;
use crate::store::Item;

/// At most this many outbound webhooks per org (spec §13); creating another is refused.
pub const MAX_OUTBOUND_WEBHOOKS: usize = 5;

/// An API route of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WebhookOp<'a> {
    /// `POST /v1/outbound-webhooks`.
    Create,
    /// `DELETE /v1/outbound-webhooks/{id}`.
    Delete(&'a str),
}

impl<'a> WebhookOp<'a> {
    /// Matches `method` and the path segments after `/v1/`.
    pub(crate) fn parse(method: &Method, version: &str, segs: &[&'a str]) -> Option<WebhookOp<'a>> {
        match (version, segs) {
            ("v1", ["outbound-webhooks"]) if method == Method::POST => Some(WebhookOp::Create),
            ("v1", ["outbound-webhooks", id]) if method == Method::DELETE && *id != "events" => {
                Some(WebhookOp::Delete(id))
            }
            _ => None,
        }
    }

    /// The route's path template, for statistics.
    pub(crate) fn family(self) -> &'static str {
        match self {
            WebhookOp::Create => "POST /v1/outbound-webhooks",
            WebhookOp::Delete(_) => "DELETE /v1/outbound-webhooks/{id}",
        }
    }
}

/// Answers a routed request: the status and JSON body (empty for 204).
pub(crate) fn respond(org: &mut Org, op: WebhookOp<'_>, body: &[u8]) -> Result<(StatusCode, Vec<u8>), ApiError> {
    match op {
        WebhookOp::Create => {
            let created = create(org, body)?;
            Ok((StatusCode::CREATED, json!({ "data": created }).to_string().into_bytes()))
        }
        WebhookOp::Delete(id) => {
            if !org.remove_from(COLLECTION, id) {
                return Err(ApiError::NotFound(format!("outbound_webhook {id} not found")));
            }
            org.webhooks.removed(id);
            Ok((StatusCode::NO_CONTENT, Vec::new()))
        }
    }
}

/// Validates a create body and adds the webhook; returns it as served.
fn create(org: &mut Org, body: &[u8]) -> Result<Value, ApiError> {
    let bad = |m: String| ApiError::BadRequest(m);
    let req: Map<String, Value> =
        serde_json::from_slice(body).map_err(|e| bad(format!("Invalid request body: {e}")))?;
    let url = match req.get("url") {
        Some(Value::String(u)) if u.starts_with("http://") || u.starts_with("https://") => u.clone(),
        _ => return Err(bad("`url` must be an http(s) URL".into())),
    };
    let events: Vec<String> = match req.get("events") {
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut out = Vec::new();
            for item in items {
                match item.as_str() {
                    Some(e) if WEBHOOK_EVENTS.contains(&e) => out.push(e.to_owned()),
                    _ => return Err(bad(format!("`events`: unknown event {item}"))),
                }
            }
            out
        }
        _ => return Err(bad("`events` must be a non-empty list of event names".into())),
    };
    let name = match req.get("name") {
        None | Some(Value::Null) => url.clone(),
        Some(Value::String(n)) => n.clone(),
        Some(_) => return Err(bad("`name` must be a string".into())),
    };
    let enabled = match req.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("`enabled` must be a boolean".into())),
    };
    let headers = match req.get("headers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for h in items {
                let (n, v) = (
                    h.get("name").and_then(Value::as_str),
                    h.get("value").and_then(Value::as_str),
                );
                match (n, v) {
                    (Some(n), Some(v)) if HeaderName::try_from(n).is_ok() && HeaderValue::try_from(v).is_ok() => {
                        out.push(json!({"name": n, "value": v}));
                    }
                    _ => return Err(bad(format!("`headers`: invalid header {h}"))),
                }
            }
            out
        }
        Some(_) => return Err(bad("`headers` must be a list of {name, value}".into())),
    };
    if org.store().items(COLLECTION).len() >= MAX_OUTBOUND_WEBHOOKS {
        return Err(bad(format!(
            "Outbound webhook limit reached: an org can have at most {MAX_OUTBOUND_WEBHOOKS}"
        )));
    }
    // A generated record (id, org, authors, timestamps, a fresh deterministic token),
    // then the request's fields.
    let id = org
        .add_to(COLLECTION)
        .ok_or_else(|| ApiError::NotFound("outbound webhooks are not served".into()))?;
    org.store_mut().entry(COLLECTION).edit(&id, |v| {
        if let Some(attrs) = v.get_mut("attributes").and_then(Value::as_object_mut) {
            attrs.insert("name".into(), Value::String(name));
            attrs.insert("url".into(), Value::String(url));
            attrs.insert("events".into(), json!(events));
            attrs.insert("headers".into(), Value::Array(headers));
            attrs.insert("enabled".into(), Value::Bool(enabled));
            attrs.insert("isError".into(), Value::Bool(false));
            attrs.insert("consecutiveErrorsCount".into(), Value::from(0));
        }
    });
    org.webhooks.created(id.clone());
    org.store()
        .get(COLLECTION)
        .and_then(|c| c.get(&id))
        .map(Item::value)
        .ok_or_else(|| ApiError::NotFound(format!("outbound_webhook {id} not found")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let parse = |m: Method, segs: &[&'static str]| WebhookOp::parse(&m, "v1", segs);
        assert_eq!(parse(Method::POST, &["outbound-webhooks"]), Some(WebhookOp::Create));
        assert_eq!(
            parse(Method::DELETE, &["outbound-webhooks", "abc"]),
            Some(WebhookOp::Delete("abc"))
        );
        assert_eq!(parse(Method::GET, &["outbound-webhooks"]), None);
        assert_eq!(parse(Method::DELETE, &["outbound-webhooks", "events"]), None);
        assert_eq!(WebhookOp::parse(&Method::POST, "v2", &["outbound-webhooks"]), None);
    }
}
