//! The meaning of every table and column as a destination sees them: the
//! models document what comes from the API; this module adds what the sync
//! itself adds (bookkeeping, history, parent keys, custom-attribute
//! patterns, `_sync_runs`, the bookmark table). The dictionary, `--describe`
//! and the databases' comments all ask here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use kustomer_models::table::{EXTRA_COLUMN, POSITION_COLUMN};
use kustomer_models::{Column, TableDef};

use crate::columns::{DELETED, DELETED_AT, IS_CURRENT, STATE_TABLE, SYNCED_AT, SYNC_RUNS_TABLE, VALID_FROM, VALID_TO};
use crate::custom_columns::{OVERFLOW_COLUMN, OVERFLOW_DOC};

/// Meaning and source of the columns every table of a kind carries.
const GENERIC: &[(&str, &str, &str)] = &[
    (
        DELETED,
        "Whether the record is deleted in Kustomer (soft delete)",
        "(sync) from `deleted`, or gone from a full read",
    ),
    (DELETED_AT, "When the sync first saw the record deleted (UTC)", "(sync)"),
    (
        SYNCED_AT,
        "Start of the sync run that last wrote the row (UTC)",
        "(sync)",
    ),
    (
        VALID_FROM,
        "When this version became current: the record's `updated_at` (UTC)",
        "(sync) attributes.updatedAt",
    ),
    (
        VALID_TO,
        "When this version stopped being current (NULL while current)",
        "(sync)",
    ),
    (IS_CURRENT, "Whether this is the record's current version", "(sync)"),
    (OVERFLOW_COLUMN, OVERFLOW_DOC, "attributes.custom.*"),
    (
        POSITION_COLUMN,
        "Position of the item in its list, from 0",
        "(list index)",
    ),
    (
        EXTRA_COLUMN,
        "Fields this version does not model, as JSON",
        "(other fields)",
    ),
];

/// A column's meaning and API source: its own, else the generic one.
pub fn column_doc<'c>(def: &TableDef, col: &'c Column) -> (Option<Cow<'c, str>>, Option<Cow<'c, str>>) {
    let doc = col.doc.as_deref().map(Cow::Borrowed);
    let source = col.source.as_deref().map(Cow::Borrowed);
    if doc.is_some() && source.is_some() {
        return (doc, source);
    }
    let generic = GENERIC
        .iter()
        .find(|(n, _, _)| *n == col.name)
        .map(|&(_, d, s)| (Cow::Borrowed(d), Cow::Borrowed(s)));
    let parent_key = def.parent.as_ref().filter(|p| p.column == col.name).map(|p| {
        (
            Cow::Owned(format!("Id of the row of `{}` this row belongs to", p.table)),
            Cow::Borrowed("(parent) id"),
        )
    });
    let custom = col.name.starts_with("custom_").then(|| {
        (
            Cow::Owned(format!("Custom attribute `{}`", col.name.trim_start_matches("custom_"))),
            Cow::Borrowed("attributes.custom.*"),
        )
    });
    match generic.or(parent_key).or(custom) {
        Some((d, s)) => (doc.or(Some(d)), source.or(Some(s))),
        None => (doc, source),
    }
}

/// A column with its meaning and source filled in from [`column_doc`].
pub fn documented(def: &TableDef, col: &Column) -> Column {
    let (doc, source) = column_doc(def, col);
    let mut c = col.clone();
    c.doc = doc.map(|d| Cow::Owned(d.into_owned()));
    c.source = source.map(|s| Cow::Owned(s.into_owned()));
    c
}

fn entity_docs() -> &'static HashMap<String, String> {
    static DOCS: OnceLock<HashMap<String, String>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut m = HashMap::new();
        for s in kustomer_models::all_schemas() {
            for t in s.tables() {
                if let Some(d) = s.table_doc(&t.name) {
                    m.insert(t.name.clone(), d.to_owned());
                }
            }
        }
        m
    })
}

/// What a table holds, in one line.
pub fn table_doc(def: &TableDef) -> Cow<'static, str> {
    let name = def.name.as_str();
    if let Some(d) = entity_docs().get(name) {
        return Cow::Owned(d.clone());
    }
    if name == SYNC_RUNS_TABLE {
        return "One row per table per sync run: what it read and wrote, requests, errors".into();
    }
    if name == STATE_TABLE {
        return "Each stream's bookmark: where its next incremental read starts".into();
    }
    if let Some(klass) = name.strip_prefix("kobject_") {
        return format!("KObjects of the klass `{klass}`, its custom attributes as typed columns").into();
    }
    // History tables (`conversation_history`, `conversation_history_tags`).
    if let Some((singular, rest)) = name.split_once("_history") {
        let of = match rest.strip_prefix('_') {
            Some(field) => format!("the `{singular}_{field}` rows of a {singular}"),
            None => format!("a {singular}"),
        };
        return format!("Every observed version of {of} (history mode), with its validity interval").into();
    }
    Cow::Owned(format!("Table `{name}`"))
}
