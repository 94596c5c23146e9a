//! Entities: resources that are synced into a parent table plus child tables.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cell::{Cell, Row};
use crate::envelope::Relationships;
use crate::record::child_rows;
use crate::table::{ParentKey, TableDef, POSITION_COLUMN};
use crate::value::{Extra, Flex, Json};

/// The tables an entity loads into: its parent table and its child tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntitySchema {
    /// JSON:API `type` (for KObjects, the prefix `kobject`).
    pub resource: &'static str,
    /// The parent table (`id` is its primary key).
    pub table: TableDef,
    /// Child tables, in the order of [`FlatRecord::children`].
    pub children: Vec<TableDef>,
    /// What the parent table holds, in one line.
    #[serde(skip)]
    pub doc: Cow<'static, str>,
    /// What each child table holds, aligned with `children`.
    #[serde(skip)]
    pub child_docs: Vec<Cow<'static, str>>,
}

impl EntitySchema {
    /// Every table: the parent first, then the children.
    pub fn tables(&self) -> impl Iterator<Item = &TableDef> {
        std::iter::once(&self.table).chain(self.children.iter())
    }

    /// The one-line meaning of one of its tables.
    pub fn table_doc(&self, name: &str) -> Option<&str> {
        if self.table.name == name {
            return Some(&self.doc);
        }
        let i = self.children.iter().position(|c| c.name == name)?;
        self.child_docs.get(i).map(|d| d.as_ref())
    }
}

/// One record flattened into rows: its parent row and, per child table, the
/// rows of its nested lists. Child keys are (parent id, list position), so the
/// same record always yields the same rows.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatRecord {
    /// The record's id.
    pub id: String,
    /// The parent row, aligned with [`EntitySchema::table`].
    pub row: Row,
    /// Child rows per child table, aligned with [`EntitySchema::children`].
    pub children: Vec<Vec<Row>>,
}

/// A Kustomer resource that syncs into tables.
pub trait Entity: DeserializeOwned + Serialize + Send + Sync + 'static {
    /// The tables this entity fills.
    fn schema() -> &'static EntitySchema;
    /// The record's id.
    fn id(&self) -> &str;
    /// The record's JSON:API `type` (`kobject.order` for a KObject of klass `order`).
    fn kind(&self) -> &str;
    /// `updatedAt`, the incremental cursor.
    fn updated_at(&self) -> Option<DateTime<Utc>>;
    /// Flattens the record into its parent row and child rows, consuming it so
    /// strings move instead of being copied.
    fn flatten(self) -> FlatRecord;
    /// The record's `custom` attributes, for entities that have them
    /// (customers, conversations, messages, companies, KObjects).
    fn custom(&self) -> Option<&crate::CustomAttributes> {
        None
    }
}

/// The meaning of a child table filled from a list field.
pub fn list_table_doc(singular: &str, wire: &str, doc: Option<&str>) -> Cow<'static, str> {
    let what = doc.map_or_else(
        || format!("`{wire}`"),
        |d| format!("`{wire}` ({})", d.trim_end_matches('.')),
    );
    format!("One row per item of a {}'s {what}", crate::docs::humanize(singular)).into()
}

/// Builds a child table definition.
pub fn child_table(parent_table: &str, parent_column: &str, name: String, columns: Vec<crate::Column>) -> TableDef {
    TableDef {
        name,
        columns,
        primary_key: vec![parent_column.to_owned(), POSITION_COLUMN.to_owned()],
        parent: Some(ParentKey {
            table: parent_table.to_owned(),
            column: parent_column.to_owned(),
        }),
    }
}

/// Takes a to-one relationship's id for its `<name>_id` column. A value of
/// another shape stays in `relationships` so it reaches `_extra`.
pub fn take_to_one(relationships: &mut Relationships, name: &str) -> Cell {
    let Some(rel) = relationships.remove(name) else {
        return Cell::Null;
    };
    match rel.id() {
        Some(id) => Cell::Text(id.to_owned()),
        None => {
            if rel.data.is_some() || rel.meta.is_some() {
                relationships.insert(name.to_owned(), rel);
            }
            Cell::Null
        }
    }
}

