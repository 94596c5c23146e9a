//! `sync --check`: test the connection and plan the first load, before
//! anything is written.
//!
//! - The token: `GET /v1/users/current` (a bad one is
//!   [`kustomer_api::Error::Unauthorized`]), which also carries the org's
//!   `x-ratelimit-limit`.
//! - Every selected table's endpoint, asked with one small request
//!   ([`StreamDef::probe`]): readable, missing a role (named), not served by
//!   this org, or failing; an incremental stream's first GET list and detail
//!   lists too (with one record search found).
//! - Counts: live records each search context holds within search's two
//!   years (`meta.total`, which may stop at 10,000: then a lower bound), and
//!   archive search's total before them.
//! - The plan: per table, the requests a first load makes on the org budget
//!   and on the search budget, as `streams::first_load` reads. The budgets
//!   are paced in parallel, so the estimate is the longer of the two at the
//!   usage ceiling. It makes a cost visible that a small org hides: the
//!   per-parent detail tables take one request per conversation (events,
//!   times, forwards, attachments) or customer (drafts, merges) each, so an
//!   org of a million conversations spends days of its budget on them.

mod display;
pub(crate) use display::duration;
mod plan;
mod probe;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use kustomer_api::{BudgetKind, Client};
use serde::Serialize;

use crate::discovery::Discovery;
use crate::error::SyncError;
use crate::mode::FirstLoadMode;
use crate::options::SyncOptions;
use crate::select::Selection;
use crate::streams::StreamDef;

/// Search's window (two years) less a day, as a first load takes it.
const WINDOW: Duration = Duration::days(729);
/// Endpoints asked at once (each request still waits for its budget).
const CONCURRENCY: usize = 8;

/// A number of records; `at_least` when the server's total may be capped
/// (search stops counting at 10,000) or more pages follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RecordCount {
    /// The count.
    pub n: u64,
    /// A lower bound only.
    pub at_least: bool,
}

/// What the token may do with an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Access {
    /// It answered.
    Readable,
    /// The token lacks a role (a 403, or a 401 while the token works).
    MissingRole {
        /// The role, as the server named it or as the catalogue knows it.
        role: String,
        /// The server's answer.
        message: String,
    },
    /// 404: this org does not have the endpoint (a sync skips the table).
    NotServed {
        /// The server's answer.
        message: String,
    },
    /// Another failure (after retries).
    Failed {
        /// What failed.
        message: String,
    },
    /// Not asked.
    NotProbed {
        /// Why.
        why: String,
    },
}

/// One table's check and its share of the first load.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TableCheck {
    /// The table.
    pub table: String,
    /// For a per-parent detail table: its parent stream.
    pub parent: Option<String>,
    /// `update`, `replace` or `append`.
    pub mode: String,
    /// Its endpoint (search, for incremental streams).
    pub access: Access,
    /// Its first GET list, which a first load reads for what is older than
    /// search's window.
    pub list: Option<Access>,
    /// Live records within search's window (incremental streams), or in the
    /// table (a list that says), if known.
    pub records: Option<RecordCount>,
    /// Live records older than search's window (archive search).
    pub archived: Option<RecordCount>,
    /// Requests of a first load on the org budget (GET).
    pub org_requests: u64,
    /// Requests of a first load on the search budget.
    pub search_requests: u64,
    /// The requests are a lower bound (a capped or unknown count).
    pub lower_bound: bool,
    /// How it will be read, where that differs from the usual.
    pub notes: Vec<String>,
}

