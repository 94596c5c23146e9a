//! Per-parent detail lists (a conversation's events, times, forwards and
//! attachments; a customer's drafts and merges). They are read only for the
//! parents a batch carries — the ones that changed — and become child tables
//! of that parent, so they commit with it and are replaced with it.

use std::marker::PhantomData;

use futures::future::BoxFuture;
use futures::TryStreamExt;
use kustomer_api::Client;
use kustomer_models::{Cell, Column, Entity, LogicalType, ParentKey, Row, TableDef};

use crate::error::SyncError;

/// Every record of a per-parent list (`/v1/conversations/{id}/events`, …);
/// a parent deleted meanwhile (404) has none.
pub(crate) async fn list_of_parent<E: Entity>(
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

/// A detail list read per parent.
pub trait DetailSource: Send + Sync {
    /// The detail table, as a child of `parent`.
    fn table(&self, parent: &TableDef) -> TableDef;
    /// Every row for one parent.
    fn fetch(&self, client: Client, parent_id: String) -> BoxFuture<'static, Result<Vec<Row>, SyncError>>;
}

/// Detail records of entity `E` at `path` (`{id}` is the parent's id).
pub struct Detail<E> {
    path: &'static str,
    page_size: u32,
    parent_column: &'static str,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> Detail<E> {
    /// Details at `path`, keyed to their parent by `parent_column`.
    pub fn new(path: &'static str, page_size: u32, parent_column: &'static str) -> Self {
        Detail {
            path,
            page_size,
            parent_column,
            _entity: PhantomData,
        }
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

    fn fetch(&self, client: Client, parent_id: String) -> BoxFuture<'static, Result<Vec<Row>, SyncError>> {
        let path = self.path.replace("{id}", &parent_id);
        let page_size = self.page_size;
        let slot = self.parent_slot();
        Box::pin(async move {
            let records = list_of_parent::<E>(&client, &path, page_size).await?;
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
