//! Named collections beyond the eleven [`crate::Kind`]s: org configuration lists,
//! per-conversation and per-customer detail, audit logs and custom-attribute
//! metadata. Each is a list of JSON:API resource objects in serving order, indexed
//! by id and, optionally, by the id of the record it belongs to. Records are stored
//! as compact JSON (as [`crate::row`] stores the eleven kinds), with the few facts
//! requests filter on cached beside them ([`Facts`]).

use std::collections::{BTreeMap, HashMap};

use serde_json::value::RawValue;
use serde_json::Value;

use crate::resource;
use crate::row::{Stored, Summary};
use crate::time;

/// Facts about a stored collection record that requests and mutations filter on,
/// cached so they need not re-parse JSON.
#[derive(Debug, Default, Clone)]
pub(crate) struct Facts {
    /// `id` (empty for records without one, such as plain strings).
    pub id: Box<str>,
    /// `attributes.createdAt`, microseconds (0 if absent).
    pub created: i64,
    /// `relationships.source.data.id` (customer merges: the merged-away customer).
    pub source: Option<Box<str>>,
    /// `relationships.message.data.id` (attachments: their message).
    pub message: Option<Box<str>>,
    /// `attributes.objectType` (audit logs).
    pub object_type: Option<Box<str>>,
    /// `attributes.objectId` (audit logs).
    pub object_id: Option<Box<str>>,
    /// `attributes.userId` (audit logs).
    pub user_id: Option<Box<str>>,
}

impl Summary for Facts {
    fn of(value: &Value) -> Facts {
        let attr = |k: &str| resource::attr_str(value, k).map(Box::from);
        let rel = |k: &str| resource::related_id(value, k).map(Box::from);
        Facts {
            id: resource::id(value).into(),
            created: (resource::attr_str(value, "createdAt"))
                .and_then(time::parse_instant)
                .unwrap_or(0),
            source: rel("source"),
            message: rel("message"),
            object_type: attr("objectType"),
            object_id: attr("objectId"),
            user_id: attr("userId"),
        }
    }
}

/// One stored record of a collection, and the record it belongs to, if any.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    stored: Stored<Facts>,
    parent: Option<Box<str>>,
}

impl Item {
    fn new(value: &Value, parent: Option<String>) -> Item {
        Item {
            stored: Stored::new(value),
            parent: parent.map(String::into_boxed_str),
        }
    }

    /// The record as served (serialises verbatim).
    pub(crate) fn json(&self) -> &RawValue {
        self.stored.json()
    }

    /// The record, parsed.
    pub(crate) fn value(&self) -> Value {
        self.stored.value()
    }

    /// Cached facts about it.
    pub(crate) fn facts(&self) -> &Facts {
        &self.stored.meta
    }

    /// Its `id` (empty for records without one, such as plain strings).
    pub(crate) fn id(&self) -> &str {
        &self.stored.meta.id
    }

    /// The id of the record it belongs to, if any.
    pub(crate) fn parent(&self) -> Option<&str> {
        self.parent.as_deref()
    }
}

/// One named collection.
#[derive(Debug, Default, Clone)]
pub(crate) struct Collection {
    items: Vec<Item>,
    index: HashMap<Box<str>, usize>,
    by_parent: HashMap<Box<str>, Vec<usize>>,
    /// The ordinal the next generated record gets (ordinals are never reused).
    pub next_ordinal: usize,
}

impl Collection {
    /// Appends a record, owned by `parent` if given.
    pub(crate) fn push(&mut self, value: Value, parent: Option<String>) {
        self.push_item(Item::new(&value, parent));
        self.next_ordinal += 1;
    }

    /// Appends a stored record and indexes it.
    fn push_item(&mut self, item: Item) {
        let i = self.items.len();
        if !item.id().is_empty() {
            self.index.entry(item.id().into()).or_insert(i);
        }
        if let Some(p) = &item.parent {
            self.by_parent.entry(p.clone()).or_default().push(i);
        }
        self.items.push(item);
    }

    /// Every record, in serving order.
    pub(crate) fn items(&self) -> &[Item] {
        &self.items
    }

    /// One record by id.
    pub(crate) fn get(&self, id: &str) -> Option<&Item> {
        self.index.get(id).map(|&i| &self.items[i])
    }

    /// The records owned by `parent`, in serving order.
    pub(crate) fn children(&self, parent: &str) -> Vec<&Item> {
        (self.by_parent.get(parent).into_iter().flatten())
            .map(|&i| &self.items[i])
            .collect()
    }

    /// How many records `parent` owns.
    pub(crate) fn count_children(&self, parent: &str) -> usize {
        self.by_parent.get(parent).map_or(0, Vec::len)
    }

    /// Applies `f` to the parsed record `id` and stores the result; `false` if there
    /// is none.
    pub(crate) fn edit(&mut self, id: &str, f: impl FnOnce(&mut Value)) -> bool {
        let Some(&i) = self.index.get(id) else {
            return false;
        };
        self.items[i].stored.edit(f);
        true
    }

    /// Removes every record `keep` rejects; returns how many went.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Item) -> bool) -> usize {
        let before = self.items.len();
        let kept: Vec<bool> = self.items.iter().map(&mut keep).collect();
        if kept.iter().all(|&k| k) {
            return 0;
        }
        let items = std::mem::take(&mut self.items);
        let next = self.next_ordinal;
        *self = Collection::default();
        for (item, keep) in items.into_iter().zip(kept) {
            if keep {
                self.push_item(item);
            }
        }
        self.next_ordinal = next;
        before - self.items.len()
    }
}

/// Every named collection of an org.
#[derive(Debug, Default, Clone)]
pub(crate) struct Store {
    map: BTreeMap<String, Collection>,
}

impl Store {
    /// The collection `name` (empty if it was never filled).
    pub(crate) fn get(&self, name: &str) -> Option<&Collection> {
        self.map.get(name)
    }

    /// The collection `name`, created empty on first use.
    pub(crate) fn entry(&mut self, name: &str) -> &mut Collection {
        self.map.entry(name.to_owned()).or_default()
    }

    /// The names of every collection, sorted.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.map.keys().map(String::as_str).collect()
    }

    /// The records of `name`, or none.
    pub(crate) fn items(&self, name: &str) -> &[Item] {
        self.map.get(name).map_or(&[], Collection::items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indexes_by_id_and_parent_and_survives_removal() {
        let mut c = Collection::default();
        c.push(json!({"id": "a"}), Some("p".into()));
        c.push(json!({"id": "b"}), Some("q".into()));
        c.push(
            json!({"id": "c", "relationships": {"message": {"data": {"id": "m"}}}}),
            Some("p".into()),
        );
        assert_eq!(c.children("p").len(), 2);
        assert_eq!(c.count_children("p"), 2);
        assert_eq!(c.get("c").unwrap().facts().message.as_deref(), Some("m"));
        assert!(c.edit("b", |v| v["x"] = json!(1)));
        assert_eq!(c.get("b").unwrap().value()["x"], 1);
        assert_eq!(c.get("b").unwrap().json().get(), r#"{"id":"b","x":1}"#);
        assert_eq!(c.retain(|v| v.id() != "a"), 1);
        let left: Vec<Value> = c.children("p").iter().map(|i| i.value()).collect();
        assert_eq!(
            left,
            [json!({"id": "c", "relationships": {"message": {"data": {"id": "m"}}}})]
        );
        assert_eq!(c.get("b").unwrap().parent(), Some("q"));
        assert_eq!(c.next_ordinal, 3);
    }
}
