//! Outbound-webhook delivery (spec §13): which webhooks want an event, the
//! event's signed body, and the server's outbox that posts it, retried and in
//! order per record (the `webhooks` module states the rules). Below the org: the
//! org holds its [`Hooks`] and calls [`Hooks::emit`] when a record changes.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use tokio::sync::Notify;

use crate::dataset::{events, ids};
use crate::kind::Kind;
use crate::lock::lock;
use crate::resource;
use crate::store::Store;
use crate::time;

/// The collection (and table) listing outbound webhooks.
pub(crate) const COLLECTION: &str = "outbound_webhooks";

/// How long one delivery attempt may take ("the receiver must answer 2xx within a few
/// seconds").
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// The default waits before the 2nd … 8th attempt: Kustomer's 1, 1, 2, 5, 10, 15 and
/// 30 minutes, read as milliseconds. See [`crate::Simulator::set_webhook_retry_delays`].
pub const DEFAULT_RETRY_DELAYS: [Duration; 7] = [
    Duration::from_millis(1),
    Duration::from_millis(1),
    Duration::from_millis(2),
    Duration::from_millis(5),
    Duration::from_millis(10),
    Duration::from_millis(15),
    Duration::from_millis(30),
];

/// The record kinds with webhook events, and their resource name in event names.
fn resource_name(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Customer | Kind::Conversation | Kind::Message | Kind::User | Kind::Team | Kind::Tag => {
            Some(kind.resource_type())
        }
        _ => None,
    }
}

/// One event's delivery to one webhook, once it is over (delivered or given up).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The webhook's id.
    pub webhook_id: String,
    /// Where it was posted.
    pub url: String,
    /// The event's `id`.
    pub event_id: String,
    /// The event's `name`, e.g. `kustomer.customer.update`.
    pub event_name: String,
    /// The id of the record the event is about.
    pub record_id: String,
    /// The last attempt's HTTP status; `None` if it got no answer (connection
    /// refused, timeout).
    pub status: Option<u16>,
    /// Attempts made (1 + retries).
    pub attempts: u32,
    /// Whether an attempt got a 2xx.
    pub delivered: bool,
}

/// The org's side of webhooks: which webhooks were created through the API, and the
/// outbox of the running server (none for an [`Org`] without a server).
#[derive(Debug, Default)]
pub(crate) struct Hooks {
    created: BTreeSet<String>,
    outbox: Option<Arc<Outbox>>,
}

impl Hooks {
    /// Whether any webhook may want events: mutations then keep the attributes before
    /// a change for the event's `changes`.
    pub(crate) fn any(&self) -> bool {
        !self.created.is_empty()
    }

    /// Counts a webhook created through the API among those that get events.
    pub(crate) fn created(&mut self, id: String) {
        self.created.insert(id);
    }

    /// Stops counting a deleted webhook.
    pub(crate) fn removed(&mut self, id: &str) {
        self.created.remove(id);
    }

    /// Connects the org to a server's outbox.
    pub(crate) fn attach(&mut self, outbox: Arc<Outbox>) {
        self.outbox = Some(outbox);
    }
}

impl Hooks {
    /// Queues the event about `change` (a record just stored) for every webhook
    /// that wants it. Does nothing without a server, without webhooks created
    /// through the API, or for kinds without events; only then is `store` read
    /// (it may generate the org's collections).
    pub(crate) fn emit<'s>(
        &self,
        store: impl FnOnce() -> &'s Store,
        seed: u64,
        org_id: &str,
        change: RecordChange<'_>,
    ) {
        let RecordChange {
            kind,
            value,
            verb,
            before,
            at,
        } = change;
        let (Some(outbox), Some(resource)) = (&self.outbox, resource_name(kind)) else {
            return;
        };
        if self.created.is_empty() {
            return;
        }
        let name = format!(
            "kustomer.{resource}.{}",
            if verb == "create" { "create" } else { "update" }
        );
        let Some(listed) = store().get(COLLECTION) else {
            return;
        };
        let targets: Vec<Target> = (self.created.iter())
            .filter_map(|id| Target::of(&listed.get(id)?.value(), &name))
            .collect();
        if targets.is_empty() {
            return;
        }
        let record_id = resource::id(value).to_owned();
        let event_id = ids::stamped(seed, &format!("webhook-event/{name}/{record_id}"), at);
        let body = Bytes::from(event_body(org_id, &name, &event_id, value, before, at));
        for t in targets {
            outbox.enqueue(Job {
                signature: sign(&t.token, &body),
                webhook_id: t.id,
                url: t.url,
                headers: t.headers,
                event_id: event_id.clone(),
                event_name: name.clone(),
                record_id: record_id.clone(),
                body: body.clone(),
            });
        }
    }
}

