//! Rate-limit governance: one shared budget for the org and one for search,
//! each paced to its share of the limit (the usage ceiling).
//!
//! Kustomer counts requests per org over 60 s, shared by every integration
//! (spec §9); search by API keys has its own 100/min sub-limit. Pacing evenly
//! at `limit × ceiling` never trips a 429 on our own, leaves the rest of the
//! budget to the org's other integrations, and lets many concurrent streams
//! draw from one budget without coordinating.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Which budget a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BudgetKind {
    /// The org-wide budget (every request).
    Org,
    /// Search: draws on the search sub-limit *and* the org budget.
    Search,
}

/// The limits a client paces itself to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Org requests per minute (the plan limit: 1000 Enterprise, 2000 Ultimate,
    /// 500 Business, 300 Professional). Updated from `x-ratelimit-limit`.
    pub org_per_minute: u32,
    /// Search requests per minute for API keys.
    pub search_per_minute: u32,
    /// Share of each limit this client may use, 0.25–0.90.
    pub usage_ceiling: f64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            org_per_minute: 1000,
            search_per_minute: 100,
            usage_ceiling: 0.9,
        }
    }
}

impl RateLimits {
    /// The smallest and largest usage ceilings accepted.
    pub const CEILING_RANGE: std::ops::RangeInclusive<f64> = 0.25..=0.90;

    /// Refuses a usage ceiling outside [`RateLimits::CEILING_RANGE`] (NaN included).
    pub(crate) fn check_ceiling(share: f64) -> crate::Result<()> {
        if Self::CEILING_RANGE.contains(&share) {
            Ok(())
        } else {
            Err(crate::Error::Config(format!(
                "usage ceiling {share} is outside 0.25–0.90"
            )))
        }
    }
}

/// How far a budget may run behind its schedule: slots left unused while every
/// stream was busy (decoding, writing, waiting on latency) can be taken back, at
/// most this much of them. Bounded so a server's 60 s window sees at most one
/// extra second of requests, well inside the headroom the usage ceiling leaves
/// (≥ 6 s of the limit at the highest ceiling, 0.90).
pub(crate) const BURST: Duration = Duration::from_secs(1);

/// A pacing budget (a GCRA): requests are scheduled `60 s / allowed` apart, and
/// may start up to [`BURST`] ahead of that schedule when earlier slots went unused.
#[derive(Debug)]
pub(crate) struct Budget {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    limit: u32,
    ceiling: f64,
    interval: Duration,
    next: Instant,
    paused_until: Option<Instant>,
    /// Whether `limit` came from the server's `x-ratelimit-limit`.
    observed: bool,
}

fn interval(limit: u32, ceiling: f64) -> Duration {
    let allowed = (f64::from(limit.max(1)) * ceiling).max(1.0);
    Duration::from_secs_f64(60.0 / allowed)
}

