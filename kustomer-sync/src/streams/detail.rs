//! Per-parent detail lists (a conversation's events, times, forwards and
//! attachments; a customer's drafts and merges). They are read only for the
//! parents a batch carries — the ones that changed — and become child tables
//! of that parent, so they commit with it and are replaced with it.
//!
//! Each list needs a role of its own (events `event.read`, attachments
//! `attachment.read`, …), and Kustomer refuses a missing one with a 401 (or
//! 403). A refused list is skipped for the rest of the run ([`RunDetails`]):
//! its parents still load, and its table keeps the rows it had.

use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::Client;
use kustomer_models::{decode, Cell, Column, Entity, FlatRecord, Json, LogicalType, ParentKey, Row, TableDef};

use super::role_for_path;
use crate::error::SyncError;

/// Detail lists fetched at once per batch.
const DETAIL_CONCURRENCY: usize = 16;

/// Every record of a per-parent list (`/v1/conversations/{id}/events`, …);
/// a parent deleted meanwhile (404) has none.
pub(crate) async fn list_of_parent<E: serde::de::DeserializeOwned + Send + 'static>(
    client: &Client,
    path: &str,
    page_size: u32,
) -> Result<Vec<E>, SyncError> {
    match client.list::<E>(path, page_size).try_collect::<Vec<_>>().await {
        Ok(pages) => Ok(pages.into_iter().flat_map(|p| p.data).collect()),
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Every record of a per-parent list whose items may lack `id` (the OAS
/// example of a conversation's attachments has none): such an item gets
/// `{parent}:{position}` (0-based, over all pages), so it is keyed like a
/// child row, by its parent and its place in the list.
pub(crate) async fn list_of_parent_keyed<E: Entity>(
    client: &Client,
    parent_id: &str,
    path: &str,
    page_size: u32,
) -> Result<Vec<E>, SyncError> {
    let items: Vec<Json> = list_of_parent::<Json>(client, path, page_size).await?;
    items
        .into_iter()
        .enumerate()
        .map(|(position, item)| {
            let text = with_id(item.get(), &format!("{parent_id}:{position}"));
            decode::<E>(text.as_bytes()).map_err(|source| {
                SyncError::Api(kustomer_api::Error::Decode {
                    path: format!("{path} (item {position})"),
                    source,
                })
            })
        })
        .collect()
}

/// `item` (a JSON object) with `id` set to `id` unless it has one.
fn with_id(item: &str, id: &str) -> String {
    /// `Some(null)` for `"id": null`, `None` for no `id` at all.
    fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
        serde::Deserialize::deserialize(d).map(Some)
    }
    #[derive(serde::Deserialize)]
    struct HasId {
        #[serde(default, deserialize_with = "present")]
        id: Option<serde_json::Value>,
    }
    match serde_json::from_str::<HasId>(item) {
        Ok(HasId { id: Some(v) }) if !v.is_null() => item.to_owned(),
        // Absent: prepended, so the rest stays exactly as sent.
        Ok(HasId { id: None }) => {
            let body = item.trim_start().strip_prefix('{').unwrap_or(item);
            let sep = if body.trim_start().starts_with('}') { "" } else { "," };
            format!("{{\"id\":{}{sep}{body}", serde_json::Value::from(id))
        }
        // `"id": null` (or not an object: left for the decoder to refuse).
        _ => match serde_json::from_str::<serde_json::Value>(item) {
            Ok(serde_json::Value::Object(mut m)) => {
                m.insert("id".into(), id.into());
                serde_json::Value::Object(m).to_string()
            }
            _ => item.to_owned(),
        },
    }
}

/// A detail list read per parent.
pub trait DetailSource: Send + Sync {
    /// The detail table, as a child of `parent`.
    fn table(&self, parent: &TableDef) -> TableDef;
    /// Every row for one parent.
    fn fetch(&self, client: Client, parent_id: String) -> BoxFuture<'static, Result<Vec<Row>, SyncError>>;
    /// The role a token needs to read the list (named when it is refused).
    fn role(&self) -> String {
        "its own read role".to_owned()
    }
}

/// Detail records of entity `E` at `path` (`{id}` is the parent's id).
pub struct Detail<E> {
    path: &'static str,
    page_size: u32,
    parent_column: &'static str,
    role: Option<&'static str>,
    keyed_by_position: bool,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> Detail<E> {
    /// Details at `path`, keyed to their parent by `parent_column`.
    pub fn new(path: &'static str, page_size: u32, parent_column: &'static str) -> Self {
        Detail {
            path,
            page_size,
            parent_column,
            role: None,
            keyed_by_position: false,
            _entity: PhantomData,
        }
    }

    /// The role the list needs (`org.permission.event.read`); without one,
    /// the role is guessed from the path.
    pub fn with_role(mut self, role: &'static str) -> Self {
        self.role = Some(role);
        self
    }

    /// Items without an `id` get `{parent id}:{position}` (see
    /// [`list_of_parent_keyed`]).
    pub fn keyed_by_position(mut self) -> Self {
        self.keyed_by_position = true;
        self
    }

    /// Where the parent id goes in a row: an existing column (`Some`), or a
    /// new first one (`None`).
    fn parent_slot(&self) -> Option<usize> {
        E::schema().table.column_index(self.parent_column)
    }
}

impl<E: Entity> DetailSource for Detail<E> {
    fn table(&self, parent: &TableDef) -> TableDef {
        let mut def = E::schema().table.clone();
        match self.parent_slot() {
            Some(i) => def.columns[i].nullable = false,
            None => def
                .columns
                .insert(0, Column::required(self.parent_column, LogicalType::Text)),
        }
        // A detail (a merge) may belong to several parents: key it by both.
        def.primary_key = vec![self.parent_column.to_owned(), "id".to_owned()];
        def.parent = Some(ParentKey {
            table: parent.name.clone(),
            column: self.parent_column.to_owned(),
        });
        def
    }

    fn role(&self) -> String {
        self.role.map_or_else(|| role_for_path(self.path), str::to_owned)
    }

    fn fetch(&self, client: Client, parent_id: String) -> BoxFuture<'static, Result<Vec<Row>, SyncError>> {
        let path = self.path.replace("{id}", &parent_id);
        let page_size = self.page_size;
        let slot = self.parent_slot();
        let keyed = self.keyed_by_position;
        Box::pin(async move {
            let records = match keyed {
                true => list_of_parent_keyed::<E>(&client, &parent_id, &path, page_size).await?,
                false => list_of_parent::<E>(&client, &path, page_size).await?,
            };
            Ok(records
                .into_iter()
                .map(|record| {
                    let mut row = record.flatten().row;
                    match slot {
                        Some(i) => row[i] = Cell::Text(parent_id.clone()),
                        None => row.insert(0, Cell::Text(parent_id.clone())),
                    }
                    row
                })
                .collect())
        })
    }
}

/// A stream's detail lists for one run: the sources wanted (`None` for a
/// table the selection excludes: not fetched, an empty list keeps the child
/// positions aligned) and which of them the API refused this run.
pub(crate) struct RunDetails {
    sources: Vec<Option<Arc<dyn DetailSource>>>,
    tables: Vec<String>,
    /// Why each source was refused, once it was: later batches skip it
    /// without asking again.
    refused: Vec<OnceLock<String>>,
}

impl RunDetails {
    /// `sources` (with their tables as children of `parent`).
    pub(crate) fn new(
        sources: Vec<Option<Arc<dyn DetailSource>>>,
        all: &[Arc<dyn DetailSource>],
        parent: &TableDef,
    ) -> Self {
        RunDetails {
            tables: all.iter().map(|s| s.table(parent).name).collect(),
            refused: sources.iter().map(|_| OnceLock::new()).collect(),
            sources,
        }
    }

    /// The tables of the sources wanted this run (none: nothing to fetch).
    pub(crate) fn wanted(&self) -> Vec<String> {
        (0..self.sources.len())
            .filter(|&i| self.sources[i].is_some())
            .map(|i| self.tables[i].clone())
            .collect()
    }

    /// Records that a refusal of source `i` is final for this run, and says
    /// so once.
    fn refuse(&self, i: usize, role: String, e: &SyncError) {
        let why = format!("the API token lacks {role} ({e}); existing rows kept");
        if self.refused[i].set(why.clone()).is_ok() {
            tracing::warn!(table = %self.tables[i], "detail list skipped for the rest of the run: {why}");
        }
    }

    /// Fetches every detail list of every record as one unordered stream (so
    /// as many requests are in flight as the budget takes) and attaches them
    /// as child rows. Returns the detail tables this batch does not carry
    /// (refused, now or earlier this run), with why: their rows must not be
    /// replaced, and every record has an empty list in their place.
    pub(crate) async fn attach(
        self: &Arc<Self>,
        records: &mut [FlatRecord],
        client: &Client,
    ) -> Result<Vec<(String, String)>, SyncError> {
        let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
        let jobs: Vec<(usize, String)> = (0..self.sources.len())
            .filter(|&i| self.sources[i].is_some() && self.refused[i].get().is_none())
            .flat_map(|i| ids.iter().map(move |id| (i, id.clone())))
            .collect();
        let (this, c) = (self.clone(), client.clone());
        // Unordered, so one slow answer never holds the others' slots.
        let mut fetched: Vec<(usize, usize, Vec<Row>)> = futures::stream::iter(jobs.into_iter().enumerate())
            .map(move |(k, (i, id))| {
                let (this, c) = (this.clone(), c.clone());
                async move {
                    let Some(source) = this.sources[i].as_ref().filter(|_| this.refused[i].get().is_none()) else {
                        return Ok((k, i, Vec::new()));
                    };
                    match source.fetch(c, id).await {
                        Ok(rows) => Ok((k, i, rows)),
                        Err(e) if e.is_forbidden() => {
                            this.refuse(i, source.role(), &e);
                            Ok((k, i, Vec::new()))
                        }
                        Err(e) => Err(e),
                    }
                }
            })
            .buffer_unordered(DETAIL_CONCURRENCY)
            .try_collect()
            .await?;
        fetched.sort_unstable_by_key(|(k, _, _)| *k);
        // Source-major order: one entry per record for each fetched source.
        let mut fetched = fetched.into_iter().peekable();
        for i in 0..self.sources.len() {
            for r in records.iter_mut() {
                let rows = match fetched.peek() {
                    Some((_, j, _)) if *j == i => fetched.next().map(|(_, _, rows)| rows).unwrap_or_default(),
                    _ => Vec::new(),
                };
                // A list refused mid-batch: none of the batch's rows of it are written.
                r.children.push(if self.refused[i].get().is_some() {
                    Vec::new()
                } else {
                    rows
                });
            }
        }
        Ok((0..self.sources.len())
            .filter_map(|i| Some((self.tables[i].clone(), self.refused[i].get()?.clone())))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::with_id;

    #[test]
    fn items_without_an_id_get_their_position() {
        let v = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert_eq!(
            with_id(r#"{"id":"a","type":"attachment"}"#, "c:0"),
            r#"{"id":"a","type":"attachment"}"#
        );
        assert_eq!(
            with_id(r#" {"type":"attachment","attributes":{"id":1}}"#, "c:1"),
            r#"{"id":"c:1","type":"attachment","attributes":{"id":1}}"#
        );
        assert_eq!(
            v(&with_id(r#"{"type":"attachment","id":null}"#, "c:2")),
            v(r#"{"type":"attachment","id":"c:2"}"#)
        );
        assert_eq!(with_id("{}", "c:3"), r#"{"id":"c:3"}"#);
        assert_eq!(with_id("[1]", "c:4"), "[1]");
    }
}
