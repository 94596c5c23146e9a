//! The `record!` macro: one field list per API object that yields its struct,
//! a single-pass decoder that keeps unknown fields, its serializer, its column
//! list and its row conversion. Adding a field is one line.

use crate::cell::Cell;
use crate::table::{Column, LogicalType, EXTRA_COLUMN, POSITION_COLUMN};
use crate::value::{extra_cell, Extra, Flex};

/// An API object decoded by a `record!` struct.
pub trait Record: Sized {
    /// The columns of the record's scalar fields, in declaration order
    /// (without `_extra`), each with its meaning and its wire name as source.
    fn columns() -> Vec<Column>;
    /// The wire name and meaning of a list field (by its Rust name) that
    /// becomes a child table.
    fn list_doc(field: &str) -> Option<(&'static str, Option<&'static str>)> {
        let _ = field;
        None
    }
    /// Pushes one cell per column of [`Record::columns`] and returns the
    /// fields it does not model, for the `_extra` column.
    fn push_cells(self, out: &mut Vec<Cell>) -> Extra;
}

/// An item of a list that becomes a child table (an e-mail of a customer, a
/// tag id of a conversation).
pub trait ChildItem {
    /// Columns after the parent key and `_position`. `value_column` names the
    /// single column of scalar items (`tag_id`); records ignore it.
    fn item_columns(value_column: &str) -> Vec<Column>;
    /// Pushes the item's cells.
    fn push_item_cells(self, out: &mut Vec<Cell>);
}

impl<R: Record> ChildItem for R {
    fn item_columns(_value_column: &str) -> Vec<Column> {
        let mut cols = R::columns();
        cols.push(Column::new(EXTRA_COLUMN, LogicalType::Json));
        cols
    }

    fn push_item_cells(self, out: &mut Vec<Cell>) {
        let extra = self.push_cells(out);
        out.push(extra_cell(&extra));
    }
}

impl ChildItem for Flex {
    fn item_columns(value_column: &str) -> Vec<Column> {
        vec![Column::new(value_column, LogicalType::Text)]
    }

    fn push_item_cells(self, out: &mut Vec<Cell>) {
        out.push(crate::value::Scalar::into_cell(self));
    }
}

/// Columns of a child table: parent key, `_position`, then the item's columns.
pub fn child_table_columns<T: ChildItem>(parent_column: &str, value_column: &str) -> Vec<Column> {
    let mut cols = vec![
        Column::required(parent_column, LogicalType::Text),
        Column::required(POSITION_COLUMN, LogicalType::BigInt),
    ];
    cols.extend(T::item_columns(value_column));
    cols
}

/// A list field that becomes a child table: a `Vec` of items, or an object
/// that flattens into items (the `{"and": [...], "or": [...]}` of SLA criteria).
pub trait ChildList {
    /// One row's item.
    type Item: ChildItem;
    /// The items, in list order.
    fn into_items(self) -> Vec<Self::Item>;
}

impl<T: ChildItem> ChildList for Vec<T> {
    type Item = T;
    fn into_items(self) -> Vec<T> {
        self
    }
}

/// Rows of a child table for one parent: `(parent id, position, item…)`.
pub fn child_rows<L: ChildList>(parent_id: &str, items: Option<L>) -> Vec<Vec<Cell>> {
    let Some(items) = items else { return Vec::new() };
    items
        .into_items()
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let mut row = Vec::with_capacity(6);
            row.push(Cell::Text(parent_id.to_owned()));
            row.push(Cell::Int(i as i64));
            item.push_item_cells(&mut row);
            row
        })
        .collect()
}

/// Infers a list field's item type from an accessor, so the `entity!` macro
/// can build a child table's columns from a field name alone.
pub fn list_item_columns<A, L: ChildList>(
    _field: fn(&A) -> &Option<L>,
    parent_column: &str,
    value_column: &str,
) -> Vec<Column> {
    child_table_columns::<L::Item>(parent_column, value_column)
}

