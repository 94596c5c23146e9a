//! SQL text shared by the SQL destinations (DuckDB, PostgreSQL): both quote
//! identifiers the standard way.

use kustomer_models::TableDef;

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