/// A change of one record, as [`Hooks::emit`] turns it into an event (`verb`,
/// `before` and `at` as in [`event_body`]).
pub(crate) struct RecordChange<'a> {
    /// The record's kind.
    pub kind: Kind,
    /// The record as `GET` serves it, just stored.
    pub value: &'a Value,
    /// `create`, `update` or `delete`.
    pub verb: &'a str,
    /// Its attributes before the change.
    pub before: Option<&'a Map<String, Value>>,
    /// When (microseconds).
    pub at: i64,
}

/// A webhook that gets an event.
struct Target {
    id: String,
    url: String,
    token: String,
    headers: Vec<(String, String)>,
}

impl Target {
    /// The webhook `value` if it is enabled and subscribed to `event`.
    fn of(value: &Value, event: &str) -> Option<Target> {
        let attrs = resource::attributes(value)?;
        let str_of = |k: &str| attrs.get(k).and_then(Value::as_str).map(str::to_owned);
        let subscribed = (attrs.get("events").and_then(Value::as_array))
            .is_some_and(|events| events.iter().any(|e| e.as_str() == Some(event)));
        if !subscribed || attrs.get("enabled") == Some(&Value::Bool(false)) {
            return None;
        }
        let headers = (attrs.get("headers").and_then(Value::as_array).into_iter().flatten())
            .filter_map(|h| {
                Some((
                    h.get("name")?.as_str()?.to_owned(),
                    h.get("value")?.as_str()?.to_owned(),
                ))
            })
            .collect();
        Some(Target {
            id: resource::id(value).to_owned(),
            url: str_of("url")?,
            token: str_of("token").unwrap_or_default(),
            headers,
        })
    }
}

/// The body of the event about `value` (a record of `kind` as `GET` serves it)
/// after a change made at `at` (microseconds) by `verb` (`create`, `update` or
/// `delete`), named `name`:
///
/// ```json
/// {"id": "<24 hex>", "name": "kustomer.customer.update", "org": "<org id>",
///  "partition": "<org id>", "data": {<the resource object>},
///  "createdAt": "<the change's instant>", "dataId": "<record id>",
///  "changes": {"attributes": {"name": {"op": "replace", "before": …, "after": …}},
///              "relationships": {}},
///  "client": "api", "persist": true, "meta": {"customChanged": false}, "snsFilters": []}
/// ```
///
/// The envelope is spec §13's (`id`, `name`, `org`, `partition`, `data`, `changes`)
/// plus the members Pipedream's recorded Kustomer events also carry (`createdAt`,
/// `dataId`, `client`, `persist`, `meta.customChanged`, `snsFilters`). `changes`
/// is the audit-log diff on update and absent on create, as in those recordings (the
/// spec says `null`). Kustomer has no delete events: a soft delete is sent as an
/// update (`deleted`/`deletedAt` in `changes`).
fn event_body(
    org_id: &str,
    name: &str,
    event_id: &str,
    value: &Value,
    before: Option<&Map<String, Value>>,
    at: i64,
) -> Vec<u8> {
    let after = resource::attributes(value);
    let mut e = Map::new();
    e.insert("id".into(), Value::from(event_id));
    e.insert("name".into(), Value::from(name));
    e.insert("org".into(), Value::from(org_id));
    e.insert("partition".into(), Value::from(org_id));
    e.insert("data".into(), value.clone());
    e.insert("createdAt".into(), Value::String(time::format(at)));
    e.insert("dataId".into(), Value::from(resource::id(value)));
    let mut custom_changed = false;
    if name.ends_with(".update") {
        let empty = Map::new();
        let changes = events::diff(before.unwrap_or(&empty), after.unwrap_or(&empty));
        custom_changed = changes["attributes"].get("custom").is_some();
        e.insert("changes".into(), changes);
    }
    e.insert("client".into(), Value::from("api"));
    e.insert("persist".into(), Value::Bool(true));
    e.insert("meta".into(), json!({ "customChanged": custom_changed }));
    e.insert("snsFilters".into(), json!([]));
    serde_json::to_vec(&Value::Object(e)).unwrap_or_default()
}

