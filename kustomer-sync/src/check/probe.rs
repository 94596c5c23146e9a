//! The requests of a check: one small request per endpoint, and the counts
//! a plan needs (search totals, archive totals). Nothing is read in full.

use chrono::{DateTime, Utc};
use kustomer_api::search::{Criterion, QueryContext, SearchQuery, SortOrder};
use kustomer_api::{BudgetKind, Client, Method, RESULT_WINDOW};
use kustomer_models::{Klass, Page};
use serde::de::IgnoredAny;

use super::{Access, RecordCount};
use crate::error::SyncError;
use crate::keyset::IdAt;
use crate::streams::{role_for_path, ListSource, Probe, ProbeDetail};

/// `meta.total` of a page (`data.len()` when absent, "at least" when more
/// follow). A total of exactly [`RESULT_WINDOW`] may be capped: "at least";
/// one past it was not.
fn total_of<T>(page: &Page<T>) -> RecordCount {
    match page.meta.total.as_ref() {
        Some(t) => {
            let n = t.0.max(0) as u64;
            RecordCount {
                n,
                at_least: n == u64::from(RESULT_WINDOW),
            }
        }
        None => RecordCount {
            n: page.data.len() as u64,
            at_least: page.links.next.is_some() && !page.data.is_empty(),
        },
    }
}

/// Records of a list asked with `pageSize=1`: `meta.total`, else the page
/// number of `links.last` (one record a page), else unknown.
fn list_total<T>(page: &Page<T>) -> Option<RecordCount> {
    if page.meta.total.is_some() {
        return Some(total_of(page));
    }
    let last = page.links.last.as_deref()?;
    let n = last
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("page="))?
        .parse::<u64>()
        .ok()?;
    Some(RecordCount {
        n: if page.data.is_empty() { 0 } else { n },
        at_least: false,
    })
}

/// The role an answer names (`org.permission.…`), if it names one: the
/// server's word beats our guess from the path.
fn named_role(e: &kustomer_api::Error) -> Option<String> {
    let text = e.to_string();
    let at = text.find("org.permission.")?;
    let role: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    Some(role.trim_end_matches('.').to_owned())
}

/// What a refused request says about the endpoint. A rejected token is no
/// answer about one endpoint: it ends the check.
pub(super) fn access_of(e: kustomer_api::Error, role: &str) -> Result<Access, SyncError> {
    if e.is_unauthorized() {
        return Err(e.into());
    }
    Ok(if e.is_forbidden() {
        Access::MissingRole {
            role: named_role(&e).unwrap_or_else(|| role.to_owned()),
            message: e.to_string(),
        }
    } else if e.is_not_found() {
        Access::NotServed { message: e.to_string() }
    } else {
        Access::Failed { message: e.to_string() }
    })
}

/// Total of one search (or archive search) query, and its first item.
async fn search_total(
    client: &Client,
    query: &SearchQuery,
    archive: bool,
) -> Result<(RecordCount, Option<IdAt>), kustomer_api::Error> {
    let page: Page<IdAt> = match archive {
        true => client.archive_search_page(query, 1, 1).await?,
        false => client.search_page(query, 1, 1).await?,
    };
    let count = total_of(&page);
    Ok((count, page.data.into_iter().next()))
}

/// Records of `context` updated in `[from, before)` (either bound open),
/// newest first, live only.
fn window_query(context: &QueryContext, from: Option<DateTime<Utc>>, before: Option<DateTime<Utc>>) -> SearchQuery {
    let field = context.updated_at_field();
    let mut q = SearchQuery::new(context.clone()).sort(field.clone(), SortOrder::Desc);
    if let Some(f) = from {
        q = q.and(Criterion::gte(field.clone(), f));
    }
    if let Some(b) = before {
        q = q.and(Criterion::lt(field, b));
    }
    q
}

/// Archive search's total, or why it cannot be read.
#[derive(Debug, Clone)]
pub(super) enum Archived {
    /// Its total before the window.
    Counted(RecordCount),
    /// Refused (no endpoint, no role, no note fields): records older than
    /// two years are loaded as far as the lists reach, unverified.
    Refused(String),
    /// Not asked (search-only first loads, or search refused).
    NotAsked,
}

