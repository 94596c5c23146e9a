//! Fixed-window rate limits: the org-wide budget and the search budget (spec §9).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// The length of one rate-limit window.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// What the `x-ratelimit-*` headers report for one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    /// `x-ratelimit-limit`.
    pub limit: u32,
    /// `x-ratelimit-remaining`.
    pub remaining: u32,
    /// `x-ratelimit-reset`: the window's end as UTC epoch seconds.
    pub reset: u64,
}

/// One budget of `limit` requests per fixed 60-second window. Windows are aligned to
/// the simulator's start, in real (tokio) time, so tests can pause time.
#[derive(Debug)]
struct Budget {
    limit: u32,
    used: u32,
    window_start: Instant,
}

impl Budget {
    fn new(limit: u32, start: Instant) -> Self {
        Self {
            limit,
            used: 0,
            window_start: start,
        }
    }

    /// Moves to the window containing `now`, emptying the count if it changed.
    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= WINDOW {
            let windows = (elapsed.as_secs() / WINDOW.as_secs()) as u32;
            self.window_start += WINDOW * windows;
            self.used = 0;
        }
    }

    fn headers(&self, now: Instant) -> RateHeaders {
        let left = (self.window_start + WINDOW).saturating_duration_since(now);
        let reset_at = SystemTime::now() + left;
        let reset = reset_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
        RateHeaders {
            limit: self.limit,
            remaining: self.limit.saturating_sub(self.used),
            reset,
        }
    }
}

/// The outcome of charging a request to the budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Serve it; report these headers (if any budget is configured).
    Allowed(Option<RateHeaders>),
    /// Answer 429 with these headers.
    Throttled(RateHeaders),
}

/// The org's budgets.
#[derive(Debug)]
pub(crate) struct Limits {
    org: Option<Budget>,
    search: Option<Budget>,
}

impl Limits {
    /// Budgets of `org` requests and `search` searches per window (`None` = unlimited).
    pub(crate) fn new(org: Option<u32>, search: Option<u32>) -> Self {
        let start = Instant::now();
        Self {
            org: org.map(|l| Budget::new(l, start)),
            search: search.map(|l| Budget::new(l, start)),
        }
    }

    /// Charges one request. Every request draws on the org budget; a search also draws
    /// on the search budget. A request refused by the org budget does not touch the
    /// search budget. Successful responses report whichever budget has less left.
    pub(crate) fn charge(&mut self, is_search: bool) -> Verdict {
        self.charge_at(Instant::now(), is_search)
    }

    /// [`Limits::charge`] at a given instant.
    fn charge_at(&mut self, now: Instant, is_search: bool) -> Verdict {
        let mut reported: Option<RateHeaders> = None;
        let budgets = [Some(&mut self.org), is_search.then_some(&mut self.search)];
        for budget in budgets.into_iter().flatten().flatten() {
            budget.roll(now);
            if budget.used >= budget.limit {
                return Verdict::Throttled(budget.headers(now));
            }
            budget.used += 1;
            let h = budget.headers(now);
            if reported.is_none_or(|r| h.remaining <= r.remaining) {
                reported = Some(h);
            }
        }
        Verdict::Allowed(reported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_reports_nothing() {
        let mut l = Limits::new(None, None);
        assert_eq!(l.charge(true), Verdict::Allowed(None));
    }

    #[test]
    fn throttles_then_resets_after_the_window() {
        let mut l = Limits::new(Some(3), Some(1));
        let t0 = Instant::now();
        let Verdict::Allowed(Some(h)) = l.charge_at(t0, true) else {
            panic!("first search must pass")
        };
        assert_eq!((h.limit, h.remaining), (1, 0));
        assert!(matches!(l.charge_at(t0, true), Verdict::Throttled(h) if h.limit == 1));
        assert!(matches!(l.charge_at(t0, false), Verdict::Allowed(Some(h)) if h.remaining == 0));
        assert!(matches!(l.charge_at(t0, false), Verdict::Throttled(h) if h.limit == 3 && h.remaining == 0));
        let later = t0 + WINDOW + Duration::from_millis(1);
        assert!(matches!(l.charge_at(later, true), Verdict::Allowed(Some(h)) if h.remaining == 0 && h.limit == 1));
    }
}
