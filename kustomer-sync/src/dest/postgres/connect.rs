//! Connecting: the URL (its `schema` parameter, its password kept out of
//! errors), the schema and bookmark table, and each table's DDL and comments.

use std::collections::HashMap;

use deadpool_postgres::Pool;
use kustomer_models::TableDef;

use super::super::sql::{comment_statements, ident};
use super::dialect::{pg, pool_err, qualified, Failure};
use super::{sql_type, STATE_TABLE};
use crate::error::SyncError;

/// The name PostgreSQL stores for an identifier: at most 63 bytes
/// (`NAMEDATALEN - 1`); longer names are truncated, in DDL and queries alike.
pub(super) fn stored_name(name: &str) -> &str {
    if name.len() <= 63 {
        return name;
    }
    let mut end = 63;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Splits a `schema=NAME` parameter off a URL: tokio-postgres refuses
/// parameters it does not know.
pub(super) fn split_schema(url: &str) -> Result<(String, Option<String>), SyncError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None));
    };
    let mut schema = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("schema", v)) => schema = Some(percent_decode(v)?),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, schema))
}

fn percent_decode(s: &str) -> Result<String, SyncError> {
    let bad = || SyncError::Config("postgres: the schema parameter is not valid percent-encoded UTF-8".into());
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// The URL's password, as written and percent-decoded, to keep it out of
/// error messages.
pub(super) fn password_of(url: &str) -> Vec<String> {
    let Some((_, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return Vec::new();
    };
    let Some((_, password)) = userinfo.split_once(':') else {
        return Vec::new();
    };
    let mut out = vec![password.to_owned()];
    if let Ok(decoded) = percent_decode(password) {
        out.push(decoded);
    }
    out
}

/// The schema and the bookmark table.
pub(super) async fn setup(pool: &Pool, schema: &str) -> Result<(), Failure> {
    let client = pool.get().await.map_err(pool_err("connect"))?;
    // `CREATE SCHEMA IF NOT EXISTS` needs the CREATE privilege even when the
    // schema exists: ask first, so a user who may only write into it can.
    let exists = client
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .await
        .map_err(pg("read schemas"))?
        .is_some();
    if !exists {
        client
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", ident(schema)))
            .await
            .map_err(pg("create schema"))?;
    }
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {} (stream text PRIMARY KEY, bookmark text NOT NULL, updated_at timestamptz NOT NULL)",
            qualified(schema, STATE_TABLE)
        ))
        .await
        .map_err(pg("create state table"))
}

/// Creates a table if missing and adds its missing columns (never drops);
/// returns the columns it now has.
pub(super) async fn ensure_table(pool: &Pool, schema: &str, def: &TableDef) -> Result<Vec<String>, Failure> {
    let mut client = pool.get().await.map_err(pool_err("connect"))?;
    let table = qualified(schema, &def.name);
    let mut cols: Vec<String> = def
        .columns
        .iter()
        .map(|c| {
            let null = if c.nullable { "" } else { " NOT NULL" };
            format!("{} {}{null}", ident(&c.name), sql_type(c.ty))
        })
        .collect();
    if !def.primary_key.is_empty() {
        let pk: Vec<String> = def.primary_key.iter().map(|k| ident(k)).collect();
        cols.push(format!("PRIMARY KEY ({})", pk.join(", ")));
    }
    let mut tx = tokio_postgres::Client::transaction(&mut client)
        .await
        .map_err(pg("begin"))?;
    // Two handles preparing the same new table at once would both try to
    // create it (`IF NOT EXISTS` does not cover a concurrent creation): the
    // table's DDL is serialized by a transaction-scoped advisory lock.
    tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&table])
        .await
        .map_err(pg("lock table definition"))?;
    tx.batch_execute(&format!("CREATE TABLE IF NOT EXISTS {table} ({})", cols.join(", ")))
        .await
        .map_err(pg("create table"))?;
    // Schema evolution: add what is missing, never drop what is there.
    let rows = tx
        .query(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
            &[&schema, &stored_name(&def.name)],
        )
        .await
        .map_err(pg("read columns"))?;
    let mut existing: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    for c in &def.columns {
        let name = stored_name(&c.name);
        if !existing.iter().any(|e| e == name) {
            tracing::info!(table = %def.name, column = %c.name, "adding column");
            tx.batch_execute(&format!(
                "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {} {}",
                ident(&c.name),
                sql_type(c.ty)
            ))
            .await
            .map_err(pg("add column"))?;
            existing.push(name.to_owned());
        }
    }
    comment(&mut tx, &table, def).await;
    tx.commit().await.map_err(pg("commit table definition"))?;
    Ok(existing)
}

/// Brings the table's and its columns' comments to their meanings
/// (`COMMENT ON`), so a SQL client browsing the schema shows them. Only the
/// table's owner may comment: a role that may just write into a table made
/// by another gets a warning, not a failed sync (a savepoint keeps the
/// table definition's transaction alive).
async fn comment(tx: &mut tokio_postgres::Transaction<'_>, table: &str, def: &TableDef) {
    let done: Result<(), Failure> = async {
        let sp = tx.savepoint("kustomer_comments").await.map_err(pg("savepoint"))?;
        let stored_table: Option<String> = sp
            .query_one("SELECT obj_description(to_regclass($1), 'pg_class')", &[&table])
            .await
            .map_err(pg("read comments"))?
            .get(0);
        let rows = sp
            .query(
                "SELECT attname::text, col_description(attrelid, attnum) FROM pg_attribute
                 WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
                &[&table],
            )
            .await
            .map_err(pg("read comments"))?;
        let stored: HashMap<String, Option<String>> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let sql = comment_statements(table, def, stored_table.as_deref(), &stored, stored_name);
        if !sql.is_empty() {
            sp.batch_execute(&sql.join(";\n")).await.map_err(pg("comment"))?;
        }
        sp.commit().await.map_err(pg("release savepoint"))
    }
    .await;
    if let Err(e) = done {
        tracing::warn!(table = %def.name, error = %e.message, "cannot comment the table (only its owner may); comments skipped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_parameter_is_split_off() {
        let (url, schema) = split_schema("postgres://u:p@h:5/db?sslmode=disable&schema=my%20s").unwrap();
        assert_eq!(url, "postgres://u:p@h:5/db?sslmode=disable");
        assert_eq!(schema.as_deref(), Some("my s"));
        let (url, schema) = split_schema("postgresql://h/db?schema=x").unwrap();
        assert_eq!((url.as_str(), schema.as_deref()), ("postgresql://h/db", Some("x")));
        let (url, schema) = split_schema("postgres://h/db").unwrap();
        assert_eq!((url.as_str(), schema), ("postgres://h/db", None));
    }

    #[test]
    fn the_password_is_found_for_redaction() {
        assert_eq!(password_of("postgres://u:p%40ss@h:5/db"), vec!["p%40ss", "p@ss"]);
        assert!(password_of("postgres://u@h/db").is_empty());
        assert!(password_of("postgres://h/db?user=a").is_empty());
    }

    #[test]
    fn long_names_are_cut_as_postgres_stores_them() {
        let long = "é".repeat(40);
        assert_eq!(stored_name(&long).len(), 62);
        assert_eq!(stored_name("short"), "short");
    }
}
