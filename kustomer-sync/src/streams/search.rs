//! Incremental streams read through search by keyset.

use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::search::{Criterion, QueryContext};
use kustomer_api::Client;
use kustomer_models::{Entity, FlatRecord};

use super::backfill::Backfill;
use super::detail::{list_of_parent, DetailSource, RunDetails};
use super::first_load::{FirstLoadPlan, ListSource};
use super::list_fallback::ListFallback;
use super::{Batch, DetailPass, FirstLoadMode, Mode, Probe, ProbeDetail, StreamContext, StreamDef};
use crate::bookmark::{DetailBackfill, FirstLoad};
use crate::dest::{StreamTables, Sweep};
use crate::discovery::Discovery;
use crate::error::SyncError;
use crate::keyset::{keyset_stream, KeysetOptions};
use crate::shaping::Shaper;

/// Detail lists fetched at once per batch.
const DETAIL_CONCURRENCY: usize = 16;

/// Search sees records updated within the last two years (spec §3). A full
/// read through search says nothing of older rows, so only rows inside the
/// window (less a day, for clock skew) are marked deleted when not seen.
const SEARCH_WINDOW: Duration = Duration::days(729);

/// Records of another stream read per parent (a conversation's messages).
pub trait CompanionSource: Send + Sync {
    /// The stream whose tables the records fill.
    fn stream(&self) -> &'static str;
    /// A reader for this run's tables.
    fn reader(&self, d: &Discovery) -> Arc<dyn CompanionReader>;
}

/// Reads one parent's companion records.
pub trait CompanionReader: Send + Sync {
    /// Every record of one parent, shaped for its stream's tables.
    fn fetch(&self, client: Client, parent_id: String) -> BoxFuture<'static, Result<Vec<FlatRecord>, SyncError>>;
}

/// Records of `E` listed at `path` (`{id}` is the parent's id), shaped like
/// the search stream of `E` (with `custom` columns).
pub struct SearchCompanion<E> {
    stream: &'static str,
    path: &'static str,
    page_size: u32,
    custom: Option<&'static str>,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> SearchCompanion<E> {
    /// Records of stream `stream` at `path`, with the custom columns of `custom`.
    pub fn new(stream: &'static str, path: &'static str, page_size: u32, custom: Option<&'static str>) -> Self {
        SearchCompanion {
            stream,
            path,
            page_size,
            custom,
            _entity: PhantomData,
        }
    }
}

struct CompanionListReader<E> {
    path: &'static str,
    page_size: u32,
    shaper: Arc<Shaper>,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> CompanionSource for SearchCompanion<E> {
    fn stream(&self) -> &'static str {
        self.stream
    }
    fn reader(&self, d: &Discovery) -> Arc<dyn CompanionReader> {
        Arc::new(CompanionListReader::<E> {
            path: self.path,
            page_size: self.page_size,
            shaper: Arc::new(Shaper::new::<E>(self.custom, false, d)),
            _entity: PhantomData,
        })
    }
}

impl<E: Entity> CompanionReader for CompanionListReader<E> {
    fn fetch(&self, client: Client, parent_id: String) -> BoxFuture<'static, Result<Vec<FlatRecord>, SyncError>> {
        let path = self.path.replace("{id}", &parent_id);
        let page_size = self.page_size;
        let shaper = self.shaper.clone();
        Box::pin(async move {
            let records = list_of_parent::<E>(&client, &path, page_size).await?;
            Ok(records.into_iter().map(|r| shaper.shape(r)).collect())
        })
    }
}

/// What resolved-only mode reads instead of the whole stream.
struct ResolvedOnly {
    filter: Criterion,
    companions: Vec<Arc<dyn CompanionSource>>,
}

