//! The catalogue: every stream, its mode, where it reads from and the tables
//! it fills. Adding an entity is one line here plus its model.

use std::marker::PhantomData;
use std::sync::Arc;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::search::QueryContext;
use kustomer_api::Client;
use kustomer_models::{
    Company, Conversation, Customer, Entity, FlatRecord, KObject, Klass, Message, Note, Shortcut, Tag, Team, User,
};

use crate::bookmark::Bookmark;
use crate::dest::StreamTables;
use crate::error::SyncError;
use crate::keyset::{keyset_stream, KeysetOptions};

/// How a table is kept up to date (Etleap's modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// Incremental on `updatedAt`, upsert by `id`.
    Update,
    /// Re-read in full every run.
    Replace,
    /// Insert only (audit logs).
    Append,
}

impl Mode {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Update => "update",
            Mode::Replace => "replace",
            Mode::Append => "append",
        }
    }
}

/// What a stream needs to run.
#[derive(Debug, Clone)]
pub struct StreamContext {
    /// The API client (shared budgets).
    pub client: Client,
    /// The stored bookmark, if any.
    pub bookmark: Option<Bookmark>,
    /// Start date for a first incremental sync.
    pub start_date: Option<chrono::DateTime<chrono::Utc>>,
    /// Search page size.
    pub search_page_size: u32,
}

/// Flattened records of one page and the bookmark that covers them.
#[derive(Debug)]
pub struct Batch {
    /// Records, flattened.
    pub records: Vec<FlatRecord>,
    /// The bookmark after them (incremental streams).
    pub bookmark: Option<Bookmark>,
}

/// A stream of the catalogue.
pub trait StreamDef: Send + Sync {
    /// Stream name (= its parent table).
    fn name(&self) -> &str;
    /// Its mode.
    fn mode(&self) -> Mode;
    /// The tables it fills.
    fn tables(&self) -> StreamTables;
    /// Its batches, lazily.
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>>;
}

fn tables_of<E: Entity>() -> StreamTables {
    let s = E::schema();
    StreamTables { parent: s.table.clone(), children: s.children.clone() }
}

/// An incremental stream read through search by keyset.
pub struct SearchStream<E> {
    context: QueryContext,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> SearchStream<E> {
    /// A search stream over `context`.
    pub fn new(context: QueryContext) -> Self {
        SearchStream { context, _entity: PhantomData }
    }
}

impl<E: Entity> StreamDef for SearchStream<E> {
    fn name(&self) -> &str {
        &E::schema().table.name
    }
    fn mode(&self) -> Mode {
        Mode::Update
    }
    fn tables(&self) -> StreamTables {
        tables_of::<E>()
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        let mut opts = KeysetOptions::new(self.context.clone());
        opts.page_size = ctx.search_page_size;
        opts.start_date = ctx.start_date;
        keyset_stream::<E>(ctx.client, opts, ctx.bookmark.unwrap_or_default())
            .map_ok(|b| Batch {
                records: b.records.into_iter().map(Entity::flatten).collect(),
                bookmark: Some(b.bookmark),
            })
            .boxed()
    }
}

/// A full re-read of a `GET` list.
pub struct ListStream<E> {
    path: &'static str,
    page_size: u32,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> ListStream<E> {
    /// A list stream over `path` with `page_size` records per page.
    pub fn new(path: &'static str, page_size: u32) -> Self {
        ListStream { path, page_size, _entity: PhantomData }
    }
}

impl<E: Entity> StreamDef for ListStream<E> {
    fn name(&self) -> &str {
        &E::schema().table.name
    }
    fn mode(&self) -> Mode {
        Mode::Replace
    }
    fn tables(&self) -> StreamTables {
        tables_of::<E>()
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        ctx.client
            .list::<E>(self.path, self.page_size)
            .map_err(SyncError::from)
            .map_ok(|page| Batch { records: page.data.into_iter().map(Entity::flatten).collect(), bookmark: None })
            .boxed()
    }
}

/// Every stream, in a stable order.
pub fn catalog() -> Vec<Arc<dyn StreamDef>> {
    vec![
        Arc::new(SearchStream::<Customer>::new(QueryContext::Customer)),
        Arc::new(SearchStream::<Conversation>::new(QueryContext::Conversation)),
        Arc::new(SearchStream::<Message>::new(QueryContext::Message)),
        Arc::new(SearchStream::<Note>::new(QueryContext::Note)),
        Arc::new(SearchStream::<Company>::new(QueryContext::Company)),
        Arc::new(SearchStream::<KObject>::new(QueryContext::Kobject)),
        Arc::new(ListStream::<User>::new("/v1/users", 500)),
        Arc::new(ListStream::<Team>::new("/v1/teams", 500)),
        Arc::new(ListStream::<Tag>::new("/v1/tags", 100)),
        Arc::new(ListStream::<Shortcut>::new("/v1/shortcuts", 100)),
        Arc::new(ListStream::<Klass>::new("/v1/klasses", 100)),
    ]
}