/// What the probes of one incremental stream found.
#[derive(Debug)]
pub(super) struct SearchFound {
    /// Search itself.
    pub access: Access,
    /// Search refused the context with a 400 and the stream reads its list instead.
    pub refused_context: bool,
    /// Live records updated since the window start.
    pub in_window: Option<RecordCount>,
    /// Live records older than the window (archive search).
    pub archived: Archived,
    /// The first GET list, and how many lists there are.
    pub list: Option<(Access, Option<RecordCount>)>,
    pub lists: u32,
    /// Each detail list (asked with one record), and whether it is wanted.
    pub details: Vec<(ProbeDetail, Access)>,
    /// Notes and messages: conversations created before the window (archive search,
    /// search): one request each checks their notes.
    pub old_parents: Option<(Option<RecordCount>, RecordCount)>,
    /// What the report should say.
    pub notes: Vec<String>,
}

/// What one stream's probe found.
#[derive(Debug)]
pub(super) enum Found {
    Search(Box<SearchFound>),
    /// A GET endpoint: its access, its records if known, and whether more
    /// pages follow the one record asked.
    Get {
        access: Access,
        records: Option<RecordCount>,
    },
    NotProbed,
}

/// What the probes need to know about the run.
pub(super) struct Ctx<'a> {
    pub client: &'a Client,
    /// Our clock at the start of the check.
    pub now: DateTime<Utc>,
    pub start_date: Option<DateTime<Utc>>,
    pub lists_mode: bool,
    pub klasses: &'a Option<Vec<String>>,
}

impl Ctx<'_> {
    /// Where a first load hands over to search when the server's time is
    /// `now` (as `FirstLoadPlan::choose_split` does).
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let floor = now - super::WINDOW;
        floor.max(self.start_date.unwrap_or(floor))
    }
}

/// Klass names (for the KObject lists), or `None` if they cannot be read.
pub(super) async fn klass_names(client: &Client) -> Result<Option<Vec<String>>, SyncError> {
    use futures::TryStreamExt;
    match client.list::<Klass>("/v1/klasses", 100).try_collect::<Vec<_>>().await {
        Ok(pages) => Ok(Some(
            pages
                .into_iter()
                .flat_map(|p| p.data)
                .filter_map(|k| k.attributes.name.clone())
                .collect(),
        )),
        Err(e) if e.is_unauthorized() => Err(e.into()),
        Err(_) => Ok(None),
    }
}

/// Asks one stream's endpoint(s).
pub(super) async fn probe(cx: &Ctx<'_>, probe: Option<Probe>, role: String) -> Result<Found, SyncError> {
    let client = cx.client;
    match probe {
        None => Ok(Found::NotProbed),
        Some(Probe::Search {
            context,
            lists,
            list_fallback,
            details,
        }) => Ok(Found::Search(Box::new(
            probe_search(cx, context, lists, list_fallback, details, role).await?,
        ))),
        Some(Probe::List { path, page_size, .. }) => {
            // A page of up to 100 (most configuration lists fit in it, so
            // their count is exact) is still one request, and a small one.
            let sep = if path.contains('?') { '&' } else { '?' };
            let size = page_size.min(100);
            let (access, records) = match client
                .get_page::<IgnoredAny>(&format!("{path}{sep}page=1&pageSize={size}"))
                .await
            {
                Ok(p) => (Access::Readable, Some(total_of(&p))),
                Err(e) => (access_of(e, &role)?, None),
            };
            Ok(Found::Get { access, records })
        }
        Some(Probe::Cursor { path, .. }) => {
            let (access, records) = match client.get_page::<IgnoredAny>(&format!("{path}?count=1")).await {
                Ok(p) => (Access::Readable, p.meta.total.is_some().then(|| total_of(&p))),
                Err(e) => (access_of(e, &role)?, None),
            };
            Ok(Found::Get { access, records })
        }
        Some(Probe::Fixed { paths }) => {
            let Some(path) = paths.first() else {
                return Ok(Found::NotProbed);
            };
            let access = match client.send(Method::GET, path, None, BudgetKind::Org).await {
                Ok(_) => Access::Readable,
                Err(e) => access_of(e, &role)?,
            };
            Ok(Found::Get { access, records: None })
        }
    }
}

