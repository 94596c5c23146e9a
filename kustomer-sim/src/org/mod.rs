//! The org's record store and the mutation API tests use to change data between
//! (or during) syncs.
//!
//! The eleven [`Kind`]s live in per-kind tables here; everything else (configuration
//! lists, per-conversation detail, audit logs, metadata) lives in named collections
//! ([`collections`]). Mutations record history ([`history`]): events and audit-log
//! entries. [`schema`] adds klasses and custom attributes.

mod collections;
mod history;
mod schema;

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::config::SimConfig;
use crate::dataset::{self, detail, events, Draft, IdGen, Parents, Refs};
use crate::kind::Kind;
use crate::outbox::Hooks;
use crate::resource;
use crate::rng::{combine, Rng};
use std::sync::OnceLock;

use crate::dataset::Timeline;
pub(crate) use crate::row::Row;
use crate::store::{Item, Store};
use crate::time::{self, DAY, MS};

/// The records of one kind in default list order (`createdAt`, then id) with an id index.
#[derive(Debug, Default)]
struct Table {
    rows: Vec<Row>,
    index: HashMap<Box<str>, usize>,
    /// The ordinal the next new record is rendered with. Not `rows.len()`: after a
    /// purge that would repeat an ordinal, and ordinals pick unique things (klass
    /// names, user emails, the machine user).
    next_ordinal: usize,
}

impl Table {
    fn new(rows: Vec<Row>) -> Table {
        let mut t = Table {
            next_ordinal: rows.len(),
            rows,
            index: HashMap::new(),
        };
        t.reorder();
        t
    }

    /// Restores default order and rebuilds the index.
    fn reorder(&mut self) {
        self.rows
            .sort_by(|a, b| (a.meta.created, a.id()).cmp(&(b.meta.created, b.id())));
        self.index = (self.rows.iter().enumerate())
            .map(|(i, r)| (r.meta.id.clone(), i))
            .collect();
    }

    fn push(&mut self, row: Row) {
        let in_order = self
            .rows
            .last()
            .is_none_or(|last| (last.meta.created, last.id()) <= (row.meta.created, row.id()));
        self.index.insert(row.meta.id.clone(), self.rows.len());
        self.rows.push(row);
        self.next_ordinal += 1;
        if !in_order {
            self.reorder();
        }
    }

    /// Removes a record and re-indexes the ones after it; `false` if absent.
    fn remove(&mut self, id: &str) -> bool {
        let Some(i) = self.index.remove(id) else {
            return false;
        };
        self.rows.remove(i);
        for (j, row) in self.rows.iter().enumerate().skip(i) {
            self.index.insert(row.meta.id.clone(), j);
        }
        true
    }
}

/// A simulated Kustomer org: every record of every kind, and the org's clock.
///
/// Obtain one through [`crate::Simulator::with_org`] (or [`Org::generate`] without a
/// server). Mutations behave like the real API's side effects: they stamp
/// `updatedAt` with the org clock and then advance it by one millisecond, so every
/// change is visible to an incremental (`updatedAt`-keyed) reader.
#[derive(Debug)]
pub struct Org {
    now: i64,
    seed: u64,
    search_window_days: Option<u32>,
    ids: IdGen,
    tables: Vec<Table>,
    /// The named collections, generated on first use (see [`Org::store`]).
    store: OnceLock<Store>,
    /// The generation clock and span the collections derive from.
    timeline: Timeline,
    mutations: u64,
    /// Outbound-webhook subscriptions and delivery ([`crate::outbox`]).
    pub(crate) webhooks: Hooks,
}

impl Org {
    /// Generates the org `config` describes (deterministic in `config.seed`, `size`,
    /// `now` and `history_days`).
    pub fn generate(config: &SimConfig) -> Org {
        let data = dataset::generate(config);
        Org {
            now: time::micros(config.now),
            seed: config.seed,
            search_window_days: config.search_window_days,
            ids: data.ids,
            tables: data.tables.into_iter().map(Table::new).collect(),
            store: OnceLock::new(),
            timeline: data.timeline,
            mutations: 0,
            webhooks: Default::default(),
        }
    }