/// Hex HMAC-SHA256 of `body` keyed with `token`.
pub(crate) fn sign(token: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// One event for one webhook.
struct Job {
    webhook_id: String,
    url: String,
    headers: Vec<(String, String)>,
    signature: String,
    event_id: String,
    event_name: String,
    record_id: String,
    body: Bytes,
}

/// (webhook id, record id): the events of one lane are delivered in order.
type Lane = (String, String);

#[derive(Default)]
struct State {
    /// Lanes with a worker: queued jobs (the one in flight is not among them).
    lanes: HashMap<Lane, VecDeque<Job>>,
    /// Jobs queued or in flight.
    pending: usize,
    log: Vec<WebhookDelivery>,
    delays: Option<Vec<Duration>>,
}

/// The server's delivery queue.
pub(crate) struct Outbox {
    runtime: tokio::runtime::Handle,
    http: OnceLock<reqwest::Client>,
    state: Mutex<State>,
    idle: Notify,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock(&self.state);
        f.debug_struct("Outbox")
            .field("pending", &s.pending)
            .field("delivered", &s.log.len())
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox whose workers run on the current tokio runtime.
    pub(crate) fn new() -> Arc<Outbox> {
        Arc::new(Outbox {
            runtime: tokio::runtime::Handle::current(),
            http: OnceLock::new(),
            state: Mutex::default(),
            idle: Notify::new(),
        })
    }

    fn enqueue(self: &Arc<Self>, job: Job) {
        let lane = (job.webhook_id.clone(), job.record_id.clone());
        let mut s = lock(&self.state);
        s.pending += 1;
        match s.lanes.get_mut(&lane) {
            Some(queue) => queue.push_back(job),
            None => {
                s.lanes.insert(lane.clone(), VecDeque::from([job]));
                self.runtime.spawn(Arc::clone(self).drain(lane));
            }
        }
    }

    /// Delivers a lane's jobs one by one until it is empty.
    async fn drain(self: Arc<Self>, lane: Lane) {
        loop {
            let (job, delays) = {
                let mut s = lock(&self.state);
                let Some(job) = s.lanes.get_mut(&lane).and_then(VecDeque::pop_front) else {
                    s.lanes.remove(&lane);
                    return;
                };
                let delays = s.delays.clone().unwrap_or_else(|| DEFAULT_RETRY_DELAYS.to_vec());
                (job, delays)
            };
            let done = self.deliver(job, &delays).await;
            let mut s = lock(&self.state);
            s.log.push(done);
            s.pending -= 1;
            if s.pending == 0 {
                self.idle.notify_waiters();
            }
        }
    }

    async fn deliver(&self, job: Job, delays: &[Duration]) -> WebhookDelivery {
        let http = self.http.get_or_init(|| {
            reqwest::Client::builder()
                .timeout(ATTEMPT_TIMEOUT)
                .build()
                .unwrap_or_default()
        });
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let mut req = (http.post(&job.url))
                .header("content-type", "application/json")
                .header("x-kustomer-webhook-event", &job.event_name)
                .header("x-kustomer-webhook-signature", &job.signature);
            for (name, value) in &job.headers {
                req = req.header(name, value);
            }
            let status = match req.body(job.body.clone()).send().await {
                Ok(resp) => Some(resp.status().as_u16()),
                Err(e) => {
                    tracing::debug!(url = %job.url, error = %e, "webhook delivery attempt failed");
                    None
                }
            };
            let delivered = status.is_some_and(|s| (200..300).contains(&s));
            let retry = delays.get(attempts as usize - 1).filter(|_| !delivered);
            match retry {
                Some(wait) => tokio::time::sleep(*wait).await,
                None => {
                    return WebhookDelivery {
                        webhook_id: job.webhook_id,
                        url: job.url,
                        event_id: job.event_id,
                        event_name: job.event_name,
                        record_id: job.record_id,
                        status,
                        attempts,
                        delivered,
                    }
                }
            }
        }
    }

    /// Finished deliveries, in the order they finished.
    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.state).log.clone()
    }

    /// Sets the waits between attempts (its length is the number of retries).
    pub(crate) fn set_delays(&self, delays: Vec<Duration>) {
        lock(&self.state).delays = Some(delays);
    }

    /// Waits until no job is queued or in flight.
    pub(crate) async fn flush(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if lock(&self.state).pending == 0 {
                return;
            }
            idle.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
