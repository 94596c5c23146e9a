//! Full re-read streams over `GET` endpoints: paged lists, side-loaded
//! `included[]` records (of a list, or of each item of a list), single
//! objects, and bodies of their own shape.

use std::collections::HashSet;
use std::marker::PhantomData;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::{BudgetKind, Method};
use kustomer_models::{decode, DecodeError, Entity, EntitySchema, FlatRecord, Json};

use super::{entity_tables, role_for_path, Batch, Mode, Probe, StreamContext, StreamDef};
use crate::dest::StreamTables;
use crate::discovery::Discovery;
use crate::error::SyncError;

/// Where a `GET` stream's records come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// `data[]` of a `page`/`pageSize` list.
    List { path: &'static str, page_size: u32 },
    /// Records of the entity's type side-loaded in a list's `included[]`
    /// (`sla_version`s of `GET /v1/slas?versions=all`).
    Included { path: &'static str, page_size: u32 },
    /// Records of the entity's type side-loaded in the `included[]` of each
    /// item of a list, fetched one by one (`holiday`s of
    /// `GET /v1/schedules/{id}?include=holidays`: the list does not document
    /// `include`), each record once.
    ItemIncluded {
        list: &'static str,
        item: &'static str,
        page_size: u32,
    },
    /// One object (`{"data": {…}}`).
    Single { path: &'static str },
}

/// Items of one list page, ids only.
#[derive(serde::Deserialize)]
struct IdOnly {
    id: String,
}

/// A body's side-loaded resources.
#[derive(serde::Deserialize)]
struct Included {
    #[serde(default)]
    included: Vec<Json>,
}

/// The `included[]` items of type `E` in `body`.
fn included_of<E: Entity>(body: &[u8]) -> Result<Vec<E>, DecodeError> {
    kustomer_models::envelope::included_of(&decode::<Included>(body)?.included)
}

/// Items fetched at once by an [`Source::ItemIncluded`] stream.
const ITEM_CONCURRENCY: usize = 8;

/// A full re-read of a `GET` endpoint into an entity's tables.
pub struct GetStream<E> {
    source: Source,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> GetStream<E> {
    /// A `page`/`pageSize` list at `path`, `page_size` records per page (the
    /// endpoint's maximum: a bigger request is clamped, a smaller one wastes requests).
    pub fn list(path: &'static str, page_size: u32) -> Self {
        GetStream {
            source: Source::List { path, page_size },
            _entity: PhantomData,
        }
    }

    /// Records of type `E` in the `included[]` of `path`'s pages.
    pub fn included(path: &'static str, page_size: u32) -> Self {
        GetStream {
            source: Source::Included { path, page_size },
            _entity: PhantomData,
        }
    }

    /// Records of type `E` in the `included[]` of each item of `list`, read
    /// at `item` (`{id}` is the item's id).
    pub fn included_per_item(list: &'static str, item: &'static str, page_size: u32) -> Self {
        GetStream {
            source: Source::ItemIncluded { list, item, page_size },
            _entity: PhantomData,
        }
    }

    /// The one object at `path`.
    pub fn single(path: &'static str) -> Self {
        GetStream {
            source: Source::Single { path },
            _entity: PhantomData,
        }
    }
}

fn flattened<E: Entity>(records: Vec<E>) -> Batch {
    Batch::new(records.into_iter().map(Entity::flatten).collect(), None)
}

impl<E: Entity> StreamDef for GetStream<E> {
    fn name(&self) -> &str {
        &E::schema().table.name
    }
    fn mode(&self) -> Mode {
        Mode::Replace
    }
    fn role(&self) -> String {
        match self.source {
            Source::List { path, .. }
            | Source::Included { path, .. }
            | Source::ItemIncluded { list: path, .. }
            | Source::Single { path } => role_for_path(path),
        }
    }
    fn probe(&self) -> Option<Probe> {
        let list = |path: &str, page_size, per_record| Probe::List {
            path: path.to_owned(),
            page_size,
            per_record,
        };
        Some(match self.source {
            Source::List { path, page_size } | Source::Included { path, page_size } => list(path, page_size, 0),
            Source::ItemIncluded {
                list: path, page_size, ..
            } => list(path, page_size, 1),
            Source::Single { path } => Probe::Fixed {
                paths: vec![path.to_owned()],
            },
        })
    }
    fn tables(&self, _: &Discovery) -> StreamTables {
        entity_tables::<E>()
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        let client = ctx.client;
        match self.source {
            Source::List { path, page_size } => client
                .list::<E>(path, page_size)
                .map_err(SyncError::from)
                .map_ok(|page| flattened(page.data))
                .boxed(),
            Source::Included { path, page_size } => client
                .list::<serde_json::Value>(path, page_size)
                .map_err(SyncError::from)
                .and_then(move |page| async move {
                    let records = page.included_of::<E>().map_err(|source| {
                        SyncError::Api(kustomer_api::Error::Decode {
                            path: path.to_owned(),
                            source,
                        })
                    })?;
                    Ok(flattened(records))
                })
                .boxed(),
            Source::ItemIncluded { list, item, page_size } => async_stream::try_stream! {
                let mut seen: HashSet<String> = HashSet::new();
                let pages = client.list::<IdOnly>(list, page_size);
                futures::pin_mut!(pages);
                while let Some(page) = pages.try_next().await? {
                    let c = client.clone();
                    let found: Vec<Vec<E>> = futures::stream::iter(page.data)
                        .map(move |p| {
                            let (c, path) = (c.clone(), item.replace("{id}", &p.id));
                            async move {
                                let resp = c.send(Method::GET, &path, None, BudgetKind::Org).await?;
                                included_of::<E>(&resp.body)
                                    .map_err(|source| SyncError::Api(kustomer_api::Error::Decode { path, source }))
                            }
                        })
                        .buffered(ITEM_CONCURRENCY)
                        .try_collect()
                        .await?;
                    let fresh: Vec<E> = found.into_iter().flatten().filter(|r| seen.insert(r.id().to_owned())).collect();
                    yield flattened(fresh);
                }
            }
            .boxed(),
            Source::Single { path } => futures::stream::once(async move {
                let record: E = client.get_one(path).await?;
                Ok(flattened(vec![record]))
            })
            .boxed(),
        }
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
    fn probe(&self) -> Option<Probe> {
        // Without discovery: the paths every org has (metadata adds one per klass).
        let paths = (self.paths)(&Discovery::default())
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        Some(Probe::Fixed { paths })
    }
    fn tables(&self, _: &Discovery) -> StreamTables {
        let s = (self.schema)();
        StreamTables::new(s.table.clone(), s.children.clone())
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
                    Ok(Batch::new(records, None))
                }
            })
            .boxed()
    }
}
