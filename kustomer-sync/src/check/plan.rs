//! The first load's cost, table by table, from what the probes counted: the
//! same reads as `streams::first_load` makes, counted in requests per budget.

use std::collections::HashSet;

use kustomer_api::search::QueryContext;
use kustomer_api::RESULT_WINDOW;

use super::probe::{Archived, Found, SearchFound};
use super::{Access, RecordCount, TableCheck};
use crate::mode::Mode;
use crate::streams::Probe;

/// Records per search or archive search request in a first load.
const SEARCH_PAGE: u64 = 500;
/// Records per GET list request in a first load.
const LIST_PAGE: u64 = 100;
/// Records one list reaches (no query reaches past record 10,000).
const LIST_REACH: u64 = RESULT_WINDOW as u64;
/// Search requests besides the pages: the newest record (the split), the
/// catch-up after the lists.
const SEARCH_OVERHEAD: u64 = 2;

fn pages(n: u64, size: u64) -> u64 {
    n.div_ceil(size)
}

/// Requests of a keyset read of `n` records: a page short of full ends it.
fn keyset(n: u64) -> u64 {
    n / SEARCH_PAGE + 1
}

/// A row with no cost yet.
fn row(table: &str, mode: Mode, access: Access) -> TableCheck {
    TableCheck {
        table: table.to_owned(),
        parent: None,
        mode: mode.as_str().to_owned(),
        access,
        list: None,
        records: None,
        archived: None,
        org_requests: 0,
        search_requests: 0,
        lower_bound: false,
        notes: Vec::new(),
    }
}

/// The rows of one stream (an incremental stream also has one per detail
/// table it fetches).
pub(super) fn rows(
    name: &str,
    mode: Mode,
    probe: Option<&Probe>,
    found: Found,
    lists_mode: bool,
    details_after: bool,
    excluded: &HashSet<String>,
) -> Vec<TableCheck> {
    match (found, probe) {
        (Found::Search(f), Some(Probe::Search { context, .. })) => {
            let mut rows = search_rows(name, mode, context, *f, lists_mode, excluded);
            // After the core tables, each parent is read again by id with
            // its detail lists: one request more per parent.
            if let Some(d) = rows
                .iter_mut()
                .skip(1)
                .find(|d| d.org_requests > 0)
                .filter(|_| details_after)
            {
                let parents = d.org_requests;
                d.org_requests += parents;
                d.notes.push(format!(
                    "read after the core tables: each parent again by id (+{parents} requests)"
                ));
            }
            rows
        }
        (Found::Get { access, records }, Some(p)) => {
            let mut r = row(name, mode, access);
            r.records = records;
            if r.access == Access::Readable {
                let known = records.map(|c| c.n);
                r.org_requests = match p {
                    Probe::List {
                        page_size, per_record, ..
                    } => known.map_or(1, |n| {
                        pages(n, u64::from(*page_size)).max(1) + u64::from(*per_record) * n
                    }),
                    Probe::Cursor { page_size, .. } => known.map_or(1, |n| pages(n, u64::from(*page_size)).max(1)),
                    Probe::Fixed { paths } => paths.len() as u64,
                    Probe::Search { .. } => 0,
                };
                r.lower_bound = !matches!(p, Probe::Fixed { .. }) && records.is_none_or(|c| c.at_least);
            }
            vec![r]
        }
        _ => vec![row(
            name,
            mode,
            Access::NotProbed {
                why: "no probe for this stream".to_owned(),
            },
        )],
    }
}

