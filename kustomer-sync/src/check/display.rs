//! The check as `sync --check` prints it.

use std::fmt;

use super::{Access, CheckReport, RecordCount, TableCheck};
use crate::mode::FirstLoadMode;

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn count(c: Option<RecordCount>) -> String {
    match c {
        Some(RecordCount { n, at_least: true }) => format!("≥ {}", thousands(n)),
        Some(RecordCount { n, .. }) => thousands(n),
        None => String::new(),
    }
}

/// Minutes as the largest unit that reads well.
pub(crate) fn duration(minutes: f64) -> String {
    let secs = minutes * 60.0;
    match secs {
        s if s < 1.0 && s > 0.0 => "< 1 s".to_owned(),
        s if s < 90.0 => format!("{s:.0} s"),
        s if s < 90.0 * 60.0 => format!("{:.1} min", s / 60.0),
        s if s < 48.0 * 3600.0 => format!("{:.1} h", s / 3600.0),
        s => format!("{:.1} days", s / 86_400.0),
    }
}

fn status(a: &Access) -> String {
    match a {
        Access::Readable => "ok".to_owned(),
        Access::MissingRole { role, .. } => format!("missing role {role}"),
        Access::NotServed { .. } => "not served (404)".to_owned(),
        Access::Failed { message } => format!("failed: {message}"),
        Access::NotProbed { why } => format!("not probed ({why})"),
    }
}

impl TableCheck {
    /// Its status, with its GET list's when that one differs.
    pub fn status(&self) -> String {
        match &self.list {
            Some(l @ (Access::MissingRole { .. } | Access::NotServed { .. } | Access::Failed { .. })) => {
                format!("{}; GET list: {}", status(&self.access), status(l))
            }
            _ => status(&self.access),
        }
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.plan;
        let user = self.user.as_deref().map_or(String::new(), |u| format!(" as {u}"));
        writeln!(f, "Token works: {}{user}", self.base_url)?;
        let source = match self.rate_limit_from_server {
            true => "x-ratelimit-limit",
            false => "configured; no x-ratelimit-limit seen",
        };
        writeln!(
            f,
            "Rate limit: {}/min ({source}), search {}/min; paced at {:.0} %: {}/min and {}/min",
            thousands(u64::from(self.rate_limit)),
            thousands(u64::from(self.search_rate_limit)),
            self.usage_ceiling * 100.0,
            thousands(p.org_per_minute.round() as u64),
            thousands(p.search_per_minute.round() as u64),
        )?;
        let how = match self.first_load {
            FirstLoadMode::SearchOnly => "search only: the last two years",
            _ => "search for the last two years, GET lists and archive search for what is older",
        };
        writeln!(
            f,
            "First load ({how}); search's window starts {}\n",
            self.window_start.format("%Y-%m-%d %H:%M UTC")
        )?;
        writeln!(
            f,
            "{:<34} {:>11} {:>11} {:>11} {:>8} {:>9}  status",
            "table", "records", "archived", "org req.", "search", "time"
        )?;
        for t in &self.tables {
            let name = match t.parent {
                Some(_) => format!("  {}", t.table),
                None => t.table.clone(),
            };
            let ge = if t.lower_bound { "≥ " } else { "" };
            let reqs = |n: u64| {
                if n == 0 {
                    String::new()
                } else {
                    format!("{ge}{}", thousands(n))
                }
            };
            let minutes = ((t.org_requests + t.search_requests) as f64 / p.org_per_minute)
                .max(t.search_requests as f64 / p.search_per_minute);
            let time = if minutes > 0.0 {
                duration(minutes)
            } else {
                String::new()
            };
            writeln!(
                f,
                "{name:<34} {:>11} {:>11} {:>11} {:>8} {time:>9}  {}",
                count(t.records),
                count(t.archived),
                reqs(t.org_requests),
                reqs(t.search_requests),
                t.status(),
            )?;
        }
        let noted: Vec<&TableCheck> = self.tables.iter().filter(|t| !t.notes.is_empty()).collect();
        if !noted.is_empty() {
            writeln!(f)?;
            for t in noted {
                for n in &t.notes {
                    writeln!(f, "{}: {n}", t.table)?;
                }
            }
        }
        let ge = if p.lower_bound { "≥ " } else { "" };
        // "≥ < 1 s" says nothing more than "< 1 s".
        let at_least = |minutes: f64| match duration(minutes) {
            d if d.starts_with('<') => d,
            d => format!("{ge}{d}"),
        };
        writeln!(
            f,
            "\nOrg budget:    {ge}{} GET + {} search requests at {}/min = {}",
            thousands(p.org_requests),
            thousands(p.search_requests),
            thousands(p.org_per_minute.round() as u64),
            at_least(p.org_minutes),
        )?;
        writeln!(
            f,
            "Search budget: {ge}{} requests at {}/min = {}",
            thousands(p.search_requests),
            thousands(p.search_per_minute.round() as u64),
            at_least(p.search_minutes),
        )?;
        if p.detail_requests > 0 {
            let share = p.detail_requests as f64 / (p.org_requests + p.search_requests).max(1) as f64;
            writeln!(
                f,
                "Per-parent detail tables: {ge}{} requests ({:.0} % of the org budget, {}); a first load \
                 reads them after every core table (core tables complete after {}), --details-per-run N \
                 spreads them over runs, --exclude-tables leaves them out",
                thousands(p.detail_requests),
                share * 100.0,
                at_least(p.detail_requests as f64 / p.org_per_minute),
                at_least(p.core_minutes),
            )?;
        }
        let missing = self.missing_roles();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|(t, r)| format!("{t} ({r})")).collect();
            writeln!(f, "Missing roles: {}", list.join(", "))?;
        }
        write!(
            f,
            "Estimated first load: {} at the usage ceiling (the longer budget; both run in parallel). \
             The check sent {} requests.",
            at_least(p.estimate_minutes),
            self.requests
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(100), "100");
        assert_eq!(duration(0.5), "30 s");
        assert_eq!(duration(30.0), "30.0 min");
        assert_eq!(duration(6.0 * 60.0), "6.0 h");
        assert_eq!(duration(3.0 * 24.0 * 60.0), "3.0 days");
    }
}
