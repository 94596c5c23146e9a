//! The events the receiver handles, typed, and how a body decodes into one.

use chrono::{DateTime, Utc};
use kustomer_models::{decode, Conversation, Customer, DecodeError, Entity, FlatRecord, Message, Tag, Team, User};
use serde::de::DeserializeOwned;
use serde::Deserialize;

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

#[derive(Deserialize)]
pub(super) struct Head {
    pub(super) name: String,
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
