//! A table's files during a run: appending a phase's rows to the open file
//! (a new file when the columns grow), and reading rows back (sealing the
//! open file first when it may hold them).

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch};
use kustomer_models::{Cell, Column, TableDef};

use super::convert::{cell_at, int_at, logical_type, text_at, SEQ, TZ};
use super::files::{self, OpenFile};
use super::registry::file_columns;
use super::rows::{Fetched, Key, KeyPart, Pending, Rows};
use super::{err, ParquetDestination};
use crate::error::SyncError;

impl ParquetDestination {
    /// Closes a table's open file, so it can be read (the table's next rows
    /// go to a new file).
    pub(super) fn seal(&mut self, table: &str) -> Result<(), SyncError> {
        if let Some(tf) = self.tables.get_mut(table) {
            if let Some(open) = tf.open.take() {
                tf.files.push(open.seal().map_err(err)?);
            }
        }
        Ok(())
    }

    /// Reads `cols` of every row of a table.
    pub(super) fn scan(
        &mut self,
        table: &str,
        cols: &[&str],
        mut f: impl FnMut(&RecordBatch) -> Result<(), String>,
    ) -> Result<(), SyncError> {
        self.seal(table)?;
        let paths: Vec<PathBuf> = self
            .tables
            .get(table)
            .map(|t| t.files.iter().map(|f| f.path.clone()).collect())
            .unwrap_or_default();
        for p in &paths {
            files::read(p, Some(cols), None, &mut f).map_err(err)?;
        }
        Ok(())
    }

    /// The rows of a table whose `key_cols` and `_seq` equal one of `wanted`.
    pub(super) fn fetch(
        &mut self,
        table: &str,
        key_cols: &[&str],
        wanted: &HashSet<Key>,
    ) -> Result<Vec<Fetched>, SyncError> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let seqs: BTreeSet<i64> = wanted
            .iter()
            .filter_map(|k| match k.last() {
                Some(KeyPart::Int(s)) => Some(*s),
                _ => None,
            })
            .collect();
        let open_holds = self
            .tables
            .get(table)
            .and_then(|t| t.open.as_ref())
            .is_some_and(|o| o.may_hold(&seqs));
        if open_holds {
            self.seal(table)?;
        }
        let paths: Vec<PathBuf> = self
            .tables
            .get(table)
            .map(|t| {
                t.files
                    .iter()
                    .filter(|f| f.may_hold(&seqs))
                    .map(|f| f.path.clone())
                    .collect()
            })
            .unwrap_or_default();
        let def = self.registry.defs.get(table);
        let mut out = Vec::new();
        for p in &paths {
            files::read(p, None, Some(&seqs), |batch| {
                let schema = batch.schema();
                let mut cols = Vec::new();
                let mut idx = Vec::new();
                for (i, f) in schema.fields().iter().enumerate() {
                    if f.name() == SEQ {
                        continue;
                    }
                    let ty = def
                        .and_then(|d| d.column_index(f.name()).map(|j| d.columns[j].ty))
                        .unwrap_or_else(|| logical_type(f));
                    cols.push(Column {
                        nullable: f.is_nullable(),
                        ..Column::new(f.name().clone(), ty)
                    });
                    idx.push(i);
                }
                let cols = Arc::new(cols);
                let key_idx: Vec<Option<usize>> = key_cols.iter().map(|k| schema.index_of(k).ok()).collect();
                let seq_idx = schema.index_of(SEQ).map_err(|e| e.to_string())?;
                for row in 0..batch.num_rows() {
                    let mut k: Key = key_idx
                        .iter()
                        .map(|i| match i {
                            None => KeyPart::Null,
                            Some(i) => match text_at(batch, *i, row) {
                                Some(s) => KeyPart::Text(s.to_owned()),
                                None => int_at(batch, *i, row).map_or(KeyPart::Null, KeyPart::Int),
                            },
                        })
                        .collect();
                    k.push(int_at(batch, seq_idx, row).map_or(KeyPart::Null, KeyPart::Int));
                    if wanted.contains(&k) {
                        let cells = idx
                            .iter()
                            .zip(cols.iter())
                            .map(|(i, c)| cell_at(batch.column(*i).as_ref(), c.ty, row))
                            .collect();
                        out.push(Fetched {
                            columns: cols.clone(),
                            key: k,
                            cells,
                        });
                    }
                }
                Ok(())
            })
            .map_err(err)?;
        }
        Ok(out)
    }

    /// Appends one phase's rows, one record batch per table.
    pub(super) fn flush(&mut self, pending: Pending) -> Result<(), SyncError> {
        for (table, rows) in pending.0 {
            if !rows.rows.is_empty() {
                self.append(&table, rows)?;
            }
        }
        Ok(())
    }

    pub(super) fn append(&mut self, table: &str, rows: Rows) -> Result<(), SyncError> {
        let run_id = self.run.as_ref().map(|r| r.id.clone()).ok_or_else(|| err("no run"))?;
        let tf = self.tables.entry(table.to_owned()).or_default();
        let fits = tf
            .open
            .as_ref()
            .is_some_and(|o| o.holds(rows.columns.iter().map(|c| &c.name)));
        if !fits {
            // New columns (schema evolution) start the table's next file.
            let mut previous = Vec::new();
            if let Some(open) = tf.open.take() {
                previous = open.columns().to_vec();
                tf.files.push(open.seal().map_err(err)?);
            }
            let known = self.registry.defs.get(table);
            let def = TableDef {
                name: table.to_owned(),
                columns: file_columns(known, &previous, &rows.columns),
                primary_key: known.map(|d| d.primary_key.clone()).unwrap_or_default(),
                parent: known.and_then(|d| d.parent.clone()),
            };
            let name = format!("{run_id}-{}.parquet", tf.parts);
            tf.parts += 1;
            tf.open = Some(OpenFile::create(&self.dir.join(table), name, def).map_err(err)?);
        }
        let open = tf.open.as_mut().expect("opened above");
        // The rows in the file's column order (cells moved; NULL where a row
        // lacks a column), then `_seq`.
        let positions: Vec<Option<usize>> = open
            .columns()
            .iter()
            .map(|c| rows.columns.iter().position(|r| r.name == c.name))
            .collect();
        let mut seqs = Vec::with_capacity(rows.rows.len());
        let aligned: Vec<Vec<Cell>> = rows
            .rows
            .into_iter()
            .map(|(mut row, seq)| {
                seqs.push(seq);
                positions
                    .iter()
                    .map(|p| {
                        p.and_then(|p| row.get_mut(p))
                            .map_or(Cell::Null, |c| std::mem::replace(c, Cell::Null))
                    })
                    .collect()
            })
            .collect();
        let batch = crate::dest::arrow::record_batch(&open.def, &aligned, Some(TZ))?;
        let min = seqs.iter().copied().min().unwrap_or_default();
        let max = seqs.iter().copied().max().unwrap_or_default();
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(Int64Array::from(seqs)));
        let batch = RecordBatch::try_new(open.schema.clone(), columns).map_err(|e| err(format!("{table}: {e}")))?;
        open.append(&batch, min, max).map_err(err)
    }
}
