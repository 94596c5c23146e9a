//! Messages (`type: message`): what customers and agents send on a channel.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::common::Attachment;
use crate::cell::Cell;
use crate::custom::CustomAttributes;
use crate::entity::entity;
use crate::enums::{Channel, Direction, MessageStatus};
use crate::record::record;
use crate::table::LogicalType;
use crate::value::{Count, Flex, Json, Scalar};

record! {
    /// One sender or recipient in a message's `meta` (`from`, `to`, `cc`, `bcc`).
    pub struct Recipient {
        "email" => email: Option<String>,
        "name" => name: Option<String>,
        "contact" => contact: Option<Flex>,
        "external" => external: Option<Flex>,
    }
}

/// The senders or recipients of a message. The API sends them as a string (an
/// address), one object or a list of strings and objects (spec §6b); all three
/// decode to a list, and serialize back as a JSON array. A string becomes a
/// [`Recipient`] with only `email` set, verbatim (`"Jane <jane@x>"` is not
/// split); `null` items of a list are skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recipients(pub Vec<Recipient>);

impl Recipients {
    /// The recipients.
    pub fn as_slice(&self) -> &[Recipient] {
        &self.0
    }

    /// The e-mail addresses, in order.
    pub fn emails(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|r| r.email.as_deref())
    }
}

fn recipient_of_str(s: &str) -> Recipient {
    Recipient {
        email: Some(s.to_owned()),
        ..Recipient::default()
    }
}

/// One item of a recipient list: a string, an object, or `null` (skipped).
struct RecipientItem(Option<Recipient>);

struct RecipientItemVisitor;

impl<'de> Visitor<'de> for RecipientItemVisitor {
    type Value = RecipientItem;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a recipient address or object")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RecipientItem, E> {
        Ok(RecipientItem(Some(recipient_of_str(v))))
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<RecipientItem, M::Error> {
        Recipient::deserialize(de::value::MapAccessDeserializer::new(map)).map(|r| RecipientItem(Some(r)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RecipientItem, E> {
        Ok(RecipientItem(None))
    }
}

impl<'de> Deserialize<'de> for RecipientItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RecipientItemVisitor)
    }
}

impl<'de> Deserialize<'de> for Recipients {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Recipients;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a recipient address, object or list")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Recipients, E> {
                Ok(Recipients(vec![recipient_of_str(v)]))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Recipients, M::Error> {
                RecipientItemVisitor
                    .visit_map(map)
                    .map(|item| Recipients(item.0.into_iter().collect()))
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Recipients, S::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(RecipientItem(item)) = seq.next_element()? {
                    out.extend(item);
                }
                Ok(Recipients(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Recipients, E> {
                Ok(Recipients::default())
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Recipients {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Scalar for Recipients {
    const TYPE: LogicalType = LogicalType::Json;
    fn into_cell(self) -> Cell {
        Cell::Json(serde_json::to_string(&self).unwrap_or_else(|_| "[]".into()))
    }
}

record! {
    /// A message's channel metadata (`meta`): addresses for e-mail, call data
    /// for voice, and so on. Fields of other channels are kept in `extra`.
    pub struct MessageMeta {
        "from" => from: Option<Recipients>,
        "to" => to: Option<Recipients>,
        "cc" => cc: Option<Recipients>,
        "bcc" => bcc: Option<Recipients>,
        "subject" => subject: Option<String>,
        "inReplyTo" => in_reply_to: Option<String>,
        "trackingId" => tracking_id: Option<String>,
        "messageType" => message_type: Option<String>,
        "status" => status: Option<String>,
        "permalink" => permalink: Option<String>,
        "externalRecordingUrl" => external_recording_url: Option<String>,
        "payload" => payload: Option<Json>,
        "placedAt" => placed_at: Option<Json>,
        "answeredAt" => answered_at: Option<Json>,
        "endedAt" => ended_at: Option<Json>,
    }
}

record! {
    /// A message's attributes (spec §7.3; AppFlow `Messages`; real payloads of
    /// the MeltanoLabs tap).
    pub struct MessageAttributes {
        "externalId" => external_id: Option<String>,
        "channel" => channel: Option<Channel>,
        "app" => app: Option<String>,
        "size" => size: Option<Count>,
        "direction" => direction: Option<Direction>,
        "directionType" => direction_type: Option<String>,
        "status" => status: Option<MessageStatus>,
        "auto" => auto: Option<bool>,
        "redacted" => redacted: Option<bool>,
        "preview" => preview: Option<String>,
        "subject" => subject: Option<String>,
        "lang" => lang: Option<String>,
        "source" => source: Option<Flex>,
        "meta" => meta: Option<MessageMeta>,
        "custom" => custom: Option<CustomAttributes>,
        "responseTime" => response_time: Option<Count>,
        "responseBusinessTime" => response_business_time: Option<Count>,
        "reactions" => reactions: Option<Json>,
        "firstDelivered" => first_delivered: Option<Json>,
        "firstRead" => first_read: Option<Json>,
        "intentDetections" => intent_detections: Option<Json>,
        "rev" => rev: Option<Count>,
        "sentAt" => sent_at: Option<DateTime<Utc>>,
        "errorAt" => error_at: Option<DateTime<Utc>>,
        "importedAt" => imported_at: Option<DateTime<Utc>>,
        "deleted" => deleted: Option<bool>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
    lists {
        /// Attachments (with `include=attachments`).
        "attachments" => attachments: Option<Vec<Attachment>>,
        /// User ids.
        "assignedUsers" => assigned_users: Option<Vec<Flex>>,
        /// Team ids.
        "assignedTeams" => assigned_teams: Option<Vec<Flex>>,
        /// Ids of the sender's teams.
        "createdByTeams" => created_by_teams: Option<Vec<Flex>>,
    }
}

entity! {
    /// A message resource.
    pub type Message = Resource<MessageAttributes> {
        resource: "message",
        table: "messages",
        singular: "message",
        doc: "Messages of conversations, in every channel",
        relationships {
            "org" => "org_id",
            "customer" => "customer_id",
            "conversation" => "conversation_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {
            attachments,
            assigned_users => "user_id",
            assigned_teams => "team_id",
            created_by_teams => "team_id",
        }
        relationship_lists {
            "shortcuts" => "shortcut_id",
        }
        custom: custom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_in_every_shape() {
        let one: Recipients = serde_json::from_str(r#""a@x.example""#).unwrap();
        assert_eq!(one.emails().collect::<Vec<_>>(), ["a@x.example"]);
        let obj: Recipients = serde_json::from_str(r#"{"email":"b@x.example","name":"B"}"#).unwrap();
        assert_eq!(obj.0[0].name.as_deref(), Some("B"));
        let list: Recipients = serde_json::from_str(r#"["c@x.example", {"contact":"+1555"}, null]"#).unwrap();
        assert_eq!(list.0.len(), 2);
        assert_eq!(list.0[1].contact, Some(Flex::Text("+1555".into())));
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"[{"email":"c@x.example"},{"contact":"+1555"}]"#
        );
        assert!(serde_json::from_str::<Recipients>("12").is_err());
    }
}
