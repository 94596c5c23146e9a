//! SQL text shared by the SQL destinations (DuckDB, PostgreSQL): both quote
//! identifiers the standard way.

use std::collections::HashMap;

use kustomer_models::{Column, TableDef};

/// Quotes an identifier (`"name"`, inner quotes doubled).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"a", "b"`: a table's columns, each name prefixed with `alias` (`s.`).
pub fn column_list(def: &TableDef, alias: &str) -> String {
    let cols: Vec<String> = def
        .columns
        .iter()
        .map(|c| format!("{alias}{}", ident(&c.name)))
        .collect();
    cols.join(", ")
}

/// A string literal (`'…'`, inner quotes doubled).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The comment a column carries in the database: its meaning, and where the
/// API has it (bookkeeping columns, whose source is `(sync)`, say only what
/// they mean).
pub fn column_comment(def: &TableDef, col: &Column) -> Option<String> {
    let (doc, source) = crate::docs::column_doc(def, col);
    let doc = doc?;
    Some(match source {
        Some(s) if !s.starts_with('(') => format!("{}. API: {s}", doc.trim_end_matches('.')),
        _ => doc.into_owned(),
    })
}

/// `COMMENT ON` statements that bring a table's comments to what its
/// definition says; comments already stored as they should be are skipped,
/// so a run changes nothing unless a meaning (or a custom attribute's
/// `displayName`) did. `table` is the table as SQL names it; `stored`
/// holds each column's stored comment by the name the database stores.
pub fn comment_statements(
    table: &str,
    def: &TableDef,
    stored_table: Option<&str>,
    stored: &HashMap<String, Option<String>>,
    stored_name: impl Fn(&str) -> &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let meaning = crate::docs::table_doc(def);
    if stored_table != Some(meaning.as_ref()) {
        out.push(format!("COMMENT ON TABLE {table} IS {}", literal(&meaning)));
    }
    for c in &def.columns {
        let Some(comment) = column_comment(def, c) else {
            continue;
        };
        // A column not there (excluded from the selection) gets none.
        let Some(current) = stored.get(stored_name(&c.name)) else {
            continue;
        };
        if current.as_deref() != Some(comment.as_str()) {
            out.push(format!(
                "COMMENT ON COLUMN {table}.{} IS {}",
                ident(&c.name),
                literal(&comment)
            ));
        }
    }
    out
}