/// An incremental stream read through search by keyset.
pub struct SearchStream<E> {
    context: QueryContext,
    custom_resource: Option<&'static str>,
    split_klasses: bool,
    details: Vec<Arc<dyn DetailSource>>,
    resolved: Option<ResolvedOnly>,
    list: Option<ListSource>,
    /// Read the GET list in full when search refuses the query (400).
    list_fallback: bool,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> SearchStream<E> {
    /// A first load (or re-sync) reads these GET lists on the org budget
    /// beside search (see [`FirstLoad`]).
    pub fn with_list(mut self, list: ListSource) -> Self {
        self.list = Some(list);
        self
    }

    /// A search stream over `context`.
    pub fn new(context: QueryContext) -> Self {
        SearchStream {
            context,
            custom_resource: None,
            split_klasses: false,
            details: Vec::new(),
            resolved: None,
            list: None,
            list_fallback: false,
            _entity: PhantomData,
        }
    }

    /// When search refuses the stream's query with a 400 (a field its schema
    /// lacks: `company_updated_at` is only in the archive schema), the GET
    /// list of [`SearchStream::with_list`] is read in full instead, as a
    /// replace table, with a warning: never a failed run.
    pub fn with_list_fallback(mut self) -> Self {
        self.list_fallback = true;
        self
    }

    /// Adds the org's custom attributes of `resource` as typed columns.
    pub fn with_custom(mut self, resource: &'static str) -> Self {
        self.custom_resource = Some(resource);
        self
    }

    /// Splits records into one `kobject_<klass>` table per klass.
    pub fn with_klass_tables(mut self) -> Self {
        self.split_klasses = true;
        self
    }

    /// Reads a detail list for every changed record.
    pub fn with_detail(mut self, d: impl DetailSource + 'static) -> Self {
        self.details.push(Arc::new(d));
        self
    }

    /// In resolved-only runs, reads only records matching `filter`, and for
    /// each one re-reads its `companions` whole (a done conversation's
    /// messages and notes), so a record that changes again is reloaded entirely.
    pub fn with_resolved_only(mut self, filter: Criterion, companions: Vec<Arc<dyn CompanionSource>>) -> Self {
        self.resolved = Some(ResolvedOnly { filter, companions });
        self
    }

    fn shaper(&self, d: &Discovery) -> Shaper {
        Shaper::new::<E>(self.custom_resource, self.split_klasses, d)
    }
}

impl<E: Entity> StreamDef for SearchStream<E> {
    fn name(&self) -> &str {
        &E::schema().table.name
    }
    fn mode(&self) -> Mode {
        Mode::Update
    }
    fn role(&self) -> String {
        "org.permission.search.create".to_owned()
    }
    fn singular(&self) -> Option<&str> {
        Some(E::schema().resource)
    }
    fn companions(&self, resolved_only: bool) -> Vec<&'static str> {
        match (&self.resolved, resolved_only) {
            (Some(r), true) => r.companions.iter().map(|c| c.stream()).collect(),
            _ => Vec::new(),
        }
    }
    fn probe(&self) -> Option<Probe> {
        let parent = &E::schema().table;
        let details = (self.details.iter())
            .map(|s| ProbeDetail::new(s.table(parent).name, s.clone()))
            .collect();
        Some(Probe::Search {
            context: self.context.clone(),
            lists: self.list,
            list_fallback: self.list_fallback,
            details,
        })
    }
    fn tables(&self, d: &Discovery) -> StreamTables {
        let mut t = self.shaper(d).tables();
        let parent = t.parent.clone();
        t.children.extend(self.details.iter().map(|s| s.table(&parent)));
        t
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        let fallback = match (self.list, self.list_fallback) {
            (Some(ListSource::Path(path)), true) if !ctx.resolved_only => Some(ListFallback {
                client: ctx.client.clone(),
                path,
                table: ctx.tables.parent.name.clone(),
                run_started: ctx.run_started,
                shaper: Arc::new(self.shaper(&ctx.discovery)),
                details: self.run_details(&ctx),
            }),
            _ => None,
        };
        let searched = self.read(ctx);
        match fallback {
            Some(f) => f.around::<E>(searched),
            None => searched,
        }
    }
}

impl<E: Entity> SearchStream<E> {
    /// The detail lists this run fetches (not those of excluded tables).
    fn run_details(&self, ctx: &StreamContext) -> Arc<RunDetails> {
        let parent = self.shaper(&ctx.discovery).tables().parent;
        let wanted = self
            .details
            .iter()
            .map(|s| (!ctx.excluded.contains(&s.table(&parent).name)).then(|| s.clone()))
            .collect();
        Arc::new(RunDetails::new(wanted, &self.details, &parent))
    }

