//! The dictionary as Markdown: `docs/tables.md` and `--describe`.

use std::fmt::Write;

use super::{Dictionary, Kind, TableEntry};

/// The command that regenerates the committed documents.
pub const REFRESH: &str = "KUSTOMER_BLESS=1 cargo test -p kustomer-sync --test docs";

/// A table cell: pipes escaped, on one line.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn code(s: &str) -> String {
    format!("`{s}`")
}

fn kind(k: Kind) -> &'static str {
    match k {
        Kind::Parent => "parent",
        Kind::Child => "child",
        Kind::Detail => "detail",
        Kind::Klass => "klass",
        Kind::History => "history",
        Kind::Bookkeeping => "bookkeeping",
    }
}

fn key(t: &TableEntry) -> String {
    let cols: Vec<String> = t.primary_key.iter().map(|k| code(k)).collect();
    cols.join(", ")
}

/// The list of tables: name, kind, mode, key, meaning.
pub fn index(d: &Dictionary) -> String {
    let mut out = String::from("| table | kind | mode | primary key | meaning |\n|---|---|---|---|---|\n");
    for t in &d.tables {
        let name = format!("[`{}`](#{})", t.name, anchor(&t.name));
        let only = t.only_with.map(|o| format!(" (only with `{o}`)")).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {}{only} |",
            kind(t.kind),
            t.mode,
            key(t),
            cell(&t.meaning)
        );
    }
    out
}

/// A heading's anchor as GitHub computes it.
fn anchor(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '_' | '-' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

/// One table: its meaning, mode, key, parent, and every column.
pub fn table_section(t: &TableEntry) -> String {
    let mut out = format!("### {}\n\n{}.\n\n", t.name, t.meaning.trim_end_matches('.'));
    let _ = write!(
        out,
        "Kind: {}. Mode: {}. Primary key: {}.",
        kind(t.kind),
        t.mode,
        key(t)
    );
    if let (Some(p), Some(c)) = (&t.parent, &t.parent_column) {
        let _ = write!(out, " Parent: `{p}` (`{c}` = `{p}.id`).");
    }
    if let Some(o) = t.only_with {
        let _ = write!(out, " Only with the `{o}` option.");
    }
    let _ = write!(out, " Written by the `{}` stream.\n\n", t.stream);
    out.push_str("| column | DuckDB | PostgreSQL | Delta Lake | null | meaning | API source |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for c in &t.columns {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            c.name,
            c.duckdb,
            c.postgres,
            c.lake,
            if c.nullable { "yes" } else { "no" },
            cell(&c.meaning),
            cell(&code(&c.source)),
        );
    }
    out
}

/// `docs/tables.md`.
pub fn document(d: &Dictionary) -> String {
    let mut out = String::new();
    out.push_str("# Tables\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from the table definitions (kustomer_sync::dictionary); do not edit. Refresh: {REFRESH} -->\n"
    );
    out.push_str(
        "Every table the sync writes, generated from the same definitions as the DDL (the \
         databases carry the same meanings as table and column comments). `--describe [TABLE]` \
         of the `sync` example prints it, `--describe --json` as JSON. The diagram: \
         [erd.md](erd.md).\n\n\
         - **Kinds**: a *parent* table is keyed by `id`; a *child* table holds the items of one \
         of its parent's lists, keyed by (parent key, `_position`) and replaced with its parent; \
         a *detail* table is a per-parent list read with a request per parent; a *klass* table \
         (`kobject_{klass}`) exists per klass of the org; a *history* table keeps every version \
         (option `history`).\n\
         - **Modes**: `update` tables are read incrementally by `updatedAt` and upserted by key; \
         `replace` tables are read in full every run (rows no longer found are marked `_deleted`); \
         `append` tables only insert.\n\
         - **Custom attributes** become one column each (`custom_<attribute>`, typed by the \
         name's suffix); their comment in the database is the attribute's `displayName`.\n\
         - **API source**: the JSON path of the value in the API's resource (`attributes.…`, \
         `relationships.<name>.data.id`, `…[]` for a list's items); `(sync)` marks what the \
         sync itself computes.\n\n",
    );
    out.push_str("## Index\n\n");
    out.push_str(&index(d));
    out.push_str("\n## Tables\n\n");
    for t in &d.tables {
        out.push_str(&table_section(t));
        out.push('\n');
    }
    out
}
