//! What one record is rendered from: its identity, times, parents and the ids it
//! may reference. Shared by the bulk generator and by [`crate::Org::insert`].

use serde_json::{Map, Value};

use super::ids;
use crate::kind::Kind;
use crate::resource;
use crate::rng::{combine, Rng};
use crate::row::Row;
use crate::time;

/// Records a new record hangs off (already rendered resource objects).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Parents<'a> {
    /// The owning customer (conversations, kobjects; messages and notes via their conversation).
    pub customer: Option<&'a Value>,
    /// The owning conversation (messages, notes).
    pub conversation: Option<&'a Value>,
    /// The klass of a kobject.
    pub klass: Option<&'a Value>,
}

/// Ids of org-level records that generated records point at.
#[derive(Debug, Default, Clone)]
pub(crate) struct Refs {
    /// The org id (every resource has an `org` relationship).
    pub org: String,
    /// The API key's machine user: `createdBy` of system-made records.
    pub machine_user: String,
    /// Human agents.
    pub agents: Vec<String>,
    /// Team ids.
    pub teams: Vec<String>,
    /// Tag ids.
    pub tags: Vec<String>,
    /// Shortcut ids.
    pub shortcuts: Vec<String>,
    /// Company ids.
    pub companies: Vec<String>,
    /// Brand, queue and SLA ids (not served, only referenced, as in real data).
    pub brands: Vec<String>,
    /// Routing queue ids.
    pub queues: Vec<String>,
    /// SLA ids paired with a version id.
    pub slas: Vec<(String, String)>,
}

impl Refs {
    /// The references available in an org whose stored records `rows` yields per
    /// kind (only users are parsed: the others need just ids and deletion).
    pub(crate) fn collect<'a>(seed: u64, rows: impl Fn(Kind) -> &'a [Row]) -> Refs {
        let live = |kind: Kind| -> Vec<String> {
            (rows(kind).iter())
                .filter(|r| !r.meta.deleted)
                .map(|r| r.id().to_owned())
                .collect()
        };
        let users: Vec<(&Row, Value)> = rows(Kind::User).iter().map(|r| (r, r.value())).collect();
        let machine_user = (users.iter())
            .find(|(_, u)| resource::attr_str(u, "userType") == Some("machine"))
            .map(|(r, _)| r.id().to_owned())
            .unwrap_or_else(|| ids::fixed(seed, "machine-user"));
        let agents = (users.iter())
            .filter(|(r, _)| !r.meta.deleted)
            .filter(|(_, u)| resource::attr_str(u, "userType") == Some("user"))
            .map(|(r, _)| r.id().to_owned())
            .collect();
        let fixed = |name: &str, n: usize| -> Vec<String> {
            (0..n).map(|i| ids::fixed(seed, &format!("{name}-{i}"))).collect()
        };
        Refs {
            org: ids::fixed(seed, "org"),
            machine_user,
            agents,
            teams: live(Kind::Team),
            tags: live(Kind::Tag),
            shortcuts: live(Kind::Shortcut),
            companies: live(Kind::Company),
            brands: fixed("brand", 2),
            queues: fixed("queue", 3),
            slas: fixed("sla", 2).into_iter().zip(fixed("sla-version", 2)).collect(),
        }
    }

    /// A random agent (or the machine user when the org has no agents).
    pub(crate) fn agent(&self, rng: &mut Rng) -> String {
        if self.agents.is_empty() {
            self.machine_user.clone()
        } else {
            rng.pick(&self.agents).clone()
        }
    }

    /// Up to `n` distinct ids from `pool`.
    pub(crate) fn some(pool: &[String], rng: &mut Rng, n: usize) -> Vec<String> {
        let n = rng.index(n + 1);
        rng.sample(pool, n)
    }
}

