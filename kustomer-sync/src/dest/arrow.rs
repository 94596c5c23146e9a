//! Rows as Arrow record batches: the one mapping from logical types to Arrow
//! types, for DuckDB's bulk appender (and, through it, Delta's files).
//!
//! Column-major: each column is built in one pass over the rows with a typed
//! builder, so a batch costs a handful of allocations per column instead of
//! one FFI call per cell.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use kustomer_models::{Cell, LogicalType, TableDef};

use crate::error::SyncError;

/// Arrow's type for a logical type. `tz` is the zone timestamps carry
/// (`Some("UTC")` for files, `None` for DuckDB's `TIMESTAMP`). JSON is text.
pub fn arrow_type(ty: LogicalType, tz: Option<&str>) -> DataType {
    match ty {
        LogicalType::BigInt => DataType::Int64,
        LogicalType::Double => DataType::Float64,
        LogicalType::Boolean => DataType::Boolean,
        LogicalType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, tz.map(Arc::from)),
        _ => DataType::Utf8,
    }
}

/// The Arrow schema of a table (JSON columns are marked in field metadata).
pub fn schema(def: &TableDef, tz: Option<&str>) -> Schema {
    Schema::new(
        def.columns
            .iter()
            .map(|c| {
                let f = Field::new(&c.name, arrow_type(c.ty, tz), c.nullable);
                if c.ty == LogicalType::Json {
                    f.with_metadata(std::collections::HashMap::from([(
                        "logical_type".to_owned(),
                        "json".to_owned(),
                    )]))
                } else {
                    f
                }
            })
            .collect::<Vec<_>>(),
    )
}

fn mistyped(def: &TableDef, col: usize, cell: &Cell) -> SyncError {
    SyncError::Destination(format!(
        "{}.{}: a {:?} value does not fit a {:?} column",
        def.name, def.columns[col].name, cell, def.columns[col].ty
    ))
}

/// One column of `rows` as an Arrow array.
fn column<'r, R>(def: &TableDef, i: usize, rows: &[R], tz: Option<&str>) -> Result<ArrayRef, SyncError>
where
    R: AsRef<[Cell]> + 'r,
{
    let cells = rows.iter().map(|r| &r.as_ref()[i]);
    let n = rows.len();
    Ok(match def.columns[i].ty {
        LogicalType::BigInt => {
            let mut b = Int64Builder::with_capacity(n);
            for c in cells {
                match c {
                    Cell::Null => b.append_null(),
                    Cell::Int(v) => b.append_value(*v),
                    other => return Err(mistyped(def, i, other)),
                }
            }
            Arc::new(b.finish())
        }
        LogicalType::Double => {
            let mut b = Float64Builder::with_capacity(n);
            for c in cells {
                match c {
                    Cell::Null => b.append_null(),
                    Cell::Float(v) => b.append_value(*v),
                    Cell::Int(v) => b.append_value(*v as f64),
                    other => return Err(mistyped(def, i, other)),
                }
            }
            Arc::new(b.finish())
        }
        LogicalType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(n);
            for c in cells {
                match c {
                    Cell::Null => b.append_null(),
                    Cell::Bool(v) => b.append_value(*v),
                    other => return Err(mistyped(def, i, other)),
                }
            }
            Arc::new(b.finish())
        }
        LogicalType::Timestamp => {
            let mut b = TimestampMicrosecondBuilder::with_capacity(n).with_timezone_opt(tz.map(Arc::<str>::from));
            for c in cells {
                match c {
                    Cell::Null => b.append_null(),
                    Cell::Timestamp(t) => b.append_value(t.timestamp_micros()),
                    other => return Err(mistyped(def, i, other)),
                }
            }
            Arc::new(b.finish())
        }
        _ => {
            let bytes: usize = rows.iter().map(|r| r.as_ref()[i].as_str().map_or(0, str::len)).sum();
            let mut b = StringBuilder::with_capacity(n, bytes);
            for c in cells {
                match c {
                    Cell::Null => b.append_null(),
                    Cell::Text(s) | Cell::Json(s) => b.append_value(s),
                    other => return Err(mistyped(def, i, other)),
                }
            }
            Arc::new(b.finish())
        }
    })
}

/// `rows` (each aligned with `def`'s columns) as one record batch.
pub fn record_batch<R: AsRef<[Cell]>>(def: &TableDef, rows: &[R], tz: Option<&str>) -> Result<RecordBatch, SyncError> {
    if let Some(r) = rows.iter().find(|r| r.as_ref().len() != def.columns.len()) {
        return Err(SyncError::Destination(format!(
            "row for {} has {} cells, table has {} columns",
            def.name,
            r.as_ref().len(),
            def.columns.len()
        )));
    }
    let columns = (0..def.columns.len())
        .map(|i| column(def, i, rows, tz))
        .collect::<Result<Vec<_>, _>>()?;
    let schema = Arc::new(schema(def, tz));
    RecordBatch::try_new(schema, columns).map_err(|e| SyncError::Destination(format!("{}: arrow batch: {e}", def.name)))
}

#[cfg(test)]
mod tests {
    use arrow_array::{Array, Int64Array, StringArray, TimestampMicrosecondArray};
    use chrono::{TimeZone, Utc};
    use kustomer_models::Column;

    use super::*;

    fn def() -> TableDef {
        TableDef {
            name: "t".into(),
            columns: vec![
                Column::required("id", LogicalType::Text),
                Column::new("n", LogicalType::BigInt),
                Column::new("at", LogicalType::Timestamp),
                Column::new("doc", LogicalType::Json),
            ],
            primary_key: vec!["id".into()],
            parent: None,
        }
    }

    #[test]
    fn rows_become_typed_columns() {
        let at = Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap();
        let rows = vec![
            vec![
                Cell::Text("a".into()),
                Cell::Int(3),
                Cell::Timestamp(at),
                Cell::Json("{\"k\":1}".into()),
            ],
            vec![Cell::Text("b".into()), Cell::Null, Cell::Null, Cell::Null],
        ];
        let b = record_batch(&def(), &rows, Some("UTC")).unwrap();
        assert_eq!(b.num_rows(), 2);
        let ids = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(ids.value(1), "b");
        let n = b.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!((n.value(0), n.is_null(1)), (3, true));
        let t = b
            .column(2)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        assert_eq!(t.value(0), at.timestamp_micros());
        assert_eq!(b.schema().field(3).metadata()["logical_type"], "json");
    }

    #[test]
    fn a_mistyped_cell_is_an_error_naming_the_column() {
        let rows = vec![vec![
            Cell::Text("a".into()),
            Cell::Text("x".into()),
            Cell::Null,
            Cell::Null,
        ]];
        let err = record_batch(&def(), &rows, None).unwrap_err().to_string();
        assert!(err.contains("t.n"), "{err}");
        let short = vec![vec![Cell::Null]];
        assert!(record_batch(&def(), &short, None).is_err());
    }
}
