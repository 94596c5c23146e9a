//! Named collections beyond the eleven [`crate::Kind`]s: org configuration lists,
//! per-conversation and per-customer detail, audit logs and custom-attribute
//! metadata. Each is a list of JSON:API resource objects in serving order, indexed
//! by id and, optionally, by the id of the record it belongs to.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::resource;

/// One named collection.
#[derive(Debug, Default, Clone)]
pub(crate) struct Collection {
    rows: Vec<Value>,
    parents: Vec<Option<String>>,
    index: HashMap<String, usize>,
    by_parent: HashMap<String, Vec<usize>>,
    /// The ordinal the next generated record gets (ordinals are never reused).
    pub next_ordinal: usize,
}

impl Collection {
    /// Appends a record, owned by `parent` if given.
    pub(crate) fn push(&mut self, value: Value, parent: Option<String>) {
        let i = self.rows.len();
        let id = resource::id(&value);
        if !id.is_empty() {
            self.index.entry(id.to_owned()).or_insert(i);
        }
        if let Some(p) = &parent {
            self.by_parent.entry(p.clone()).or_default().push(i);
        }
        self.rows.push(value);
        self.parents.push(parent);
        self.next_ordinal += 1;
    }

    /// Every record, in serving order.
    pub(crate) fn rows(&self) -> &[Value] {
        &self.rows
    }

    /// One record by id.
    pub(crate) fn get(&self, id: &str) -> Option<&Value> {
        self.index.get(id).map(|&i| &self.rows[i])
    }

    /// The records owned by `parent`, in serving order.
    pub(crate) fn children(&self, parent: &str) -> Vec<&Value> {
        (self.by_parent.get(parent).into_iter().flatten())
            .map(|&i| &self.rows[i])
            .collect()
    }

    /// Applies `f` to the record `id`; `false` if there is none.
    pub(crate) fn edit(&mut self, id: &str, f: impl FnOnce(&mut Value)) -> bool {
        match self.index.get(id) {
            Some(&i) => {
                f(&mut self.rows[i]);
                true
            }
            None => false,
        }
    }

    /// Removes every record `keep` rejects; returns how many went.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Value, Option<&str>) -> bool) -> usize {
        let before = self.rows.len();
        let rows = std::mem::take(&mut self.rows);
        let parents = std::mem::take(&mut self.parents);
        let next = self.next_ordinal;
        *self = Collection::default();
        for (row, parent) in rows.into_iter().zip(parents) {
            if keep(&row, parent.as_deref()) {
                self.push(row, parent);
            }
        }
        self.next_ordinal = next;
        before - self.rows.len()
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
    pub(crate) fn rows(&self, name: &str) -> &[Value] {
        self.map.get(name).map_or(&[], Collection::rows)
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
        c.push(json!({"id": "c"}), Some("p".into()));
        assert_eq!(c.children("p").len(), 2);
        assert!(c.edit("b", |v| v["x"] = json!(1)));
        assert_eq!(c.get("b").unwrap()["x"], 1);
        assert_eq!(c.retain(|v, _| v["id"] != "a"), 1);
        assert_eq!(c.children("p"), [&json!({"id": "c"})]);
        assert_eq!(c.next_ordinal, 3);
    }
}
