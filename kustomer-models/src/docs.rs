//! The meaning and API source of every column, in one place: the `record!`
//! and `entity!` macros document each column as they define it, from a
//! field's `///` doc when it has one, otherwise from the glossary of wire
//! names below (fields of the same name mean the same thing in every entity).
//! The data dictionary, `--describe` and the databases' comments read the
//! result, never this module.

use std::borrow::Cow;

use crate::table::{Column, LogicalType, EXTRA_COLUMN, POSITION_COLUMN};

mod glossary;

pub use glossary::{relationship, RelationshipDoc};

/// Meaning of `id`.
pub const ID_DOC: &str = "The record's id (primary key)";
/// Meaning of `type`.
pub const TYPE_DOC: &str = "JSON:API resource type (`customer`, `kobject.order`, …)";
/// Meaning of `_extra`.
pub const EXTRA_DOC: &str =
    "Everything the API sent that this version does not model (attributes, relationships), as JSON";

/// A doc comment's text, trimmed; `None` when empty.
pub fn trimmed(doc: &'static str) -> Option<&'static str> {
    let t = doc.trim();
    (!t.is_empty()).then_some(t)
}

/// Documents an attribute column: its field's doc comment, else the
/// glossary's meaning of its wire name. Its source is the wire name (the
/// caller prefixes the path: `attributes.`, `attributes.emails[].`).
pub fn attribute_column(col: Column, wire: &'static str, doc: &'static str) -> Column {
    let meaning = trimmed(doc)
        .map(|d| Cow::Borrowed(d.trim_end_matches('.')))
        .or_else(|| glossary::attribute(wire, col.ty));
    Column {
        doc: meaning,
        source: Some(Cow::Borrowed(wire)),
        ..col
    }
}

/// Prefixes a column's relative source with the path it sits under.
pub fn under(prefix: &str, mut col: Column) -> Column {
    col.source = Some(match col.source.take() {
        Some(s) => format!("{prefix}.{s}").into(),
        None => prefix.to_owned().into(),
    });
    col
}

/// Documents the columns of a parent table the `entity!` macro built: `id`,
/// `type`, `<relationship>_id` columns, attributes, `_extra`.
pub fn parent_columns(columns: Vec<Column>, relationships: &[(&'static str, &'static str)]) -> Vec<Column> {
    columns
        .into_iter()
        .map(|c| match c.name.as_str() {
            "id" => c.with_doc(ID_DOC).with_source("id"),
            "type" if c.source.is_none() => c.with_doc(TYPE_DOC).with_source("type"),
            EXTRA_COLUMN if c.source.is_none() => c.with_doc(EXTRA_DOC).with_source("attributes.*, relationships.*"),
            name => match relationships.iter().find(|(_, col)| *col == name) {
                Some((rel, _)) if c.source.is_none() => {
                    let r = relationship(rel);
                    let doc = r.meaning.map_or_else(|| humanize(rel).into(), Cow::Borrowed);
                    c.with_doc(doc).with_source(format!("relationships.{rel}.data.id"))
                }
                _ => under("attributes", c),
            },
        })
        .collect()
}

/// Documents the columns of a child table: the parent key, `_position`, and
/// the item's columns under `path` (`attributes.emails[]`).
pub fn child_columns(columns: Vec<Column>, singular: &str, path: &str, item_doc: Option<&str>) -> Vec<Column> {
    columns
        .into_iter()
        .enumerate()
        .map(|(i, c)| match (i, c.name.as_str()) {
            (0, _) => c
                .with_doc(format!("Id of the {} this row belongs to", humanize(singular)))
                .with_source("id"),
            (_, POSITION_COLUMN) => c
                .with_doc("Position of the item in its list, from 0")
                .with_source(format!("index in {path}")),
            (_, EXTRA_COLUMN) => c
                .with_doc("Fields of the item this version does not model, as JSON")
                .with_source(format!("{path} (other fields)")),
            _ if c.source.is_none() => {
                let doc = item_doc.map_or_else(
                    || "One item of the list".to_owned(),
                    |d| d.trim_end_matches('.').to_owned(),
                );
                c.with_doc(doc).with_source(path.to_owned())
            }
            _ => under(path, c),
        })
        .collect()
}

/// `lastMessageAt` → `last message at`.
pub fn humanize(wire: &str) -> String {
    crate::naming::snake_case(wire).replace('_', " ")
}

/// Meaning derived from a wire name's shape, for the fields the glossary
/// does not name: `…At` times, `…Count` counters, `is…`/`has…` flags.
fn by_shape(wire: &str, ty: LogicalType) -> Option<String> {
    let words = humanize(wire);
    if ty == LogicalType::Timestamp {
        let stem = words.strip_suffix(" at").unwrap_or(&words);
        return Some(format!("When {stem} (UTC)"));
    }
    if let Some(stem) = words.strip_suffix(" count") {
        return Some(format!("Number of {stem}"));
    }
    if let Some(rest) = words.strip_prefix("is ").or_else(|| words.strip_prefix("has ")) {
        return Some(format!(
            "Whether {} {rest}",
            if words.starts_with("is") { "it is" } else { "it has" }
        ));
    }
    if let Some(stem) = words.strip_suffix(" id") {
        return Some(format!("Id of the {stem}"));
    }
    None
}