impl Budget {
    pub(crate) fn new(limit: u32, ceiling: f64) -> Budget {
        Budget {
            state: Mutex::new(State {
                limit,
                ceiling,
                interval: interval(limit, ceiling),
                next: Instant::now(),
                paused_until: None,
                observed: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves the next slot and returns when it starts.
    pub(crate) fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut s = self.lock();
        // A pause is the server's word: nothing starts before it, and no credit
        // is earned while it lasts.
        let earliest = s.paused_until.map_or(now, |p| p.max(now));
        // `next` is the schedule (GCRA's theoretical arrival time); idle time
        // moves it up to `earliest`, so unused credit never exceeds BURST.
        let scheduled = s.next.max(earliest);
        s.next = scheduled + s.interval;
        scheduled
            .checked_sub(BURST)
            .map_or(earliest, |early| early.max(earliest))
    }

    /// Reserves a slot now if nothing is scheduled ahead of it (the budget
    /// is idle: no foreground request waits), else says when to ask again.
    /// Background work (the detail backfill) only takes what the foreground
    /// leaves unused, and earns no burst credit.
    pub(crate) fn reserve_idle(&self) -> Result<(), Instant> {
        let now = Instant::now();
        let mut s = self.lock();
        let earliest = s.paused_until.map_or(now, |p| p.max(now));
        if s.next > earliest {
            return Err(s.next);
        }
        if earliest > now {
            return Err(earliest);
        }
        s.next = now + s.interval;
        Ok(())
    }

    /// Follows the server's `x-ratelimit-limit` when it differs from ours.
    pub(crate) fn observe_limit(&self, limit: u32) {
        let mut s = self.lock();
        s.observed |= limit > 0;
        if limit > 0 && limit != s.limit {
            tracing::info!(old = s.limit, new = limit, "adopting the server's rate limit");
            s.limit = limit;
            s.interval = interval(limit, s.ceiling);
        }
    }

    /// Holds every request until `until` (after a 429 or `remaining: 0`).
    pub(crate) fn pause_until(&self, until: Instant) {
        let mut s = self.lock();
        if s.paused_until.is_none_or(|p| p < until) {
            s.paused_until = Some(until);
        }
    }

    pub(crate) fn per_minute(&self) -> f64 {
        let s = self.lock();
        f64::from(s.limit) * s.ceiling
    }

    pub(crate) fn ceiling(&self) -> f64 {
        self.lock().ceiling
    }

    /// The limit the server announced, if an answer carried one.
    pub(crate) fn observed_limit(&self) -> Option<u32> {
        let s = self.lock();
        s.observed.then_some(s.limit)
    }

    /// A fresh budget on the same limit (including one adopted from the server)
    /// paced at `ceiling`. A pause in force carries over: it reflects the org's
    /// window on the server, which the new budget draws on just the same.
    fn with_ceiling(&self, ceiling: f64) -> Budget {
        let s = self.lock();
        let b = Budget::new(s.limit, ceiling);
        b.lock().paused_until = s.paused_until;
        b.lock().observed = s.observed;
        b
    }
}

/// Both budgets of one client; clones of a client share them.
#[derive(Debug)]
pub(crate) struct Governor {
    pub(crate) org: Budget,
    pub(crate) search: Budget,
}

impl Governor {
    pub(crate) fn new(limits: RateLimits) -> Governor {
        Governor {
            org: Budget::new(limits.org_per_minute, limits.usage_ceiling),
            search: Budget::new(limits.search_per_minute, limits.usage_ceiling),
        }
    }

    /// Independent budgets on the same limits, paced at `ceiling`.
    pub(crate) fn with_ceiling(&self, ceiling: f64) -> Governor {
        Governor {
            org: self.org.with_ceiling(ceiling),
            search: self.search.with_ceiling(ceiling),
        }
    }

    /// Waits for a slot on the budgets `kind` draws on; in the `background`,
    /// only for an org slot the foreground leaves unused.
    pub(crate) async fn acquire(&self, kind: BudgetKind, background: bool) {
        if kind == BudgetKind::Search {
            tokio::time::sleep_until(self.search.reserve()).await;
        }
        if !background {
            tokio::time::sleep_until(self.org.reserve()).await;
            return;
        }
        while let Err(at) = self.org.reserve_idle() {
            // The foreground may keep it busy: look again at least each interval.
            tokio::time::sleep_until(at.min(Instant::now() + Duration::from_millis(50))).await;
        }
    }

    pub(crate) fn budget(&self, kind: BudgetKind) -> &Budget {
        match kind {
            BudgetKind::Org => &self.org,
            BudgetKind::Search => &self.search,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_background_takes_only_what_the_foreground_leaves() {
        let g = Governor::new(RateLimits {
            org_per_minute: 600,
            search_per_minute: 100,
            usage_ceiling: 1.0,
        });
        // The foreground books ten slots ahead (one every 100 ms).
        let start = Instant::now();
        for _ in 0..10 {
            let _ = g.org.reserve();
        }
        g.acquire(BudgetKind::Org, true).await;
        assert!(
            Instant::now() - start >= Duration::from_millis(900),
            "waited behind the foreground"
        );
        // Idle: at once.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let t = Instant::now();
        g.acquire(BudgetKind::Org, true).await;
        assert_eq!(Instant::now(), t);
    }

    #[tokio::test(start_paused = true)]
    async fn paces_to_the_ceiling() {
        let g = Governor::new(RateLimits {
            org_per_minute: 600,
            search_per_minute: 60,
            usage_ceiling: 0.5,
        });
        let start = Instant::now();
        for _ in 0..31 {
            g.acquire(BudgetKind::Org, false).await;
        }
        // 300/min allowed → 200 ms apart; 31 requests span 30 intervals, the
        // first 1 s of which the fresh budget may take at once (6 requests).
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        // Idle time earns credit, never more than BURST's worth.
        tokio::time::sleep(Duration::from_secs(10)).await;
        let start = Instant::now();
        for _ in 0..11 {
            g.acquire(BudgetKind::Org, false).await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1), "6 at once, then paced");
        let start = Instant::now();
        for _ in 0..4 {
            g.acquire(BudgetKind::Search, false).await;
        }
        // 30/min → 2 s apart; the first slot was free and the others start 1 s
        // early.
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn pause_and_server_limit() {
        let b = Budget::new(1000, 0.9);
        b.pause_until(Instant::now() + Duration::from_secs(5));
        let at = b.reserve();
        assert!(at >= Instant::now() + Duration::from_secs(5));
        assert_eq!(b.observed_limit(), None);
        b.observe_limit(300);
        assert!((b.per_minute() - 270.0).abs() < 1e-9);
        assert_eq!(b.observed_limit(), Some(300));
        let half = b.with_ceiling(0.5);
        assert!((half.per_minute() - 150.0).abs() < 1e-9, "keeps the adopted limit");
        assert_eq!(half.observed_limit(), Some(300));
        assert!(
            half.reserve() >= Instant::now() + Duration::from_secs(5),
            "keeps the pause"
        );
    }
}
