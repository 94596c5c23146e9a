//! # kustomer
//!
//! Extract a whole Kustomer org into data warehouses.
//!
//! This crate re-exports the three public crates:
//! - [`models`] (`kustomer-models`): typed serde models of every entity, their
//!   child tables and table definitions;
//! - [`api`] (`kustomer-api`): the HTTP client with paging, search, rate-limit
//!   governance and retries;
//! - [`sync`] (`kustomer-sync`): lazy incremental streams, the engine and the
//!   destinations (DuckDB with the default `duckdb` feature).
//!
//! ## A whole sync into DuckDB
//!
//! Every table of the org, incrementally: run it again and it reads only what
//! changed. [`SyncOptions`] chooses tables, columns, hashing, history, …
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use kustomer::sync::{dest::duckdb::DuckDbDestination, Engine, SyncOptions};
//! use kustomer::Client;
//!
//! let client = Client::builder().org("acme").token(std::env::var("KUSTOMER_API_TOKEN")?).build()?;
//! let dest = DuckDbDestination::open("kustomer.duckdb")?;
//! let options = SyncOptions::builder().exclude_tables(["audit_logs"]).build()?;
//! let (report, _dest) = Engine::new(client, options).run(dest).await?;
//! for s in &report.streams {
//!     println!("{}: {} records", s.name, s.records);
//! }
//! # Ok(()) }
//! ```
//!
//! ## Embedding one stream
//!
//! The records themselves, no destination: conversations read by keyset on
//! `updatedAt`, each batch with the bookmark that resumes right after it.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use futures::TryStreamExt;
//! use kustomer::api::search::QueryContext;
//! use kustomer::models::{Conversation, Entity};
//! use kustomer::sync::{keyset_stream, Bookmark, KeysetOptions};
//!
//! let client = kustomer::Client::builder().org("acme").token("…").build()?;
//! let opts = KeysetOptions::new(QueryContext::Conversation);
//! let mut batches = std::pin::pin!(keyset_stream::<Conversation>(client, opts, Bookmark::default()));
//! while let Some(batch) = batches.try_next().await? {
//!     for conversation in batch.records {
//!         let flat = conversation.flatten(); // its row and its child tables' rows
//!         println!("{} with {} child tables", flat.id, flat.children.len());
//!     }
//!     let _resume_here = batch.bookmark.to_json(); // store it with the records
//! }
//! # Ok(()) }
//! ```
//!
//! ## A destination of your own
//!
//! Implement [`sync::dest::Destination`]; the engine calls it from one thread,
//! and `write` must apply a batch's rows and bookmark all or nothing. This one
//! prints each record's id and keeps the bookmarks in memory.
//!
//! ```no_run
//! use std::collections::HashMap;
//! use kustomer::sync::dest::{Destination, StreamTables, WriteBatch, WriteStats};
//! use kustomer::sync::SyncError;
//! #[derive(Default)]
//! struct Printer(HashMap<String, String>); // stream → bookmark
//! impl Destination for Printer {
//!     fn prepare(&mut self, _: &StreamTables) -> Result<(), SyncError> { Ok(()) }
//!     fn bookmark(&mut self, stream: &str) -> Result<Option<String>, SyncError> { Ok(self.0.get(stream).cloned()) }
//!     fn reset(&mut self, stream: &str) -> Result<(), SyncError> { self.0.remove(stream); Ok(()) }
//!     fn row_count(&mut self, _: &str) -> Result<u64, SyncError> { Ok(0) }
//!     fn write(&mut self, batch: WriteBatch) -> Result<WriteStats, SyncError> {
//!         batch.records.iter().for_each(|r| println!("{} {}", batch.tables.parent.name, r.id));
//!         let mut stats = WriteStats::default();
//!         stats.inserted = batch.records.len() as u64;
//!         if let Some(b) = batch.bookmark { self.0.insert(batch.stream, b); }
//!         Ok(stats)
//!     }
//! }
//! # async fn run(client: kustomer::Client) -> Result<(), SyncError> {
//! let (_report, _printer) = kustomer::Engine::new(client, kustomer::SyncOptions::default()).run(Printer::default()).await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub use kustomer_api as api;
pub use kustomer_models as models;
pub use kustomer_sync as sync;

pub use kustomer_api::{Client, Region};
pub use kustomer_sync::{Engine, RunReport, SyncOptions};
