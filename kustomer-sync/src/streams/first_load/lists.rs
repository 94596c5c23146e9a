//! The GET lists of a first load: several pages in flight, never past the
//! 10,000-record window, never failing the load on a refused page.

use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, FuturesOrdered};
use futures::StreamExt;
use kustomer_api::{Client, RESULT_WINDOW};
use kustomer_models::{Entity, FlatRecord, Page};
use std::sync::Arc;

use super::{timestamp, Part};
use crate::error::SyncError;
use crate::shaping::Shaper;

/// List pages requested at once per list.
const LIST_CONCURRENCY: usize = 4;
/// Records per list page (the documented maximum of most lists).
pub(super) const LIST_PAGE_SIZE: u32 = 100;
/// The last page a list may be asked for: no query reaches past record
/// 10,000, so page 101 at 100 a page is refused (a 400) by the real API.
const LAST_LIST_PAGE: u32 = RESULT_WINDOW / LIST_PAGE_SIZE;

/// How a list's reading ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ListEnd {
    /// More pages follow.
    More(u32),
    /// The list was read to its end, or to the split.
    Done,
    /// The list holds more than a query may reach (the 10,000-record window,
    /// or a 400 on a page: a smaller window than documented); the
    /// reconciliation finds the rest.
    Windowed(String),
}

/// The pages of one list from `page` on, several in flight. A list seen in
/// ascending `createdAt` order ends at the first page created wholly at or
/// after `split`: search reads those.
pub(super) fn list_pages<E: Entity>(
    client: Client,
    path: String,
    page: u32,
    split: DateTime<Utc>,
    shaper: Arc<Shaper>,
) -> BoxStream<'static, Result<Part<E>, SyncError>> {
    let created_col = shaper.tables().parent.column_index("created_at");
    async_stream::try_stream! {
        if page > LAST_LIST_PAGE {
            yield Part::List { path: path.clone(), end: windowed(&path, None), records: Vec::new() };
            return;
        }
        let mut next = page;
        let mut in_flight = FuturesOrdered::new();
        let mut ascending = true;
        let mut last_created: Option<DateTime<Utc>> = None;
        loop {
            while in_flight.len() < LIST_CONCURRENCY && next <= LAST_LIST_PAGE {
                let (c, q) = (client.clone(), format!("{path}?page={next}&pageSize={LIST_PAGE_SIZE}"));
                in_flight.push_back(async move { (next, c.get_page::<E>(&q).await) });
                next += 1;
            }
            let Some((page_no, res)) = in_flight.next().await else { break };
            let p: Page<E> = match res {
                Ok(p) => p,
                // A page the API refuses (a window smaller than documented):
                // stop here, never retry it from the bookmark.
                Err(e) if e.status() == Some(400) => {
                    yield Part::List { path: path.clone(), end: windowed(&path, Some(e.to_string())), records: Vec::new() };
                    break;
                }
                Err(e) => Err(e)?,
            };
            let end = p.links.next.is_none() || p.data.is_empty();
            let records: Vec<FlatRecord> = p.data.into_iter().map(|r| shaper.shape(r)).collect();
            let created: Vec<Option<DateTime<Utc>>> = records.iter().map(|r| timestamp(r, created_col)).collect();
            for c in &created {
                match (c, last_created) {
                    (Some(c), Some(l)) if *c < l => ascending = false,
                    (None, _) => ascending = false,
                    _ => {}
                }
                if c.is_some() {
                    last_created = *c;
                }
            }
            let past_split = ascending && !created.is_empty() && created.iter().all(|c| c.is_some_and(|c| c >= split));
            let end = if end || past_split {
                ListEnd::Done
            } else if page_no >= LAST_LIST_PAGE {
                windowed(&path, None)
            } else {
                ListEnd::More(page_no + 1)
            };
            let stop = !matches!(end, ListEnd::More(_));
            yield Part::List { path: path.clone(), end, records };
            if stop {
                break;
            }
        }
    }
    .boxed()
}

fn windowed(path: &str, refused: Option<String>) -> ListEnd {
    let why = match refused {
        Some(e) => format!("GET {path} refused a page ({e})"),
        None => format!("GET {path} holds more than the {RESULT_WINDOW} records a query may reach"),
    };
    tracing::info!("{why}: the reconciliation fetches the rest by id");
    ListEnd::Windowed(why)
}
