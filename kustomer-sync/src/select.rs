//! Which tables and columns a run writes, and the salted hashing of columns.
//!
//! A [`Selection`] is made once per run from [`SyncOptions`]. It checks table
//! names against the catalogue before any request
//! ([`Selection::check_tables`]), decides which streams run
//! ([`Selection::wants_stream`]), and turns each stream's tables into this
//! run's tables plus a [`Projection`] that reshapes its records to match
//! ([`Selection::project`]). Column names are checked once custom columns and
//! klass tables are discovered ([`Selection::check_columns`]).
//!
//! ```
//! use kustomer_models::Cell;
//! use kustomer_sync::select::hash_cell;
//! use kustomer_sync::HashSalt;
//!
//! let salt = HashSalt::new("a long random secret");
//! let a = hash_cell(&salt, &Cell::Text("jane@example.com".into()));
//! let b = hash_cell(&salt, &Cell::Text("jane@example.com".into()));
//! assert_eq!(a, b); // the same value hashes alike in every table
//! assert_eq!(a.as_str().unwrap().len(), 64);
//! assert_eq!(hash_cell(&salt, &Cell::Null), Cell::Null);
//! ```

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::{self, Write as _};

use kustomer_models::{Cell, FlatRecord, LogicalType, TableDef};
use sha2::{Digest, Sha256};

use crate::dest::StreamTables;
use crate::error::SyncError;
use crate::options::{split_column_spec, HashSalt, SyncOptions};

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
pub struct Selection {
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

/// The candidate closest to `name` by edit distance, if close enough to be a
/// likely typo.
fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Edit distance counting a swap of two neighbours as one edit (optimal
/// string alignment), so `emial` is one edit from `email`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let mut d = (prev[j] + usize::from(a[i] != b[j]))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// What happens to the rows of one table.
#[derive(Debug, Clone, Default)]
struct TableProjection {
    /// Per column of the source row: whether it is kept. `None`: all are.
    keep: Option<Vec<bool>>,
    /// Source-row indices of hashed columns.
    hash: Vec<usize>,
}

impl TableProjection {
    fn is_identity(&self) -> bool {
        self.keep.is_none() && self.hash.is_empty()
    }

    fn hashes(&self) -> bool {
        !self.hash.is_empty()
    }

    fn apply(&self, row: &mut Vec<Cell>, hasher: Option<&SaltedHasher>) {
        for &i in &self.hash {
            if let Some(cell) = row.get_mut(i) {
                match hasher {
                    Some(h) => h.hash_in_place(cell),
                    // Unreachable by construction; never let a raw value through.
                    None => *cell = Cell::Null,
                }
            }
        }
        if let Some(keep) = &self.keep {
            let mut i = 0;
            row.retain(|_| {
                i += 1;
                keep.get(i - 1).copied().unwrap_or(true)
            });
        }
    }
}

/// How one stream's records become rows of this run's tables: built by
/// [`Selection::project`]. Its `Debug` output never shows the hash salt.
#[derive(Debug, Clone)]
pub struct Projection {
    parent: TableProjection,
    /// One per source child table (dropped ones included, left unused).
    children: Vec<TableProjection>,
    /// Per source child table: whether it is kept. `None`: all are.
    keep_children: Option<Vec<bool>>,
    hasher: Option<SaltedHasher>,
    identity: bool,
}

impl Projection {
    /// A projection that changes nothing.
    pub fn identity() -> Projection {
        Projection {
            parent: TableProjection::default(),
            children: Vec::new(),
            keep_children: None,
            hasher: None,
            identity: true,
        }
    }

    /// Reshapes one record in place: drops the cells of excluded columns,
    /// hashes hashed ones and drops the rows of dropped child tables, so that
    /// `rec.children` lines up with the projected tables' children.
    /// `rec.id` is left as is.
    pub fn apply(&self, rec: &mut FlatRecord) {
        if self.identity {
            return;
        }
        let hasher = self.hasher.as_ref();
        if !self.parent.is_identity() {
            self.parent.apply(&mut rec.row, hasher);
        }
        for (i, rows) in rec.children.iter_mut().enumerate() {
            let kept = self
                .keep_children
                .as_ref()
                .is_none_or(|k| k.get(i).copied().unwrap_or(true));
            match self.children.get(i) {
                Some(p) if kept && !p.is_identity() => rows.iter_mut().for_each(|row| p.apply(row, hasher)),
                _ => {}
            }
        }
        if let Some(keep) = &self.keep_children {
            let mut i = 0;
            rec.children.retain(|_| {
                i += 1;
                keep.get(i - 1).copied().unwrap_or(true)
            });
        }
    }

    /// Whether [`Projection::apply`] changes nothing.
    pub fn is_identity(&self) -> bool {
        self.identity
    }
}

/// SHA-256 with the salt already absorbed; cloned for each value.
#[derive(Clone)]
struct SaltedHasher(Sha256);

impl fmt::Debug for SaltedHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SaltedHasher(<redacted>)")
    }
}