/// Child rows from a to-many relationship (`userMentions` → user ids).
pub fn relationship_child_rows(parent_id: &str, relationships: &mut Relationships, name: &str) -> Vec<Row> {
    let Some(rel) = relationships.remove(name) else {
        return Vec::new();
    };
    let ids: Vec<Flex> = rel.ids().into_iter().map(|s| Flex::Text(s.to_owned())).collect();
    child_rows(parent_id, Some(ids))
}

/// The `_extra` cell of a parent row: unknown attributes, relationships not
/// mapped to columns, and unknown top-level members. Pure-link relationships
/// (no data, no meta) are left out: their link is derivable from the id.
pub fn resource_extra_cell(attributes: Extra, relationships: Relationships, top: Extra) -> Cell {
    let rels: Vec<_> = relationships
        .into_iter()
        .filter(|(_, r)| r.data.is_some() || r.meta.is_some() || !r.extra.is_empty())
        .collect();
    if attributes.is_empty() && rels.is_empty() && top.is_empty() {
        return Cell::Null;
    }
    let mut parts = Extra::new();
    if !attributes.is_empty() {
        parts.insert("attributes".into(), Json::of(&attributes));
    }
    if !rels.is_empty() {
        let map: std::collections::BTreeMap<_, _> = rels.into_iter().collect();
        parts.insert("relationships".into(), Json::of(&map));
    }
    parts.extend(top);
    // Normally re-parsed so the cell is compact. A part serde_json cannot
    // hold as a `Value` (nested deeper than its recursion limit of 128, or a
    // number beyond f64 such as `1e999`) is kept verbatim instead: parsing it
    // would give `null` and drop every unknown attribute of the record
    // (tests/no_panic.rs `deep_nesting_is_an_error_or_kept_whole`).
    let parsed: Option<serde_json::Map<String, serde_json::Value>> = parts
        .iter()
        .map(|(k, v)| serde_json::from_str(v.get()).ok().map(|v| (k.clone(), v)))
        .collect();
    match parsed {
        Some(obj) => Cell::Json(serde_json::Value::Object(obj).to_string()),
        None => Cell::Json(serde_json::to_string(&parts).unwrap_or_else(|_| "{}".into())),
    }
}

