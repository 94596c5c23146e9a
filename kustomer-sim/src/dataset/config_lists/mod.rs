//! Org configuration lists (brands, queues, SLAs, knowledge base, apps, …): one
//! table of endpoint specs ([`SPECS`], in [`specs`]) and one generator ([`render`]).
//!
//! A spec row says where a list is served, its JSON:API `type`, how many records it
//! has, how it pages, which timestamps and author relationships its records carry,
//! and which function fills in the rest of their fields. The server serves every
//! row with one generic handler.

mod apps;
mod core;
mod kb;
mod routing;
mod specs;

use serde_json::{json, Map, Value};

pub(crate) use apps::WEBHOOK_EVENTS;
pub(crate) use specs::SPECS;

use super::draft::{base_relationships, Refs};
use super::ids;
use crate::resource;
use crate::rng::{combine, hash_bytes, Rng};
use crate::store::Store;
use crate::time::{self, SEC};

/// How an endpoint pages and wraps its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A `page`/`pageSize` list in the standard envelope; `pageSize` clamped to `max`.
    Paged {
        /// Largest honoured `pageSize`.
        max: usize,
    },
    /// `{"data": {…}}`: one object, the collection's first record.
    Single,
    /// `{"meta": {}, "data": [every record], "links": {"self": path}}`; paging
    /// parameters are accepted and ignored (`GET /v1/outboundAccounts`).
    Unpaged,
    /// `{"data": [every record]}` and nothing else (`GET /v1/auth/roles`).
    Bare,
}

/// What an item object holds besides `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item {
    /// `id`, `attributes`, `relationships` (with `org`) and, if the spec says so, `links`.
    Full,
    /// `attributes` only, no `id` (outbound accounts).
    NoId,
    /// `id` only (auth roles).
    IdOnly,
}

/// How many records a list has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    /// Exactly this many.
    Fixed(usize),
    /// This many per live agent (the record's owner is its agent).
    PerAgent(usize),
    /// One per live user, the API key's machine user first.
    PerUser,
    /// One per live team (the record's owner is its team).
    PerTeam,
}

/// Which author relationships records carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Authors {
    /// None.
    None,
    /// `createdBy`.
    Created,
    /// `createdBy` and `modifiedBy`.
    CreatedModified,
}

/// Timestamp attributes a record carries (bit set).
pub(crate) const CREATED: u8 = 1;
/// `updatedAt`.
pub(crate) const UPDATED: u8 = 2;
/// `modifiedAt`.
pub(crate) const MODIFIED: u8 = 4;

/// Records side-loaded into `included[]` on request (SLA versions, holidays).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side {
    /// The collection holding them (each owned by its parent record).
    pub table: &'static str,
    /// Their JSON:API `type` (documentation; checked against `ENDPOINTS.md` by a test).
    #[cfg_attr(not(test), allow(dead_code))]
    pub kind: &'static str,
    /// The query parameter asking for them (`versions`, `include`).
    pub param: &'static str,
    /// The value asking for all of them (`all`, `holidays`; `include` is a comma list).
    pub all: &'static str,
    /// The value asking only for the parent's current one (`active`), matched on
    /// `attributes.version == parent.attributes.currentVersion`.
    pub active: Option<&'static str>,
    /// Whether the list side-loads them too, or only `GET <path>/{id}` does
    /// (`include=holidays` is documented on `GET /v1/schedules/{id}` and
    /// `/v1/schedules/default`, not on the list).
    pub on_list: bool,
    /// Renders the children of one parent.
    pub render: fn(&Value, &mut Gen<'_>) -> Vec<Value>,
}

/// One served configuration list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListSpec {
    /// The table the connector loads it into; also the collection's name.
    pub table: &'static str,
    /// The full path, e.g. `/v1/routing/queues` (matched without a trailing slash).
    pub path: &'static str,
    /// JSON:API `type` of its records.
    pub kind: &'static str,
    /// Where path and type come from (documentation; checked against `ENDPOINTS.md`).
    #[cfg_attr(not(test), allow(dead_code))]
    pub source: &'static str,
    /// Prefix of its record ids (ids are `fixed(seed, "<prefix>-<i>")`).
    pub id_prefix: &'static str,
    /// How many records.
    pub count: Count,
    /// Paging and envelope.
    pub shape: Shape,
    /// Item object form.
    pub item: Item,
    /// Whether items carry `links.self` = `<path>/<id>` (and `GET <path>/<id>` is served).
    pub item_links: bool,
    /// Timestamp attributes ([`CREATED`] | [`UPDATED`] | [`MODIFIED`]).
    pub stamps: u8,
    /// Author relationships.
    pub authors: Authors,
    /// The permission-set role a token needs (named in missing-role answers).
    pub role: &'static str,
    /// Side-loaded children, if any.
    pub side: Option<Side>,
    /// Fills in the record's own fields.
    pub fields: fn(&mut Gen<'_>) -> Fields,
}

