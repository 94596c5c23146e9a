//! Incremental streams read through search by keyset.

use std::marker::PhantomData;
use std::sync::Arc;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::search::QueryContext;
use kustomer_models::{Entity, Row};

use super::detail::DetailSource;
use super::shape::Shaper;
use super::{Batch, Mode, StreamContext, StreamDef};
use crate::dest::StreamTables;
use crate::discovery::Discovery;
use crate::error::SyncError;
use crate::keyset::{keyset_stream, KeysetOptions};

/// Detail lists fetched at once per batch.
const DETAIL_CONCURRENCY: usize = 8;

/// An incremental stream read through search by keyset.
pub struct SearchStream<E> {
    context: QueryContext,
    custom_resource: Option<&'static str>,
    split_klasses: bool,
    details: Vec<Arc<dyn DetailSource>>,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> SearchStream<E> {
    /// A search stream over `context`.
    pub fn new(context: QueryContext) -> Self {
        SearchStream {
            context,
            custom_resource: None,
            split_klasses: false,
            details: Vec::new(),
            _entity: PhantomData,
        }
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
    fn tables(&self, d: &Discovery) -> StreamTables {
        let mut t = self.shaper(d).tables();
        let parent = t.parent.clone();
        t.children.extend(self.details.iter().map(|s| s.table(&parent)));
        t
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        let mut opts = KeysetOptions::new(self.context.clone());
        opts.page_size = ctx.search_page_size;
        opts.start_date = ctx.start_date;
        let shaper = Arc::new(self.shaper(&ctx.discovery));
        let details = self.details.clone();
        let client = ctx.client.clone();
        keyset_stream::<E>(ctx.client, opts, ctx.bookmark.unwrap_or_default())
            .and_then(move |b| {
                let shaper = shaper.clone();
                let details = details.clone();
                let client = client.clone();
                async move {
                    let mut records: Vec<_> = b.records.into_iter().map(|r| shaper.shape(r)).collect();
                    for source in &details {
                        let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
                        let fetched: Vec<Vec<Row>> = futures::stream::iter(ids)
                            .map(|id| source.fetch(client.clone(), id))
                            .buffered(DETAIL_CONCURRENCY)
                            .try_collect()
                            .await?;
                        for (r, rows) in records.iter_mut().zip(fetched) {
                            r.children.push(rows);
                        }
                    }
                    Ok(Batch {
                        records,
                        bookmark: Some(b.bookmark),
                    })
                }
            })
            .boxed()
    }
}