/// Declares an entity over a `record!` attributes struct: its resource type,
/// table names, the relationships that become `<name>_id` columns, and the
/// lists (attributes or to-many relationships) that become child tables named
/// `{singular}_{list}`.
macro_rules! entity {
    (
        $(#[$meta:meta])*
        pub type $alias:ident = Resource<$attrs:ident> {
            resource: $resource:literal,
            table: $table:literal,
            singular: $singular:literal,
            doc: $tdoc:literal,
            relationships { $( $rel:literal => $relcol:literal ),* $(,)? }
            lists { $( $list:ident $( => $listval:literal )? ),* $(,)? }
            relationship_lists { $( $rlist:literal => $rlistval:literal ),* $(,)? }
            $( custom: $custom:ident, )?
        }
    ) => {
        $(#[$meta])*
        pub type $alias = $crate::envelope::Resource<$attrs>;

        impl $crate::entity::Entity for $crate::envelope::Resource<$attrs> {
            fn schema() -> &'static $crate::entity::EntitySchema {
                use $crate::table::{Column, LogicalType};
                static SCHEMA: ::std::sync::OnceLock<$crate::entity::EntitySchema> = ::std::sync::OnceLock::new();
                SCHEMA.get_or_init(|| {
                    #[allow(unused_variables)]
                    let parent_col = concat!($singular, "_id");
                    let mut columns = vec![Column::required("id", LogicalType::Text), Column::new("type", LogicalType::Text)];
                    $( columns.push(Column::new($relcol, LogicalType::Text)); )*
                    columns.extend(<$attrs as $crate::record::Record>::columns());
                    columns.push(Column::new($crate::table::EXTRA_COLUMN, LogicalType::Json));
                    let columns = $crate::docs::parent_columns(columns, &[ $( ($rel, $relcol) ),* ]);
                    let table = $crate::table::TableDef {
                        name: $table.into(),
                        columns,
                        primary_key: vec!["id".into()],
                        parent: None,
                    };
                    #[allow(unused_mut)]
                    let mut child_docs: Vec<::std::borrow::Cow<'static, str>> = Vec::new();
                    let children: Vec<$crate::table::TableDef> = vec![
                    $( {
                        let (wire, doc) = <$attrs as $crate::record::Record>::list_doc(stringify!($list))
                            .unwrap_or((stringify!($list), None));
                        child_docs.push($crate::entity::list_table_doc($singular, wire, doc));
                        $crate::entity::child_table(
                            $table,
                            parent_col,
                            concat!($singular, "_", stringify!($list)).to_owned(),
                            $crate::docs::child_columns(
                                $crate::record::list_item_columns(
                                    |a: &$attrs| &a.$list,
                                    parent_col,
                                    None::<&str> $( .or(Some($listval)) )? .unwrap_or("value"),
                                ),
                                $singular,
                                &format!("attributes.{wire}[]"),
                                doc,
                            ),
                        )
                    }, )*
                    $( {
                        let rel = $crate::docs::relationship($rlist);
                        child_docs.push($crate::entity::list_table_doc($singular, $rlist, rel.meaning));
                        $crate::entity::child_table(
                            $table,
                            parent_col,
                            format!("{}_{}", $singular, $crate::naming::snake_case($rlist)),
                            $crate::docs::child_columns(
                                $crate::record::child_table_columns::<$crate::value::Flex>(parent_col, $rlistval),
                                $singular,
                                concat!("relationships.", $rlist, ".data[].id"),
                                rel.meaning,
                            ),
                        )
                    }, )*
                    ];
                    $crate::entity::EntitySchema {
                        resource: $resource,
                        table,
                        children,
                        doc: ::std::borrow::Cow::Borrowed($tdoc),
                        child_docs,
                    }
                })
            }

            fn id(&self) -> &str {
                self.id.as_str()
            }

            fn kind(&self) -> &str {
                &self.kind
            }

            fn updated_at(&self) -> Option<::chrono::DateTime<::chrono::Utc>> {
                self.attributes.updated_at
            }

            $( fn custom(&self) -> Option<&$crate::CustomAttributes> {
                self.attributes.$custom.as_ref()
            } )?

            fn flatten(self) -> $crate::entity::FlatRecord {
                let $crate::envelope::Resource { kind, id, attributes, relationships, links: _, extra } = self;
                #[allow(unused_mut)]
                let mut attributes = attributes;
                #[allow(unused_mut)]
                let mut relationships = relationships;
                let id = id.into_string();
                let schema = <Self as $crate::entity::Entity>::schema();
                let mut row = Vec::with_capacity(schema.table.columns.len());
                row.push($crate::cell::Cell::Text(id.clone()));
                row.push($crate::cell::Cell::Text(kind));
                $( row.push($crate::entity::take_to_one(&mut relationships, $rel)); )*
                #[allow(unused_mut)]
                let mut children = Vec::with_capacity(schema.children.len());
                $( children.push($crate::record::child_rows(&id, attributes.$list.take())); )*
                $( children.push($crate::entity::relationship_child_rows(&id, &mut relationships, $rlist)); )*
                let attr_extra = $crate::record::Record::push_cells(attributes, &mut row);
                row.push($crate::entity::resource_extra_cell(attr_extra, relationships, extra));
                $crate::entity::FlatRecord { id, row, children }
            }
        }
    };
}

pub(crate) use entity;
