//! The data dictionary: every table the sync can write, its mode, key and
//! columns (type per destination, nullability, meaning, API source), and
//! the entity-relationship diagram, all generated from the table
//! definitions. `docs/tables.md`, `docs/erd.md` and `docs/erd.svg` are its
//! output (refreshed by `KUSTOMER_BLESS=1 cargo test -p kustomer-sync --test
//! docs`), and the `sync` example prints it (`--describe [TABLE]`).
//!
//! Discovery is replaced by patterns, so the output does not depend on an
//! org: one `kobject_{klass}` table, one `custom_<attribute>` column.

mod erd;
mod markdown;
mod svg;

use std::sync::Arc;

use kustomer_models::{Column, LogicalType, TableDef};
use serde::Serialize;

use crate::catalog::catalog;
use crate::columns::STATE_TABLE;
use crate::custom_columns::CustomColumns;
use crate::dest::{types, StreamTables};
use crate::discovery::{Discovery, KlassTable};
use crate::docs::{documented, table_doc};
use crate::report::sync_runs_table;

/// The pattern standing for a klass name.
pub const KLASS_PATTERN: &str = "{klass}";
/// The pattern standing for a custom attribute's name.
const ATTRIBUTE_PATTERN: &str = "{attribute}";
/// The name shown for a custom-attribute column.
pub const CUSTOM_PATTERN_COLUMN: &str = "custom_<attribute>";

/// What role a table plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A stream's own table, keyed by `id`.
    Parent,
    /// Items of a list of a parent record, keyed by (parent key, `_position`).
    Child,
    /// A per-parent detail list read with its own request per parent.
    Detail,
    /// One table per klass (`kobject_{klass}`).
    Klass,
    /// Every version of a parent or child row (history mode).
    History,
    /// The sync's own tables (`_sync_runs`, the bookmarks).
    Bookkeeping,
}

/// One column of the dictionary.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnEntry {
    /// Column name (`custom_<attribute>` for the custom-attribute pattern).
    pub name: String,
    /// Logical type (`by_suffix` for custom attributes).
    pub logical: String,
    /// DuckDB type.
    pub duckdb: String,
    /// PostgreSQL type.
    pub postgres: String,
    /// The lake's (Delta Lake's) type.
    pub lake: String,
    /// Whether it may be NULL.
    pub nullable: bool,
    /// One-line meaning.
    pub meaning: String,
    /// Where it comes from in the API's JSON.
    pub source: String,
}

/// One table of the dictionary.
#[derive(Debug, Clone, Serialize)]
pub struct TableEntry {
    /// Table name (`kobject_{klass}` for the klass pattern).
    pub name: String,
    /// Its role.
    pub kind: Kind,
    /// How it is kept up to date: `update`, `replace` or `append`.
    pub mode: &'static str,
    /// The stream that writes it.
    pub stream: String,
    /// Its parent table, for child, detail, klass and history tables.
    pub parent: Option<String>,
    /// The column holding the parent's id.
    pub parent_column: Option<String>,
    /// Primary-key columns.
    pub primary_key: Vec<String>,
    /// One-line meaning.
    pub meaning: String,
    /// When the table exists only with an option.
    pub only_with: Option<&'static str>,
    /// Its columns, in order.
    pub columns: Vec<ColumnEntry>,
}

