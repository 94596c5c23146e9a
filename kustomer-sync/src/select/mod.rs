//! Which tables and columns a run writes, and the salted hashing of columns.
//!
//! A [`Selection`] is made once per run from [`SyncOptions`]. It checks table
//! names against the catalogue before any request
//! ([`Selection::check_tables`]), decides which streams run
//! ([`Selection::wants_stream`]), and turns each stream's tables into this
//! run's tables plus a [`Projection`] (in `projection`) that reshapes its
//! records to match ([`Selection::project`]). Column names are checked once
//! custom columns and klass tables are discovered
//! ([`Selection::check_columns`]); `suggest` finds the name a typo meant;
//! `hash` digests hashed columns.

mod hash;
mod projection;
mod suggest;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap, HashSet};

use kustomer_models::{LogicalType, TableDef};

use crate::dest::StreamTables;
use crate::error::SyncError;
use crate::options::{split_column_spec, HashSalt, SyncOptions};
pub use hash::hash_cell;
use hash::SaltedHasher;
pub(crate) use projection::Projection;
use projection::TableProjection;
use suggest::closest;

/// Prefix of the klass tables (`kobject_<klass>`), discovered at run time.
const KLASS_PREFIX: &str = "kobject_";
/// The stream whose children are the klass tables.
const KLASS_STREAM: &str = "kobjects";
/// The parent column that child tables' parent keys hold.
const PARENT_ID: &str = "id";

