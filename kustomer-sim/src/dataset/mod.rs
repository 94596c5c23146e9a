//! Deterministic generation of a whole org from a seed (spec §7).
//!
//! Generation runs in three steps so the data is internally consistent:
//! 1. a timeline: creation times top-down (a conversation starts after its customer,
//!    messages follow their conversation), update times bottom-up (a parent is
//!    updated no earlier than its children), aged when the history is longer than
//!    search's two-year window ([`Aging`]);
//! 2. rendering, top-down, each record from its [`Draft`] and its rendered parents,
//!    then summaries (counts, first/last message, klass links) from the children;
//! 3. bulk updates ([`ties`]);
//! 4. everything served beside the eleven kinds, into named collections: the
//!    configuration lists ([`config_lists`]), per-conversation and per-customer
//!    detail ([`detail`], [`events`]), audit logs ([`audit`]) and custom-attribute
//!    metadata ([`custom_attrs`]).

pub(crate) mod audit;
pub(crate) mod config_lists;
pub(crate) mod conversations;
pub(crate) mod custom_attrs;
pub(crate) mod detail;
mod directory;
pub(crate) mod draft;
pub(crate) mod events;
pub(crate) mod ids;
pub(crate) mod objects;
mod people;
mod ties;
mod vocab;

use std::collections::HashMap;

use serde_json::Value;

use crate::config::SimConfig;
use crate::kind::Kind;
use crate::resource;
use crate::rng::{combine, Rng};
use crate::row::Row;
use crate::store::Store;
use crate::time::{self, DAY, HOUR, MS, SEC};
pub(crate) use draft::{render, Draft, Parents, Refs};
pub(crate) use ids::IdGen;

/// A generated org: one table per kind (indexed by [`Kind::ordinal`], in generation
/// order; the store sorts them), the timeline it was generated on (the named
/// collections derive from both, see [`collections`]), and the id generator to
/// continue from.
///
/// Records are stored ([`Row`]) as soon as they are rendered and summarised, so
/// generation never holds a whole org of parsed values: parents are parsed back
/// when a child is rendered from them.
#[derive(Debug)]
pub(crate) struct Dataset {
    /// Records per kind.
    pub tables: Vec<Vec<Row>>,
    /// The generation clock and history span.
    pub timeline: Timeline,
    /// Continues the id sequence for inserted records.
    pub ids: IdGen,
}

/// The collection of custom-attribute metadata documents (id = resource name).
pub(crate) const METADATA: &str = "custom_attribute_metadata";
/// The collection of subscribable webhook event names (plain strings).
pub(crate) const WEBHOOK_EVENTS: &str = "outbound_webhook_events";

/// The org's clock and history span, in microseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeline {
    /// The clock at generation.
    pub now: i64,
    /// How far back the history reaches.
    pub span: i64,
}

impl Timeline {
    /// Clamps an instant to strictly before now.
    fn cap(&self, t: i64) -> i64 {
        t.min(self.now - MS)
    }

    /// A creation time within the history, leaving `margin` before now.
    fn created(&self, rng: &mut Rng, margin: i64) -> i64 {
        rng.range(self.now - self.span, self.now - margin.min(self.span / 2))
    }

    /// A creation time in the first tenth of the history: the directory (users,
    /// teams, tags, …) predates the customers and conversations that reference it.
    fn early(&self, rng: &mut Rng) -> i64 {
        rng.range(self.now - self.span, self.now - self.span + self.span / 10)
    }

    /// An update time: usually right after creation, often a later edit.
    fn updated(&self, rng: &mut Rng, created: i64) -> i64 {
        let t = if rng.chance(0.5) {
            created + rng.range(0, 10 * SEC)
        } else {
            rng.range(created, self.now - SEC)
        };
        self.cap(t.max(created))
    }
}

/// A generator stream private to one stage of generation.
fn stream(seed: u64, kind: Kind, stage: u64) -> Rng {
    Rng::new(combine(seed, combine(1_000 + stage, kind.ordinal() as u64)))
}

/// The references currently available in `tables`.
fn refs(seed: u64, tables: &[Vec<Row>]) -> Refs {
    Refs::collect(seed, |k| &tables[k.ordinal()])
}