/// Search in the window (which also says whether search may be read),
/// archive search before it, the first GET list, and each detail list with
/// the first record found.
async fn probe_search(
    cx: &Ctx<'_>,
    context: QueryContext,
    lists: Option<ListSource>,
    list_fallback: bool,
    details: Vec<ProbeDetail>,
    role: String,
) -> Result<SearchFound, SyncError> {
    let client = cx.client;
    let mut found = SearchFound {
        access: Access::Readable,
        refused_context: false,
        in_window: None,
        archived: Archived::NotAsked,
        list: None,
        lists: 0,
        details: Vec::new(),
        old_parents: None,
        notes: Vec::new(),
    };
    let mut window_start = cx.window_start(cx.now);
    let mut first_id = None;
    match search_total(client, &window_query(&context, Some(window_start), None), false).await {
        Ok((mut count, first)) => {
            // A server clock ahead of ours (the newest record is "later"
            // than now): the first load takes its window from the server.
            let newest = first.as_ref().and_then(|f| f.attributes.updated_at);
            if let Some(n) = newest.filter(|n| *n > cx.now + chrono::Duration::minutes(5)) {
                if cx.window_start(n) != window_start {
                    window_start = cx.window_start(n);
                    let q = window_query(&context, Some(window_start), None);
                    count = search_total(client, &q, false).await?.0;
                    found
                        .notes
                        .push(format!("the server's clock is ahead: counted from {window_start}"));
                }
            }
            first_id = first.map(|f| f.id);
            found.in_window = Some(count);
        }
        Err(e) if list_fallback && e.is_bad_request() => {
            found.refused_context = true;
            found
                .notes
                .push("search refuses this context (400): its GET list is read in full instead".to_owned());
        }
        Err(e) => {
            found.access = access_of(e, &role)?;
            return Ok(found);
        }
    }
    if cx.lists_mode || found.refused_context {
        if context == QueryContext::Note {
            found.archived = Archived::Refused("archive search has no note fields".to_owned());
        } else {
            let before = window_query(&context, cx.start_date, Some(window_start));
            found.archived = match search_total(client, &before, true).await {
                Ok((count, first)) => {
                    first_id = first_id.or(first.map(|f| f.id));
                    Archived::Counted(count)
                }
                Err(e) if e.is_unauthorized() => return Err(e.into()),
                Err(e) => Archived::Refused(format!("archive search refused: {e}")),
            };
        }
    }
    if let Some(source) = lists.filter(|_| cx.lists_mode || found.refused_context) {
        let klasses = cx.klasses.clone().unwrap_or_default();
        let paths = source.paths(&klasses);
        found.lists = paths.len().max(1) as u32;
        found.list = match paths.first() {
            None if cx.klasses.is_none() => Some((
                Access::NotProbed {
                    why: "the klasses cannot be listed".to_owned(),
                },
                None,
            )),
            None => None,
            Some(path) => Some(
                match client
                    .get_page::<IgnoredAny>(&format!("{path}?page=1&pageSize=1"))
                    .await
                {
                    Ok(p) => (Access::Readable, list_total(&p)),
                    Err(e) => (access_of(e, &role_for_path(path))?, None),
                },
            ),
        };
    }
    // Notes (and messages, when it is cheaper) older than two years are
    // checked through the conversations created before the window.
    if cx.lists_mode && matches!(context, QueryContext::Note | QueryContext::Message) {
        found.old_parents = old_conversations(cx, window_start).await?;
    }
    for d in details {
        let access = match &first_id {
            None => Access::NotProbed {
                why: "no record to ask for".to_owned(),
            },
            Some(id) => match d.source.fetch(client.clone(), id.clone()).await {
                Ok(_) => Access::Readable,
                Err(SyncError::Api(e)) => access_of(e, &d.source.role())?,
                Err(e) => Access::Failed { message: e.to_string() },
            },
        };
        found.details.push((d, access));
    }
    Ok(found)
}

/// Conversations created before the window (live): archive search's (if it
/// answers) and search's.
async fn old_conversations(
    cx: &Ctx<'_>,
    window_start: DateTime<Utc>,
) -> Result<Option<(Option<RecordCount>, RecordCount)>, SyncError> {
    let ctx = QueryContext::Conversation;
    let q = SearchQuery::new(ctx.clone()).and(Criterion::lt(ctx.created_at_field(), window_start));
    let mut totals = Vec::new();
    for archive in [true, false] {
        totals.push(match search_total(cx.client, &q, archive).await {
            Ok((n, _)) => Some(n),
            Err(e) if e.is_unauthorized() => return Err(e.into()),
            Err(_) => None,
        });
    }
    Ok(totals[1].map(|searched| (totals[0], searched)))
}
