//! Custom attributes as typed columns.
//!
//! Each org defines its own custom attributes (`GET /v1/metadata/{resource}`,
//! and per klass for KObjects). Every defined attribute becomes a column
//! `custom_<snake_case name>` typed by its suffix (`totalSpentNum` →
//! `custom_total_spent_num DOUBLE`). A value that does not fit its declared
//! type is never dropped: its column stays NULL and the raw value goes to the
//! `_custom_overflow` JSON column, with a warning. The whole `custom` object
//! also stays in the `custom` JSON column.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use kustomer_models::{snake_case, Cell, Column, CustomAttributes, CustomKind, CustomValue, LogicalType};

/// Name of the JSON column holding values that did not fit their type.
pub(crate) const OVERFLOW_COLUMN: &str = "_custom_overflow";

/// Meaning of [`OVERFLOW_COLUMN`].
pub(crate) const OVERFLOW_DOC: &str = "Custom attribute values that did not fit their column's type, as JSON";

/// One custom attribute's column.
#[derive(Debug)]
pub(crate) struct CustomColumn {
    /// The attribute's API name (`totalSpentNum`).
    pub attribute: String,
    /// Its kind, from the suffix.
    pub kind: CustomKind,
    /// The column name (`custom_total_spent_num`).
    pub column: String,
    /// The attribute's `displayName` in the org's metadata: the column's comment.
    pub label: Option<String>,
    warned: AtomicBool,
}

/// The custom columns of one table.
#[derive(Debug, Default)]
pub(crate) struct CustomColumns {
    columns: Vec<CustomColumn>,
}

impl CustomColumns {
    /// Columns for these attribute names, sorted by name so the layout is
    /// deterministic. `taken` holds the table's other column names: a
    /// colliding name gets a numeric suffix.
    pub fn new<I: IntoIterator<Item = String>>(attributes: I, taken: &HashSet<String>) -> Self {
        let mut names: Vec<String> = attributes.into_iter().collect();
        names.sort();
        names.dedup();
        let mut used: HashSet<String> = taken.clone();
        let columns = names
            .into_iter()
            .map(|attribute| {
                let base = format!("custom_{}", snake_case(&attribute));
                let mut column = base.clone();
                let mut n = 2;
                while used.contains(&column) {
                    column = format!("{base}_{n}");
                    n += 1;
                }
                used.insert(column.clone());
                CustomColumn {
                    kind: CustomKind::of(&attribute),
                    attribute,
                    column,
                    label: None,
                    warned: AtomicBool::new(false),
                }
            })
            .collect();
        CustomColumns { columns }
    }

    /// With the attributes' display names (attribute → `displayName`).
    pub fn with_labels(mut self, labels: Option<&BTreeMap<String, String>>) -> Self {
        if let Some(labels) = labels {
            for c in &mut self.columns {
                c.label = labels.get(&c.attribute).cloned();
            }
        }
        self
    }

    /// Whether there are no custom columns.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Table columns: one per attribute, then `_custom_overflow`.
    pub fn table_columns(&self) -> Vec<Column> {
        let mut cols: Vec<Column> = self
            .columns
            .iter()
            .map(|c| {
                let doc = match &c.label {
                    Some(label) => format!("{label} (custom attribute)"),
                    None => format!("Custom attribute `{}`", c.attribute),
                };
                Column::new(c.column.clone(), c.kind.logical_type())
                    .with_doc(doc)
                    .with_source(format!("attributes.custom.{}", c.attribute))
            })
            .collect();
        cols.push(
            Column::new(OVERFLOW_COLUMN, LogicalType::Json)
                .with_doc(OVERFLOW_DOC)
                .with_source("attributes.custom.*"),
        );
        cols
    }

    /// Pushes one cell per column of [`CustomColumns::table_columns`].
    pub fn push_cells(&self, custom: Option<&CustomAttributes>, table: &str, id: &str, out: &mut Vec<Cell>) {
        let mut overflow: BTreeMap<&str, &CustomValue> = BTreeMap::new();
        for c in &self.columns {
            let value = custom.and_then(|cu| cu.get(&c.attribute));
            match value {
                Some(v) if v.is_mismatch() => {
                    if !c.warned.swap(true, Ordering::Relaxed) {
                        tracing::warn!(table, column = %c.column, record = id,
                            "a value does not fit its declared type; kept in {OVERFLOW_COLUMN} (further cases not logged)");
                    }
                    overflow.insert(&c.attribute, v);
                    out.push(Cell::Null);
                }
                Some(v) => out.push(v.to_cell()),
                None => out.push(Cell::Null),
            }
        }
        out.push(if overflow.is_empty() {
            Cell::Null
        } else {
            Cell::Json(serde_json::to_string(&overflow).unwrap_or_else(|_| "{}".into()))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_by_suffix_with_overflow() {
        let taken: HashSet<String> = ["id".to_owned()].into_iter().collect();
        let cols = CustomColumns::new(
            ["totalSpentNum".to_owned(), "tierStr".to_owned(), "tier_str".to_owned()],
            &taken,
        );
        let names: Vec<_> = cols.table_columns().into_iter().map(|c| (c.name, c.ty)).collect();
        assert_eq!(
            names,
            vec![
                ("custom_tier_str".to_owned(), LogicalType::Text),
                ("custom_tier_str_2".to_owned(), LogicalType::Json),
                ("custom_total_spent_num".to_owned(), LogicalType::Double),
                (OVERFLOW_COLUMN.to_owned(), LogicalType::Json),
            ]
        );
        let custom: CustomAttributes = serde_json::from_str(r#"{"totalSpentNum":"12,5","tierStr":"gold"}"#).unwrap();
        let mut out = Vec::new();
        cols.push_cells(Some(&custom), "customers", "c1", &mut out);
        assert_eq!(out[0], Cell::Text("gold".into()));
        assert_eq!(out[2], Cell::Null);
        assert_eq!(out[3], Cell::Json(r#"{"totalSpentNum":"12,5"}"#.into()));
    }
}
