//! Retry decisions as a pure function of what happened, so every rule is
//! unit-tested without a server or a clock.

use std::time::Duration;

/// What a request attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A response with this status and these rate-limit hints.
    Status {
        /// HTTP status.
        status: u16,
        /// `Retry-After` header, verbatim.
        retry_after: Option<String>,
        /// `x-ratelimit-reset` header, verbatim (epoch seconds or a delta).
        ratelimit_reset: Option<String>,
    },
    /// No response within the timeout.
    Timeout,
    /// The connection failed or the body was cut short.
    Transport,
    /// A success status whose body was not valid JSON (a proxy's HTML page,
    /// a truncated body): worth one more try.
    BadBody,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Give up and report the error.
    Fail,
}

/// Retry limits and backoff shape.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after 5xx, timeouts, transport errors and bad bodies.
    pub max_retries: u32,
    /// Retries after 429. Rate limiting is the server pacing us, not a
    /// failure, so it gets a larger allowance.
    pub max_rate_limited_retries: u32,
    /// First backoff step.
    pub base_delay: Duration,
    /// Longest single wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            max_rate_limited_retries: 20,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Decides whether attempt number `attempt` (1-based) that ended in
    /// `outcome` is retried. `rate_limited_attempts` counts the 429s so far.
    /// `now_epoch` is the current Unix time in seconds (for epoch resets) and
    /// `jitter` a number in `[0, 1)` (full jitter for backoff).
    pub fn decide(
        &self,
        attempt: u32,
        rate_limited_attempts: u32,
        outcome: &Outcome,
        now_epoch: f64,
        jitter: f64,
    ) -> Decision {
        match outcome {
            Outcome::Status {
                status: 429,
                retry_after,
                ratelimit_reset,
            } => {
                if rate_limited_attempts > self.max_rate_limited_retries {
                    return Decision::Fail;
                }
                let hinted = retry_after
                    .as_deref()
                    .and_then(parse_retry_after)
                    .or_else(|| ratelimit_reset.as_deref().and_then(|r| parse_reset(r, now_epoch)));
                let wait = hinted.unwrap_or_else(|| self.backoff(rate_limited_attempts, jitter));
                Decision::RetryAfter(wait.min(self.max_delay))
            }
            Outcome::Status { status, .. } if *status >= 500 => self.failure(attempt, jitter),
            Outcome::Status { .. } => Decision::Fail,
            Outcome::Timeout | Outcome::Transport | Outcome::BadBody => self.failure(attempt, jitter),
        }
    }

    fn failure(&self, attempt: u32, jitter: f64) -> Decision {
        if attempt > self.max_retries {
            Decision::Fail
        } else {
            Decision::RetryAfter(self.backoff(attempt, jitter))
        }
    }

    /// Full-jitter exponential backoff: a uniform draw in
    /// `[base/2, base · 2^(n-1)]`, capped.
    fn backoff(&self, n: u32, jitter: f64) -> Duration {
        let ceiling = self.base_delay.as_secs_f64() * 2f64.powi(n.saturating_sub(1).min(16) as i32);
        let ceiling = ceiling.min(self.max_delay.as_secs_f64());
        let floor = self.base_delay.as_secs_f64() / 2.0;
        Duration::from_secs_f64(floor + (ceiling - floor).max(0.0) * jitter.clamp(0.0, 1.0))
    }
}

/// `Retry-After`: delta seconds (HTTP dates are not used by Kustomer; a value
/// that does not parse is ignored).
fn parse_retry_after(v: &str) -> Option<Duration> {
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// `x-ratelimit-reset`: epoch seconds, or a delta when under 10^9 (spec §9
/// leaves it open, so both are accepted). A reset in the past means "now".
pub(crate) fn parse_reset(v: &str, now_epoch: f64) -> Option<Duration> {
    let n: f64 = v.trim().parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let secs = if n < 1e9 { n } else { (n - now_epoch).max(0.0) };
    // Resets name whole seconds; wait a little past them so the window has turned.
    Some(Duration::from_secs_f64(secs + 0.05))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16, ra: Option<&str>, reset: Option<&str>) -> Outcome {
        Outcome::Status {
            status: s,
            retry_after: ra.map(Into::into),
            ratelimit_reset: reset.map(Into::into),
        }
    }

    #[test]
    fn rate_limit_waits_use_the_headers() {
        let p = RetryPolicy::default();
        let now = 1_700_000_000.0;
        assert_eq!(
            p.decide(1, 1, &status(429, Some("7"), None), now, 0.5),
            Decision::RetryAfter(Duration::from_secs(7))
        );
        assert_eq!(
            p.decide(1, 1, &status(429, None, Some("1700000012")), now, 0.5),
            Decision::RetryAfter(Duration::from_secs_f64(12.05))
        );
        assert_eq!(
            p.decide(1, 1, &status(429, None, Some("3")), now, 0.5),
            Decision::RetryAfter(Duration::from_secs_f64(3.05))
        );
        // No header: jittered backoff within bounds.
        match p.decide(1, 3, &status(429, None, None), now, 0.0) {
            Decision::RetryAfter(d) => assert_eq!(d, Duration::from_millis(250)),
            other => panic!("{other:?}"),
        }
        assert_eq!(p.decide(1, 21, &status(429, None, None), now, 0.5), Decision::Fail);
    }

    #[test]
    fn server_errors_retry_then_fail_and_client_errors_never_retry() {
        let p = RetryPolicy::default();
        assert!(matches!(
            p.decide(1, 0, &status(503, None, None), 0.0, 1.0),
            Decision::RetryAfter(_)
        ));
        assert!(matches!(
            p.decide(5, 0, &Outcome::Timeout, 0.0, 1.0),
            Decision::RetryAfter(_)
        ));
        assert_eq!(p.decide(6, 0, &Outcome::Transport, 0.0, 1.0), Decision::Fail);
        for s in [400, 401, 403, 404, 409, 413] {
            assert_eq!(p.decide(1, 0, &status(s, None, None), 0.0, 0.5), Decision::Fail, "{s}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        let d = |n| match p.decide(n, 0, &Outcome::Timeout, 0.0, 1.0) {
            Decision::RetryAfter(d) => d,
            Decision::Fail => Duration::ZERO,
        };
        assert!(d(1) < d(2) && d(2) < d(3));
        let huge = RetryPolicy {
            max_retries: 100,
            ..RetryPolicy::default()
        };
        assert_eq!(
            huge.decide(40, 0, &Outcome::Timeout, 0.0, 1.0),
            Decision::RetryAfter(Duration::from_secs(60))
        );
    }
}