/// The timeline of customers and everything that hangs off them.
#[derive(Debug, Default)]
struct Skeleton {
    customers: Vec<(i64, i64)>,
    /// `(customer, created, updated)`.
    conversations: Vec<(usize, i64, i64)>,
    /// `(conversation, position, created, updated)`, grouped by conversation.
    messages: Vec<(usize, usize, i64, i64)>,
    /// `(conversation, created, updated)`.
    notes: Vec<(usize, i64, i64)>,
    /// `(klass, customer, created, updated)`.
    kobjects: Vec<(usize, usize, i64, i64)>,
}

impl Skeleton {
    fn build(cfg: &SimConfig, t: Timeline, klasses: usize) -> Skeleton {
        let size = &cfg.size;
        let mut rng = stream(cfg.seed, Kind::Customer, 1);
        let mut s = Skeleton {
            customers: (0..size.customers)
                .map(|_| (t.created(&mut rng, t.span / 50), 0))
                .collect(),
            ..Skeleton::default()
        };
        let nc = s.customers.len();
        let nconv = if nc == 0 { 0 } else { size.conversations };
        for _ in 0..nconv {
            let c = rng.index(nc);
            let lo = s.customers[c].0;
            let created = rng.range(lo, (t.now - t.span / 100).max(lo + MS));
            s.conversations.push((c, created, 0));
        }
        let nmsg = if nconv == 0 { 0 } else { size.messages };
        let mut per_conv = vec![0usize; nconv];
        for i in 0..nmsg {
            let j = if i < nconv { i } else { rng.index(nconv) };
            per_conv[j] += 1;
        }
        for (j, &count) in per_conv.iter().enumerate() {
            let start = s.conversations[j].1;
            let room = (t.now - SEC - start).max(MS);
            let gap = (room / (count as i64 + 1)).clamp(MS, 6 * HOUR);
            let mut at = start + rng.range(10 * MS, SEC);
            for pos in 0..count {
                if pos > 0 {
                    at += rng.range(gap / 10 + MS, gap);
                }
                let created = t.cap(at);
                let updated = if rng.chance(0.9) {
                    created + rng.range(0, 2 * SEC)
                } else {
                    rng.range(created, t.now - SEC)
                };
                s.messages.push((j, pos, created, t.cap(updated.max(created))));
            }
        }
        if nconv > 0 {
            for _ in 0..size.notes {
                let j = rng.index(nconv);
                let start = s.conversations[j].1;
                let created = t.cap(start + rng.range(0, (t.now - start).min(2 * DAY)));
                s.notes.push((j, created, t.updated(&mut rng, created)));
            }
        }
        if nc > 0 && klasses > 0 {
            for _ in 0..size.kobjects {
                let (k, c) = (rng.index(klasses), rng.index(nc));
                let created = rng.range(s.customers[c].0, t.now - HOUR);
                s.kobjects.push((k, c, created, t.updated(&mut rng, created)));
            }
        }
        // Parents are updated no earlier than their children.
        let mut conv_last: Vec<i64> = s.conversations.iter().map(|c| c.1).collect();
        for &(j, _, _, u) in &s.messages {
            conv_last[j] = conv_last[j].max(u);
        }
        for &(j, _, u) in &s.notes {
            conv_last[j] = conv_last[j].max(u);
        }
        let mut cust_last: Vec<i64> = s.customers.iter().map(|c| c.0).collect();
        for (j, conv) in s.conversations.iter_mut().enumerate() {
            let own = conv.1 + rng.range(0, HOUR);
            conv.2 = t.cap(own.max(conv_last[j] + rng.range(0, 3 * SEC)));
            cust_last[conv.0] = cust_last[conv.0].max(conv.2);
        }
        for &(_, c, _, u) in &s.kobjects {
            cust_last[c] = cust_last[c].max(u);
        }
        for (c, cust) in s.customers.iter_mut().enumerate() {
            let own = cust.0 + rng.range(0, DAY);
            cust.1 = t.cap(own.max(cust_last[c] + rng.range(0, 3 * SEC)));
        }
        if let Some(aging) = Aging::new(t) {
            s.age(aging);
        }
        s
    }

    /// Moves every instant back in time by [`Aging::apply`]: monotone, so every
    /// order (created ≤ updated, parents updated after children, message sequence)
    /// survives.
    fn age(&mut self, a: Aging) {
        for (created, updated) in &mut self.customers {
            (*created, *updated) = (a.apply(*created), a.apply(*updated));
        }
        for (_, created, updated) in self.conversations.iter_mut().chain(&mut self.notes) {
            (*created, *updated) = (a.apply(*created), a.apply(*updated));
        }
        for (_, _, created, updated) in self.messages.iter_mut().chain(&mut self.kobjects) {
            (*created, *updated) = (a.apply(*created), a.apply(*updated));
        }
    }
}

