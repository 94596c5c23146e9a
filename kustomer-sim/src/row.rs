//! How a record of one of the eleven [`crate::Kind`]s is stored: its compact JSON,
//! exactly the bytes the server serves, plus the facts the server filters and sorts
//! on ([`Meta`]), so serving a page neither parses nor re-serialises anything.
//!
//! Compact JSON takes a small fraction of the memory of a parsed
//! [`serde_json::Value`] (whose maps and strings each cost an allocation), which is
//! what lets an org of a million records fit in a few GB. Records are parsed only
//! when something needs their contents (a mutation, a generator reading a parent,
//! the public [`crate::Org::records`] view).

use serde_json::value::RawValue;
use serde_json::Value;

use crate::resource;
use crate::time;

/// Serialises `value` compactly: the same bytes serde writes for it inside a response
/// (the workspace's `serde_json` keeps object keys sorted, so they are canonical).
pub(crate) fn to_raw(value: &Value) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("a JSON value always serialises")
}

/// Parses stored JSON back into a value.
pub(crate) fn parse(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).expect("stored JSON is valid")
}

/// Facts about a record the server filters and sorts on, cached so requests do not
/// re-parse JSON. Recomputed after every mutation.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    /// `id`.
    pub id: Box<str>,
    /// `createdAt`, microseconds.
    pub created: i64,
    /// `updatedAt`, microseconds.
    pub updated: i64,
    /// Soft-deleted.
    pub deleted: bool,
    /// The owning customer's id.
    pub customer: Option<Box<str>>,
    /// The owning conversation's id.
    pub conversation: Option<Box<str>>,
    /// A KObject's klass name.
    pub klass: Option<Box<str>>,
    /// `attributes.status` when it is a string (conversations: a search criterion;
    /// klasses: the list filter).
    pub status: Option<Box<str>>,
    /// Every `attributes.emails[].email` string (customers: a search criterion).
    pub emails: Box<[Box<str>]>,
}

/// Facts cached beside a stored record, derived from its JSON.
pub(crate) trait Summary {
    /// The facts of `value`.
    fn of(value: &Value) -> Self;
}

impl Summary for Meta {
    fn of(value: &Value) -> Meta {
        let at = |name| {
            resource::attr_str(value, name)
                .and_then(time::parse_instant)
                .unwrap_or(0)
        };
        let rel = |name| resource::related_id(value, name).map(Box::from);
        let emails = (resource::attributes(value))
            .and_then(|a| a.get("emails")?.as_array())
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("email").and_then(Value::as_str))
            .map(Box::from)
            .collect();
        Meta {
            id: resource::id(value).into(),
            created: at("createdAt"),
            updated: at("updatedAt"),
            deleted: resource::is_deleted(value),
            customer: rel("customer"),
            conversation: rel("conversation"),
            klass: rel("klass"),
            status: resource::attr_str(value, "status").map(Box::from),
            emails,
        }
    }
}

/// One stored record: the JSON:API resource object exactly as served, plus the
/// facts `S` cached from it (kept in step by [`Stored::edit`]).
#[derive(Debug, Clone)]
pub(crate) struct Stored<S> {
    json: Box<RawValue>,
    /// Cached facts about it.
    pub meta: S,
}

impl<S: Summary> Stored<S> {
    /// Stores `value`.
    pub(crate) fn new(value: &Value) -> Self {
        Stored {
            meta: S::of(value),
            json: to_raw(value),
        }
    }

    /// The record as served (serialises verbatim).
    pub(crate) fn json(&self) -> &RawValue {
        &self.json
    }

    /// The record, parsed.
    pub(crate) fn value(&self) -> Value {
        parse(&self.json)
    }

    /// Applies `f` to the parsed record, then stores the result and refreshes the
    /// cached facts.
    pub(crate) fn edit(&mut self, f: impl FnOnce(&mut Value)) {
        let mut value = self.value();
        f(&mut value);
        *self = Self::new(&value);
    }
}

/// A record of one of the eleven kinds.
pub(crate) type Row = Stored<Meta>;

impl Row {
    /// The record's id.
    pub(crate) fn id(&self) -> &str {
        &self.meta.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stores_the_served_bytes_and_caches_facts() {
        let value = json!({
            "type": "customer", "id": "c1",
            "attributes": {"name": "Ada", "score": 12.5, "status": "open", "deletedAt": null,
                           "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-02T00:00:00.000Z",
                           "emails": [{"email": "ada@example.com"}, {"type": "work"}]},
            "relationships": {"customer": {"data": {"type": "customer", "id": "c0"}}},
        });
        let row = Row::new(&value);
        assert_eq!(row.json().get(), serde_json::to_string(&value).unwrap());
        assert_eq!(row.value(), value);
        assert_eq!(row.id(), "c1");
        assert!(!row.meta.deleted && row.meta.created < row.meta.updated);
        assert_eq!(row.meta.customer.as_deref(), Some("c0"));
        assert_eq!(row.meta.status.as_deref(), Some("open"));
        assert_eq!(&*row.meta.emails, [Box::from("ada@example.com")]);
        let mut row = row;
        row.edit(|v| v["attributes"]["deletedAt"] = json!("2024-01-03T00:00:00.000Z"));
        assert!(row.meta.deleted);
        assert_eq!(row.value()["attributes"]["score"], 12.5);
    }
}
