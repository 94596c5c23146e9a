//! Shaping records into this run's tables: the fixed tables of the model,
//! plus the org's custom attributes as typed columns and, for KObjects, one
//! `kobject_<klass>` table per klass.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kustomer_models::{Cell, Column, Entity, FlatRecord, ParentKey, TableDef};

use crate::custom_columns::CustomColumns;
use crate::dest::StreamTables;
use crate::discovery::{Discovery, KLASS_TABLE_FIXED};

struct KlassSplit {
    /// Klass name → position among the klass tables.
    index: HashMap<String, usize>,
    /// Parent-row indices of the columns each klass row copies.
    source: Vec<usize>,
    tables: Vec<(TableDef, Arc<CustomColumns>)>,
}

/// Turns records of one entity into rows of this run's tables.
pub(crate) struct Shaper {
    base: StreamTables,
    custom: Option<CustomColumns>,
    klasses: Option<KlassSplit>,
}

impl Shaper {
    /// A shaper for entity `E`: custom columns of `resource` (when the org
    /// defines any) and, with `split_klasses`, the discovered klass tables.
    pub(crate) fn new<E: Entity>(resource: Option<&str>, split_klasses: bool, d: &Discovery) -> Shaper {
        let schema = E::schema();
        let base = StreamTables::new(schema.table.clone(), schema.children.clone());
        let taken: HashSet<String> = base.parent.columns.iter().map(|c| c.name.clone()).collect();
        let custom = resource
            .and_then(|r| d.custom_columns(r, &taken))
            .filter(|c| !c.is_empty());
        let klasses = split_klasses.then(|| {
            let source: Vec<usize> = KLASS_TABLE_FIXED
                .iter()
                .filter_map(|name| base.parent.column_index(name))
                .collect();
            let fixed: Vec<Column> = source.iter().map(|&i| base.parent.columns[i].clone()).collect();
            let tables = d
                .klasses
                .iter()
                .map(|k| {
                    let mut columns = fixed.clone();
                    if let Some(c) = columns.first_mut() {
                        c.nullable = false;
                    }
                    columns.extend(k.custom.table_columns());
                    let def = TableDef {
                        name: k.table.clone(),
                        columns,
                        primary_key: vec!["id".into()],
                        parent: Some(ParentKey {
                            table: base.parent.name.clone(),
                            column: "id".into(),
                        }),
                    };
                    (def, k.custom.clone())
                })
                .collect();
            let index = d
                .klasses
                .iter()
                .enumerate()
                .map(|(i, k)| (k.klass.clone(), i))
                .collect();
            KlassSplit { index, source, tables }
        });
        Shaper { base, custom, klasses }
    }

    /// The tables records are shaped into.
    pub(crate) fn tables(&self) -> StreamTables {
        let mut t = self.base.clone();
        if let Some(c) = &self.custom {
            t.parent.columns.extend(c.table_columns());
        }
        if let Some(k) = &self.klasses {
            t.children.extend(k.tables.iter().map(|(def, _)| def.clone()));
        }
        t
    }

    /// One record's rows.
    pub(crate) fn shape<E: Entity>(&self, e: E) -> FlatRecord {
        let table = &self.base.parent.name;
        let custom_cells = self.custom.as_ref().map(|c| {
            let mut v = Vec::new();
            c.push_cells(e.custom(), table, e.id(), &mut v);
            v
        });
        let klass = self.klasses.as_ref().and_then(|k| {
            let name = e.kind().strip_prefix("kobject.")?;
            let i = *k.index.get(name)?;
            let mut v = Vec::new();
            k.tables[i]
                .1
                .push_cells(e.custom(), &k.tables[i].0.name, e.id(), &mut v);
            Some((i, v))
        });
        let mut flat = e.flatten();
        if let Some(c) = custom_cells {
            flat.row.extend(c);
        }
        if let Some(k) = &self.klasses {
            let first = flat.children.len();
            flat.children
                .extend(std::iter::repeat_with(Vec::new).take(k.tables.len()));
            if let Some((i, cells)) = klass {
                let mut row: Vec<Cell> = k.source.iter().map(|&s| flat.row[s].clone()).collect();
                row.extend(cells);
                flat.children[first + i].push(row);
            }
        }
        flat
    }
}
