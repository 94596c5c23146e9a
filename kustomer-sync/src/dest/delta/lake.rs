//! One Delta table: create it, add columns, list and read its files, and
//! commit a rewrite (`remove` + `add` + `txn`) that fails rather than rebase
//! when another writer committed first (the caller recomputes and retries).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_schema::{DataType as ArrowType, Schema};
use deltalake_core::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake_core::kernel::{Action, DataType, Remove, StructField, Transaction};
use deltalake_core::protocol::{DeltaOperation, SaveMode};
use deltalake_core::writer::{DeltaWriter, RecordBatchWriter};
use deltalake_core::{DeltaTable, DeltaTableBuilder, DeltaTableError};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use url::Url;

use super::bridge;
use crate::error::SyncError;

pub fn err(msg: impl std::fmt::Display) -> SyncError {
    SyncError::Destination(format!("delta: {msg}"))
}

fn delta_err(what: &str, table: &str, e: DeltaTableError) -> SyncError {
    use deltalake_core::kernel::transaction::TransactionError as T;
    let lost_race = matches!(
        &e,
        DeltaTableError::Transaction {
            source: T::VersionAlreadyExists(_) | T::MaxCommitAttempts(_) | T::CommitConflict(_)
        }
    ) || matches!(&e, DeltaTableError::VersionAlreadyExists(_));
    let msg = e.to_string();
    if lost_race {
        // A commit lost a race with another writer: recompute and try again.
        return SyncError::Conflict(format!("delta: commit conflict: {table}: {what}: {msg}"));
    }
    err(format!("{table}: {what}: {msg}"))
}

/// A data file of a table.
#[derive(Debug, Clone)]
pub struct FileRef {
    pub path: String,
    pub size: i64,
    pub rows: Option<usize>,
}

/// A Delta table and what we learnt of its files.
pub struct LakeTable {
    pub name: String,
    pub table: DeltaTable,
    /// Per file: the values of its owner-key column (see `owner_key`), read
    /// once per process; files are immutable.
    keys: HashMap<String, Arc<HashSet<String>>>,
}

impl LakeTable {
    /// Opens `root/name` (which may not exist yet).
    pub async fn open(root: &Url, options: &HashMap<String, String>, name: &str) -> Result<Self, SyncError> {
        let url = root
            .join(&format!("{name}/"))
            .map_err(|e| err(format!("{name}: {e}")))?;
        // delta-rs refuses a local table location that does not exist yet.
        if let Ok(path) = url.to_file_path() {
            std::fs::create_dir_all(&path).map_err(|e| err(format!("{}: {e}", path.display())))?;
        }
        let mut table = DeltaTableBuilder::from_url(url)
            .and_then(|b| b.with_storage_options(options.clone()).build())
            .map_err(|e| delta_err("open", name, e))?;
        // Loading a table with no log makes the kernel log an error: ask first.
        let exists = (table.verify_deltatable_existence().await).map_err(|e| delta_err("open", name, e))?;
        if exists {
            match table.load().await {
                Ok(()) | Err(DeltaTableError::NotATable(_)) => {}
                Err(e) => return Err(delta_err("load", name, e)),
            }
        }
        Ok(LakeTable {
            name: name.to_owned(),
            table,
            keys: HashMap::new(),
        })
    }

    pub fn exists(&self) -> bool {
        self.table.version().is_some()
    }

    /// Reads the newest version.
    pub async fn refresh(&mut self) -> Result<(), SyncError> {
        if !self.exists() {
            let found =
                (self.table.verify_deltatable_existence().await).map_err(|e| delta_err("open", &self.name, e))?;
            if !found {
                return Ok(());
            }
            return match self.table.load().await {
                Ok(()) | Err(DeltaTableError::NotATable(_)) => Ok(()),
                Err(e) => Err(delta_err("load", &self.name, e)),
            };
        }
        match self.table.update_state().await {
            Ok(()) | Err(DeltaTableError::NotATable(_)) => Ok(()),
            Err(e) => Err(delta_err("refresh", &self.name, e)),
        }
    }

    /// Column names and Arrow types (arrow 60) of the current schema.
    pub fn columns(&self) -> Result<Vec<(String, ArrowType)>, SyncError> {
        if !self.exists() {
            return Ok(Vec::new());
        }
        let snap = self.table.snapshot().map_err(|e| delta_err("schema", &self.name, e))?;
        Ok(snap
            .schema()
            .fields()
            .map(|f| (f.name().to_owned(), arrow_of(f.data_type())))
            .collect())
    }