impl TableEntry {
    /// The table as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Every table the sync writes.
#[derive(Debug, Clone, Serialize)]
pub struct Dictionary {
    /// Tables, in catalogue order (each stream's parent, then its children),
    /// then the bookkeeping tables.
    pub tables: Vec<TableEntry>,
}

/// A discovery made of patterns: every resource with custom attributes has
/// one, and there is one klass.
fn pattern_discovery() -> Discovery {
    let mut d = Discovery::default();
    for r in ["customer", "conversation", "message", "company"] {
        d.custom.insert(r.to_owned(), vec![ATTRIBUTE_PATTERN.to_owned()]);
    }
    let taken = crate::discovery::KLASS_TABLE_FIXED
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    d.klasses.push(KlassTable {
        klass: KLASS_PATTERN.to_owned(),
        table: format!("kobject_{KLASS_PATTERN}"),
        custom: Arc::new(CustomColumns::new([ATTRIBUTE_PATTERN.to_owned()], &taken)),
    });
    d
}

fn column_entry(def: &TableDef, col: &Column) -> ColumnEntry {
    let c = documented(def, col);
    let text = |s: Option<std::borrow::Cow<'static, str>>| s.map(|s| s.into_owned()).unwrap_or_default();
    if c.source.as_deref() == Some(&format!("attributes.custom.{ATTRIBUTE_PATTERN}")) {
        return ColumnEntry {
            name: CUSTOM_PATTERN_COLUMN.to_owned(),
            logical: "by_suffix".into(),
            duckdb: "by suffix".into(),
            postgres: "by suffix".into(),
            lake: "by suffix".into(),
            nullable: true,
            meaning: "One column per custom attribute of the org (`GET /v1/metadata/…`), typed by its \
                      name's suffix (Str, Txt, Url: text; Num: double; Bool: boolean; At: timestamp; \
                      other: JSON); commented with the attribute's `displayName`"
                .into(),
            source: "attributes.custom.<attribute>".into(),
        };
    }
    ColumnEntry {
        name: c.name.clone(),
        logical: serde_json::to_value(c.ty)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        duckdb: types::duckdb(c.ty).to_owned(),
        postgres: types::postgres(c.ty).to_owned(),
        lake: types::lake(c.ty).to_owned(),
        nullable: c.nullable,
        meaning: text(c.doc),
        source: text(c.source),
    }
}

fn is_entity_table(name: &str) -> bool {
    kustomer_models::all_schemas().iter().any(|s| s.table.name == name)
}

fn entry(def: &TableDef, kind: Kind, mode: &'static str, stream: &str) -> TableEntry {
    TableEntry {
        name: def.name.clone(),
        kind,
        mode,
        stream: stream.to_owned(),
        parent: def.parent.as_ref().map(|p| p.table.clone()),
        parent_column: def.parent.as_ref().map(|p| p.column.clone()),
        primary_key: def.primary_key.clone(),
        meaning: table_doc(def).into_owned(),
        only_with: None,
        columns: def.columns.iter().map(|c| column_entry(def, c)).collect(),
    }
}

/// The bookmark table every SQL destination keeps.
pub fn state_table() -> TableDef {
    TableDef {
        name: STATE_TABLE.to_owned(),
        columns: vec![
            Column::required("stream", LogicalType::Text)
                .with_doc("The stream (its parent table's name)")
                .with_source("(sync)"),
            Column::required("bookmark", LogicalType::Text)
                .with_doc("Where its next read starts, as JSON (`updatedAt` and the ids seen at it, or a cursor)")
                .with_source("(sync)"),
            Column::required("updated_at", LogicalType::Timestamp)
                .with_doc("When the bookmark last moved (UTC)")
                .with_source("(sync)"),
        ],
        primary_key: vec!["stream".to_owned()],
        parent: None,
    }
}

/// The dictionary of every table, from the catalogue's definitions.
pub fn dictionary() -> Dictionary {
    let discovery = pattern_discovery();
    let mut tables = Vec::new();
    for stream in catalog() {
        let mode = stream.mode().as_str();
        let mut t: StreamTables = stream.tables(&discovery).with_system_columns();
        // History is kept for conversations only (`history` option).
        let history = stream.name() == "conversations";
        if let (true, Some(singular)) = (history, stream.singular()) {
            t = t.with_history(singular);
        }
        tables.push(entry(&t.parent, Kind::Parent, mode, stream.name()));
        for c in &t.children {
            let kind = if c.name.starts_with("kobject_") {
                Kind::Klass
            } else if is_entity_table(&c.name) {
                Kind::Detail
            } else {
                Kind::Child
            };
            tables.push(entry(c, kind, mode, stream.name()));
        }
        for h in &t.history {
            let mut e = entry(&h.def, Kind::History, mode, stream.name());
            e.parent = Some(t.parent.name.clone());
            e.parent_column = Some("id".to_owned());
            e.only_with = Some("history");
            tables.push(e);
        }
    }
    tables.push(entry(&sync_runs_table(), Kind::Bookkeeping, "append", "(every run)"));
    tables.push(entry(&state_table(), Kind::Bookkeeping, "update", "(every batch)"));
    Dictionary { tables }
}

impl Dictionary {
    /// A table by name.
    pub fn table(&self, name: &str) -> Option<&TableEntry> {
        self.tables.iter().find(|t| t.name == name).or_else(|| {
            // A real klass table (`kobject_order`) is described by the pattern.
            name.strip_prefix("kobject_")
                .and_then(|_| self.tables.iter().find(|t| t.kind == Kind::Klass))
        })
    }

    /// The whole dictionary as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// `docs/tables.md`.
    pub fn to_markdown(&self) -> String {
        markdown::document(self)
    }

    /// One table as Markdown (`--describe TABLE`).
    pub fn describe(&self, table: &TableEntry) -> String {
        markdown::table_section(table)
    }

    /// The index of tables as text (`--describe` alone).
    pub fn index(&self) -> String {
        markdown::index(self)
    }

    /// `docs/erd.md`: the diagram in Mermaid.
    pub fn erd_mermaid(&self) -> String {
        erd::mermaid(self)
    }

    /// `docs/erd.svg`: the diagram drawn.
    pub fn erd_svg(&self) -> String {
        svg::render(&erd::Diagram::of(self))
    }

    /// Columns lacking a meaning or an API source, as `table.column`.
    pub fn undocumented(&self) -> Vec<String> {
        (self.tables.iter())
            .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
            .filter(|(_, c)| c.meaning.trim().is_empty() || c.source.trim().is_empty())
            .map(|(t, c)| format!("{}.{}", t.name, c.name))
            .collect()
    }
}