/// Specs are equal when they serve the same table (their fn pointers are not comparable).
impl PartialEq for ListSpec {
    fn eq(&self, other: &ListSpec) -> bool {
        self.table == other.table
    }
}

impl Eq for ListSpec {}

impl ListSpec {
    /// Whether `GET <path>/{id}` is served: for lists whose items link to themselves,
    /// and for SLAs (`GET /v1/slas/{id}` is documented though items carry no link).
    pub(crate) fn serves_by_id(&self) -> bool {
        self.item_links || self.table == "slas"
    }
}

/// A record's own attributes and relationships, before the generic parts are added.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    /// Attributes.
    pub attributes: Map<String, Value>,
    /// Relationships besides `org`, `createdBy` and `modifiedBy`.
    pub relationships: Map<String, Value>,
    /// An id replacing the generated one (auth roles are named by their role).
    pub id: Option<String>,
}

impl Fields {
    /// Fields with these attributes (a `json!({…})` object).
    pub(crate) fn of(attributes: Value) -> Fields {
        Fields {
            attributes: match attributes {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            relationships: Map::new(),
            id: None,
        }
    }

    /// Replaces the generated id.
    pub(crate) fn with_id(mut self, id: &str) -> Fields {
        self.id = Some(id.to_owned());
        self
    }

    /// Adds a relationship.
    pub(crate) fn rel(mut self, name: &str, value: Value) -> Fields {
        self.relationships.insert(name.to_owned(), value);
        self
    }
}

/// What every generator can draw on: the org's references and live record ids.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    /// The org seed.
    pub seed: u64,
    /// The org clock, microseconds.
    pub now: i64,
    /// The history span, microseconds.
    pub span: i64,
    /// Users, teams, tags, brand/queue/SLA ids.
    pub refs: &'a Refs,
    /// Live conversation ids.
    pub conversations: Vec<String>,
}

/// One record being generated.
#[derive(Debug)]
pub(crate) struct Gen<'a> {
    /// Index of the record in its list.
    pub i: usize,
    /// Its id.
    pub id: String,
    /// `createdAt`, microseconds.
    pub created: i64,
    /// `updatedAt`, microseconds.
    pub updated: i64,
    /// The agent, user or team it belongs to ([`Count::PerAgent`], …).
    pub owner: Option<String>,
    /// A generator private to the record.
    pub rng: Rng,
    /// The org.
    pub ctx: &'a Ctx<'a>,
}

impl Gen<'_> {
    /// `createdAt` as served.
    pub(crate) fn created_at(&self) -> String {
        time::format(self.created)
    }

    /// An instant between creation and the last update, as served.
    pub(crate) fn during(&mut self) -> String {
        time::format(self.rng.range(self.created, self.updated + 1))
    }

    /// A random live agent (or the machine user).
    pub(crate) fn agent(&mut self) -> String {
        self.ctx.refs.agent(&mut self.rng)
    }

    /// The owner, else a random agent.
    pub(crate) fn owner_or_agent(&mut self) -> String {
        self.owner.clone().unwrap_or_else(|| self.agent())
    }

    /// A random live team, if any.
    pub(crate) fn team(&mut self) -> Option<String> {
        (!self.ctx.refs.teams.is_empty()).then(|| self.rng.pick(&self.ctx.refs.teams).clone())
    }

    /// The id of record `i` (modulo its count) of another list.
    pub(crate) fn id_in(&self, table: &str, i: usize) -> String {
        let spec = spec(table).unwrap_or(&SPECS[0]);
        let n = count(spec, self.ctx).max(1);
        config_id(self.ctx.seed, spec.id_prefix, i % n)
    }

    /// A to-one relationship to record `i` of another list.
    pub(crate) fn rel_to(&self, table: &str, i: usize) -> Value {
        let spec = spec(table).unwrap_or(&SPECS[0]);
        let id = self.id_in(table, i);
        resource::to_one(spec.kind, &id, &format!("{}/{id}", spec.path))
    }
}

/// The spec serving `table`.
pub(crate) fn spec(table: &str) -> Option<&'static ListSpec> {
    SPECS.iter().find(|s| s.table == table)
}