    /// Creates the table or adds the columns of `schema` it lacks (never
    /// drops), new columns commented from `comments`, a new table described
    /// by `about`.
    pub async fn ensure(
        &mut self,
        schema: &Schema,
        comments: &HashMap<String, String>,
        about: &str,
    ) -> Result<(), SyncError> {
        let fields: Vec<StructField> = schema
            .fields()
            .iter()
            .map(|f| {
                let field = StructField::new(f.name(), delta_type(f.data_type()), true);
                match comments.get(f.name()) {
                    Some(c) => field.with_metadata([("comment", c.as_str())]),
                    None => field,
                }
            })
            .collect();
        if !self.exists() {
            let created = self
                .table
                .create()
                .with_columns(fields.clone())
                .with_comment(about)
                .with_save_mode(SaveMode::Ignore)
                // txn entries of finished writers expire (each writer has its own app ids).
                .with_configuration_property(
                    deltalake_core::TableProperty::SetTransactionRetentionDuration,
                    Some("interval 7 days"),
                )
                .await;
            match created {
                Ok(t) => self.table = t,
                // Another writer created it first.
                Err(_) => self.refresh().await?,
            }
            if !self.exists() {
                return Err(err(format!("{}: cannot create the table", self.name)));
            }
        }
        let have: HashSet<String> = self.columns()?.into_iter().map(|(n, _)| n).collect();
        let missing: Vec<StructField> = fields.into_iter().filter(|f| !have.contains(f.name())).collect();
        if !missing.is_empty() {
            tracing::info!(table = %self.name, columns = missing.len(), "adding columns");
            let t = self.table.clone();
            self.table = t
                .add_columns()
                .with_fields(missing)
                .await
                .map_err(|e| delta_err("add columns", &self.name, e))?;
        }
        Ok(())
    }

    /// The active data files.
    pub fn files(&self) -> Result<Vec<FileRef>, SyncError> {
        if !self.exists() {
            return Ok(Vec::new());
        }
        let snap = self.table.snapshot().map_err(|e| delta_err("files", &self.name, e))?;
        Ok(snap
            .log_data()
            .iter()
            .map(|f| FileRef {
                path: f.path().into_owned(),
                size: f.size(),
                rows: f.num_records(),
            })
            .collect())
    }

    async fn bytes(&self, path: &str) -> Result<bytes::Bytes, SyncError> {
        use object_store::ObjectStoreExt as _;
        let store = self.table.object_store();
        let p = deltalake_core::Path::parse(path).map_err(|e| err(format!("{}: {path}: {e}", self.name)))?;
        let got = store
            .get(&p)
            .await
            .map_err(|e| err(format!("{}: read {path}: {e}", self.name)))?;
        got.bytes()
            .await
            .map_err(|e| err(format!("{}: read {path}: {e}", self.name)))
    }

