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
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use kustomer::api::Client;
//! use kustomer::sync::{dest::duckdb::DuckDbDestination, Engine, SyncOptions};
//!
//! let client = Client::builder().org("acme").token(std::env::var("KUSTOMER_API_TOKEN")?).build()?;
//! let dest = DuckDbDestination::open("kustomer.duckdb")?;
//! let (report, _dest) = Engine::new(client, SyncOptions::default()).run(dest).await?;
//! for s in &report.streams {
//!     println!("{}: {} records", s.name, s.records);
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub use kustomer_api as api;
pub use kustomer_models as models;
pub use kustomer_sync as sync;

pub use kustomer_api::{Client, Region};
pub use kustomer_sync::{Engine, RunReport, SyncOptions};
