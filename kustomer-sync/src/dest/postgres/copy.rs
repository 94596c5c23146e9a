//! Binary `COPY` encoding: each cell as PostgreSQL's wire format has it,
//! with the NULs PostgreSQL cannot store replaced.

use bytes::{BufMut, BytesMut};
use kustomer_models::{Cell, LogicalType, TableDef};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::Transaction;

use super::super::dialect::Dialect;
use super::super::plan::Rows;
use super::super::sql::column_list;
use super::dialect::{pg, Failure, PostgresDialect};
use super::sql_type;

/// The wire type of a column in binary `COPY`, matching [`sql_type`].
fn copy_type(ty: LogicalType) -> Type {
    match sql_type(ty) {
        "bigint" => Type::INT8,
        "double precision" => Type::FLOAT8,
        "boolean" => Type::BOOL,
        "timestamptz" => Type::TIMESTAMPTZ,
        "jsonb" => Type::JSONB,
        _ => Type::TEXT,
    }
}

/// A cell as binary `COPY` sends it.
#[derive(Debug)]
pub(super) struct PgCell<'a>(pub(super) &'a Cell);

impl ToSql for PgCell<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        // The std impls, checked: a cell that does not fit its column is an
        // error, never bytes the server would misread.
        match self.0 {
            Cell::Null => Ok(IsNull::Yes),
            Cell::Bool(b) => b.to_sql_checked(ty, out),
            Cell::Int(i) => i.to_sql_checked(ty, out),
            Cell::Float(f) => f.to_sql_checked(ty, out),
            Cell::Timestamp(t) => t.to_sql_checked(ty, out),
            Cell::Text(s) => s.as_str().to_sql_checked(ty, out),
            Cell::Json(s) => {
                if *ty == Type::JSONB {
                    // jsonb's binary form: a version byte, then the text.
                    out.put_u8(1);
                }
                out.put_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            other => Err(format!("unsupported cell {other:?}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// JSON text with each `\u0000` escape replaced by `\uFFFD`, or `None` when
/// it has none. Other escapes (`\\u0000` is a backslash then `u0000`) stay.
fn replace_json_nul(s: &str) -> Option<String> {
    if !s.contains("\\u0000") {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut changed = false;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let esc = &rest[i..];
        if let Some(after) = esc.strip_prefix("\\u0000") {
            out.push_str("\\uFFFD");
            rest = after;
            changed = true;
        } else {
            // The backslash and the character it escapes.
            let end = esc[1..].chars().next().map_or(1, |c| 1 + c.len_utf8());
            out.push_str(&esc[..end]);
            rest = &esc[end..];
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// A copy of `row` that PostgreSQL can store, or `None` when it already can.
///
/// PostgreSQL cannot store NUL: `jsonb` rejects the escape `\u0000` and
/// `text` the character. Rather than fail the batch (and every later run on
/// the same record), such JSON stores `\uFFFD` (U+FFFD, the replacement
/// character) in its place and such text U+FFFD itself, with a warning
/// naming the table and column.
fn storable_row(def: &TableDef, row: &[Cell]) -> Option<Vec<Cell>> {
    let needs = |c: &Cell| match c {
        Cell::Json(s) => s.contains("\\u0000"),
        Cell::Text(s) => s.contains('\0'),
        _ => false,
    };
    if !row.iter().any(needs) {
        return None;
    }
    let fixed = row
        .iter()
        .zip(&def.columns)
        .map(|(cell, col)| {
            let replaced = match cell {
                Cell::Json(s) => replace_json_nul(s).map(Cell::Json),
                Cell::Text(s) if s.contains('\0') => Some(Cell::Text(s.replace('\0', "\u{FFFD}"))),
                _ => None,
            };
            match replaced {
                Some(c) => {
                    tracing::warn!(table = %def.name, column = %col.name, "NUL (which PostgreSQL cannot store) replaced with U+FFFD");
                    c
                }
                None => cell.clone(),
            }
        })
        .collect();
    Some(fixed)
}

/// Stages rows in a fresh temp table `name` with binary `COPY`.
pub(super) async fn stage(tx: &Transaction<'_>, name: &str, def: &TableDef, rows: &Rows<'_>) -> Result<(), Failure> {
    let create = PostgresDialect { schema: "" }.create_staging(name, def);
    tx.batch_execute(&create).await.map_err(pg("create staging table"))?;
    let types: Vec<Type> = def.columns.iter().map(|c| copy_type(c.ty)).collect();
    let sink = tx
        .copy_in(&format!(
            "COPY {name} ({}) FROM STDIN (FORMAT binary)",
            column_list(def, "")
        ))
        .await
        .map_err(pg("copy"))?;
    let copy_err = format!("copy rows of {}", def.name);
    let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
    for row in rows.cells() {
        if row.len() != def.columns.len() {
            // Dropping the writer aborts the COPY; the transaction rolls back.
            return Err(Failure::new(format!(
                "row for {} has {} cells, table has {} columns",
                def.name,
                row.len(),
                def.columns.len()
            )));
        }
        let fixed = storable_row(def, &row);
        // Collected: a `map(PgCell)` held across the await is not `Send` for
        // every lifetime, which the runtime's futures must be.
        let cells: Vec<PgCell<'_>> = fixed.as_deref().unwrap_or(row.as_slice()).iter().map(PgCell).collect();
        writer.as_mut().write_raw(cells).await.map_err(pg(&copy_err))?;
    }
    writer.as_mut().finish().await.map_err(pg(&copy_err))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_in_json_are_replaced_and_nothing_else() {
        assert_eq!(replace_json_nul(r#"{"a":"x"}"#), None);
        assert_eq!(
            replace_json_nul(r#"{"a":"x\u0000y","b":"\\u0000","c":"é\u0000"}"#).as_deref(),
            Some(r#"{"a":"x\uFFFDy","b":"\\u0000","c":"é\uFFFD"}"#)
        );
        assert_eq!(replace_json_nul(r#"["\\\u0000"]"#).as_deref(), Some(r#"["\\\uFFFD"]"#));
        // An escaped backslash then `u0000`: not an escape of NUL.
        assert_eq!(replace_json_nul(r#"["\\u0000"]"#), None);
    }

    #[test]
    fn every_logical_type_has_a_copy_type() {
        for (ty, want) in [
            (LogicalType::Text, Type::TEXT),
            (LogicalType::BigInt, Type::INT8),
            (LogicalType::Double, Type::FLOAT8),
            (LogicalType::Boolean, Type::BOOL),
            (LogicalType::Timestamp, Type::TIMESTAMPTZ),
            (LogicalType::Json, Type::JSONB),
        ] {
            assert_eq!(copy_type(ty), want);
        }
    }
}