/// The real API's search window: two years (spec §4).
const SEARCH_WINDOW: i64 = 730 * DAY;

/// Ages a history longer than the search window so that most customers,
/// conversations and messages lie outside it, as in a real org of that age
/// (its early customers long dormant), and archive search has something to find.
///
/// Left alone, the timeline piles updates up near the clock (a customer is
/// updated with its latest conversation, and later edits land anywhere up to now),
/// so only about a tenth of the customers of a five-year org would be older than
/// two years. Aging maps an instant's age piecewise linearly: ages up to the knee
/// `W³/S²` (W = window, S = span; 47 days for five years) stretch onto the window,
/// older ages compress onto the rest of the span. Histories of at most two years
/// are not aged (the knee is then at least the window), so their output does not
/// change.
#[derive(Debug, Clone, Copy)]
struct Aging {
    now: i64,
    span: i64,
    knee: i64,
}

impl Aging {
    /// `None` when `t`'s history fits in the search window.
    fn new(t: Timeline) -> Option<Aging> {
        let (w, s) = (i128::from(SEARCH_WINDOW), i128::from(t.span));
        let knee = i64::try_from(w * w * w / (s * s)).ok()?.max(MS);
        (t.span > SEARCH_WINDOW).then_some(Aging {
            now: t.now,
            span: t.span,
            knee,
        })
    }

    /// The aged instant: ages `0..=knee` map onto `0..=window`, `knee..=span` onto
    /// `window..=span` (i128, so it is exact and monotone).
    fn apply(&self, at: i64) -> i64 {
        let age = i128::from((self.now - at).max(0));
        let (w, s, k) = (i128::from(SEARCH_WINDOW), i128::from(self.span), i128::from(self.knee));
        let aged = if age <= k {
            age * w / k
        } else {
            w + (age - k) * (s - w) / (s - k)
        };
        self.now - i64::try_from(aged).unwrap_or(i64::MAX / 2)
    }
}

/// Renders records in generation order, drawing ids and deletions deterministically.
struct Renderer<'r> {
    seed: u64,
    ids: &'r mut IdGen,
    refs: &'r Refs,
    rng: Rng,
}

impl Renderer<'_> {
    /// Renders record `i` of `kind`; it is soft-deleted with probability `p_deleted`.
    fn make(
        &mut self,
        kind: Kind,
        i: usize,
        (created, updated): (i64, i64),
        p_deleted: f64,
        position: usize,
        parents: Parents<'_>,
    ) -> Value {
        let id = self.ids.next(kind, created);
        let mut d = Draft::new(self.seed, kind, id, i, created, updated);
        d.deleted = p_deleted > 0.0 && self.rng.chance(p_deleted);
        d.position = position;
        d.parents = parents;
        render(kind, &mut d, self.refs)
    }
}

/// Generates the org directory (users, teams, tags, shortcuts, companies, klasses)
/// into `tables`. It comes first because everything else references it; the first
/// user is the API key's machine user, so there is always one.
fn directory(cfg: &SimConfig, t: Timeline, ids: &mut IdGen, tables: &mut [Vec<Row>]) {
    let size = &cfg.size;
    for (kind, n, p_deleted) in [
        (Kind::User, size.users.max(1), 0.08),
        (Kind::Team, size.teams, 0.1),
        (Kind::Tag, size.tags, 0.05),
        (Kind::Shortcut, size.shortcuts, 0.05),
        (Kind::Company, size.companies, 0.01),
        (Kind::Klass, size.klasses, 0.0),
    ] {
        let refs = refs(cfg.seed, tables);
        let mut rng = stream(cfg.seed, kind, 0);
        let mut r = Renderer {
            seed: cfg.seed,
            ids: &mut *ids,
            refs: &refs,
            rng: stream(cfg.seed, kind, 1),
        };
        let rows = (0..n)
            .map(|i| {
                let created = t.early(&mut rng);
                let updated = t.updated(&mut rng, created);
                // The machine user is never deactivated.
                let p = if i == 0 { 0.0 } else { p_deleted };
                Row::new(&r.make(kind, i, (created, updated), p, 0, Parents::default()))
            })
            .collect();
        tables[kind.ordinal()] = rows;
    }
}

