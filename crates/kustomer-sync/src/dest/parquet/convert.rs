//! The files' Arrow schema (from the shared mapping in `dest::arrow`), and
//! cells back out of the arrays a file holds.

use std::sync::Arc;

use arrow_array::{Array, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, FieldRef, Schema, SchemaRef};
use chrono::{DateTime, Utc};
use kustomer_models::{Cell, LogicalType, TableDef};

/// The write-sequence column every file ends with.
pub const SEQ: &str = "_seq";
/// Field metadata key naming the logical type where Arrow's own type loses
/// it (JSON is stored as UTF-8).
pub const LOGICAL_TYPE_KEY: &str = "logical_type";

/// The zone of every timestamp in the files.
pub const TZ: &str = "UTC";

/// A file's schema: the table's columns as [`crate::dest::arrow::schema`]
/// maps them (the one logical → Arrow mapping), then [`SEQ`].
pub fn file_schema(def: &TableDef) -> SchemaRef {
    let mut fields: Vec<FieldRef> = crate::dest::arrow::schema(def, Some(TZ))
        .fields()
        .iter()
        .cloned()
        .collect();
    fields.push(Arc::new(Field::new(SEQ, DataType::Int64, false)));
    Arc::new(Schema::new(fields))
}

/// The logical type a field of a file holds (the inverse of
/// [`crate::dest::arrow::arrow_type`]).
pub fn logical_type(field: &Field) -> LogicalType {
    match field.data_type() {
        DataType::Int64 => LogicalType::BigInt,
        DataType::Float64 => LogicalType::Double,
        DataType::Boolean => LogicalType::Boolean,
        DataType::Timestamp(..) => LogicalType::Timestamp,
        _ if field.metadata().get(LOGICAL_TYPE_KEY).map(String::as_str) == Some("json") => LogicalType::Json,
        _ => LogicalType::Text,
    }
}

/// The cell at `row` of an array read back from a file, as a column of
/// type `ty` holds it.
pub fn cell_at(array: &dyn Array, ty: LogicalType, row: usize) -> Cell {
    if array.is_null(row) {
        return Cell::Null;
    }
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        let s = a.value(row).to_owned();
        return if ty == LogicalType::Json {
            Cell::Json(s)
        } else {
            Cell::Text(s)
        };
    }
    if let Some(a) = any.downcast_ref::<Int64Array>() {
        return Cell::Int(a.value(row));
    }
    if let Some(a) = any.downcast_ref::<Float64Array>() {
        return Cell::Float(a.value(row));
    }
    if let Some(a) = any.downcast_ref::<BooleanArray>() {
        return Cell::Bool(a.value(row));
    }
    if let Some(a) = any.downcast_ref::<TimestampMicrosecondArray>() {
        return DateTime::<Utc>::from_timestamp_micros(a.value(row)).map_or(Cell::Null, Cell::Timestamp);
    }
    Cell::Null
}

/// The value at `row` of a column as a text key part, if it is text.
pub fn text_at(batch: &RecordBatch, col: usize, row: usize) -> Option<&str> {
    let a = batch.column(col).as_any().downcast_ref::<StringArray>()?;
    (!a.is_null(row)).then(|| a.value(row))
}

/// The value at `row` of an integer or timestamp column (microseconds).
pub fn int_at(batch: &RecordBatch, col: usize, row: usize) -> Option<i64> {
    let array = batch.column(col);
    if array.is_null(row) {
        return None;
    }
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<Int64Array>() {
        return Some(a.value(row));
    }
    any.downcast_ref::<TimestampMicrosecondArray>().map(|a| a.value(row))
}

/// The value at `row` of a boolean column.
pub fn bool_at(batch: &RecordBatch, col: usize, row: usize) -> Option<bool> {
    let a = batch.column(col).as_any().downcast_ref::<BooleanArray>()?;
    (!a.is_null(row)).then(|| a.value(row))
}
