//! Request counters, for tests and benchmarks that assert on traffic.

use std::collections::BTreeMap;

/// What the server has seen since it started (or since [`crate::Simulator::reset_stats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    /// Every request received, whatever its outcome.
    pub requests: u64,
    /// Authenticated `POST /v1/customers/search` and `POST /v1/customers/archive/search`
    /// requests (throttled ones included).
    pub search_requests: u64,
    /// Requests answered 429, by the rate limiter or by a [`crate::Fault::TooManyRequests`].
    pub throttled: u64,
    /// Requests refused for their token: missing, malformed or wrong (401).
    pub unauthorized: u64,
    /// Requests refused for a missing role (paths in [`crate::SimConfig::forbidden`]),
    /// whatever [`crate::SimConfig::role_status`] answers them with (401 by default,
    /// or 403).
    pub forbidden: u64,
    /// Injected faults that fired ([`crate::Simulator::inject`]); these requests also
    /// count in `requests`, `by_family` and (for searches) `search_requests`.
    pub faults: u64,
    /// Authenticated requests per endpoint template, e.g. `GET /v1/customers/{id}`;
    /// unknown paths count under `other`.
    pub by_family: BTreeMap<String, u64>,
}