/// Feeds formatted text straight into a hasher (no intermediate string).
struct Feed<'a>(&'a mut Sha256);

impl fmt::Write for Feed<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl SaltedHasher {
    fn new(salt: &HashSalt) -> Self {
        let mut h = Sha256::new();
        h.update(salt.expose_secret().as_bytes());
        SaltedHasher(h)
    }

    /// The digest of a non-null cell's value.
    fn digest(&self, cell: &Cell) -> [u8; 32] {
        let mut h = self.0.clone();
        // Writing into a hasher cannot fail.
        let _ = match cell {
            Cell::Text(s) | Cell::Json(s) => {
                h.update(s.as_bytes());
                Ok(())
            }
            Cell::Int(i) => write!(Feed(&mut h), "{i}"),
            Cell::Float(x) => write!(Feed(&mut h), "{x}"),
            Cell::Bool(b) => {
                h.update(if *b { b"true".as_slice() } else { b"false".as_slice() });
                Ok(())
            }
            Cell::Timestamp(t) => write!(Feed(&mut h), "{}", t.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
            // A variant added later: its debug form, never the raw value.
            other => write!(Feed(&mut h), "{other:?}"),
        };
        h.finalize().into()
    }

    /// Replaces a cell by its digest (NULL stays NULL), reusing a text
    /// cell's buffer.
    fn hash_in_place(&self, cell: &mut Cell) {
        if cell.is_null() {
            return;
        }
        let digest = self.digest(cell);
        match cell {
            Cell::Text(s) => {
                s.clear();
                push_hex(&digest, s);
            }
            Cell::Json(s) => {
                let mut s = std::mem::take(s);
                s.clear();
                push_hex(&digest, &mut s);
                *cell = Cell::Text(s);
            }
            _ => {
                let mut s = String::with_capacity(64);
                push_hex(&digest, &mut s);
                *cell = Cell::Text(s);
            }
        }
    }
}

fn push_hex(digest: &[u8; 32], out: &mut String) {
    out.reserve(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// The salted SHA-256 hex digest of a cell's value; NULL stays NULL.
///
/// The digest covers the salt's bytes followed by the value's: the bytes of
/// `Text` and `Json` strings, `Int` in decimal, `Float` as Rust's `{}` prints
/// it, `Bool` as `true`/`false`, and `Timestamp` as RFC 3339 with microseconds
/// and `Z` (`2024-01-01T10:00:00.000000Z`). The same value and salt give the
/// same digest in every table, so joins on hashed columns still work.
pub fn hash_cell(salt: &HashSalt, cell: &Cell) -> Cell {
    if cell.is_null() {
        return Cell::Null;
    }
    let mut out = String::with_capacity(64);
    push_hex(&SaltedHasher::new(salt).digest(cell), &mut out);
    Cell::Text(out)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use kustomer_models::entity::child_table;
    use kustomer_models::{Column, Customer, ParentKey};

    use super::*;

    const SALT: &str = "pepper-7f3a9c";

    /// Stream tables with the given parent and children, built from a real
    /// stream's so fields added to `StreamTables` keep their defaults.
    fn stream(parent: TableDef, children: Vec<TableDef>) -> StreamTables {
        let mut t = crate::streams::entity_tables::<Customer>();
        t.parent = parent;
        t.children = children;
        t
    }

    fn parent_def(name: &str) -> TableDef {
        TableDef {
            name: name.into(),
            columns: vec![
                Column::required("id", LogicalType::Text),
                Column::new("email", LogicalType::Text),
                Column::new("age", LogicalType::BigInt),
                Column::new("birthday_at", LogicalType::Timestamp),
                Column::new("_extra", LogicalType::Json),
            ],
            primary_key: vec!["id".into()],
            parent: None,
        }
    }

    /// `customers` with `customer_emails` and `customer_drafts`.
    fn customers() -> StreamTables {
        let emails = child_table(
            "customers",
            "customer_id",
            "customer_emails".into(),
            vec![
                Column::required("customer_id", LogicalType::Text),
                Column::required("_position", LogicalType::BigInt),
                Column::new("email", LogicalType::Text),
                Column::new("kind", LogicalType::Text),
            ],
        );
        let drafts = child_table(
            "customers",
            "customer_id",
            "customer_drafts".into(),
            vec![
                Column::required("customer_id", LogicalType::Text),
                Column::required("_position", LogicalType::BigInt),
                Column::new("body", LogicalType::Text),
            ],
        );
        stream(parent_def("customers"), vec![emails, drafts])
    }

    fn messages() -> StreamTables {
        let mut def = parent_def("messages");
        def.columns.push(Column::new("customer_email", LogicalType::Text));
        stream(def, Vec::new())
    }

    fn record() -> FlatRecord {
        let t = Utc.with_ymd_and_hms(1990, 5, 1, 0, 0, 0).unwrap();
        FlatRecord {
            id: "c1".into(),
            row: vec![
                Cell::Text("c1".into()),
                Cell::Text("jane@example.com".into()),
                Cell::Int(34),
                Cell::Timestamp(t),
                Cell::Json("{}".into()),
            ],
            children: vec![
                vec![
                    vec![
                        Cell::Text("c1".into()),
                        Cell::Int(0),
                        Cell::Text("jane@example.com".into()),
                        Cell::Text("home".into()),
                    ],
                    vec![
                        Cell::Text("c1".into()),
                        Cell::Int(1),
                        Cell::Null,
                        Cell::Text("work".into()),
                    ],
                ],
                vec![vec![Cell::Text("c1".into()), Cell::Int(0), Cell::Text("draft".into())]],
            ],
        }
    }

    fn selection(
        build: impl FnOnce(crate::options::SyncOptionsBuilder) -> crate::options::SyncOptionsBuilder,
    ) -> Selection {
        Selection::new(&build(SyncOptions::builder().hash_salt(SALT)).build().unwrap()).unwrap()
    }

    fn names(t: &StreamTables) -> Vec<&str> {
        t.children.iter().map(|c| c.name.as_str()).collect()
    }

    fn message(e: SyncError) -> String {
        match e {
            SyncError::Config(m) => m,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn default_selection_is_identity() {
        let sel = selection(|b| b);
        let t = customers();
        assert!(sel.wants_stream(&t));
        let (projected, proj) = sel.project(&t).unwrap();
        assert_eq!(projected, t);
        assert!(proj.is_identity());
        let mut rec = record();
        proj.apply(&mut rec);
        assert_eq!(rec, record());
        assert!(sel.excluded_children(&t).is_empty());
        assert!(Projection::identity().is_identity());
    }

    #[test]
    fn excluded_column_leaves_table_and_rows() {
        let sel = selection(|b| b.exclude_columns(["customers.age", "customer_emails.kind"]));
        let (t, proj) = sel.project(&customers()).unwrap();
        assert!(!proj.is_identity());
        assert_eq!(t.parent.column_index("age"), None);
        assert_eq!(t.parent.columns.len(), 4);
        assert_eq!(t.children[0].column_index("kind"), None);
        assert_eq!(t.children[1], customers().children[1]);
        let mut rec = record();
        proj.apply(&mut rec);
        assert_eq!(rec.row.len(), t.parent.columns.len());
        assert!(!rec.row.contains(&Cell::Int(34)));
        assert_eq!(rec.row[1], Cell::Text("jane@example.com".into()));
        assert_eq!(rec.children[0][0].len(), 3);
        assert_eq!(
            rec.children[0][1],
            vec![Cell::Text("c1".into()), Cell::Int(1), Cell::Null]
        );
        assert_eq!(rec.children[1], record().children[1]);
        // Every row still fits its table.
        for (row, def) in std::iter::once((&rec.row, &t.parent)) {
            assert!(row.iter().zip(&def.columns).all(|(c, col)| c.fits(col.ty)));
        }
    }

    #[test]
    fn excluding_keys_is_refused() {
        for spec in [
            "customers.id",
            "customer_emails._position",
            "customer_emails.customer_id",
        ] {
            let sel = selection(|b| b.exclude_columns([spec]));
            let err = message(sel.project(&customers()).unwrap_err());
            assert!(err.contains(spec) && err.contains("cannot exclude"), "{err}");
        }
    }

    #[test]
    fn hashed_column_is_text_and_equal_across_tables() {
        let sel = selection(|b| b.hash_columns(["customers.email", "customer_emails.email", "customers.age"]));
        let (t, proj) = sel.project(&customers()).unwrap();
        assert_eq!(t.parent.columns[1].ty, LogicalType::Text);
        assert_eq!(t.parent.columns[2].ty, LogicalType::Text);
        assert!(t.parent.columns[2].nullable);
        assert_eq!(t.children[0].columns[2].ty, LogicalType::Text);
        let mut rec = record();
        proj.apply(&mut rec);
        let salt = HashSalt::new(SALT);
        let expected = hash_cell(&salt, &Cell::Text("jane@example.com".into()));
        assert_eq!(rec.row[1], expected);
        assert_eq!(rec.children[0][0][2], expected);
        assert_eq!(rec.children[0][1][2], Cell::Null);
        assert_eq!(rec.row[2], hash_cell(&salt, &Cell::Int(34)));
        assert_eq!(rec.row[0], Cell::Text("c1".into()));
        assert_eq!(rec.children[0][0][3], Cell::Text("home".into()));
        for (c, col) in rec.row.iter().zip(&t.parent.columns) {
            assert!(c.fits(col.ty), "{c:?} in {col:?}");
        }

        // Another stream, same salt: same digest, so joins still work.
        let sel = selection(|b| b.hash_columns(["messages.customer_email"]));
        let (_, proj) = sel.project(&messages()).unwrap();
        let mut msg = FlatRecord {
            id: "m1".into(),
            row: vec![
                Cell::Text("m1".into()),
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Null,
                Cell::Text("jane@example.com".into()),
            ],
            children: Vec::new(),
        };
        proj.apply(&mut msg);
        assert_eq!(msg.row[5], expected);
    }

    #[test]
    fn hashing_the_parent_id_hashes_child_keys() {
        let sel = selection(|b| b.hash_columns(["customers.id"]));
        let (t, proj) = sel.project(&customers()).unwrap();
        assert_eq!(t.children[0].columns[0].ty, LogicalType::Text);
        let mut rec = record();
        proj.apply(&mut rec);
        let id = hash_cell(&HashSalt::new(SALT), &Cell::Text("c1".into()));
        assert_eq!(rec.row[0], id);
        assert_eq!(rec.children[0][0][0], id);
        assert_eq!(rec.children[1][0][0], id);
        assert_eq!(rec.id, "c1");

        let sel = selection(|b| b.hash_columns(["customer_emails.customer_id"]));
        let err = message(sel.project(&customers()).unwrap_err());
        assert!(err.contains("customers.id"), "{err}");
    }

    #[test]
    fn hash_cell_encodings() {
        let salt = HashSalt::new(SALT);
        let digest = |bytes: &str| {
            let mut h = Sha256::new();
            h.update(SALT.as_bytes());
            h.update(bytes.as_bytes());
            let mut s = String::new();
            push_hex(&h.finalize().into(), &mut s);
            Cell::Text(s)
        };
        let t = Utc.with_ymd_and_hms(2024, 1, 1, 10, 0, 0).unwrap() + chrono::Duration::microseconds(1_500);
        assert_eq!(
            t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "2024-01-01T10:00:00.001500Z"
        );
        for (cell, text) in [
            (Cell::Text("abc".into()), "abc"),
            (Cell::Json("{\"a\":1}".into()), "{\"a\":1}"),
            (Cell::Int(-42), "-42"),
            (Cell::Float(1.5), "1.5"),
            (Cell::Float(2.0), "2"),
            (Cell::Bool(true), "true"),
            (Cell::Bool(false), "false"),
            (Cell::Timestamp(t), "2024-01-01T10:00:00.001500Z"),
        ] {
            assert_eq!(hash_cell(&salt, &cell), digest(text), "{cell:?}");
            // In place gives the same.
            let mut c = cell.clone();
            SaltedHasher::new(&salt).hash_in_place(&mut c);
            assert_eq!(c, digest(text));
        }
        assert_eq!(hash_cell(&salt, &Cell::Null), Cell::Null);
        assert_ne!(
            hash_cell(&HashSalt::new("other"), &Cell::Text("abc".into())),
            hash_cell(&salt, &Cell::Text("abc".into()))
        );
        // Known vector: sha256("pepper-7f3a9c" + "abc") has 64 hex digits.
        let Cell::Text(hex) = hash_cell(&salt, &Cell::Text("abc".into())) else {
            panic!()
        };
        assert_eq!(hex.len(), 64);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn sha256_known_answer() {
        // SHA-256 of "abc" (salt "" + "abc"): FIPS 180-2 test vector.
        let mut h = Sha256::new();
        h.update(b"");
        let hasher = SaltedHasher(h);
        let mut s = String::new();
        push_hex(&hasher.digest(&Cell::Text("abc".into())), &mut s);
        assert_eq!(s, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn salt_never_in_debug() {
        let sel = selection(|b| b.hash_columns(["customers.email"]));
        assert!(!format!("{sel:?}").contains(SALT));
        let (_, proj) = sel.project(&customers()).unwrap();
        assert!(!format!("{proj:?}").contains(SALT));
        assert!(!format!("{proj:#?}").contains(SALT));
    }

    #[test]
    fn excluded_parent_drops_stream() {
        let sel = selection(|b| b.exclude_tables(["customers"]));
        assert!(!sel.wants_stream(&customers()));
        assert!(sel.wants_stream(&messages()));
        let sel = selection(|b| b.tables(["customers"]).exclude_tables(["customers"]));
        assert!(!sel.wants_stream(&customers()));
    }

    #[test]
    fn excluded_child_is_dropped() {
        let sel = selection(|b| b.exclude_tables(["customer_emails"]));
        let t = customers();
        assert!(sel.wants_stream(&t));
        assert_eq!(sel.excluded_children(&t), HashSet::from(["customer_emails".to_owned()]));
        let (projected, proj) = sel.project(&t).unwrap();
        assert_eq!(names(&projected), ["customer_drafts"]);
        let mut rec = record();
        proj.apply(&mut rec);
        assert_eq!(rec.children, vec![record().children[1].clone()]);
        assert_eq!(rec.row, record().row);
    }

    #[test]
    fn include_selects_streams_and_children() {
        // The parent: every child comes along.
        let sel = selection(|b| b.tables(["customers"]));
        assert!(sel.wants_stream(&customers()));
        assert!(!sel.wants_stream(&messages()));
        let (t, proj) = sel.project(&customers()).unwrap();
        assert_eq!(names(&t), ["customer_emails", "customer_drafts"]);
        assert!(proj.is_identity());

        // Only a child: the stream runs with just that child.
        let sel = selection(|b| b.tables(["customer_drafts"]));
        assert!(sel.wants_stream(&customers()));
        assert_eq!(
            sel.excluded_children(&customers()),
            HashSet::from(["customer_emails".to_owned()])
        );
        let (t, proj) = sel.project(&customers()).unwrap();
        assert_eq!(t.parent, customers().parent);
        assert_eq!(names(&t), ["customer_drafts"]);
        let mut rec = record();
        proj.apply(&mut rec);
        assert_eq!(rec.children.len(), 1);
        assert_eq!(rec.children[0], record().children[1]);
    }

    #[test]
    fn klass_tables_select_kobjects() {
        let klass = TableDef {
            name: "kobject_order".into(),
            columns: vec![Column::required("id", LogicalType::Text)],
            primary_key: vec!["id".into()],
            parent: Some(ParentKey {
                table: "kobjects".into(),
                column: "id".into(),
            }),
        };
        let other = TableDef {
            name: "kobject_return".into(),
            ..klass.clone()
        };
        let before_discovery = stream(parent_def("kobjects"), Vec::new());
        let after = stream(parent_def("kobjects"), vec![klass, other]);
        let sel = selection(|b| b.tables(["kobject_order"]));
        assert!(sel.wants_stream(&before_discovery));
        assert!(!sel.wants_stream(&customers()));
        let (t, _) = sel.project(&after).unwrap();
        assert_eq!(names(&t), ["kobject_order"]);

        // Hashing kobjects.id hashes the klass tables' id too.
        let sel = selection(|b| b.hash_columns(["kobjects.id"]));
        let (t, _) = sel.project(&after).unwrap();
        assert!(t.children.iter().all(|c| c.columns[0].ty == LogicalType::Text));
    }

    #[test]
    fn check_tables_names_unknown_ones() {
        let known = ["customers", "customer_emails", "messages", "conversations"];
        selection(|b| {
            b.tables(["customers", "kobject_order"])
                .exclude_tables(["customer_emails"])
                .resync_all()
                .hash_columns(["messages.customer_email"])
        })
        .check_tables(&known)
        .unwrap();
        let sel = selection(|b| {
            b.tables(["custmers", "messages"])
                .exclude_tables(["bogus_table"])
                .resync(["mesages"])
                .exclude_columns(["conversatons.subject"])
        });
        let err = message(sel.check_tables(&known).unwrap_err());
        assert!(
            err.contains("`custmers` in tables (did you mean `customers`?)"),
            "{err}"
        );
        assert!(err.contains("`bogus_table` in exclude_tables"), "{err}");
        assert!(!err.contains("bogus_table` in exclude_tables (did"), "{err}");
        assert!(err.contains("`mesages` in resync (did you mean `messages`?)"), "{err}");
        assert!(err.contains("`conversatons` in exclude_columns"), "{err}");
    }

    #[test]
    fn check_columns_reports_unmatched() {
        let sel = selection(|b| {
            b.exclude_columns(["customers.age", "customers.emial"])
                .hash_columns(["customer_emails.email", "notes.body"])
        });
        let err = message(sel.check_columns([&customers(), &messages()]).unwrap_err());
        assert!(
            err.contains("customers.emial") && err.contains("did you mean `customers.email`"),
            "{err}"
        );
        assert!(err.contains("notes.body") && err.contains("not synced"), "{err}");
        assert!(!err.contains("customers.age"), "{err}");
        assert!(!err.contains("customer_emails.email"), "{err}");
        let sel = selection(|b| {
            b.exclude_columns(["customers.age"])
                .hash_columns(["customer_emails.email"])
        });
        sel.check_columns([&customers()]).unwrap();
        selection(|b| b).check_columns(std::iter::empty()).unwrap();
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("emial", "email"), 1);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(closest("custmers", ["customers", "messages"]), Some("customers"));
        assert_eq!(closest("zzz", ["customers", "messages"]), None);
    }
}