/// Everything a renderer needs to produce one record.
#[derive(Debug)]
pub(crate) struct Draft<'a> {
    /// The record's ObjectId.
    pub id: String,
    /// Index of the record within its kind; drives the index-based edge cases so
    /// they occur even in tiny orgs.
    pub ordinal: usize,
    /// `createdAt`, in microseconds.
    pub created: i64,
    /// `updatedAt`, in microseconds.
    pub updated: i64,
    /// Whether the record is soft-deleted (then `deletedAt` = `updatedAt`).
    pub deleted: bool,
    /// A message's position within its conversation (0 = the first, inbound one).
    pub position: usize,
    /// The records it belongs to.
    pub parents: Parents<'a>,
    /// A generator private to this record.
    pub rng: Rng,
}

impl<'a> Draft<'a> {
    /// A live, parentless draft whose private generator derives from `seed`, `kind`
    /// and `ordinal`, so a record renders the same whatever was generated before it.
    pub(crate) fn new(seed: u64, kind: Kind, id: String, ordinal: usize, created: i64, updated: i64) -> Self {
        let stream = combine(kind.ordinal() as u64 + 1, ordinal as u64);
        Draft {
            id,
            ordinal,
            created,
            updated,
            deleted: false,
            position: 0,
            parents: Parents::default(),
            rng: Rng::new(combine(seed, stream)),
        }
    }

    /// `createdAt` as served.
    pub(crate) fn created_at(&self) -> String {
        time::format(self.created)
    }

    /// `updatedAt` as served.
    pub(crate) fn updated_at(&self) -> String {
        time::format(self.updated)
    }

    /// A `modifiedAt` between creation and the last update.
    pub(crate) fn modified_at(&mut self) -> String {
        let t = self.rng.range(self.created, self.updated + 1);
        time::format(t)
    }

    /// An instant between creation and the last update.
    pub(crate) fn during(&mut self) -> String {
        self.modified_at()
    }

    /// `deletedAt`: the update instant when deleted, else `null`.
    pub(crate) fn deleted_at(&self) -> Value {
        if self.deleted {
            Value::String(self.updated_at())
        } else {
            Value::Null
        }
    }

    /// The id of the owning customer (directly or via the conversation).
    pub(crate) fn customer_id(&self) -> Option<String> {
        self.parents.customer.map(|c| resource::id(c).to_owned()).or_else(|| {
            self.parents
                .conversation
                .and_then(|c| resource::related_id(c, "customer"))
                .map(str::to_owned)
        })
    }
}

/// Starts a relationships object with the `org` relationship every resource has.
pub(crate) fn base_relationships(refs: &Refs) -> Map<String, Value> {
    let mut rels = Map::new();
    rels.insert(
        "org".into(),
        resource::to_one("org", &refs.org, &format!("/v1/orgs/{}", refs.org)),
    );
    rels
}

/// Renders one record of `kind`, its custom attributes completed from the catalogue
/// (see [`super::custom_attrs`]).
pub(crate) fn render(kind: Kind, draft: &mut Draft<'_>, refs: &Refs) -> Value {
    let mut value = render_bare(kind, draft, refs);
    super::custom_attrs::complete(&mut value, &mut draft.rng, draft.created, draft.updated);
    value
}

fn render_bare(kind: Kind, draft: &mut Draft<'_>, refs: &Refs) -> Value {
    use super::{conversations, directory, objects, people};
    match kind {
        Kind::Customer => people::customer(draft, refs),
        Kind::Company => people::company(draft, refs),
        Kind::Conversation => conversations::conversation(draft, refs),
        Kind::Message => conversations::message(draft, refs),
        Kind::Note => conversations::note(draft, refs),
        Kind::User => directory::user(draft, refs),
        Kind::Team => directory::team(draft, refs),
        Kind::Tag => directory::tag(draft, refs),
        Kind::Shortcut => directory::shortcut(draft, refs),
        Kind::Klass => objects::klass(draft, refs),
        Kind::KObject => objects::kobject(draft, refs),
    }
}
