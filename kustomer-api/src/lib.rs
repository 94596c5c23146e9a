//! A typed async client for the Kustomer REST API.
//!
//! - [`Client::builder`]: token (never printed), org host, region or any base
//!   URL, timeouts, user agent, rate limits and the usage ceiling.
//! - Paging: [`Client::list`] follows `links.next` lazily;
//!   [`Client::search`] pages one search up to the 100-page cap.
//! - Rate limits: requests are paced to `limit × usage ceiling` on a shared
//!   org budget and a search budget; 429s wait for `Retry-After` or
//!   `x-ratelimit-reset` (epoch or delta), else back off with jitter.
//! - Retries: 5xx, timeouts and connection errors within a bounded budget;
//!   other 4xx never. Decisions are a pure function ([`retry::RetryPolicy::decide`]).
//! - Errors: [`Error`], with the parsed `errors[]` body, and decode errors
//!   naming the JSON path.
//! - Outbound webhooks: [`Client::list_outbound_webhooks`],
//!   [`Client::create_outbound_webhook`] (returns the signing [`WebhookSecret`];
//!   refuses a 6th webhook) and [`Client::delete_outbound_webhook`].
//!
//! ```no_run
//! # async fn run() -> Result<(), kustomer_api::Error> {
//! use futures::TryStreamExt;
//! use kustomer_api::Client;
//! use kustomer_models::Customer;
//!
//! let client = Client::builder().org("acme").token(std::env::var("KUSTOMER_API_TOKEN").unwrap()).build()?;
//! let mut pages = std::pin::pin!(client.list::<Customer>("/v1/customers", 100));
//! while let Some(page) = pages.try_next().await? {
//!     for c in page.data {
//!         println!("{} {:?}", c.id, c.attributes.name);
//!     }
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod auth;
mod client;
pub mod error;
pub mod limits;
mod region;
pub mod retry;
pub mod search;
mod token;
pub mod webhooks;

pub use client::builder::ClientBuilder;
pub use client::{
    Client, ClientStats, RawResponse, DEFAULT_USER_AGENT, RESULT_WINDOW, SEARCH_MAX_PAGE_SIZE, SEARCH_PAGE_CAP,
};
pub use error::{ApiErrorItem, Error, Result};
pub use limits::{BudgetKind, RateLimits};
pub use region::{BaseUrl, Region};
pub use retry::RetryPolicy;
pub use token::ApiToken;
pub use webhooks::{CreatedOutboundWebhook, NewOutboundWebhook, WebhookSecret, MAX_OUTBOUND_WEBHOOKS};

/// Re-exported so callers need not depend on reqwest for [`Client::send`].
pub use reqwest::Method;