/// This run's choice of tables and columns, made from [`SyncOptions`].
///
/// Its `Debug` output never shows the hash salt.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    /// `tables`: `None` selects everything.
    include: Option<HashSet<String>>,
    exclude_tables: HashSet<String>,
    /// Table → excluded columns.
    exclude_columns: HashMap<String, HashSet<String>>,
    /// Table → hashed columns.
    hash_columns: HashMap<String, HashSet<String>>,
    /// Every column spec with the option it came from, in the options' order.
    specs: Vec<(&'static str, String)>,
    /// Table names to check against the catalogue, with the option they came from.
    table_names: Vec<(&'static str, String)>,
    salt: Option<HashSalt>,
}

fn by_table(specs: &[String]) -> HashMap<String, HashSet<String>> {
    let mut map: HashMap<String, HashSet<String>> = HashMap::new();
    for (table, column) in specs.iter().filter_map(|s| split_column_spec(s)) {
        map.entry(table.to_owned()).or_default().insert(column.to_owned());
    }
    map
}

impl Selection {
    /// Whether `table.column` is stored as the API sends it (neither
    /// excluded nor hashed): what comparing stored ids with the source needs.
    pub fn keeps_plain(&self, table: &str, column: &str) -> bool {
        let listed = |m: &HashMap<String, HashSet<String>>| m.get(table).is_some_and(|c| c.contains(column));
        !listed(&self.exclude_columns) && !listed(&self.hash_columns)
    }

    /// The selection of `opts` (which it validates first).
    pub fn new(opts: &SyncOptions) -> Result<Selection, SyncError> {
        opts.validate()?;
        let specs: Vec<(&'static str, String)> = opts
            .exclude_columns
            .iter()
            .map(|s| ("exclude_columns", s.clone()))
            .chain(opts.hash_columns.iter().map(|s| ("hash_columns", s.clone())))
            .collect();
        let table_names = opts
            .tables
            .iter()
            .flatten()
            .map(|t| ("tables", t.clone()))
            .chain(opts.exclude_tables.iter().map(|t| ("exclude_tables", t.clone())))
            .chain(opts.resync.iter().filter(|t| *t != "*").map(|t| ("resync", t.clone())))
            .chain(
                specs
                    .iter()
                    .filter_map(|(key, spec)| Some((*key, split_column_spec(spec)?.0.to_owned()))),
            )
            .collect();
        Ok(Selection {
            include: opts.tables.as_ref().map(|t| t.iter().cloned().collect()),
            exclude_tables: opts.exclude_tables.iter().cloned().collect(),
            exclude_columns: by_table(&opts.exclude_columns),
            hash_columns: by_table(&opts.hash_columns),
            specs,
            table_names,
            salt: opts.hash_salt.clone().filter(|s| !s.expose_secret().is_empty()),
        })
    }

    /// Validates table names before any request: those of `tables`,
    /// `exclude_tables`, `resync` (but `*`) and the table part of every
    /// `exclude_columns` / `hash_columns` entry. `known` holds every static
    /// table name of the catalogue (parents and children); `kobject_<klass>`
    /// names are accepted here, as klass tables are only discovered later.
    ///
    /// Unknown names give a [`SyncError::Config`] naming each one, the option
    /// it came from and, when one is close, the known name it resembles.
    pub fn check_tables(&self, known: &[&str]) -> Result<(), SyncError> {
        let known_set: HashSet<&str> = known.iter().copied().collect();
        let mut reported = HashSet::new();
        let mut problems = Vec::new();
        for (key, name) in &self.table_names {
            if known_set.contains(name.as_str()) || name.starts_with(KLASS_PREFIX) {
                continue;
            }
            if !reported.insert((*key, name.as_str())) {
                continue;
            }
            let hint = closest(name, known.iter().copied())
                .map(|c| format!(" (did you mean `{c}`?)"))
                .unwrap_or_default();
            problems.push(format!("`{name}` in {key}{hint}"));
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(SyncError::Config(format!(
            "unknown table{}: {}; table names are those of the catalogue (streams and their child tables, \
             such as `customers` or `customer_emails`) or `kobject_<klass>`",
            if problems.len() == 1 { "" } else { "s" },
            problems.join(", ")
        )))
    }

    /// Whether a stream runs. Without `tables` every stream runs; with it, a
    /// stream runs when its parent or any of its child tables is listed (a
    /// `kobject_<klass>` name selects the `kobjects` stream, whose klass
    /// tables are only known after discovery). A stream whose parent is in
    /// `exclude_tables` never runs.
    pub fn wants_stream(&self, tables: &StreamTables) -> bool {
        let parent = tables.parent.name.as_str();
        if self.exclude_tables.contains(parent) {
            return false;
        }
        match &self.include {
            None => true,
            Some(include) => {
                include.contains(parent)
                    || tables.children.iter().any(|c| include.contains(&c.name))
                    || (parent == KLASS_STREAM && include.iter().any(|t| t.starts_with(KLASS_PREFIX)))
            }
        }
    }

    /// Whether child table `child` of stream `parent` is written this run.
    fn keeps_child(&self, parent: &str, child: &str) -> bool {
        !self.exclude_tables.contains(child)
            && self
                .include
                .as_ref()
                .is_none_or(|include| include.contains(parent) || include.contains(child))
    }

    /// Names of the child tables of a stream that this run does not write (so
    /// the stream can skip fetching detail lists nobody wants).
    pub fn excluded_children(&self, tables: &StreamTables) -> HashSet<String> {
        tables
            .children
            .iter()
            .filter(|c| !self.keeps_child(&tables.parent.name, &c.name))
            .map(|c| c.name.clone())
            .collect()
    }

    /// This run's tables of one stream and the [`Projection`] that turns the
    /// stream's records into rows of them.
    ///
    /// - A child table is dropped when it is in `exclude_tables`, or when
    ///   `tables` is given and lists neither the parent nor that child (a
    ///   stream selected only through some of its children keeps just those).
    /// - Excluded columns leave the table definition (they are never written,
    ///   not even as NULL). Excluding a primary-key column or a child's
    ///   parent-key column is refused.
    /// - Hashed columns become [`LogicalType::Text`] (nullability unchanged).
    ///   Hashing the parent's `id` also hashes the parent-key column of every
    ///   child table, since child rows are replaced by matching that column
    ///   against the parent's `id`; hashing a parent-key column alone is
    ///   refused for the same reason.
    ///
    /// The result is a clone of `tables` with only `parent` and `children`
    /// changed. Columns named in the options that a table lacks are ignored
    /// here; [`Selection::check_columns`] reports them.
    pub fn project(&self, tables: &StreamTables) -> Result<(StreamTables, Projection), SyncError> {
        let mut out = tables.clone();
        let parent_name = tables.parent.name.as_str();
        let (parent_def, parent_proj) = self.project_table(&tables.parent, false)?;
        let id_hashed = self
            .hash_columns
            .get(parent_name)
            .is_some_and(|c| c.contains(PARENT_ID));
        let mut children = Vec::with_capacity(tables.children.len());
        let mut projections = Vec::with_capacity(tables.children.len());
        let mut keep = Vec::with_capacity(tables.children.len());
        for child in &tables.children {
            if !self.keeps_child(parent_name, &child.name) {
                keep.push(false);
                projections.push(TableProjection::default());
                continue;
            }
            let (def, proj) = self.project_table(child, id_hashed)?;
            keep.push(true);
            children.push(def);
            projections.push(proj);
        }
        out.parent = parent_def;
        out.children = children;
        let hashes = parent_proj.hashes() || projections.iter().zip(&keep).any(|(p, k)| *k && p.hashes());
        let hasher = if hashes {
            let salt = self
                .salt
                .as_ref()
                .ok_or_else(|| SyncError::Config("hash_columns needs a salt: set `hash_salt`".to_owned()))?;
            Some(SaltedHasher::new(salt))
        } else {
            None
        };
        let identity = parent_proj.is_identity()
            && keep.iter().all(|k| *k)
            && projections.iter().all(TableProjection::is_identity);
        let projection = Projection {
            parent: parent_proj,
            children: projections,
            keep_children: keep.contains(&false).then_some(keep),
            hasher,
            identity,
        };
        Ok((out, projection))
    }

    /// One table's definition for this run and its projection. `hash_parent_key`:
    /// the parent's `id` is hashed, so the child's parent-key column is too.
    fn project_table(&self, def: &TableDef, hash_parent_key: bool) -> Result<(TableDef, TableProjection), SyncError> {
        let excluded = self.exclude_columns.get(&def.name);
        let hashed = self.hash_columns.get(&def.name);
        let parent_key = def.parent_column();
        let mut problems = Vec::new();
        if let Some(excluded) = excluded {
            for column in sorted(excluded) {
                if def.column_index(column).is_none() {
                    continue;
                }
                if def.primary_key.iter().any(|k| k == column) {
                    problems.push(format!(
                        "cannot exclude {}.{column}: it is part of the table's primary key (hash it instead)",
                        def.name
                    ));
                } else if parent_key == Some(column) {
                    problems.push(format!(
                        "cannot exclude {}.{column}: it links the rows to their parent table (hash it instead)",
                        def.name
                    ));
                }
            }
        }
        if let (Some(pk), Some(parent)) = (parent_key, &def.parent) {
            if !hash_parent_key && hashed.is_some_and(|h| h.contains(pk)) && def.column_index(pk).is_some() {
                problems.push(format!(
                    "cannot hash {}.{pk} alone: child rows are matched to their parent by it, so hash {}.{PARENT_ID} \
                     (which hashes {}.{pk} with it)",
                    def.name, parent.table, def.name
                ));
            }
        }
        if !problems.is_empty() {
            return Err(SyncError::Config(problems.join("; ")));
        }

        let mut proj = TableProjection::default();
        let mut out = def.clone();
        for (i, column) in def.columns.iter().enumerate() {
            let hash = hashed.is_some_and(|h| h.contains(&column.name))
                || (hash_parent_key && parent_key == Some(column.name.as_str()));
            if hash {
                proj.hash.push(i);
                out.columns[i].ty = LogicalType::Text;
            }
        }
        if let Some(excluded) = excluded {
            let keep: Vec<bool> = def.columns.iter().map(|c| !excluded.contains(&c.name)).collect();
            if keep.contains(&false) {
                let mut i = 0;
                out.columns.retain(|_| {
                    i += 1;
                    keep[i - 1]
                });
                proj.keep = Some(keep);
            }
        }
        Ok((out, proj))
    }

    /// Reports `exclude_columns` / `hash_columns` entries that match no column
    /// of any table of this run. `seen` holds the final (pre-projection)
    /// tables of every selected stream, after discovery.
    pub fn check_columns<'a>(&self, seen: impl IntoIterator<Item = &'a StreamTables>) -> Result<(), SyncError> {
        if self.specs.is_empty() {
            return Ok(());
        }
        let mut columns: HashMap<&str, Vec<&str>> = HashMap::new();
        for st in seen {
            for def in std::iter::once(&st.parent).chain(st.children.iter()) {
                columns
                    .entry(def.name.as_str())
                    .or_default()
                    .extend(def.columns.iter().map(|c| c.name.as_str()));
            }
        }
        let mut problems = Vec::new();
        for (key, spec) in &self.specs {
            let Some((table, column)) = split_column_spec(spec) else {
                problems.push(format!("{key} entry `{spec}` is not `table.column`"));
                continue;
            };
            match columns.get(table) {
                Some(cols) if cols.contains(&column) => {}
                Some(cols) => {
                    let hint = closest(column, cols.iter().copied())
                        .map(|c| format!(" (did you mean `{table}.{c}`?)"))
                        .unwrap_or_default();
                    problems.push(format!(
                        "{key} entry `{spec}`: table {table} has no column {column}{hint}"
                    ));
                }
                None => {
                    let hint = closest(table, columns.keys().copied())
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default();
                    problems.push(format!(
                        "{key} entry `{spec}`: table {table} is not synced this run{hint}"
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SyncError::Config(format!(
                "column(s) matching no table of this run: {}",
                problems.join("; ")
            )))
        }
    }
}

fn sorted(set: &HashSet<String>) -> BTreeSet<&str> {
    set.iter().map(String::as_str).collect()
}