/// The first load's requests and time at the usage ceiling.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LoadPlan {
    /// GET requests (org budget).
    pub org_requests: u64,
    /// Search requests (search budget; each also draws on the org budget).
    pub search_requests: u64,
    /// Of the GET requests, those of per-parent detail tables.
    pub detail_requests: u64,
    /// Org requests per minute at the usage ceiling (`limit × ceiling`).
    pub org_per_minute: f64,
    /// Search requests per minute at the usage ceiling.
    pub search_per_minute: f64,
    /// Minutes of the org budget: `(org + search requests) / org_per_minute`.
    pub org_minutes: f64,
    /// Minutes of the search budget: `search requests / search_per_minute`.
    pub search_minutes: f64,
    /// The estimate: the longer of the two (they are paced in parallel).
    pub estimate_minutes: f64,
    /// The estimate without the per-parent detail tables: when the core
    /// tables are complete (the detail tables come after them).
    pub core_minutes: f64,
    /// Some count was capped or unknown: the estimate is a lower bound.
    pub lower_bound: bool,
}

impl LoadPlan {
    /// Totals over `tables` at the given paces.
    fn new(tables: &[TableCheck], org_per_minute: f64, search_per_minute: f64) -> LoadPlan {
        let org_requests: u64 = tables.iter().map(|t| t.org_requests).sum();
        let search_requests: u64 = tables.iter().map(|t| t.search_requests).sum();
        let detail_requests = (tables.iter().filter(|t| t.parent.is_some()))
            .map(|t| t.org_requests)
            .sum();
        let org_minutes = (org_requests + search_requests) as f64 / org_per_minute.max(f64::MIN_POSITIVE);
        let search_minutes = search_requests as f64 / search_per_minute.max(f64::MIN_POSITIVE);
        let core_org_minutes =
            (org_requests - detail_requests + search_requests) as f64 / org_per_minute.max(f64::MIN_POSITIVE);
        LoadPlan {
            core_minutes: core_org_minutes.max(search_minutes),
            org_requests,
            search_requests,
            detail_requests,
            org_per_minute,
            search_per_minute,
            org_minutes,
            search_minutes,
            estimate_minutes: org_minutes.max(search_minutes),
            lower_bound: tables.iter().any(|t| t.lower_bound),
        }
    }

    /// The estimate as a duration.
    pub fn estimate(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64((self.estimate_minutes * 60.0).max(0.0))
    }
}

/// What `sync --check` found: the token, the rate limits, every table's
/// access, and the first load's plan. `Display` prints it as a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CheckReport {
    /// The API's base URL.
    pub base_url: String,
    /// Who the token acts as (`GET /v1/users/current`).
    pub user: Option<String>,
    /// The org's limit per minute the client paces to.
    pub rate_limit: u32,
    /// Whether the server announced it (`x-ratelimit-limit`), or it is the
    /// configured or default one.
    pub rate_limit_from_server: bool,
    /// The search sub-limit per minute.
    pub search_rate_limit: u32,
    /// The share of the limits a run uses.
    pub usage_ceiling: f64,
    /// Search's window as a first load starts it (records updated since
    /// are counted as `records`, those before as `archived`).
    pub window_start: DateTime<Utc>,
    /// How a first load reads.
    pub first_load: FirstLoadMode,
    /// Per table, in catalogue order (a detail table after its parent).
    pub tables: Vec<TableCheck>,
    /// The first load's totals and estimate.
    pub plan: LoadPlan,
    /// Requests the check itself sent.
    pub requests: u64,
}

impl CheckReport {
    /// One table's check.
    pub fn table(&self, name: &str) -> Option<&TableCheck> {
        self.tables.iter().find(|t| t.table == name)
    }

    /// Tables the token may not read, with the role each lacks (a stream's
    /// GET list included).
    pub fn missing_roles(&self) -> Vec<(&str, &str)> {
        fn role(a: &Access) -> Option<&str> {
            match a {
                Access::MissingRole { role, .. } => Some(role),
                _ => None,
            }
        }
        (self.tables.iter())
            .filter_map(|t| Some((t.table.as_str(), role(&t.access).or_else(|| role(t.list.as_ref()?))?)))
            .collect()
    }
}

