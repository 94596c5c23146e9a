//! Parquet destination (being written).

use super::{Destination, StreamTables, WriteBatch, WriteStats};
use crate::error::SyncError;

/// A directory of Parquet files.
#[derive(Debug)]
pub struct ParquetDestination {}

impl ParquetDestination {
    /// Opens a directory.
    pub fn open(dir: impl AsRef<std::path::Path>) -> Result<Self, SyncError> {
        let _ = dir;
        Err(SyncError::Config("parquet: not built yet".into()))
    }
}

impl Destination for ParquetDestination {
    fn prepare(&mut self, _: &StreamTables) -> Result<(), SyncError> {
        unimplemented!()
    }
    fn bookmark(&mut self, _: &str) -> Result<Option<String>, SyncError> {
        unimplemented!()
    }
    fn reset(&mut self, _: &str) -> Result<(), SyncError> {
        unimplemented!()
    }
    fn write(&mut self, _: WriteBatch) -> Result<WriteStats, SyncError> {
        unimplemented!()
    }
    fn row_count(&mut self, _: &str) -> Result<u64, SyncError> {
        unimplemented!()
    }
}
