//! Full re-read streams over `GET` endpoints: paged lists, side-loaded
//! `included[]` records, single objects, and bodies of their own shape.

use std::marker::PhantomData;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::{BudgetKind, Method};
use kustomer_models::{DecodeError, Entity, EntitySchema, FlatRecord};

use super::{entity_tables, role_for_path, Batch, Mode, StreamContext, StreamDef};
use crate::dest::StreamTables;
use crate::discovery::Discovery;
use crate::error::SyncError;

/// A full re-read of a `page`/`pageSize` list.
pub struct ListStream<E> {
    path: &'static str,
    page_size: u32,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> ListStream<E> {
    /// A list stream over `path` with `page_size` records per page (the
    /// endpoint's maximum: a bigger request is clamped, a smaller one wastes requests).
    pub fn new(path: &'static str, page_size: u32) -> Self {
        ListStream {
            path,
            page_size,
            _entity: PhantomData,
        }
    }
}

impl<E: Entity> StreamDef for ListStream<E> {
    fn name(&self) -> &str {
        &E::schema().table.name
    }
    fn mode(&self) -> Mode {
        Mode::Replace
    }
    fn role(&self) -> String {
        role_for_path(self.path)
    }
    fn tables(&self, _: &Discovery) -> StreamTables {
        entity_tables::<E>()
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        ctx.client
            .list::<E>(self.path, self.page_size)
            .map_err(SyncError::from)
            .map_ok(|page| Batch {
                records: page.data.into_iter().map(Entity::flatten).collect(),
                bookmark: None,
            })
            .boxed()
    }
}

/// Records side-loaded in the `included[]` of a list (`sla_version`s of
/// `GET /v1/slas?versions=all`, holidays of `GET /v1/schedules?include=holidays`).
pub struct IncludedStream<E> {
    path: &'static str,
    page_size: u32,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> IncludedStream<E> {
    /// Records of type `E` from the `included[]` of `path`'s pages.
    pub fn new(path: &'static str, page_size: u32) -> Self {
        IncludedStream {
            path,
            page_size,
            _entity: PhantomData,
        }
    }
}

impl<E: Entity> StreamDef for IncludedStream<E> {
    fn name(&self) -> &str {
        &E::schema().table.name
    }
    fn mode(&self) -> Mode {
        Mode::Replace
    }
    fn role(&self) -> String {
        role_for_path(self.path)
    }
    fn tables(&self, _: &Discovery) -> StreamTables {
        entity_tables::<E>()
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        let path = self.path;
        ctx.client
            .list::<serde_json::Value>(path, self.page_size)
            .map_err(SyncError::from)
            .and_then(move |page| async move {
                let records = page.included_of::<E>().map_err(|source| {
                    SyncError::Api(kustomer_api::Error::Decode {
                        path: path.to_owned(),
                        source,
                    })
                })?;
                Ok(Batch {
                    records: records.into_iter().map(Entity::flatten).collect(),
                    bookmark: None,
                })
            })
            .boxed()
    }
}

/// An endpoint that answers one object (`{"data": {…}}`).
pub struct SingleStream<E> {
    path: &'static str,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> SingleStream<E> {
    /// The object at `path`.
    pub fn new(path: &'static str) -> Self {
        SingleStream {
            path,
            _entity: PhantomData,
        }
    }
}

impl<E: Entity> StreamDef for SingleStream<E> {
    fn name(&self) -> &str {
        &E::schema().table.name
    }
    fn mode(&self) -> Mode {
        Mode::Replace
    }
    fn role(&self) -> String {
        role_for_path(self.path)
    }
    fn tables(&self, _: &Discovery) -> StreamTables {
        entity_tables::<E>()
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        let path = self.path;
        futures::stream::once(async move {
            let record: E = ctx.client.get_one(path).await?;
            Ok(Batch {
                records: vec![record.flatten()],
                bookmark: None,
            })
        })
        .boxed()
    }
}

/// Parses a body of its own shape into rows.
pub type RawParser = fn(key: &str, body: &[u8]) -> Result<Vec<FlatRecord>, DecodeError>;

/// Lists the paths a raw stream reads, as `(key, path)`.
pub type RawPaths = fn(&Discovery) -> Vec<(String, String)>;

/// An endpoint whose body is not a JSON:API list (`{"events": […]}`, the
/// metadata map, outbound accounts without ids): one request per path, and a
/// parser from the models crate.
pub struct RawStream {
    schema: fn() -> &'static EntitySchema,
    paths: RawPaths,
    parse: RawParser,
    role_path: &'static str,
}

impl RawStream {
    /// A raw stream.
    pub fn new(
        schema: fn() -> &'static EntitySchema,
        role_path: &'static str,
        paths: RawPaths,
        parse: RawParser,
    ) -> Self {
        RawStream {
            schema,
            paths,
            parse,
            role_path,
        }
    }
}

impl StreamDef for RawStream {
    fn name(&self) -> &str {
        &(self.schema)().table.name
    }
    fn mode(&self) -> Mode {
        Mode::Replace
    }
    fn role(&self) -> String {
        role_for_path(self.role_path)
    }
    fn tables(&self, _: &Discovery) -> StreamTables {
        let s = (self.schema)();
        StreamTables {
            parent: s.table.clone(),
            children: s.children.clone(),
        }
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        let parse = self.parse;
        let paths = (self.paths)(&ctx.discovery);
        let client = ctx.client;
        futures::stream::iter(paths)
            .then(move |(key, path)| {
                let client = client.clone();
                async move {
                    let resp = client.send(Method::GET, &path, None, BudgetKind::Org).await?;
                    let records = parse(&key, &resp.body).map_err(|source| {
                        SyncError::Api(kustomer_api::Error::Decode {
                            path: path.clone(),
                            source,
                        })
                    })?;
                    Ok(Batch {
                        records,
                        bookmark: None,
                    })
                }
            })
            .boxed()
    }
}
