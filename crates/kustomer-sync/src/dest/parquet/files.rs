//! Data files: the one open writer of a table, the files it sealed, and
//! reading them back (projected, and pruned to the row groups whose `_seq`
//! range can hold the rows asked for).

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use kustomer_models::{Column, TableDef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::statistics::Statistics;

use super::convert::{file_schema, SEQ};

/// A data file of a table: committed (named in a manifest) or written by
/// the current run and sealed (complete, still under its temporary name).
#[derive(Debug, Clone)]
pub struct FileRef {
    /// Where the file is now.
    pub path: PathBuf,
    /// Its final name inside the table's directory.
    pub name: String,
    /// Rows it holds.
    pub rows: u64,
    /// Smallest `_seq` it holds.
    pub min_seq: i64,
    /// Greatest `_seq` it holds.
    pub max_seq: i64,
    /// Listed in a manifest.
    pub committed: bool,
}

impl FileRef {
    /// Whether the file may hold a row of one of `seqs`.
    pub fn may_hold(&self, seqs: &BTreeSet<i64>) -> bool {
        seqs.range(self.min_seq..=self.max_seq).next().is_some()
    }
}

/// The file a table's rows are appended to during a run.
pub struct OpenFile {
    writer: ArrowWriter<File>,
    /// Its columns (without `_seq`), as a table definition.
    pub def: TableDef,
    /// Its Arrow schema (the columns, then `_seq`).
    pub schema: SchemaRef,
    tmp: PathBuf,
    name: String,
    rows: u64,
    min_seq: i64,
    max_seq: i64,
}

/// Row groups small enough that a read by `_seq` skips most of a file, and
/// that the writer's buffer (one row group) stays small.
const ROW_GROUP_ROWS: usize = 64 * 1024;
const ROW_GROUP_BYTES: usize = 32 << 20;

impl OpenFile {
    /// Creates `table_dir/.name.tmp` with the columns of `def`.
    pub fn create(table_dir: &Path, name: String, def: TableDef) -> Result<OpenFile, String> {
        std::fs::create_dir_all(table_dir).map_err(|e| format!("create {}: {e}", table_dir.display()))?;
        let tmp = table_dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp).map_err(|e| format!("create {}: {e}", tmp.display()))?;
        let schema = file_schema(&def);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|e| format!("open writer {}: {e}", tmp.display()))?;
        Ok(OpenFile {
            writer,
            def,
            schema,
            tmp,
            name,
            rows: 0,
            min_seq: i64::MAX,
            max_seq: i64::MIN,
        })
    }

    /// Its columns (without `_seq`).
    pub fn columns(&self) -> &[Column] {
        &self.def.columns
    }

    /// Whether rows with these columns fit this file.
    pub fn holds(&self, names: impl IntoIterator<Item = impl AsRef<str>>) -> bool {
        names
            .into_iter()
            .all(|n| self.def.columns.iter().any(|c| c.name == n.as_ref()))
    }

    /// Whether the file may hold a row of one of `seqs`.
    pub fn may_hold(&self, seqs: &BTreeSet<i64>) -> bool {
        self.rows > 0 && seqs.range(self.min_seq..=self.max_seq).next().is_some()
    }

    /// Appends a record batch whose `_seq` values lie in `min..=max`.
    pub fn append(&mut self, batch: &RecordBatch, min: i64, max: i64) -> Result<(), String> {
        self.writer
            .write(batch)
            .map_err(|e| format!("write {}: {e}", self.tmp.display()))?;
        self.rows += batch.num_rows() as u64;
        self.min_seq = self.min_seq.min(min);
        self.max_seq = self.max_seq.max(max);
        Ok(())
    }

    /// Writes the footer and syncs the file to disk; it keeps its temporary name.
    pub fn seal(self) -> Result<FileRef, String> {
        let tmp = self.tmp;
        let file = self
            .writer
            .into_inner()
            .map_err(|e| format!("close {}: {e}", tmp.display()))?;
        file.sync_all().map_err(|e| format!("sync {}: {e}", tmp.display()))?;
        Ok(FileRef {
            path: tmp,
            name: self.name,
            rows: self.rows,
            min_seq: self.min_seq,
            max_seq: self.max_seq,
            committed: false,
        })
    }

    /// Abandons the file (an aborted run): closes and deletes it.
    pub fn discard(self) {
        let tmp = self.tmp.clone();
        drop(self.writer);
        let _ = std::fs::remove_file(tmp);
    }
}

/// Reads a file: only the columns named in `columns` (all if `None`; names
/// the file lacks are skipped), and with `seqs`, only the row groups whose
/// `_seq` range may hold one of them. Each record batch goes to `f`.
pub fn read(
    path: &Path,
    columns: Option<&[&str]>,
    seqs: Option<&BTreeSet<i64>>,
    mut f: impl FnMut(&RecordBatch) -> Result<(), String>,
) -> Result<(), String> {
    let ctx = |e: &dyn std::fmt::Display| format!("read {}: {e}", path.display());
    let file = File::open(path).map_err(|e| ctx(&e))?;
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| ctx(&e))?;
    let descr = builder.parquet_schema();
    let seq_col = descr.columns().iter().position(|c| c.name() == SEQ);
    let mask = columns.map(|names| {
        let roots: Vec<usize> = descr
            .root_schema()
            .get_fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| names.contains(&f.name()))
            .map(|(i, _)| i)
            .collect();
        ProjectionMask::roots(descr, roots)
    });
    if let Some(mask) = mask {
        builder = builder.with_projection(mask);
    }
    if let Some(seqs) = seqs {
        let groups: Vec<usize> = builder
            .metadata()
            .row_groups()
            .iter()
            .enumerate()
            .filter(|(_, rg)| {
                let stats = seq_col.and_then(|i| rg.column(i).statistics());
                match stats {
                    Some(Statistics::Int64(s)) => match (s.min_opt(), s.max_opt()) {
                        (Some(min), Some(max)) => seqs.range(*min..=*max).next().is_some(),
                        _ => true,
                    },
                    _ => true,
                }
            })
            .map(|(i, _)| i)
            .collect();
        if groups.is_empty() {
            return Ok(());
        }
        builder = builder.with_row_groups(groups);
    }
    let reader = builder.with_batch_size(8192).build().map_err(|e| ctx(&e))?;
    for batch in reader {
        f(&batch.map_err(|e| ctx(&e))?)?;
    }
    Ok(())
}
