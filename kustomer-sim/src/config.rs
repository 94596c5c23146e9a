//! Simulator configuration: what org to generate and how the server behaves.

use std::ops::Range;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

/// How many records of each kind the generated org holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSize {
    /// Customers.
    pub customers: usize,
    /// Conversations (each belongs to a customer).
    pub conversations: usize,
    /// Messages (each belongs to a conversation; every conversation gets at least one
    /// while there are enough).
    pub messages: usize,
    /// Notes on conversations.
    pub notes: usize,
    /// Companies.
    pub companies: usize,
    /// KObjects, spread over all klasses.
    pub kobjects: usize,
    /// Users, including the API key's machine user (always at least one).
    pub users: usize,
    /// Teams.
    pub teams: usize,
    /// Tags.
    pub tags: usize,
    /// Shortcuts.
    pub shortcuts: usize,
    /// Klasses (custom object types).
    pub klasses: usize,
}

impl OrgSize {
    /// A small org for unit tests: every feature and edge case occurs, and generation
    /// takes well under a millisecond.
    pub fn tiny() -> Self {
        Self {
            customers: 20,
            conversations: 40,
            messages: 120,
            notes: 30,
            companies: 5,
            kobjects: 15,
            users: 5,
            teams: 2,
            tags: 8,
            shortcuts: 5,
            klasses: 3,
        }
    }

    /// A mid-sized org for examples and benchmarks: large enough that lists span many
    /// pages and bulk-update ties exceed a search page.
    pub fn demo() -> Self {
        Self {
            customers: 2_000,
            conversations: 4_000,
            messages: 12_000,
            notes: 3_000,
            companies: 200,
            kobjects: 1_500,
            users: 25,
            teams: 6,
            tags: 40,
            shortcuts: 30,
            klasses: 3,
        }
    }

    /// The benchmarks' org grown `scale` times: 200 customers, 400
    /// conversations, 1,200 messages, 300 notes, 30 companies and 150
    /// KObjects per unit (about 2,300 records), the demo's users and klasses.
    pub fn scaled(scale: usize) -> Self {
        Self {
            customers: 200 * scale,
            conversations: 400 * scale,
            messages: 1_200 * scale,
            notes: 300 * scale,
            companies: 30 * scale,
            kobjects: 150 * scale,
            ..Self::demo()
        }
    }
}