/// The id of record `i` of a list whose ids start with `prefix`. Brands, queues and
/// SLAs use the prefixes conversations already reference (`brand`, `queue`, `sla`).
pub(crate) fn config_id(seed: u64, prefix: &str, i: usize) -> String {
    ids::fixed(seed, &format!("{prefix}-{i}"))
}

/// The owners of a list's records, one per record, if the count is per owner.
fn owners(spec: &ListSpec, ctx: &Ctx<'_>) -> Option<Vec<String>> {
    let r = ctx.refs;
    match spec.count {
        Count::Fixed(_) => None,
        Count::PerAgent(k) => Some(
            r.agents
                .iter()
                .flat_map(|a| std::iter::repeat_n(a.clone(), k))
                .collect(),
        ),
        Count::PerUser => Some(
            std::iter::once(r.machine_user.clone())
                .chain(r.agents.iter().cloned())
                .collect(),
        ),
        Count::PerTeam => Some(r.teams.clone()),
    }
}

/// How many records a list has in this org.
pub(crate) fn count(spec: &ListSpec, ctx: &Ctx<'_>) -> usize {
    match spec.count {
        Count::Fixed(n) => n,
        _ => owners(spec, ctx).map_or(0, |o| o.len()),
    }
}

/// The generator of record `i` of `spec`. With `at`, the record is created (and last
/// updated) at that instant; otherwise early in the org's history.
pub(crate) fn gen<'a>(spec: &ListSpec, ctx: &'a Ctx<'a>, i: usize, at: Option<i64>) -> Gen<'a> {
    let stream = combine(hash_bytes(spec.table.as_bytes()), i as u64);
    let mut rng = Rng::new(combine(ctx.seed, stream));
    let (created, updated) = match at {
        Some(t) => (t, t),
        None => {
            let start = ctx.now - ctx.span;
            let created = rng.range(start, start + ctx.span / 5);
            let updated = if rng.chance(0.5) {
                created + rng.range(0, 60 * SEC)
            } else {
                rng.range(created, ctx.now - SEC)
            };
            (created, updated.min(ctx.now - SEC).max(created))
        }
    };
    let owner = owners(spec, ctx).and_then(|o| o.get(i).cloned());
    Gen {
        i,
        id: config_id(ctx.seed, spec.id_prefix, i),
        created,
        updated,
        owner,
        rng,
        ctx,
    }
}

/// Renders a record (and its side-loaded children) from its generator.
pub(crate) fn render(spec: &ListSpec, g: &mut Gen<'_>) -> (Value, Vec<Value>) {
    let Fields {
        mut attributes,
        relationships,
        id,
    } = (spec.fields)(g);
    if let Some(id) = id {
        g.id = id;
    }
    for (bit, name, at) in [
        (CREATED, "createdAt", g.created),
        (UPDATED, "updatedAt", g.updated),
        (MODIFIED, "modifiedAt", g.updated),
    ] {
        if spec.stamps & bit != 0 && !attributes.contains_key(name) {
            attributes.insert(name.into(), json!(time::format(at)));
        }
    }
    let value = match spec.item {
        Item::NoId => json!({"type": spec.kind, "attributes": attributes}),
        Item::IdOnly => json!({"type": spec.kind, "id": g.id}),
        Item::Full => {
            let mut rels = base_relationships(g.ctx.refs);
            if spec.authors != Authors::None {
                rels.insert("createdBy".into(), resource::user(&g.ctx.refs.machine_user));
            }
            if spec.authors == Authors::CreatedModified {
                let by = g.agent();
                rels.insert("modifiedBy".into(), resource::user(&by));
            }
            rels.extend(relationships);
            let mut v = resource::resource(spec.kind, &g.id, attributes, rels, "");
            if spec.item_links {
                v["links"]["self"] = json!(format!("{}/{}", spec.path, g.id));
            } else if let Some(o) = v.as_object_mut() {
                o.remove("links");
            }
            v
        }
    };
    let children = spec.side.map_or_else(Vec::new, |s| (s.render)(&value, g));
    (value, children)
}

/// Generates every list into `store`.
pub(crate) fn generate(ctx: &Ctx<'_>, store: &mut Store) {
    for spec in SPECS {
        for i in 0..count(spec, ctx) {
            let mut g = gen(spec, ctx, i, None);
            let (value, children) = render(spec, &mut g);
            let parent = resource::id(&value).to_owned();
            store.entry(spec.table).push(value, g.owner.clone());
            if let Some(side) = spec.side {
                for child in children {
                    store.entry(side.table).push(child, Some(parent.clone()));
                }
            }
        }
    }
}
