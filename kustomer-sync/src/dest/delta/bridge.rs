//! Arrow across versions: our rows and DuckDB speak arrow 60, deltalake
//! arrow 59. Batches cross over the Arrow C data interface (zero copy), and
//! their columns are conformed to a target schema by name (missing columns
//! as NULLs, timestamps re-zoned: Delta's are UTC, DuckDB's `TIMESTAMP` naive).

use std::sync::Arc;

use arrow_array::{new_null_array, Array, ArrayRef, RecordBatch, StringArray, StructArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use deltalake_core::arrow as a59;

use crate::error::SyncError;

fn err(msg: impl std::fmt::Display) -> SyncError {
    SyncError::Destination(format!("delta: {msg}"))
}

/// `batch` with exactly `schema`'s columns: taken by name, NULL when absent,
/// timestamps given the schema's zone, anything stringly as UTF-8.
pub fn conform(batch: &RecordBatch, schema: &Arc<Schema>) -> Result<RecordBatch, SyncError> {
    let n = batch.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|f| match batch.schema().index_of(f.name()) {
            Err(_) => Ok(new_null_array(f.data_type(), n)),
            Ok(i) => retype(batch.column(i), f),
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(n)),
    )
    .map_err(|e| err(format!("conform batch: {e}")))
}

fn retype(col: &ArrayRef, to: &Field) -> Result<ArrayRef, SyncError> {
    if col.data_type() == to.data_type() {
        return Ok(col.clone());
    }
    match (col.data_type(), to.data_type()) {
        (DataType::Timestamp(TimeUnit::Microsecond, _), DataType::Timestamp(TimeUnit::Microsecond, tz)) => {
            let ts = TimestampMicrosecondArray::from(col.to_data());
            Ok(Arc::new(ts.with_timezone_opt(tz.clone())))
        }
        (DataType::Utf8View | DataType::LargeUtf8, DataType::Utf8) => {
            let s: StringArray = (0..col.len())
                .map(|i| string_at(col, i))
                .collect::<Option<Vec<_>>>()
                .map(|v| v.into_iter().collect())
                .ok_or_else(|| err(format!("{}: not text", to.name())))?;
            Ok(Arc::new(s))
        }
        (from, want) => Err(err(format!("column {}: {from} cannot become {want}", to.name()))),
    }
}

fn string_at(col: &ArrayRef, i: usize) -> Option<Option<String>> {
    if col.is_null(i) {
        return Some(None);
    }
    if let Some(a) = col.as_any().downcast_ref::<arrow_array::StringViewArray>() {
        return Some(Some(a.value(i).to_owned()));
    }
    col.as_any()
        .downcast_ref::<arrow_array::LargeStringArray>()
        .map(|a| Some(a.value(i).to_owned()))
}

/// An arrow 60 batch as an arrow 59 one (the same buffers).
pub fn to_59(batch: RecordBatch) -> Result<a59::record_batch::RecordBatch, SyncError> {
    let n = batch.num_rows();
    let data = StructArray::from(batch).into_data();
    let (mut array, mut schema) = arrow_array::ffi::to_ffi(&data).map_err(|e| err(format!("export: {e}")))?;
    // SAFETY: both versions' FFI structs are the `#[repr(C)]` ArrowArray and
    // ArrowSchema of the C data interface; `from_raw` moves the release
    // callbacks over and leaves ours empty, so each is released once.
    let (array, schema) = unsafe {
        (
            a59::ffi::FFI_ArrowArray::from_raw(&mut array as *mut _ as *mut a59::ffi::FFI_ArrowArray),
            a59::ffi::FFI_ArrowSchema::from_raw(&mut schema as *mut _ as *mut a59::ffi::FFI_ArrowSchema),
        )
    };
    // SAFETY: a valid array and schema, just exported.
    let data = unsafe { a59::ffi::from_ffi(array, &schema) }.map_err(|e| err(format!("import: {e}")))?;
    let s = a59::array::StructArray::from(data);
    let b = a59::record_batch::RecordBatch::from(s);
    debug_assert_eq!(b.num_rows(), n);
    Ok(b)
}

/// Delta's view of a table schema: every column nullable (a parent's
/// columns hold NULLs, and a Delta column can never become required), no
/// field metadata, timestamps in UTC.
pub fn delta_schema(schema: &Schema) -> Arc<Schema> {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| {
                let ty = match f.data_type() {
                    DataType::Timestamp(u, _) => DataType::Timestamp(*u, Some("UTC".into())),
                    other => other.clone(),
                };
                Field::new(f.name(), ty, true)
            })
            .collect::<Vec<_>>(),
    ))
}