    /// The org clock: the instant the next mutation will be stamped with.
    pub fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_micros(self.now).single().unwrap_or_default()
    }

    /// Moves the org clock by `d` (e.g. to age records out of the search window).
    pub fn advance(&mut self, d: Duration) {
        self.now += d.num_microseconds().unwrap_or(i64::MAX / 4);
    }

    /// Every record of `kind`, soft-deleted ones included, as full JSON:API resource
    /// objects exactly as served, in default list order (`createdAt`, then id).
    ///
    /// The org stores records as compact JSON: each call parses them afresh, so
    /// the values are copies (change records with [`Org::update`] and friends). To
    /// count records, [`Org::count`] and [`Org::live_count`] parse nothing.
    pub fn records(&self, kind: Kind) -> Vec<Value> {
        self.table(kind).rows.iter().map(Row::value).collect()
    }

    /// Like [`Org::records`] without soft-deleted records: what the GET lists serve.
    pub fn live_records(&self, kind: Kind) -> Vec<Value> {
        (self.table(kind).rows.iter())
            .filter(|r| !r.meta.deleted)
            .map(Row::value)
            .collect()
    }

    /// How many records of `kind` exist, soft-deleted ones included
    /// (`records(kind).len()` without parsing them).
    pub fn count(&self, kind: Kind) -> usize {
        self.table(kind).rows.len()
    }

    /// How many records of `kind` are not soft-deleted (`live_records(kind).len()`
    /// without parsing them).
    pub fn live_count(&self, kind: Kind) -> usize {
        self.table(kind).rows.iter().filter(|r| !r.meta.deleted).count()
    }

    /// One record by id, soft-deleted or not (the HTTP API answers 404 for deleted
    /// ones), parsed afresh as [`Org::records`] are.
    pub fn get(&self, kind: Kind, id: &str) -> Option<Value> {
        self.row(kind, id).map(Row::value)
    }

    /// The ids of every record of `kind` (soft-deleted included), in the order of
    /// [`Org::records`].
    pub fn ids(&self, kind: Kind) -> Vec<String> {
        self.table(kind).rows.iter().map(|r| r.id().to_owned()).collect()
    }

    /// Edits a record: `f` changes its `attributes`; then `updatedAt` (and
    /// `modifiedAt` where the kind has one) become the org clock, `rev` goes up by one
    /// and the clock advances 1 ms. Returns `false` if there is no such record.
    ///
    /// An update of a conversation also adds a `kustomer.conversation.update` event
    /// (with the before/after diff) to `GET /v1/conversations/{id}/events`, and an
    /// update of an audited kind (customer, conversation, message, company, user,
    /// shortcut) adds an audit-log entry.
    pub fn update(&mut self, kind: Kind, id: &str, f: impl FnOnce(&mut Map<String, Value>)) -> bool {
        self.materialize();
        let now = self.now;
        let before = self.snapshot(kind, id);
        let found = self.edit(kind, id, |value| {
            if let Some(attrs) = value.get_mut("attributes").and_then(Value::as_object_mut) {
                f(attrs);
                stamp(attrs, now);
            }
        });
        if found {
            self.record(kind, id, "update", before.as_ref());
            self.tick();
        }
        found
    }

    /// An update without attribute changes: only `updatedAt`, `modifiedAt` and `rev`
    /// move, as when the real API records activity.
    pub fn touch(&mut self, kind: Kind, id: &str) -> bool {
        self.update(kind, id, |_| {})
    }

    /// Gives `n` live records of `kind` (chosen deterministically) the *same*
    /// `updatedAt` (the org clock), then advances the clock 1 ms: a bulk update, for
    /// tests of ties. Returns the ids touched (fewer when fewer records exist).
    pub fn touch_many_at_once(&mut self, kind: Kind, n: usize) -> Vec<String> {
        self.materialize();
        let live: Vec<String> = (self.table(kind).rows.iter())
            .filter(|r| !r.meta.deleted)
            .map(|r| r.id().to_owned())
            .collect();
        let mut rng = self.mutation_rng();
        let chosen = rng.sample(&live, n);
        let now = self.now;
        for id in &chosen {
            let before = self.snapshot(kind, id);
            self.edit(kind, id, |value| {
                if let Some(attrs) = value.get_mut("attributes").and_then(Value::as_object_mut) {
                    stamp(attrs, now);
                }
            });
            self.record(kind, id, "update", before.as_ref());
        }
        self.tick();
        chosen
    }

    /// Creates a realistic new record of `kind`, linked to random live parents
    /// (creating a parent first if there is none), with `createdAt` = `updatedAt` =
    /// the org clock, which then advances 1 ms. Returns its id.
    ///
    /// Parents' summaries (e.g. a conversation's `messageCount`) are left as they
    /// were: tests that need them changed do so with [`Org::update`]. A new
    /// conversation gets its `kustomer.conversation.create` event, a new message its
    /// rows in `conversation_attachments`, and audited kinds an audit-log entry.
    pub fn insert(&mut self, kind: Kind) -> String {
        self.insert_with_parent(kind, None)
    }

    /// Creates a new message or note in live conversation `conversation_id` (and
    /// that conversation's customer) as [`Org::insert`] does, then updates the
    /// conversation as the real API does when one arrives, through [`Org::update`]
    /// (so it gets a new `updatedAt`, `rev`, an update event and an audit entry):
    ///
    /// - a message: `messageCount` + 1 and `inboundMessageCount` or
    ///   `outboundMessageCount` + 1 by its `direction` (each only if the
    ///   conversation has that count); `lastMessageAt` = its `createdAt`;
    ///   `lastMessageDirection`; `lastMessageIn`/`lastMessageOut` (by direction) =
    ///   the summary object the generator writes there (`id`, `channel`,
    ///   `directionType`, `sentAt`, `createdAt`, `createdBy`), as is
    ///   `firstMessageIn`/`firstMessageOut` if the conversation had no message of
    ///   that direction yet; its channel joins `channels` if new.
    /// - a note: `noteCount` + 1. A conversation without `noteCount` is left alone
    ///   (nothing on it describes its notes).
    ///
    /// The customer's summaries (`lastMessageAt`, `conversationCounts`) are left
    /// as they were, as with [`Org::insert`]. The conversation is updated 1 ms after
    /// the new record was created, so its `updatedAt` is one millisecond later than
    /// `lastMessageAt`.
    ///
    /// Returns the new record's id, or `None` if `kind` is not [`Kind::Message`] or
    /// [`Kind::Note`], or there is no such conversation or it is soft-deleted (the
    /// API would answer 404).
    pub fn insert_into(&mut self, kind: Kind, conversation_id: &str) -> Option<String> {
        if !matches!(kind, Kind::Message | Kind::Note) {
            return None;
        }
        let conversation = self
            .row(Kind::Conversation, conversation_id)
            .filter(|r| !r.meta.deleted)?
            .value();
        let id = self.insert_with_parent(kind, Some(conversation));
        match kind {
            Kind::Message => {
                let message = self.get(Kind::Message, &id)?;
                self.update(Kind::Conversation, conversation_id, |attrs| {
                    dataset::conversations::add_message(attrs, &message)
                });
            }
            _ => {
                let counted = (self.get(Kind::Conversation, conversation_id))
                    .is_some_and(|c| resource::attributes(&c).is_some_and(|a| a.contains_key("noteCount")));
                if counted {
                    self.update(Kind::Conversation, conversation_id, |attrs| {
                        let n = attrs.get("noteCount").and_then(Value::as_u64).unwrap_or(0);
                        attrs.insert("noteCount".into(), Value::from(n + 1));
                    });
                }
            }
        }
        Some(id)
    }

    /// [`Org::insert`], with the first parent fixed: the klass of a new KObject,
    /// the conversation of a new message or note.
    fn insert_with_parent(&mut self, kind: Kind, parent: Option<Value>) -> String {
        self.materialize();
        let parent_kinds: &[Kind] = match kind {
            Kind::Conversation => &[Kind::Customer],
            Kind::Message | Kind::Note => &[Kind::Conversation],
            Kind::KObject => &[Kind::Klass, Kind::Customer],
            _ => &[],
        };
        let mut rng = self.mutation_rng();
        let mut chosen: Vec<Value> = Vec::new();
        for (i, &pk) in parent_kinds.iter().enumerate() {
            if let (0, Some(p)) = (i, &parent) {
                chosen.push(p.clone());
                continue;
            }
            let mut live: Vec<&Row> = self.rows(pk).iter().filter(|r| !r.meta.deleted).collect();
            let inserted;
            if live.is_empty() {
                inserted = self.insert(pk);
                live = self.row(pk, &inserted).into_iter().collect();
            }
            chosen.push(live[rng.index(live.len())].value());
        }
        let customer = match kind {
            Kind::Message | Kind::Note => chosen
                .first()
                .and_then(|c| resource::related_id(c, "customer"))
                .and_then(|id| self.get(Kind::Customer, id)),
            Kind::KObject => chosen.get(1).cloned(),
            _ => chosen.first().cloned(),
        };
        let mut parents = Parents {
            customer: customer.as_ref(),
            ..Parents::default()
        };
        match kind {
            Kind::Message | Kind::Note => parents.conversation = chosen.first(),
            Kind::KObject => parents.klass = chosen.first(),
            _ => {}
        }
        let position = parents.conversation.map_or(0, |c| {
            let conv = resource::id(c);
            (self.table(Kind::Message).rows.iter())
                .filter(|r| r.meta.conversation.as_deref() == Some(conv))
                .count()
        });
        let refs = Refs::collect(self.seed, |k| self.rows(k));
        let ordinal = self.table(kind).next_ordinal;
        let id = self.ids.next(kind, self.now);
        let mut draft = Draft::new(self.seed, kind, id.clone(), ordinal, self.now, self.now);
        draft.position = position;
        draft.parents = parents;
        let value = dataset::render(kind, &mut draft, &refs);
        self.tables[kind.ordinal()].push(Row::new(&value));
        self.record(kind, &id, "create", None);
        self.tick();
        id
    }

    /// Soft-deletes a record: `deleted: true` (users only get `deletedAt`), `deletedAt`
    /// = `updatedAt` = the org clock, `deletedBy` where the kind has it; the clock then
    /// advances 1 ms. The record then answers 404 and leaves the GET lists, and search
    /// returns it only with `includeDeleted`. Audited kinds get an audit-log entry.
    /// Returns `false` if it does not exist or is already deleted.
    pub fn delete(&mut self, kind: Kind, id: &str) -> bool {
        self.materialize();
        if self.row(kind, id).is_none_or(|r| r.meta.deleted) {
            return false;
        }
        let now = self.now;
        let by = Refs::collect(self.seed, |k| self.rows(k)).machine_user;
        let before = self.snapshot(kind, id);
        self.edit(kind, id, |value| {
            if let Some(attrs) = value.get_mut("attributes").and_then(Value::as_object_mut) {
                if kind.has_deleted_flag() {
                    attrs.insert("deleted".into(), Value::Bool(true));
                }
                attrs.insert("deletedAt".into(), Value::String(time::format(now)));
                stamp(attrs, now);
            }
            if matches!(kind, Kind::Note | Kind::Team | Kind::Tag) {
                if let Some(rels) = value.get_mut("relationships").and_then(Value::as_object_mut) {
                    rels.insert("deletedBy".into(), resource::user(&by));
                }
            }
        });
        self.record(kind, id, "delete", before.as_ref());
        self.tick();
        true
    }

    /// Removes a record for good, as Kustomer's data-retention policies and GDPR
    /// "forget" requests do: unlike [`Org::delete`] it then appears nowhere, not in
    /// GET lists (nor their `meta.total`), per-parent lists, GET by id (404), or
    /// search, even with `includeDeleted`. The detail rows that exist only as part
    /// of it go with it: a conversation's events, times, forwards and attachments;
    /// a customer's drafts and the merges it was source or target of; a message's
    /// attachments. The clock advances 1 ms. Returns `false` if there is no such
    /// record (soft-deleted records are purged too).
    ///
    /// Only that one record goes: a purged conversation's messages and notes, or a
    /// purged customer's conversations, stay (purge them too for a whole "forget");
    /// parents' summaries are left as they were, as with [`Org::insert`]. Audit-log
    /// entries about it stay (they record what happened, and purging is not
    /// audited here).
    pub fn purge(&mut self, kind: Kind, id: &str) -> bool {
        self.materialize();
        if !self.tables[kind.ordinal()].remove(id) {
            return false;
        }
        let owned: &[&str] = match kind {
            Kind::Conversation => &[events::TABLE, detail::TIMES, detail::FORWARDS, detail::ATTACHMENTS],
            Kind::Customer => &[detail::DRAFTS, detail::MERGES],
            _ => &[],
        };
        for &table in owned {
            // A merge is listed under its target; the source's merges are found by scan.
            let of_source = |v: &Item| table == detail::MERGES && v.facts().source.as_deref() == Some(id);
            self.retain_in(table, |v| v.parent() != Some(id) && !of_source(v));
        }
        if kind == Kind::Message {
            self.retain_in(detail::ATTACHMENTS, |v| v.facts().message.as_deref() != Some(id));
        }
        self.tick();
        true
    }

    // ----- crate-internal views for the server -----

    /// The named collections, generated from the records on first use. Every
    /// mutation materialises them first, so they always derive from the generated
    /// records, whenever they are first read.
    pub(crate) fn store(&self) -> &Store {
        self.store
            .get_or_init(|| dataset::collections(self.seed, self.timeline, |k| self.rows(k)))
    }

    /// The named collections, for mutation.
    pub(crate) fn store_mut(&mut self) -> &mut Store {
        self.materialize();
        self.store.get_mut().expect("materialised")
    }

    /// [`crate::store::Collection::retain`] on collection `name`, if it exists
    /// (without creating it, so [`Org::collection_names`] stays as it was).
    fn retain_in(&mut self, name: &str, keep: impl FnMut(&Item) -> bool) {
        if self.store().get(name).is_some() {
            self.store_mut().entry(name).retain(keep);
        }
    }

    /// Generates the named collections now if they were not yet.
    fn materialize(&mut self) {
        self.store();
    }

    /// The stored rows of `kind`, in default list order.
    pub(crate) fn rows(&self, kind: Kind) -> &[Row] {
        &self.table(kind).rows
    }

    /// One stored row.
    pub(crate) fn row(&self, kind: Kind, id: &str) -> Option<&Row> {
        let t = self.table(kind);
        t.index.get(id).map(|&i| &t.rows[i])
    }

    /// The live klass with this name (klasses are few: they are parsed).
    pub(crate) fn klass_named(&self, name: &str) -> Option<&Row> {
        (self.rows(Kind::Klass).iter())
            .find(|r| !r.meta.deleted && resource::attr_str(&r.value(), "name") == Some(name))
    }

    /// The oldest `updatedAt` search still sees, if the window is enabled.
    pub(crate) fn search_window_start(&self) -> Option<i64> {
        self.search_window_days.map(|days| self.now - i64::from(days) * DAY)
    }

    /// The seed the org was generated from.
    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// The API key's machine user (`/v1/users/current`; users are few: they are
    /// parsed).
    pub(crate) fn current_user(&self) -> Option<&Row> {
        (self.rows(Kind::User).iter()).find(|u| resource::attr_str(&u.value(), "userType") == Some("machine"))
    }

    fn table(&self, kind: Kind) -> &Table {
        &self.tables[kind.ordinal()]
    }

    /// Applies `f` to a stored record and refreshes its cached facts.
    fn edit(&mut self, kind: Kind, id: &str, f: impl FnOnce(&mut Value)) -> bool {
        let table = &mut self.tables[kind.ordinal()];
        let Some(&i) = table.index.get(id) else {
            return false;
        };
        let row = &mut table.rows[i];
        let created = row.meta.created;
        row.edit(f);
        if row.meta.created != created {
            table.reorder();
        }
        true
    }

    /// A generator for one mutation, deterministic in the seed and the mutation count.
    fn mutation_rng(&mut self) -> Rng {
        self.mutations += 1;
        Rng::new(combine(self.seed, combine(0x6d75_7461, self.mutations)))
    }

    fn tick(&mut self) {
        self.now += MS;
    }
}

/// Stamps an edit: `updatedAt` (and `modifiedAt` if present) = `now`, `rev` + 1.
fn stamp(attrs: &mut Map<String, Value>, now: i64) {
    let at = Value::String(time::format(now));
    attrs.insert("updatedAt".into(), at.clone());
    if attrs.contains_key("modifiedAt") {
        attrs.insert("modifiedAt".into(), at);
    }
    if let Some(rev) = attrs.get("rev").and_then(Value::as_u64) {
        attrs.insert("rev".into(), Value::from(rev + 1));
    }
}