    /// A data file's rows (arrow 60: we read with our own parquet).
    pub async fn read(&self, path: &str, columns: Option<&[&str]>) -> Result<Vec<RecordBatch>, SyncError> {
        let data = self.bytes(path).await?;
        let e = |x: parquet::errors::ParquetError| err(format!("{}: {path}: {x}", self.name));
        let mut b = ParquetRecordBatchReaderBuilder::try_new(data).map_err(e)?;
        if let Some(cols) = columns {
            let mask = ProjectionMask::columns(b.parquet_schema(), cols.iter().copied());
            b = b.with_projection(mask);
        }
        let reader = b.build().map_err(e)?;
        reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|x| err(format!("{}: {path}: {x}", self.name)))
    }

    /// Files holding any of `ids` in column `key`.
    pub async fn files_with(&mut self, key: &str, ids: &HashSet<&str>) -> Result<Vec<FileRef>, SyncError> {
        let mut out = Vec::new();
        if ids.is_empty() {
            return Ok(out);
        }
        for f in self.files()? {
            let keys = match self.keys.get(&f.path) {
                Some(k) => k.clone(),
                None => {
                    let k = Arc::new(key_set(&self.read(&f.path, Some(&[key])).await?, key));
                    self.keys.insert(f.path.clone(), k.clone());
                    k
                }
            };
            // Probe the larger set with the smaller one: a compacted file
            // holds many more keys than a batch has ids.
            let hit = if keys.len() < ids.len() {
                keys.iter().any(|k| ids.contains(k.as_str()))
            } else {
                ids.iter().any(|id| keys.contains(*id))
            };
            if hit {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// Replaces `removed` files by `batches` (arrow 60) in one commit
    /// carrying `txn`; `data_change = false` for a compaction.
    pub async fn commit(
        &mut self,
        removed: &[FileRef],
        batches: Vec<RecordBatch>,
        key: Option<&str>,
        txn: Option<Transaction>,
        data_change: bool,
    ) -> Result<(), SyncError> {
        let mut writer = RecordBatchWriter::for_table(&self.table).map_err(|e| delta_err("writer", &self.name, e))?;
        let target = writer.arrow_schema();
        let ours = bridge::delta_schema(&Schema::new(
            target
                .fields()
                .iter()
                .map(|f| arrow_schema::Field::new(f.name(), arrow_of_59(f.data_type()), true))
                .collect::<Vec<_>>(),
        ));
        let mut new_keys = HashSet::new();
        for b in batches.iter().filter(|b| b.num_rows() > 0) {
            if let Some(k) = key {
                new_keys.extend(key_set(std::slice::from_ref(b), k));
            }
            let b = bridge::to_59(bridge::conform(b, &ours)?)?;
            let b = deltalake_core::arrow::record_batch::RecordBatch::try_new(target.clone(), b.columns().to_vec())
                .map_err(|e| err(format!("{}: batch: {e}", self.name)))?;
            writer.write(b).await.map_err(|e| delta_err("write", &self.name, e))?;
        }
        let adds = writer.flush().await.map_err(|e| delta_err("flush", &self.name, e))?;
        let now = chrono::Utc::now().timestamp_millis();
        let new_paths: Vec<String> = adds.iter().map(|a| a.path.clone()).collect();
        let mut actions: Vec<Action> = removed
            .iter()
            .map(|f| {
                Action::Remove(Remove {
                    path: f.path.clone(),
                    data_change,
                    deletion_timestamp: Some(now),
                    extended_file_metadata: Some(true),
                    partition_values: Some(HashMap::new()),
                    size: Some(f.size),
                    tags: None,
                    deletion_vector: None,
                    base_row_id: None,
                    default_row_commit_version: None,
                })
            })
            .collect();
        actions.extend(adds.into_iter().map(|mut a| {
            a.data_change = data_change;
            Action::Add(a)
        }));
        if actions.is_empty() && txn.is_none() {
            return Ok(());
        }
        let op = if data_change {
            DeltaOperation::Write {
                mode: SaveMode::Append,
                partition_by: None,
                predicate: None,
            }
        } else {
            DeltaOperation::Optimize {
                predicate: None,
                target_size: 0,
            }
        };
        let props = CommitProperties::default()
            .with_application_transactions(txn.into_iter().collect())
            .with_max_retries(0);
        let snap = self
            .table
            .snapshot()
            .map_err(|e| delta_err("snapshot", &self.name, e))?;
        let done = CommitBuilder::from(props)
            .with_actions(actions)
            .build(Some(snap), self.table.log_store(), op)
            .await;
        match done {
            Ok(_) => {
                self.refresh().await?;
                if let (Some(_), [path]) = (key, new_paths.as_slice()) {
                    self.keys.insert(path.clone(), Arc::new(new_keys));
                }
                Ok(())
            }
            Err(e) => Err(delta_err("commit", &self.name, e)),
        }
    }

    /// The last `txn` version the table holds for `app`.
    pub async fn txn_version(&self, app: &str) -> Result<Option<i64>, SyncError> {
        if !self.exists() {
            return Ok(None);
        }
        let snap = self.table.snapshot().map_err(|e| delta_err("txn", &self.name, e))?;
        snap.transaction_version(self.table.log_store().as_ref(), app)
            .await
            .map_err(|e| delta_err("txn", &self.name, e))
    }
}

fn key_set(batches: &[RecordBatch], key: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for b in batches {
        let Ok(i) = b.schema().index_of(key) else { continue };
        if let Some(a) = b.column(i).as_any().downcast_ref::<StringArray>() {
            out.extend((0..a.len()).filter(|&r| !a.is_null(r)).map(|r| a.value(r).to_owned()));
        }
    }
    out
}

/// Delta's type for an Arrow column type (all we write).
fn delta_type(t: &ArrowType) -> DataType {
    match t {
        ArrowType::Int64 => DataType::LONG,
        ArrowType::Float64 => DataType::DOUBLE,
        ArrowType::Boolean => DataType::BOOLEAN,
        ArrowType::Timestamp(..) => DataType::TIMESTAMP,
        _ => DataType::STRING,
    }
}

fn arrow_of(t: &DataType) -> ArrowType {
    use arrow_schema::TimeUnit::Microsecond;
    if *t == DataType::LONG || *t == DataType::INTEGER {
        ArrowType::Int64
    } else if *t == DataType::DOUBLE {
        ArrowType::Float64
    } else if *t == DataType::BOOLEAN {
        ArrowType::Boolean
    } else if *t == DataType::TIMESTAMP || *t == DataType::TIMESTAMP_NTZ {
        ArrowType::Timestamp(Microsecond, Some("UTC".into()))
    } else {
        ArrowType::Utf8
    }
}

fn arrow_of_59(t: &deltalake_core::arrow::datatypes::DataType) -> ArrowType {
    use deltalake_core::arrow::datatypes::DataType as T;
    match t {
        T::Int64 | T::Int32 => ArrowType::Int64,
        T::Float64 => ArrowType::Float64,
        T::Boolean => ArrowType::Boolean,
        T::Timestamp(..) => ArrowType::Timestamp(arrow_schema::TimeUnit::Microsecond, Some("UTC".into())),
        _ => ArrowType::Utf8,
    }
}