/// Tests the connection and plans the first load of the tables `options`
/// selects; writes nothing and needs no destination. A rejected token is
/// [`kustomer_api::Error::Unauthorized`]; a table the token may not read
/// is reported, not an error.
pub async fn check(client: &Client, options: &SyncOptions) -> Result<CheckReport, SyncError> {
    let streams = crate::run_plan::select(&crate::catalog::catalog(), options)?;
    // Scoped: its own requests are counted, whatever else shares the client.
    let client = crate::run_plan::run_client(client, options)?.scoped();
    let user = current_user(&client).await?;
    let mut report = check_streams(&client, &streams, options).await?;
    report.user = user;
    report.requests = client.scope_stats().requests;
    Ok(report)
}

/// Who the token acts as; this request fails on a bad token.
async fn current_user(client: &Client) -> Result<Option<String>, SyncError> {
    let user: serde_json::Value = client.get_one("/v1/users/current").await?;
    let attr = |k: &str| user.pointer(&format!("/attributes/{k}")).and_then(|v| v.as_str());
    Ok(attr("displayName")
        .or_else(|| attr("name"))
        .or_else(|| user.get("id").and_then(|v| v.as_str()))
        .map(str::to_owned))
}

/// Checks `streams` (already selected) and plans their first load; no
/// token check of its own (a rejected token still fails it).
pub(crate) async fn check_streams(
    client: &Client,
    streams: &[Arc<dyn StreamDef>],
    options: &SyncOptions,
) -> Result<CheckReport, SyncError> {
    let before = client.scope_stats().requests;
    let selection = Selection::new(options)?;
    let lists_mode = options.first_load == FirstLoadMode::Lists && !options.resolved_only;
    let klasses = match streams.iter().any(|s| s.name() == "kobjects") && lists_mode {
        true => probe::klass_names(client).await?,
        false => None,
    };
    let cx = probe::Ctx {
        client,
        now: Utc::now(),
        start_date: options.start_date,
        lists_mode,
        klasses: &klasses,
    };
    let asks: Vec<_> = streams.iter().map(|s| (s.probe(), s.role())).collect();
    let found: Vec<Result<probe::Found, SyncError>> = futures::stream::iter(asks)
        .map(|(p, role)| probe::probe(&cx, p, role))
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let empty = Discovery::default();
    let mut tables = Vec::new();
    for (s, found) in streams.iter().zip(found) {
        let excluded: HashSet<String> = selection.excluded_children(&s.tables(&empty));
        let probe = s.probe();
        tables.extend(plan::rows(
            s.name(),
            s.mode(),
            probe.as_ref(),
            found?,
            lists_mode,
            options.details == crate::mode::DetailsMode::AfterCore,
            &excluded,
        ));
    }
    let ceiling = client.usage_ceiling();
    let (org, search) = (
        client.paced_rate(BudgetKind::Org),
        client.paced_rate(BudgetKind::Search),
    );
    Ok(CheckReport {
        base_url: client.base_url().to_string(),
        user: None,
        rate_limit: (org / ceiling).round() as u32,
        rate_limit_from_server: client.server_rate_limit().is_some(),
        search_rate_limit: (search / ceiling).round() as u32,
        usage_ceiling: ceiling,
        window_start: cx.window_start(cx.now),
        first_load: options.first_load,
        plan: LoadPlan::new(&tables, org, search),
        tables,
        requests: client.scope_stats().requests - before,
    })
}

/// At the start of a run that is a first load for some incremental stream
/// (no bookmark): plans it, without holding the run up, and logs the plan.
/// `streams` are those the run reads in full (no bookmark, or re-read every
/// run). The estimate goes into the run report, beside the actual time.
pub(crate) fn spawn_plan(
    client: Client,
    streams: Vec<Arc<dyn StreamDef>>,
    options: SyncOptions,
) -> tokio::task::JoinHandle<Option<LoadPlan>> {
    tokio::spawn(async move {
        match check_streams(&client, &streams, &options).await {
            Ok(report) => {
                tracing::info!("first load plan:\n{report}");
                Some(report.plan)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the first load could not be planned");
                None
            }
        }
    })
}
