//! The public view of the named collections (configuration lists, detail, audit
//! logs, metadata) and the mutations tests use on them.

use serde_json::{Map, Value};

use super::{stamp, Org};
use crate::dataset::{audit, config_lists, Refs};
use crate::kind::Kind;
use crate::resource;
use crate::store::Item;

impl Org {
    /// The names of every collection besides the eleven [`Kind`]s, sorted. Each is the
    /// table the connector loads it into (`brands`, `conversation_events`,
    /// `audit_logs`, `custom_attribute_metadata`, …; `ENDPOINTS.md` maps them to
    /// endpoints).
    pub fn collection_names(&self) -> Vec<&str> {
        self.store().names()
    }

    /// Every record of collection `name`, in the order the API lists them
    /// (audit logs newest first; per-parent detail grouped by parent). Empty for an
    /// unknown name. `outbound_webhook_events` holds plain strings.
    ///
    /// Like [`Org::records`], the values are parsed afresh from the stored JSON.
    pub fn collection(&self, name: &str) -> Vec<Value> {
        self.collection_items(name).into_iter().map(Item::value).collect()
    }

    /// The records of collection `name` that belong to `parent` (a conversation id
    /// for `conversation_*`, a customer id for `customer_*`, an SLA id for
    /// `sla_versions`, a schedule id for `holidays`), in serving order.
    pub fn collection_for(&self, name: &str, parent: &str) -> Vec<Value> {
        self.collection_items_for(name, parent)
            .into_iter()
            .map(Item::value)
            .collect()
    }

    /// The stored records of [`Org::collection`], in the same order.
    pub(crate) fn collection_items(&self, name: &str) -> Vec<&Item> {
        let items = self.store().items(name).iter();
        if name == audit::TABLE {
            items.rev().collect()
        } else {
            items.collect()
        }
    }

    /// The stored records of [`Org::collection_for`].
    pub(crate) fn collection_items_for(&self, name: &str, parent: &str) -> Vec<&Item> {
        self.store().get(name).map_or_else(Vec::new, |c| c.children(parent))
    }

    /// Edits record `id` of collection `name`: `f` changes its attributes, then
    /// `updatedAt`/`modifiedAt` (where present) become the org clock and the clock
    /// advances 1 ms. Returns `false` if there is no such record.
    pub fn update_in(&mut self, name: &str, id: &str, f: impl FnOnce(&mut Map<String, Value>)) -> bool {
        let now = self.now;
        let found = self.store_mut().entry(name).edit(id, |v| {
            if let Some(attrs) = v.get_mut("attributes").and_then(Value::as_object_mut) {
                f(attrs);
                stamp(attrs, now);
            }
        });
        if found {
            self.tick();
        }
        found
    }

    /// Removes record `id` from collection `name` (configuration lists are re-read
    /// in full, so a removal is how a deletion shows). Returns `false` if absent.
    pub fn remove_from(&mut self, name: &str, id: &str) -> bool {
        let removed = self.store_mut().entry(name).retain(|v| v.id() != id) > 0;
        if removed {
            self.tick();
        }
        removed
    }

    /// Adds one generated record to configuration list `name` (see
    /// [`Org::collection_names`]), created at the org clock, which then advances
    /// 1 ms. Returns its id, or `None` if `name` is not a configuration list.
    /// (Records of the eleven kinds: [`Org::insert`], [`Org::insert_into`].)
    pub fn add_to(&mut self, name: &str) -> Option<String> {
        let spec = config_lists::spec(name)?;
        let refs = Refs::collect(self.seed, |k| self.rows(k));
        let ctx = config_lists::Ctx {
            seed: self.seed,
            now: self.now,
            span: self.now.max(1),
            refs: &refs,
            conversations: self.ids(Kind::Conversation),
        };
        let i = self.store().get(name).map_or(0, |c| c.next_ordinal);
        let mut g = config_lists::gen(spec, &ctx, i, Some(self.now));
        let (value, children) = config_lists::render(spec, &mut g);
        let id = resource::id(&value).to_owned();
        self.store_mut().entry(name).push(value, g.owner.clone());
        if let Some(side) = spec.side {
            for child in children {
                self.store_mut().entry(side.table).push(child, Some(id.clone()));
            }
        }
        self.tick();
        Some(id)
    }
}
