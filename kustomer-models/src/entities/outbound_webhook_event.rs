//! Outbound webhook events: the event names an org can subscribe webhooks to.
//! `GET /v1/outbound-webhooks/events` answers `{"events": ["kustomer.customer.create", …]}`
//! (not JSON:API); [`webhook_event_rows`] turns it into rows.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::cell::Cell;
use crate::decode::{decode, DecodeError};
use crate::entity::{EntitySchema, FlatRecord};
use crate::table::{Column, LogicalType, TableDef, EXTRA_COLUMN};
use crate::value::Flex;

/// The `outbound_webhook_events` table: `id` (the event name), `resource` and
/// `action` (its middle and last dot-separated parts: `customer`, `create`),
/// and `_extra`.
pub fn outbound_webhook_events_schema() -> &'static EntitySchema {
    static SCHEMA: OnceLock<EntitySchema> = OnceLock::new();
    SCHEMA.get_or_init(|| EntitySchema {
        resource: "outbound_webhook_event",
        table: TableDef {
            name: "outbound_webhook_events".into(),
            columns: vec![
                Column::required("id", LogicalType::Text)
                    .with_doc("The event name (`kustomer.customer.create`)")
                    .with_source("events[]"),
                Column::new("resource", LogicalType::Text)
                    .with_doc("The resource the event is about (`customer`): the name's middle part")
                    .with_source("events[] (middle part)"),
                Column::new("action", LogicalType::Text)
                    .with_doc("What happened to it (`create`): the name's last part")
                    .with_source("events[] (last part)"),
                Column::new(EXTRA_COLUMN, LogicalType::Json)
                    .with_doc("An event entry that is not a plain name, as JSON")
                    .with_source("events[]"),
            ],
            primary_key: vec!["id".into()],
            parent: None,
        },
        children: Vec::new(),
        doc: "Event names an outbound webhook can subscribe to".into(),
        child_docs: Vec::new(),
    })
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    events: Option<Vec<Flex>>,
}

/// Rows of `outbound_webhook_events` from a `GET /v1/outbound-webhooks/events`
/// body, in the order listed. An entry that is not a string keeps its JSON
/// text as id and whole in `_extra`.
pub fn webhook_event_rows(body: &[u8]) -> Result<Vec<FlatRecord>, DecodeError> {
    let body: Body = decode(body)?;
    Ok(body.events.unwrap_or_default().into_iter().map(event_row).collect())
}

fn event_row(event: Flex) -> FlatRecord {
    let (id, extra) = match event {
        Flex::Text(name) => (name, Cell::Null),
        Flex::Other(json) => (json.get().to_owned(), Cell::Json(json.into_string())),
    };
    let parts: Vec<&str> = id.split('.').collect();
    let (resource, action) = match parts.as_slice() {
        [_, resource, action] => (Cell::Text((*resource).to_owned()), Cell::Text((*action).to_owned())),
        _ => (Cell::Null, Cell::Null),
    };
    FlatRecord {
        row: vec![Cell::Text(id.clone()), resource, action, extra],
        id,
        children: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_event() {
        let body =
            br#"{"events":["kustomer.customer.create","kustomer.conversation.update","custom.event.with.dots",7]}"#;
        let rows = webhook_event_rows(body).unwrap();
        let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "kustomer.customer.create",
                "kustomer.conversation.update",
                "custom.event.with.dots",
                "7"
            ]
        );
        assert_eq!(
            rows[1].row,
            [
                Cell::Text("kustomer.conversation.update".into()),
                Cell::Text("conversation".into()),
                Cell::Text("update".into()),
                Cell::Null
            ]
        );
        assert!(rows[2].row[1].is_null());
        assert_eq!(rows[3].row[3], Cell::Json("7".into()));
        let width = outbound_webhook_events_schema().table.columns.len();
        assert!(rows.iter().all(|r| r.row.len() == width));
    }

    #[test]
    fn empty_and_bad_bodies() {
        assert!(webhook_event_rows(br#"{"events":[]}"#).unwrap().is_empty());
        assert!(webhook_event_rows(b"{}").unwrap().is_empty());
        let e = webhook_event_rows(br#"{"events":{"a":1}}"#).unwrap_err();
        assert_eq!(e.path, "events");
    }
}
