//! An offline, deterministic Kustomer org served over HTTP on loopback.
//!
//! Tests, examples and benchmarks point a Kustomer client at
//! [`Simulator::base_url`] instead of a real org. The simulator follows the real API
//! as `shared/kustomer-api.md` describes it, including the parts clients get wrong:
//! relative links with `null` ends, clamped page sizes, search's 100-page cap,
//! the 10,000-record result window of every list and search
//! ([`SimConfig::result_window`]), an undefined order among records sharing one
//! `updatedAt`, bulk updates larger than a page, two error-body shapes, and
//! fixed-window rate limits.
//!
//! Besides the eleven record [`Kind`]s it serves every table of the catalogue:
//! configuration lists (brands, queues, SLAs with `included[]` versions, knowledge
//! base, apps, …) from one endpoint table and one generic handler, custom-attribute
//! metadata matching the records' `custom` attributes, audit logs with cursor
//! paging, and per-conversation and per-customer detail (events, times, forwards,
//! attachments, drafts, merges). `ENDPOINTS.md` lists every endpoint with its
//! paging, JSON:API `type` and source; [`Org::collection`] returns what each serves.
//! Paths in [`SimConfig::forbidden`] answer like a token without the role: 401 by
//! default, as Kustomer's errors reference describes a missing role, or 403
//! ([`SimConfig::role_status`]). Other switches follow limits a real org may have:
//! capped search totals ([`SimConfig::cap_totals`]), archive search missing
//! ([`SimConfig::archive_search`]), company search refused
//! ([`SimConfig::search_refuses_company`]) and endpoints the org does not serve
//! ([`SimConfig::unserved`]).
//!
//! Everything derives from [`SimConfig::seed`]: the same config serves the same
//! bytes. Tests change the data between (or during) syncs through
//! [`Simulator::with_org`], including schema changes ([`Org::add_klass`],
//! [`Org::add_custom_attribute`]), or at a chosen request with
//! [`Simulator::on_request`]. [`Simulator::inject`] makes chosen requests fail as
//! networks, proxies and the API do ([`Fault`]: 429s, 5xx, dropped connections,
//! truncated or invalid JSON, HTML error pages, slow answers, short pages).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use kustomer_sim::{Kind, SimConfig, Simulator};
//!
//! let sim = Simulator::start(SimConfig::tiny()).await?;
//! let id = sim.with_org(|org| org.insert(Kind::Conversation));
//! println!("{} now also serves conversation {id}", sim.base_url());
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod config;
mod conn;
mod cursor;
mod dataset;
mod detail_route;
mod errors;
mod faults;
mod handlers;
mod http;
mod kind;
mod limits;
mod lock;
mod org;
mod outbox;
mod paging;
mod policy;
mod records;
mod resource;
mod rng;
mod routes;
mod row;
mod search;
mod server;
mod state;
mod stats;
mod store;
mod time;
mod webhooks;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use axum::http::Method;
pub use config::{OrgSize, SimConfig};
pub use faults::{Fault, FaultRule, Reset};
pub use kind::Kind;
pub use org::Org;
pub use outbox::{WebhookDelivery, ATTEMPT_TIMEOUT, DEFAULT_RETRY_DELAYS};
pub use stats::SimStats;
pub use webhooks::MAX_OUTBOUND_WEBHOOKS;

use lock::lock;
use state::Shared;

/// A running simulated org: an HTTP server on loopback plus a handle to its data.
///
/// Dropping it stops the server abruptly; [`Simulator::shutdown`] stops it gracefully.
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    webhooks: Arc<outbox::Outbox>,
}