/// Renders customers, conversations, messages, notes and kobjects along the
/// skeleton's timeline, then fills the parents' summaries from their children.
///
/// Every record is stored as soon as it is complete; a child's parents are parsed
/// back from their rows (a conversation's messages are rendered one after another,
/// so each conversation and its customer are parsed once for all of them). A
/// conversation is summarised as soon as its last message is rendered: what the
/// summary changes (counts, channels, first/last message) is read by none of the
/// records rendered later (notes read only their conversation's id and customer).
fn hierarchy(r: &mut Renderer<'_>, s: &Skeleton, klasses: &[Row]) -> [Vec<Row>; 5] {
    let klasses: Vec<Value> = klasses.iter().map(Row::value).collect();
    let mut customers: Vec<Row> = (s.customers.iter().enumerate())
        .map(|(i, &times)| Row::new(&r.make(Kind::Customer, i, times, 0.01, 0, Parents::default())))
        .collect();
    let mut conversations: Vec<Row> = (s.conversations.iter().enumerate())
        .map(|(i, &(cu, c, u))| {
            let customer = customers[cu].value();
            let parents = Parents {
                customer: Some(&customer),
                ..Parents::default()
            };
            Row::new(&r.make(Kind::Conversation, i, (c, u), 0.01, 0, parents))
        })
        .collect();

    let mut notes_per_conv = vec![0usize; conversations.len()];
    for &(j, ..) in &s.notes {
        notes_per_conv[j] += 1;
    }
    // Messages still to render per conversation; a conversation is summarised when
    // its count reaches zero.
    let mut unrendered = vec![0usize; conversations.len()];
    for &(j, ..) in &s.messages {
        unrendered[j] += 1;
    }
    let has_messages: Vec<bool> = unrendered.iter().map(|&n| n > 0).collect();
    // `(conversation, its value, its customer's value)`: the parents of the
    // messages being rendered.
    let mut parents: Option<(usize, Value, Value)> = None;
    // Rendered messages of conversations not yet summarised: `(index, value)`.
    let mut pending: HashMap<usize, Vec<(usize, Value)>> = HashMap::new();
    let mut messages: Vec<Option<Row>> = vec![None; s.messages.len()];
    for (i, &(j, pos, c, u)) in s.messages.iter().enumerate() {
        if parents.as_ref().is_none_or(|p| p.0 != j) {
            let customer = customers[s.conversations[j].0].value();
            parents = Some((j, conversations[j].value(), customer));
        }
        let (_, conv, customer) = parents.as_ref().expect("just set");
        let in_conversation = Parents {
            customer: Some(customer),
            conversation: Some(conv),
            klass: None,
        };
        let m = r.make(Kind::Message, i, (c, u), 0.0, pos, in_conversation);
        pending.entry(j).or_default().push((i, m));
        unrendered[j] -= 1;
        if unrendered[j] == 0 {
            let (_, mut conv, _) = parents.take().expect("set for this message above");
            let rendered = pending.remove(&j).unwrap_or_default();
            let values: Vec<&Value> = rendered.iter().map(|(_, m)| m).collect();
            conversations::summarize_conversation(&mut conv, &values, notes_per_conv[j]);
            conversations[j] = Row::new(&conv);
            for (k, m) in &rendered {
                messages[*k] = Some(Row::new(m));
            }
        }
    }
    debug_assert!(pending.is_empty());
    let messages: Vec<Row> = messages
        .into_iter()
        .map(|m| m.expect("every message rendered"))
        .collect();
    // Conversations without messages get their (empty) summaries too.
    for (j, conv) in conversations.iter_mut().enumerate() {
        if has_messages[j] {
            continue;
        }
        conv.edit(|v| conversations::summarize_conversation(v, &[], notes_per_conv[j]));
    }

    let notes: Vec<Row> = (s.notes.iter().enumerate())
        .map(|(i, &(j, c, u))| {
            let conv = conversations[j].value();
            let customer = customers[s.conversations[j].0].value();
            let parents = Parents {
                customer: Some(&customer),
                conversation: Some(&conv),
                klass: None,
            };
            Row::new(&r.make(Kind::Note, i, (c, u), 0.02, 0, parents))
        })
        .collect();
    let kobjects: Vec<Row> = (s.kobjects.iter().enumerate())
        .map(|(i, &(k, cu, c, u))| {
            let customer = customers[cu].value();
            let parents = Parents {
                customer: Some(&customer),
                conversation: None,
                klass: Some(&klasses[k]),
            };
            Row::new(&r.make(Kind::KObject, i, (c, u), 0.0, 0, parents))
        })
        .collect();

    let mut convs_of: Vec<Vec<usize>> = vec![Vec::new(); customers.len()];
    for (j, &(cu, ..)) in s.conversations.iter().enumerate() {
        convs_of[cu].push(j);
    }
    let mut klasses_of: Vec<Vec<&str>> = vec![Vec::new(); customers.len()];
    for &(k, cu, ..) in &s.kobjects {
        let name = resource::attr_str(&klasses[k], "name").unwrap_or_default();
        if !klasses_of[cu].contains(&name) {
            klasses_of[cu].push(name);
        }
    }
    for (c, customer) in customers.iter_mut().enumerate() {
        let convs: Vec<Value> = convs_of[c].iter().map(|&j| conversations[j].value()).collect();
        let convs: Vec<&Value> = convs.iter().collect();
        customer.edit(|v| people::summarize_customer(v, &convs, &klasses_of[c]));
    }
    [customers, conversations, messages, notes, kobjects]
}

