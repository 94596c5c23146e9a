//! Sync errors.

use chrono::{DateTime, Utc};

/// What can stop a sync.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The API failed (after retries where retrying made sense).
    #[error(transparent)]
    Api(#[from] kustomer_api::Error),
    /// The destination failed; nothing of the failed batch is visible and no
    /// bookmark moved.
    #[error("destination error: {0}")]
    Destination(String),
    /// The destination lost a commit race with another writer: nothing of
    /// the batch is visible, and running it again may succeed.
    #[error("destination error: {0}")]
    Conflict(String),
    /// A stored bookmark could not be read.
    #[error("bookmark of stream {stream} is unreadable: {message}")]
    Bookmark {
        /// The stream.
        stream: String,
        /// Why.
        message: String,
    },
    /// A full search page made no progress (a server that ignores criteria).
    #[error("search for {context} made no progress at {at:?}; stopping instead of looping")]
    Stalled {
        /// Query context.
        context: String,
        /// The bookmark instant.
        at: Option<DateTime<Utc>>,
    },
    /// More records share one `updatedAt` than 100 search pages hold.
    #[error("{total} {context} records share updatedAt {at}, more than 100 search pages hold")]
    TieGroupTooLarge {
        /// Query context.
        context: String,
        /// The instant.
        at: DateTime<Utc>,
        /// The server's count.
        total: usize,
    },
    /// Invalid sync configuration.
    #[error("invalid sync configuration: {0}")]
    Config(String),
}

impl SyncError {
    /// The API token is invalid or expired ([`kustomer_api::Error::Unauthorized`]):
    /// the run stops. A 401 for a missing role is [`SyncError::is_forbidden`].
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, SyncError::Api(e) if e.is_unauthorized())
    }

    /// The token lacks a role: a 403, or a 401 while the token works
    /// elsewhere (Kustomer answers a missing role with 401).
    pub fn is_forbidden(&self) -> bool {
        matches!(self, SyncError::Api(e) if e.is_forbidden())
    }

    /// 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, SyncError::Api(e) if e.is_not_found())
    }
}
