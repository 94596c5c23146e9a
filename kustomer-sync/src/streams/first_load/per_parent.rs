//! The exact check of records older than search's window through their
//! conversations: notes, which archive search cannot enumerate (its schema
//! has no note fields), and messages when that takes fewer requests than
//! fetching by id the ones the lists did not reach (a conversation's list
//! brings its whole thread, 100 a page).
//!
//! A note or message is created after its conversation, so one untouched
//! for two years belongs to a conversation created before the window: each
//! of those (enumerated by keyset through archive search and search) is
//! asked for its list (`/v1/conversations/{id}/notes`, `…/messages`, on the
//! org budget). They come at full attributes: those the load missed are
//! written as they are, and rows the org no longer lists are fetched by id
//! (a 404 marks them vanished). An org younger than two years costs nothing
//! here.

use std::collections::HashSet;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::search::{Criterion, QueryContext, SearchQuery};
use kustomer_api::RESULT_WINDOW;
use kustomer_models::{Conversation, Entity};

use super::reconcile::fetch_by_id;
use super::{refused, FirstLoadPlan, Step};
use crate::bookmark::Bookmark;
use crate::dest::IdQuery;
use crate::error::SyncError;
use crate::keyset::{keyset_stream, total_of, IdAt, KeysetOptions};
use crate::streams::detail::list_of_parent;

/// Parents asked at once.
const CONCURRENCY: usize = 8;
/// Records per per-parent page.
const PAGE_SIZE: u32 = 100;

/// A conversation's notes.
const NOTES: &str = "/v1/conversations/{id}/notes";
/// A conversation's messages.
const MESSAGES: &str = "/v1/conversations/{id}/messages";

impl FirstLoadPlan {
    /// The per-conversation list that checks this stream's records older
    /// than search's window, if they are checked that way: always for notes;
    /// for messages when the lists stopped at their window and, by archive
    /// search's exact totals, the messages beyond it outnumber the
    /// conversations created before the window (one request each instead of
    /// one per message). Totals that may be capped keep the check by id.
    pub(crate) async fn per_parent_path(&self, bm: &Bookmark) -> Result<Option<&'static str>, SyncError> {
        match self.context {
            QueryContext::Note => return Ok(Some(NOTES)),
            QueryContext::Message => {}
            _ => return Ok(None),
        }
        let Some(fl) = bm
            .first_load
            .as_ref()
            .filter(|f| !f.lists_windowed.is_empty() && f.archive_refused.is_none())
        else {
            return Ok(None);
        };
        let floor = self.window_floor();
        let msg = QueryContext::Message;
        let old_messages = SearchQuery::new(msg.clone()).and(Criterion::lt(msg.updated_at_field(), fl.split));
        let conv = QueryContext::Conversation;
        let old_conversations = SearchQuery::new(conv.clone()).and(Criterion::lt(conv.created_at_field(), floor));
        let (Some(messages), Some(archived), Some(searched)) = (
            self.total(&old_messages, true).await?,
            self.total(&old_conversations, true).await?,
            self.total(&old_conversations, false).await?,
        ) else {
            return Ok(None);
        };
        let beyond = messages.saturating_sub(u64::from(RESULT_WINDOW) * self.lists.paths(&self.klasses).len() as u64);
        let parents = archived + searched;
        tracing::info!(table = %self.table, old = messages, beyond, parents, "first load: messages older than two years checked {}", if beyond > parents { "per conversation" } else { "by id" });
        Ok((beyond > parents).then_some(MESSAGES))
    }

    /// `q`'s exact total (`None`: unknown, or exactly the window: perhaps
    /// capped there).
    async fn total(&self, q: &SearchQuery, archive: bool) -> Result<Option<u64>, SyncError> {
        let page = match archive {
            true => self.client.archive_search_page::<IdAt>(q, 1, 1).await,
            false => self.client.search_page::<IdAt>(q, 1, 1).await,
        };
        match page {
            Ok(p) => Ok(total_of(&p).filter(|&n| n != RESULT_WINDOW as usize).map(|n| n as u64)),
            Err(e) if refused(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Reconciles through the conversations (see the module).
    pub(crate) fn reconcile_per_parent<E: Entity>(
        &self,
        bm: Bookmark,
        parent_path: &'static str,
    ) -> BoxStream<'static, Result<Step, SyncError>> {
        let Some(ids) = self.ids.clone() else {
            return futures::stream::empty().boxed();
        };
        let floor = self.window_floor();
        let q = IdQuery {
            updated_from: self.start_date,
            updated_before: Some(floor),
            synced_since: bm.full_read_started,
        };
        let (client, table, lists, klasses, shaper) = (
            self.client.clone(),
            self.table.clone(),
            self.lists,
            self.klasses.clone(),
            self.shaper.clone(),
        );
        let start = self.start_date;
        async_stream::try_stream! {
            let have: HashSet<String> = ids.ids(&table, q).await?.into_iter().collect();
            let mut seen: HashSet<String> = HashSet::new();
            let mut unverified = None;
            for archive in [true, false] {
                let mut opts = KeysetOptions::new(QueryContext::Conversation);
                opts.include_deleted = false;
                opts.filters.push(Criterion::lt(QueryContext::Conversation.created_at_field(), floor));
                opts.archive = archive;
                let parents = keyset_stream::<Conversation>(client.clone(), opts, Bookmark::default());
                futures::pin_mut!(parents);
                loop {
                    let batch = match parents.try_next().await {
                        Ok(Some(b)) => b,
                        Ok(None) => break,
                        Err(SyncError::Api(e)) if archive && refused(&e) => {
                            unverified = Some(format!("archive search refused: {e}"));
                            break;
                        }
                        Err(e) => Err(e)?,
                    };
                    let c = client.clone();
                    let lists: Vec<Vec<E>> = futures::stream::iter(batch.records.into_iter().map(|p| p.id().to_owned()))
                        .map(move |id| {
                            let c = c.clone();
                            async move { list_of_parent::<E>(&c, &parent_path.replace("{id}", &id), PAGE_SIZE).await }
                        })
                        .buffer_unordered(CONCURRENCY)
                        .try_collect()
                        .await?;
                    let mut records = Vec::new();
                    for r in lists.into_iter().flatten() {
                        seen.insert(r.id().to_owned());
                        let old = r.updated_at().is_some_and(|u| u < floor && start.is_none_or(|s| u >= s));
                        if old && !have.contains(r.id()) {
                            records.push(shaper.shape(r));
                        }
                    }
                    if !records.is_empty() {
                        let mended = records.len() as u64;
                        yield Step { records, vanished: Vec::new(), mended, bookmark: bm.clone() };
                    }
                }
            }
            if let Some(why) = unverified {
                // Rows of conversations nobody could enumerate stay as loaded.
                tracing::warn!(table = %table, "first load: conversations untouched for two years could not be enumerated ({why}); their {table} are as the lists left them");
                return;
            }
            // Rows the org no longer lists under any conversation: ask by id
            // (messages: the check by id that follows does, exactly).
            if parent_path == MESSAGES {
                return;
            }
            let gone: Vec<String> = have.into_iter().filter(|id| !seen.contains(id)).collect();
            if gone.is_empty() {
                return;
            }
            let asks = gone.into_iter().map(|id| { let p = lists.by_id(None, &id, &klasses); (id, p) }).collect();
            let (records, vanished) = fetch_by_id::<E>(&client, asks, &shaper).await?;
            let mended = (records.len() + vanished.len()) as u64;
            yield Step { records, vanished, mended, bookmark: bm.clone() };
        }
        .boxed()
    }
}
