//! PostgreSQL destination (being written).

use super::{Destination, StreamTables, WriteBatch, WriteStats};
use crate::error::SyncError;

/// A PostgreSQL database.
#[derive(Debug)]
pub struct PostgresDestination {}

impl PostgresDestination {
    /// Connects to a `postgres://` URL.
    pub fn connect_url(url: &str) -> Result<Self, SyncError> {
        let _ = url;
        Err(SyncError::Config("postgres: not built yet".into()))
    }
}

impl Destination for PostgresDestination {
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
