//! The state the server task and the [`crate::Simulator`] handle share: the org,
//! its rate budgets, counters, policy and injected faults.

use std::ops::Range;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Duration;

use crate::config::SimConfig;
use crate::faults::Faults;
use crate::limits::Limits;
use crate::org::Org;
use crate::policy::Policy;
use crate::rng::{combine, Rng};
use crate::stats::SimStats;

/// State shared by the server task and the [`crate::Simulator`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The org's data.
    pub org: Mutex<Org>,
    /// Rate budgets.
    pub limits: Mutex<Limits>,
    /// Counters.
    pub stats: Mutex<SimStats>,
    /// The accepted bearer token.
    pub token: String,
    /// Each request's delay is drawn from this range.
    pub latency: Range<Duration>,
    /// Seeds the latency draws.
    pub seed: u64,
    /// Requests received, numbering them for the latency draw.
    pub sequence: AtomicU64,
    /// Missing roles, the result window, unserved paths and the other switches.
    pub policy: Policy,
    /// Injected faults and request hooks.
    pub faults: Faults,
}

impl Shared {
    /// State for an org generated from `config`.
    pub(crate) fn new(config: &SimConfig) -> Shared {
        Shared {
            org: Mutex::new(Org::generate(config)),
            limits: Mutex::new(Limits::new(config.org_rate_limit, config.search_rate_limit)),
            stats: Mutex::new(SimStats::default()),
            token: config.token.clone(),
            latency: config.latency.clone(),
            seed: config.seed,
            sequence: AtomicU64::new(0),
            policy: Policy::new(config),
            faults: Faults::default(),
        }
    }

    /// The `n`-th request's delay: a deterministic draw from the latency range.
    pub(crate) fn delay(&self, n: u64) -> Duration {
        let lo = self.latency.start.as_micros() as i64;
        let hi = self.latency.end.as_micros() as i64;
        let mut rng = Rng::new(combine(self.seed ^ 0x1a7e, n));
        Duration::from_micros(rng.range(lo, hi).max(lo) as u64)
    }
}