fn search_rows(
    name: &str,
    mode: Mode,
    context: &QueryContext,
    f: SearchFound,
    lists_mode: bool,
    excluded: &HashSet<String>,
) -> Vec<TableCheck> {
    let mut r = row(name, mode, f.access.clone());
    r.notes = f.notes;
    r.records = f.in_window;
    r.list = f.list.as_ref().map(|(a, _)| a.clone());
    if r.access != Access::Readable {
        return vec![r];
    }
    let window = f.in_window.unwrap_or(RecordCount { n: 0, at_least: false });
    let archived = match &f.archived {
        Archived::Counted(c) => Some(*c),
        Archived::Refused(why) if *context != QueryContext::Note => {
            r.notes.push(format!(
                "{why}: records older than two years load as far as the lists reach, unverified"
            ));
            None
        }
        _ => None,
    };
    r.archived = archived;
    let list_total = f.list.as_ref().and_then(|(_, t)| *t);
    let list_refused = f
        .list
        .as_ref()
        .is_some_and(|(a, _)| !matches!(a, Access::Readable | Access::NotProbed { .. }));
    let k = u64::from(f.lists.max(1));
    let mut lower = window.at_least || archived.is_some_and(|a| a.at_least);
    // Records older than the window: archive search's count, else what the
    // list holds beyond the window, else unknown (a lower bound of 0).
    let older = match (archived, list_total) {
        (Some(a), _) => a.n,
        (None, Some(t)) => t.n.saturating_sub(window.n),
        (None, None) => {
            // A note is younger than its conversation: none is older than the
            // window if no conversation is.
            let old_notes = match f.old_parents {
                Some((Some(a), s)) => a.n + s.n > 0,
                _ => true,
            };
            lower |= match context {
                QueryContext::Note => lists_mode && old_notes,
                _ => matches!(f.archived, Archived::Refused(_)),
            };
            0
        }
    };
    let archive_probe = u64::from(lists_mode && *context != QueryContext::Note);
    let loaded;
    if f.refused_context {
        // The GET list read in full (as a replace table) instead of search.
        let n = list_total.map_or(older, |t| t.n);
        lower |= list_total.is_none_or(|t| t.at_least);
        r.org_requests = pages(n, LIST_PAGE).max(1);
        r.search_requests = 1;
        loaded = n;
    } else if !lists_mode {
        r.search_requests = keyset(window.n);
        loaded = window.n;
    } else if list_refused {
        r.notes.push(
            "its GET list is refused: the first load reads archive search and search instead; records untouched \
             for two years arrive thin (scalar attributes only) until they next change"
                .to_owned(),
        );
        r.org_requests = 1;
        r.search_requests = SEARCH_OVERHEAD + archive_probe + keyset(older) + keyset(window.n);
        loaded = window.n + older;
    } else {
        r.search_requests = SEARCH_OVERHEAD + archive_probe + keyset(window.n);
        // The lists stop at the window (a page past it) and at record 10,000.
        r.org_requests = 1 + (pages(older, LIST_PAGE) + k).min(k * LIST_REACH / LIST_PAGE);
        let beyond = older.saturating_sub(k * LIST_REACH);
        // Messages past the lists' reach are read per conversation when
        // those are fewer (exact counts only, as the first load decides).
        let per_parent = match (context, archived, f.old_parents) {
            (QueryContext::Note, ..) => true,
            (QueryContext::Message, Some(a), Some((Some(p), s))) => {
                !a.at_least && !p.at_least && !s.at_least && beyond > p.n + s.n
            }
            _ => false,
        };
        if *context == QueryContext::Message && archived.is_some() && beyond > 0 {
            // The first load's three counts that decide it.
            r.search_requests += 3;
        }
        if archived.is_some() && (!per_parent || *context == QueryContext::Message) {
            // The check by id: archive search enumerates the older ids (search
            // the sliver before the split); what no list (or thread) reached
            // is fetched by id.
            r.search_requests += keyset(older) + 1;
            if !per_parent {
                r.org_requests += beyond;
            }
            if beyond > 0 && !per_parent {
                r.notes.push(format!(
                    "{beyond} records beyond the lists' reach are fetched by id (1 request each)"
                ));
            }
        } else {
            r.search_requests += 1;
        }
        if per_parent {
            match f.old_parents {
                Some((archived_parents, searched)) => {
                    let a = archived_parents.map_or(0, |c| c.n);
                    let n = a + searched.n;
                    lower |= searched.at_least || archived_parents.is_none_or(|c| c.at_least);
                    r.org_requests += n;
                    r.search_requests += keyset(a) + keyset(searched.n);
                    if n > 0 {
                        r.notes.push(format!(
                            "{name} older than two years are checked through the {n} conversations created \
                             before the window (1 request each)"
                        ));
                    }
                }
                None => {
                    lower = true;
                    r.notes
                        .push("conversations created before the window could not be counted".to_owned());
                }
            }
        }
        // Each list's last page lies past the split: search loads those
        // records too, and both bring their detail lists.
        loaded = window.n + older + window.n.min(k * LIST_PAGE);
    }
    r.lower_bound = lower;
    let mut out = vec![r];
    for (d, access) in f.details {
        if excluded.contains(&d.table) {
            continue;
        }
        let mut dr = row(&d.table, mode, access);
        dr.parent = Some(name.to_owned());
        if matches!(dr.access, Access::Readable | Access::NotProbed { .. }) {
            // One request per record loaded (more for a list past one page).
            dr.org_requests = loaded;
            dr.lower_bound = lower;
        }
        out.push(dr);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(window: u64, archived: u64) -> SearchFound {
        SearchFound {
            access: Access::Readable,
            refused_context: false,
            in_window: Some(RecordCount {
                n: window,
                at_least: false,
            }),
            archived: Archived::Counted(RecordCount {
                n: archived,
                at_least: false,
            }),
            list: Some((Access::Readable, None)),
            lists: 1,
            details: Vec::new(),
            old_parents: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn first_load_costs_follow_the_reads() {
        let none = HashSet::new();
        let ctx = QueryContext::Customer;
        // 12,000 in the window, 25,000 older: 24 search pages + overhead; the
        // list's 100 pages (+1 probe); the check by id reads 50 archive pages
        // (+1 for the sliver) and fetches the 15,000 no list reached.
        let r = &search_rows("customers", Mode::Update, &ctx, found(12_000, 25_000), true, &none)[0];
        assert_eq!(r.search_requests, 2 + 1 + 25 + 51 + 1);
        assert_eq!(r.org_requests, 1 + 100 + 15_000);
        // Messages past the list's reach outnumber the old conversations:
        // read per conversation (1 request each), not by id.
        let mut f = found(12_000, 25_000);
        f.old_parents = Some((
            Some(RecordCount {
                n: 4_000,
                at_least: false,
            }),
            RecordCount {
                n: 1_000,
                at_least: false,
            },
        ));
        let r = &search_rows("messages", Mode::Update, &QueryContext::Message, f, true, &none)[0];
        assert_eq!(r.org_requests, 1 + 100 + 5_000);
        assert_eq!(r.search_requests, 2 + 1 + 25 + 3 + 51 + 1 + 9 + 3);
        // Fewer beyond the reach than old conversations: by id.
        let mut f = found(12_000, 12_000);
        f.old_parents = Some((
            Some(RecordCount {
                n: 4_000,
                at_least: false,
            }),
            RecordCount {
                n: 1_000,
                at_least: false,
            },
        ));
        let r = &search_rows("messages", Mode::Update, &QueryContext::Message, f, true, &none)[0];
        assert_eq!(r.org_requests, 1 + 100 + 2_000);
        // Search only: the window's pages and the catch-up.
        let r = &search_rows("customers", Mode::Update, &ctx, found(12_000, 25_000), false, &none)[0];
        assert_eq!((r.search_requests, r.org_requests), (25, 0));
        // A young org: one list page finds the window's start.
        let r = &search_rows("customers", Mode::Update, &ctx, found(800, 0), true, &none)[0];
        assert_eq!((r.search_requests, r.org_requests), (2 + 1 + 2 + 1 + 1, 2));
    }
}
