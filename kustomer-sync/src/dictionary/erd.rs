//! The entity-relationship diagram: the core tables (boxes with their keys
//! and child tables), the `<relationship>_id` foreign keys between them, and
//! the configuration tables listed by area. Mermaid for `docs/erd.md`; the
//! same [`Diagram`] is drawn as SVG by `svg.rs`.

use std::fmt::Write;

use kustomer_models::docs::relationship;

use super::{Dictionary, Kind, TableEntry};

/// The core tables, as (table, grid column, grid row) of the drawing.
pub const CORE: &[(&str, usize, usize)] = &[
    ("companies", 0, 0),
    ("customers", 1, 0),
    ("users", 2, 0),
    ("kobjects", 0, 1),
    ("conversations", 1, 1),
    ("notes", 2, 1),
    ("kobject_{klass}", 0, 2),
    ("messages", 1, 2),
    ("teams", 2, 2),
];

/// Tables almost every table points to (`created_by_id`, `ended_by_id` →
/// `users`): said once in the legend, not drawn from every box.
const NOT_DRAWN: &[&str] = &["users", "teams"];

/// Configuration tables grouped by area, by name prefix (first match wins).
const AREAS: &[(&str, &[&str])] = &[
    ("Routing", &["queues", "routing_", "team_routing", "work_sessions"]),
    (
        "SLAs and schedules",
        &["slas", "sla_", "business_schedules", "holidays"],
    ),
    ("Knowledge base", &["kb_"]),
    ("Webhooks and hooks", &["outbound_webhook", "hooks_"]),
    (
        "Org and access",
        &["apps", "auth_", "brands", "settings", "chat_settings", "audit_logs"],
    ),
    (
        "Agent tools",
        &[
            "tags",
            "shortcut",
            "cards",
            "kviews",
            "snippets",
            "snoozes",
            "customer_searches",
            "notifications",
        ],
    ),
    ("Other", &[""]),
];

/// A box of the diagram.
#[derive(Debug, Clone)]
pub struct Entity {
    /// Table name.
    pub name: String,
    /// Grid position.
    pub col: usize,
    /// Grid row.
    pub row: usize,
    /// Mode (`update`, …).
    pub mode: &'static str,
    /// Key and foreign-key columns: (name, what it points to).
    pub keys: Vec<(String, Option<String>)>,
    /// Child and detail tables: (name, `detail` or nothing).
    pub children: Vec<(String, String)>,
}

/// A foreign key between two boxes.
#[derive(Debug, Clone)]
pub struct Link {
    /// The table holding the key.
    pub from: String,
    /// The column.
    pub column: String,
    /// The table it points to.
    pub to: String,
}