/// Configures a [`crate::Simulator`]: the generated data and the server's behaviour.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// All data derives from it deterministically.
    pub seed: u64,
    /// Counts per entity.
    pub size: OrgSize,
    /// The bearer token the server accepts.
    pub token: String,
    /// Requests per 60 s for the whole org (`None` = unlimited; the real default is 1000).
    pub org_rate_limit: Option<u32>,
    /// Search requests per 60 s (`None` = unlimited; the real machine-user limit is 100).
    pub search_rate_limit: Option<u32>,
    /// Per-request delay, drawn deterministically from this range; `0..0` means none.
    pub latency: Range<Duration>,
    /// The org clock's start; generated timestamps lie before it.
    pub now: DateTime<Utc>,
    /// Search sees only records whose `updatedAt` lies within this many days of the
    /// org clock (the real API: two years, 730). `None` disables the window.
    pub search_window_days: Option<u32>,
    /// Generated `createdAt`/`updatedAt` span back this many days from `now`. A history
    /// longer than two years is aged so that most customers, conversations and
    /// messages were last updated over two years ago (see [`SimConfig::five_years`]);
    /// shorter ones are generated as they always were.
    pub history_days: u32,
    /// Path prefixes the token may not read, e.g. `"/v1/audit-logs"`: requests to them
    /// (or below them, segment-wise) get a [`SimConfig::role_status`] answer whose
    /// JSON:API error names the missing role (`org.permission.audit_logs.read`), as
    /// for a token created without that role. They count in
    /// [`crate::SimStats::forbidden`].
    pub forbidden: Vec<String>,
    /// The status of a missing-role answer (paths in [`SimConfig::forbidden`]).
    /// Default 401: Kustomer's errors reference says "401 Unauthorized: This can be
    /// the result of a missing role, invalid auth token, or billing feature" (spec
    /// §10, D6/D11); its newer pages also list 403 for a missing role, so
    /// `role_status: 403` is kept possible. The body stays a JSON:API error naming
    /// the role: `{"errors":[{"status":"401","code":"unauthorized","title":
    /// "Unauthorized","detail":"Missing required role: <role>","meta":
    /// {"requiredRoles":["<role>"]}}]}` (`"403"`, `"forbidden"`, `"Forbidden"` for
    /// 403). A bad token also answers 401 (detail `Invalid API token`).
    pub role_status: u16,
    /// The result window: a page of a `page`/`pageSize` list (plain, per-parent,
    /// klass, detail and configuration lists), of `POST /v1/customers/search` or of
    /// `POST /v1/customers/archive/search` whose last position reaches past this
    /// record of its query (`page * pageSize > window`, `pageSize` after clamping)
    /// is refused with a 400 like Elasticsearch's:
    /// `{"errors":[{"status":"400","code":"bad_request","title":"Bad Request",
    /// "detail":"Result window is too large, from + size must be less than or equal
    /// to: [10000] but was [10100]."}]}`, however few records match. Pages entirely
    /// within it (`page * pageSize == 10000` included) are served. Search's 100-page
    /// cap is separate and checked first (page 101 is a 404). Default
    /// `Some(10_000)`: the AWS Glue Kustomer connector's limitations note says
    /// "Kustomer allows a maximum of 10K records to be fetched irrespective of a
    /// filtered or a non-filtered request" (spec §3), which is also Elasticsearch's
    /// default `index.max_result_window`. `None` disables the window.
    pub result_window: Option<usize>,
    /// When true, search and archive search report `meta.total` (and `totalPages`
    /// and `links.last`) for at most 10,000 hits even when more match, as
    /// Elasticsearch does with its default `track_total_hits` (spec §3: "search's
    /// `meta.total` may stop at 10,000", an inference). `links.next` still follows
    /// the real hits. Default `false` (exact totals).
    pub cap_totals: bool,
    /// `None` (default): `POST /v1/customers/archive/search` is served. `Some(404)`
    /// answers every archive search with a 404 (the endpoint is not on this org);
    /// `Some(401)` with a 401 (a billing feature or role the org lacks, per the
    /// errors reference's 401 wording); any other status likewise, with a JSON:API
    /// error body. Refused archive searches still count as search requests (and
    /// draw on the rate budgets), not in `forbidden` or `unauthorized`.
    pub archive_search: Option<u16>,
    /// When true, a standard search (`POST /v1/customers/search`) with
    /// `queryContext: "company"` or any `company_*` field is a 400 (unknown field):
    /// in Kustomer's standard-attribute schema `company_updated_at` appears only in
    /// the archive schema (spec §4; only MeltanoLabs' tap queries companies
    /// through search). Archive search still accepts them. Default `false`.
    pub search_refuses_company: bool,
    /// Path prefixes answered 404 for the whole org, matched segment-wise like
    /// [`SimConfig::forbidden`], e.g. `"/v1/assistants"` for an endpoint without a
    /// public reference that this org does not have. They answer like unknown paths
    /// (`No route for …`, counted under `other` in [`crate::SimStats::by_family`])
    /// and win over [`SimConfig::forbidden`]. Default empty.
    pub unserved: Vec<String>,
}

impl Default for SimConfig {
    /// Seed 42, [`OrgSize::demo`], token `sim-token`, no rate limits, no latency, clock
    /// at 2026-06-01T00:00:00Z, a 730-day search window, 540 days of history (so all
    /// generated data is searchable), no forbidden or unserved paths, missing roles
    /// answered 401, a 10,000-record result window, exact search totals, archive
    /// search served, and company search accepted.
    fn default() -> Self {
        Self {
            seed: 42,
            size: OrgSize::demo(),
            token: "sim-token".to_owned(),
            org_rate_limit: None,
            search_rate_limit: None,
            latency: Duration::ZERO..Duration::ZERO,
            now: Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).single().unwrap_or_default(),
            search_window_days: Some(730),
            history_days: 540,
            forbidden: Vec::new(),
            role_status: 401,
            result_window: Some(10_000),
            cap_totals: false,
            archive_search: None,
            search_refuses_company: false,
            unserved: Vec::new(),
        }
    }
}

impl SimConfig {
    /// The demo org with the real API's default budgets: 1000 requests/min for the
    /// org and 100 searches/min.
    pub fn demo() -> Self {
        Self {
            org_rate_limit: Some(1000),
            search_rate_limit: Some(100),
            ..Self::default()
        }
    }

    /// The default config with a [`OrgSize::tiny`] org, for fast tests.
    pub fn tiny() -> Self {
        Self {
            size: OrgSize::tiny(),
            ..Self::default()
        }
    }

    /// A [`OrgSize::tiny`] org with five years (1825 days) of history under the
    /// default 730-day search window: more than half of the customers, conversations
    /// and messages were last updated over two years ago, so search alone misses
    /// them and only `POST /v1/customers/archive/search` returns them (spec §4). The
    /// timeline is aged to get there: the last two years hold what a plain timeline
    /// puts in its last few weeks (about 47 days for five years), so activity
    /// in the window is sparse, as in an org whose early customers went dormant.
    /// Scale it with `SimConfig { size: OrgSize::demo(), ..SimConfig::five_years() }`.
    pub fn five_years() -> Self {
        Self {
            history_days: 1825,
            ..Self::tiny()
        }
    }
}
