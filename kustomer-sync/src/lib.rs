//! Lazy, incremental streams of Kustomer records, and the engine that loads
//! them into warehouse destinations.
//!
//! - [`keyset`]: search read by keyset on (`updatedAt`, ids at that instant),
//!   past the 100-page cap and any number of ties.
//! - [`catalog()`]: every stream ([`streams::StreamDef`]), its [`Mode`] and tables.
//! - [`SyncOptions`]: how a run goes (tables, columns, hashing, history, …),
//!   from [`SyncOptions::builder`], `with_*` setters or a TOML file.
//! - [`dest`]: the [`dest::Destination`] trait; DuckDB behind the `duckdb`
//!   feature (off here, on in the root `kustomer` crate), so a program that
//!   only embeds the streams never compiles DuckDB.
//! - [`Engine`]: runs streams concurrently on shared rate budgets into one
//!   destination, committing each batch with its bookmark.
//!
//! Embedding a stream without any destination:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use futures::TryStreamExt;
//! use kustomer_api::{search::QueryContext, Client};
//! use kustomer_models::Conversation;
//! use kustomer_sync::{keyset_stream, Bookmark, KeysetOptions};
//!
//! let client = Client::builder().org("acme").token("…").build()?;
//! let opts = KeysetOptions::new(QueryContext::Conversation);
//! let mut batches = std::pin::pin!(keyset_stream::<Conversation>(client, opts, Bookmark::default()));
//! while let Some(batch) = batches.try_next().await? {
//!     for c in &batch.records {
//!         println!("{} {:?}", c.id, c.attributes.status);
//!     }
//!     // Persist batch.bookmark with the records to resume exactly here.
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod bookmark;
mod catalog;
pub mod check;
mod columns;
mod custom_columns;
pub mod dest;
pub mod dictionary;
mod discovery;
pub mod docs;
mod engine;
pub mod error;
pub mod keyset;
mod mode;
mod options;
mod report;
mod run_plan;
mod select;
mod shaping;
mod skips;
pub mod streams;
#[cfg(feature = "webhook")]
pub mod webhook;
#[cfg(feature = "webhook")]
mod webhook_sink;
mod writer;
#[cfg(feature = "webhook")]
pub use webhook_sink::DestinationSink;

pub use bookmark::Bookmark;
pub use catalog::catalog;
pub use check::{check, CheckReport};
pub use discovery::Discovery;
pub use engine::{Engine, Progress, ProgressFn};
pub use error::SyncError;
pub use keyset::{keyset_stream, KeysetBatch, KeysetOptions};
pub use mode::{DetailsMode, FirstLoadMode, Mode};
pub use options::{HashSalt, SyncOptions, SyncOptionsBuilder};
pub use report::{RunReport, StreamReport};
pub use select::hash_cell;
pub use writer::IdReader;