    /// Reads through search (a first load through the GET lists as well).
    fn read(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        let mut opts = KeysetOptions::new(self.context.clone());
        opts.page_size = ctx.search_page_size;
        opts.start_date = ctx.start_date;
        let resolved = self.resolved.as_ref().filter(|_| ctx.resolved_only);
        if let Some(r) = resolved {
            opts.filters.push(r.filter.clone());
        }
        let companions: Vec<(&'static str, Arc<dyn CompanionReader>)> = resolved
            .map(|r| {
                r.companions
                    .iter()
                    .map(|c| (c.stream(), c.reader(&ctx.discovery)))
                    .collect()
            })
            .unwrap_or_default();
        let shaper = Arc::new(self.shaper(&ctx.discovery));
        // Detail lists of excluded tables are not fetched; an empty list keeps
        // the child positions aligned with the stream's tables.
        let details = self.run_details(&ctx);
        let client = ctx.client.clone();
        // A full read leaves the detail lists for the backfill pass, which
        // reads the parents again by id: only with a list to find them by
        // and the destination's ids to walk.
        let deferrable = match (self.list, &ctx.ids) {
            (Some(lists), Some(ids)) if resolved.is_none() && !details.wanted().is_empty() => Some(Backfill {
                client: client.clone(),
                lists,
                klasses: ctx.discovery.klasses.iter().map(|k| k.klass.clone()).collect(),
                ids: ids.clone(),
                table: ctx.tables.parent.name.clone(),
                shaper: shaper.clone(),
                details: details.clone(),
                per_run: ctx.details_per_run,
            }),
            _ => None,
        };
        if ctx.details == DetailPass::Backfill {
            return match (deferrable, ctx.bookmark) {
                (Some(b), Some(bm)) if bm.details.is_some() => b.batches::<E>(bm),
                _ => futures::stream::empty().boxed(),
            };
        }
        let full_read = ctx
            .bookmark
            .as_ref()
            .is_none_or(|b| b.updated_at.is_none() || b.full_read_started.is_some());
        let defer = (ctx.details == DetailPass::Core && full_read && deferrable.is_some()).then(|| details.wanted());
        let first_load = match (&self.list, &ctx.bookmark) {
            _ if ctx.first_load != FirstLoadMode::Lists || resolved.is_some() => None,
            (Some(list), None) => Some(*list),
            (Some(list), Some(b)) if b.first_load.is_some() => Some(*list),
            _ => None,
        };
        if let Some(list) = first_load {
            let plan = FirstLoadPlan {
                client: client.clone(),
                context: self.context.clone(),
                lists: list,
                klasses: ctx.discovery.klasses.iter().map(|k| k.klass.clone()).collect(),
                ids: ctx.ids.clone(),
                table: ctx.tables.parent.name.clone(),
                run_started: ctx.run_started,
                start_date: ctx.start_date,
                shaper: shaper.clone(),
            };
            return first_load_batches::<E>(plan, ctx.bookmark.unwrap_or_default(), details, defer, client);
        }
        let mut start = ctx.bookmark.unwrap_or_default();
        if start.updated_at.is_none() && start.full_read_started.is_none() {
            start.full_read_started = Some(ctx.run_started);
        }
        // Rows older than both the start date and search's window are out of
        // a full read's sight: they are never swept.
        let floor = (ctx.run_started - SEARCH_WINDOW).max(ctx.start_date.unwrap_or(DateTime::<Utc>::MIN_UTC));
        let keyset = keyset_stream::<E>(ctx.client, opts, start.clone());
        async_stream::try_stream! {
            let mut last = start;
            futures::pin_mut!(keyset);
            while let Some(b) = keyset.try_next().await? {
                last = b.bookmark.clone();
                let mut records: Vec<_> = b.records.into_iter().map(|r| shaper.shape(r)).collect();
                let mut batch = match &defer {
                    Some(tables) => Batch { deferred_tables: tables.clone(), ..Batch::new(records, Some(b.bookmark)) },
                    None => {
                        let skipped = details.attach(&mut records, &client).await?;
                        Batch { skipped_tables: skipped, ..Batch::new(records, Some(b.bookmark)) }
                    }
                };
                for (stream, reader) in &companions {
                    let ids: Vec<String> = batch.records.iter().map(|r| r.id.clone()).collect();
                    let (reader, client) = (reader.clone(), client.clone());
                    let fetched: Vec<Vec<FlatRecord>> = futures::stream::iter(ids)
                        .map(move |id| reader.fetch(client.clone(), id))
                        .buffered(DETAIL_CONCURRENCY)
                        .try_collect()
                        .await?;
                    batch.companions.push((*stream, fetched.into_iter().flatten().collect()));
                }
                yield batch;
            }
            if let Some(before) = last.full_read_started.take() {
                if defer.is_some() {
                    last.details = Some(DetailBackfill::default());
                }
                // The full read is complete: what it did not see is gone.
                let sweep = Sweep { before, since: Some(("updated_at".to_owned(), floor)), hard: false, at: before };
                yield Batch { sweep: Some(sweep), ..Batch::new(Vec::new(), Some(last)) };
            }
        }
        .boxed()
    }
}

/// A first load: lists and search at once, then the reconciliation, then
/// the sweep of what a full read did not see (all history: the lists see it).
fn first_load_batches<E: Entity>(
    plan: FirstLoadPlan,
    mut bm: crate::bookmark::Bookmark,
    details: Arc<RunDetails>,
    defer: Option<Vec<String>>,
    client: Client,
) -> BoxStream<'static, Result<Batch, SyncError>> {
    async_stream::try_stream! {
        if bm.full_read_started.is_none() {
            bm.full_read_started = Some(plan.run_started);
        }
        if bm.first_load.is_none() {
            let (split, archive_refused) = plan.choose_split().await?;
            let mut state = FirstLoad::new(split);
            state.archive_refused = archive_refused;
            if let Some(why) = plan.lists_refused().await? {
                tracing::warn!(
                    stream = %plan.table,
                    "the GET lists are refused ({why}): the first load reads archive search and search instead; \
                     records untouched for two years arrive thin (scalar attributes only: no custom attributes, \
                     emails, phones, other nested objects or relationships) until they next change"
                );
                // Without lists, search reads everything it sees.
                state.split = plan.start_date.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
                state.fallback = true;
            }
            bm.first_load = Some(state);
        }
        let fallback = bm.first_load.as_ref().is_some_and(|f| f.fallback);
        let mut last = bm.clone();
        for phase in 0..2 {
            let steps = match (fallback, phase) {
                (false, 0) => plan.load::<E>(last.clone()),
                (false, _) => plan.reconcile::<E>(last.clone()),
                (true, 0) if !last.first_load.as_ref().is_some_and(|f| f.archive_done) => plan.archive::<E>(last.clone()),
                (true, 0) => futures::stream::empty().boxed(),
                (true, _) => plan.load::<E>(last.clone()),
            };
            futures::pin_mut!(steps);
            while let Some(step) = steps.try_next().await? {
                last = step.bookmark.clone();
                let mut records = step.records;
                let mut batch = match &defer {
                    Some(tables) => Batch { deferred_tables: tables.clone(), ..Batch::new(records, Some(step.bookmark)) },
                    None => {
                        let skipped = details.attach(&mut records, &client).await?;
                        Batch { skipped_tables: skipped, ..Batch::new(records, Some(step.bookmark)) }
                    }
                };
                batch.vanished = step.vanished;
                batch.reconciled = step.mended;
                yield batch;
            }
        }
        // Search takes over where the split left it.
        let mut since = plan.start_date;
        if let Some(fl) = last.first_load.take() {
            if last.updated_at.is_none() {
                last.updated_at = Some(fl.split);
                last.ids_at.clear();
                last.complete = false;
            }
            // Unverified history is never swept: a row older than two years
            // that this read did not see may well still exist.
            if let Some(why) = &fl.archive_refused {
                let floor = plan.window_floor();
                since = Some(since.map_or(floor, |s| s.max(floor)));
                // Notes are verified through their conversations instead.
                if plan.context != QueryContext::Note {
                    tracing::warn!(stream = %plan.table, "first load: records untouched for two years were not verified ({why}); {} list(s) held more than a query reaches", fl.lists_windowed.len());
                }
            }
        }
        if let Some(before) = last.full_read_started.take() {
            if defer.is_some() {
                last.details = Some(DetailBackfill::default());
            }
            let since = since.map(|s| ("updated_at".to_owned(), s));
            let sweep = Sweep { before, since, hard: false, at: before };
            yield Batch { sweep: Some(sweep), ..Batch::new(Vec::new(), Some(last)) };
        }
    }
    .boxed()
}