/// An area of configuration tables: its name, and each table with its child tables.
pub type Area = (&'static str, Vec<(String, Vec<String>)>);

/// What the diagram shows.
#[derive(Debug, Clone)]
pub struct Diagram {
    /// Core tables.
    pub entities: Vec<Entity>,
    /// Foreign keys between them.
    pub links: Vec<Link>,
    /// The other tables by area: (area, [(table, child tables)]).
    pub areas: Vec<Area>,
}

/// The table a column's id points into, from its API source.
pub fn target(source: &str) -> Option<(&str, &'static str)> {
    let rel = source.strip_prefix("relationships.")?.strip_suffix(".data.id")?;
    Some((rel, relationship(rel).table?))
}

fn core_position(name: &str) -> Option<(usize, usize)> {
    CORE.iter().find(|(n, _, _)| *n == name).map(|&(_, c, r)| (c, r))
}

fn area_of(name: &str) -> usize {
    AREAS
        .iter()
        .position(|(_, prefixes)| prefixes.iter().any(|p| name.starts_with(p)))
        .unwrap_or(AREAS.len() - 1)
}

impl Diagram {
    /// The diagram of a dictionary.
    pub fn of(d: &Dictionary) -> Diagram {
        let mut entities = Vec::new();
        let mut links = Vec::new();
        for &(name, col, row) in CORE {
            let Some(t) = d.tables.iter().find(|t| t.name == name) else {
                continue;
            };
            let mut keys = vec![(t.primary_key.join(", "), None)];
            for c in &t.columns {
                let Some((_, to)) = target(&c.source) else { continue };
                // A klass table's keys are copies of its KObject's: drawn once, from `kobjects`.
                if NOT_DRAWN.contains(&to) || core_position(to).is_none() || t.kind == Kind::Klass {
                    continue;
                }
                keys.push((c.name.clone(), Some(to.to_owned())));
                links.push(Link {
                    from: t.name.clone(),
                    column: c.name.clone(),
                    to: to.to_owned(),
                });
            }
            if t.kind == Kind::Klass {
                keys.push(("id".into(), Some("kobjects".into())));
                links.push(Link {
                    from: t.name.clone(),
                    column: "id".into(),
                    to: "kobjects".into(),
                });
            }
            let children = (d.tables.iter())
                .filter(|c| c.parent.as_deref() == Some(name) && matches!(c.kind, Kind::Child | Kind::Detail))
                .map(|c| {
                    (
                        c.name.clone(),
                        if c.kind == Kind::Detail { "detail" } else { "" }.to_owned(),
                    )
                })
                .collect();
            entities.push(Entity {
                name: t.name.clone(),
                col,
                row,
                mode: t.mode,
                keys,
                children,
            });
        }
        let mut areas: Vec<Area> = AREAS.iter().map(|(a, _)| (*a, Vec::new())).collect();
        let is_core = |t: &TableEntry| core_position(&t.name).is_some();
        for t in d.tables.iter().filter(|t| t.parent.is_none() && !is_core(t)) {
            let children = (d.tables.iter())
                .filter(|c| c.parent.as_deref() == Some(&t.name) && c.kind != Kind::History)
                .map(|c| c.name.clone())
                .collect();
            let area = if t.kind == Kind::Bookkeeping {
                AREAS.len() - 1
            } else {
                area_of(&t.name)
            };
            areas[area].1.push((t.name.clone(), children));
        }
        areas.retain(|(_, t)| !t.is_empty());
        Diagram { entities, links, areas }
    }
}

/// `docs/erd.md`: the core in Mermaid, then the other tables by area.
pub fn mermaid(d: &Dictionary) -> String {
    let g = Diagram::of(d);
    let mut out = String::from("# Entity-relationship diagram\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from the table definitions (kustomer_sync::dictionary); do not edit. Refresh: {} -->\n",
        super::markdown::REFRESH
    );
    out.push_str(
        "The core tables, their child tables (keyed by the parent key and `_position`) and the \
         `<relationship>_id` foreign keys between them. Keys into `users` and `teams` \
         (`created_by_id`, `modified_by_id`, `ended_by_id`, …) are not drawn, nor `org_id`. Columns, types and \
         meanings: [tables.md](tables.md). Drawn: [erd.svg](erd.svg).\n\n```mermaid\nerDiagram\n",
    );
    let id = |n: &str| n.replace(['{', '}'], "");
    for e in &g.entities {
        let _ = writeln!(out, "    {} {{", id(&e.name));
        for (k, to) in &e.keys {
            for col in k.split(", ") {
                let tag = if to.is_some() { "FK" } else { "PK" };
                let _ = writeln!(out, "        text {col} {tag}");
            }
        }
        out.push_str("    }\n");
    }
    for l in &g.links {
        let _ = writeln!(out, "    {} }}o--o| {} : \"{}\"", id(&l.from), id(&l.to), l.column);
    }
    for e in &g.entities {
        for (c, _) in &e.children {
            let key = d.table(c).map(|t| t.primary_key.join(", ")).unwrap_or_default();
            let _ = writeln!(out, "    {} ||--o{{ {} : \"{}\"", id(&e.name), c, key);
        }
    }
    out.push_str("```\n\n## Configuration and other tables\n\n");
    out.push_str("Read in full every run (`replace`), except `audit_logs` (`append`) and the bookkeeping tables.\n\n");
    out.push_str("| area | table | child tables |\n|---|---|---|\n");
    for (area, tables) in &g.areas {
        for (t, children) in tables {
            let kids: Vec<String> = children.iter().map(|c| format!("`{c}`")).collect();
            let _ = writeln!(out, "| {area} | `{t}` | {} |", kids.join(", "));
        }
    }
    out
}