impl Simulator {
    /// Generates the org and serves it on `127.0.0.1` at a free port.
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        Self::start_on(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Generates the org and serves it on `addr` (port 0 picks a free port).
    ///
    /// Fails if the address cannot be bound (or if generating the org panics).
    pub async fn start_on(config: SimConfig, addr: SocketAddr) -> std::io::Result<Simulator> {
        let listener = TcpListener::bind(addr).await?;
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        // Generating a large org takes a while: keep it off the async workers.
        let seed = config.seed;
        let shared = tokio::task::spawn_blocking(move || Shared::new(&config))
            .await
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(shared);
        let webhooks = outbox::Outbox::new();
        lock(&shared.org).webhooks.attach(Arc::clone(&webhooks));
        let (stop, stopped) = oneshot::channel::<()>();
        let app = server::router(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<conn::Tap>();
            let serve = axum::serve(conn::TapListener(listener), app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "kustomer-sim server stopped with an error");
            }
        });
        tracing::debug!(%addr, seed, "kustomer-sim listening");
        Ok(Simulator {
            shared,
            addr,
            stop: Some(stop),
            task: Some(task),
            webhooks,
        })
    }

    /// The server's root, e.g. `http://127.0.0.1:41234` (no trailing slash, no `/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer token the server accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// Runs `f` with exclusive access to the org's data, e.g. to insert, update or
    /// delete records between (or during) syncs. Requests wait while `f` runs.
    pub fn with_org<R>(&self, f: impl FnOnce(&mut Org) -> R) -> R {
        f(&mut lock(&self.shared.org))
    }

    /// A snapshot of the request counters.
    pub fn stats(&self) -> SimStats {
        lock(&self.shared.stats).clone()
    }

    /// Zeroes the request counters (rate-limit windows are unaffected).
    pub fn reset_stats(&self) {
        *lock(&self.shared.stats) = SimStats::default();
    }

    /// Every finished outbound-webhook delivery (delivered, or given up after the
    /// last retry), in the order they finished. Webhooks created with
    /// `POST /v1/outbound-webhooks` get an event for each create and update of a
    /// customer, conversation, message, user, team or tag they subscribe to; see
    /// [`Simulator::flush_webhooks`] to wait for them.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.webhooks.deliveries()
    }

    /// Waits until every queued webhook delivery has finished, retries included.
    pub async fn flush_webhooks(&self) {
        self.webhooks.flush().await;
    }

    /// Sets the waits between delivery attempts; their number is the number of
    /// retries (default [`DEFAULT_RETRY_DELAYS`]: 7 retries, 64 ms in all). Applies
    /// to deliveries that start afterwards.
    pub fn set_webhook_retry_delays(&self, delays: Vec<std::time::Duration>) {
        self.webhooks.set_delays(delays);
    }

    /// Stops accepting requests, lets in-flight ones finish (up to 5 s), and waits
    /// for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            let graceful = tokio::time::timeout(std::time::Duration::from_secs(5), &mut task);
            if graceful.await.is_err() {
                task.abort();
            }
        }
    }
}

/// Faults and request hooks ([`crate::faults`]).
impl Simulator {
    /// Adds a fault rule after the ones already set (rules are checked in order; the
    /// first that fires on a request wins). A rule with `times` 0 is ignored.
    pub fn inject(&self, rule: FaultRule) {
        self.shared.faults.inject(rule);
    }

    /// Removes every fault rule and every [`Simulator::on_request`](Simulator::on_request)
    /// hook that has not run yet.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Runs `f` on the org when the `skip + 1`-th request matching `method` (`None`:
    /// any) and `path_prefix` (as [`FaultRule::path_prefix`]) arrives, before it is
    /// answered: the very response it triggers, and every later one, see the change.
    /// For records updated, deleted or inserted while a client is paging.
    ///
    /// Hooks count the requests rules see (authenticated, not forbidden, not
    /// throttled), each hook all of those it matches, independently of rules and of
    /// other hooks; hooks due on the same request run in the order they were added,
    /// before any fault is picked. Requests wait while `f` runs.
    pub fn on_request(
        &self,
        method: Option<Method>,
        path_prefix: impl Into<String>,
        skip: u32,
        f: impl FnOnce(&mut Org) + Send + 'static,
    ) {
        (self.shared.faults).on_request(method, path_prefix.into(), skip, Box::new(f));
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