/// Generates the org `cfg` describes. Pure: the same config yields the same data.
pub(crate) fn generate(cfg: &SimConfig) -> Dataset {
    let t = Timeline {
        now: time::micros(cfg.now),
        span: (i64::from(cfg.history_days) * DAY).max(HOUR),
    };
    let mut ids = IdGen::new(cfg.seed);
    let mut tables: Vec<Vec<Row>> = vec![Vec::new(); Kind::ALL.len()];
    directory(cfg, t, &mut ids, &mut tables);

    let refs = refs(cfg.seed, &tables);
    let klasses = &tables[Kind::Klass.ordinal()];
    let skeleton = Skeleton::build(cfg, t, klasses.len());
    let mut renderer = Renderer {
        seed: cfg.seed,
        ids: &mut ids,
        refs: &refs,
        rng: stream(cfg.seed, Kind::Customer, 2),
    };
    let rendered = hierarchy(&mut renderer, &skeleton, klasses);
    let kinds = [
        Kind::Customer,
        Kind::Conversation,
        Kind::Message,
        Kind::Note,
        Kind::KObject,
    ];
    for (kind, rows) in kinds.into_iter().zip(rendered) {
        tables[kind.ordinal()] = rows;
    }
    for kind in Kind::ALL {
        let mut rng = stream(cfg.seed, kind, 3);
        ties::bulk_update(&mut tables[kind.ordinal()], &mut rng, t.now, t.span);
    }
    Dataset {
        tables,
        timeline: t,
        ids,
    }
}

/// Generates the named collections from the org's generated records (`rows(kind)`,
/// in the store's order). Pure: the same records and timeline yield the same
/// collections. The org calls it lazily, before the first mutation at the latest.
pub(crate) fn collections<'a>(seed: u64, t: Timeline, rows: impl Fn(Kind) -> &'a [Row]) -> Store {
    let refs = Refs::collect(seed, &rows);
    let ctx = config_lists::Ctx {
        seed,
        now: t.now,
        span: t.span,
        refs: &refs,
        conversations: (rows(Kind::Conversation).iter())
            .filter(|c| !c.meta.deleted)
            .map(|c| c.id().to_owned())
            .collect(),
    };
    let mut store = Store::default();
    config_lists::generate(&ctx, &mut store);
    let (customers, conversations, messages) = (rows(Kind::Customer), rows(Kind::Conversation), rows(Kind::Message));
    detail::generate(seed, &refs, customers, conversations, messages, &mut store);
    audit::generate(seed, t.now, &refs, &rows, &mut store);
    let defined = time::format(t.now - t.span);
    let klasses: Vec<Value> = rows(Kind::Klass).iter().map(Row::value).collect();
    let klasses = klasses.iter().filter_map(|k| resource::attr_str(k, "name"));
    let resources =
        (custom_attrs::RESOURCES.iter().map(|r| (*r).to_owned())).chain(klasses.map(|k| format!("kobject.{k}")));
    for r in resources {
        let doc = custom_attrs::metadata_of(&r, &refs.org, &defined, &refs.machine_user);
        store.entry(METADATA).push(doc, None);
    }
    for name in config_lists::WEBHOOK_EVENTS {
        store.entry(WEBHOOK_EVENTS).push(Value::from(*name), None);
    }
    store
}