/// Declares an API object: `"wireName" => rust_field: Option<T>` per scalar
/// field (each becomes a column named `snake_case(wireName)`), and optionally
/// `lists { "wireName" => field: Option<L> }` (`L`: a [`ChildList`]) for lists
/// that become child tables instead of columns. Unknown fields land in `extra`.
///
/// `"wireName" as "column" => …` names the column explicitly, for a field
/// whose natural name is taken (an attribute called `type`, or `userId` next
/// to a `user` relationship).
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[doc = $doc:literal])* $wire:literal $(as $col:literal)? => $field:ident : $ty:ty ),* $(,)?
        }
        $( lists {
            $( $(#[doc = $ldoc:literal])* $lwire:literal => $lfield:ident : $lty:ty ),* $(,)?
        } )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[doc = $doc])* #[doc = concat!("\n\nWire name: `", $wire, "`.")] pub $field: $ty, )*
            $( $( $(#[doc = $ldoc])* #[doc = concat!("\n\nWire name: `", $lwire, "` (a child table).")] pub $lfield: $lty, )* )?
            /// Fields this version does not model, kept verbatim.
            pub extra: $crate::value::Extra,
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> ::serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }
                    fn visit_map<M: ::serde::de::MapAccess<'de>>(self, mut map: M) -> Result<$name, M::Error> {
                        let mut out = $name::default();
                        while let Some(key) = map.next_key::<$crate::value::Key<'de>>()? {
                            match key.as_str() {
                                $( $wire => $crate::value::next_field(&mut map, &mut out.$field, &mut out.extra, $wire)?, )*
                                $( $( $lwire => $crate::value::next_field(&mut map, &mut out.$lfield, &mut out.extra, $lwire)?, )* )?
                                _ => {
                                    let v: $crate::value::Json = map.next_value()?;
                                    out.extra.insert(key.into_owned(), v);
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(V)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                $( if let Some(v) = &self.$field { m.serialize_entry($wire, v)?; } )*
                $( $( if let Some(v) = &self.$lfield { m.serialize_entry($lwire, v)?; } )* )?
                for (k, v) in &self.extra {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }

        // A nested object of this type in another record lands in a JSON column.
        impl $crate::value::Scalar for $name {
            const TYPE: $crate::table::LogicalType = $crate::table::LogicalType::Json;
            fn into_cell(self) -> $crate::cell::Cell {
                $crate::cell::Cell::Json(::serde_json::to_string(&self).unwrap_or_else(|_| "null".into()))
            }
        }

        impl $crate::record::Record for $name {
            fn columns() -> Vec<$crate::table::Column> {
                vec![ $( $crate::docs::attribute_column(
                    $crate::table::Column::new(
                        $crate::naming::snake_case(None::<&str> $( .or(Some($col)) )? .unwrap_or($wire)),
                        <$ty as $crate::value::ColumnValue>::TYPE,
                    ),
                    $wire,
                    concat!("" $(, $doc)*),
                ), )* ]
            }

            fn list_doc(field: &str) -> Option<(&'static str, Option<&'static str>)> {
                match field {
                    $( $( stringify!($lfield) => Some(($lwire, $crate::docs::trimmed(concat!("" $(, $ldoc)*)))), )* )?
                    _ => None,
                }
            }

            fn push_cells(self, out: &mut Vec<$crate::cell::Cell>) -> $crate::value::Extra {
                $( out.push($crate::value::ColumnValue::into_cell(self.$field)); )*
                #[allow(unused_mut)]
                let mut extra = self.extra;
                // Lists the caller did not take as child rows are kept, never dropped.
                $( $( if let Some(v) = self.$lfield {
                    extra.insert($lwire.to_owned(), $crate::value::Json::of(&v));
                } )* )?
                extra
            }
        }
    };
}

pub(crate) use record;
