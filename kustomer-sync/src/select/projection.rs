//! How a stream's records become rows of this run's tables: cells of
//! excluded columns dropped, hashed ones digested, dropped child tables gone.

use kustomer_models::{Cell, FlatRecord};

use super::hash::SaltedHasher;

/// What happens to the rows of one table.
#[derive(Debug, Clone, Default)]
pub(super) struct TableProjection {
    /// Per column of the source row: whether it is kept. `None`: all are.
    pub(super) keep: Option<Vec<bool>>,
    /// Source-row indices of hashed columns.
    pub(super) hash: Vec<usize>,
}

impl TableProjection {
    pub(super) fn is_identity(&self) -> bool {
        self.keep.is_none() && self.hash.is_empty()
    }

    pub(super) fn hashes(&self) -> bool {
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
/// [`super::Selection::project`]. Its `Debug` output never shows the hash salt.
#[derive(Debug, Clone)]
pub(crate) struct Projection {
    pub(super) parent: TableProjection,
    /// One per source child table (dropped ones included, left unused).
    pub(super) children: Vec<TableProjection>,
    /// Per source child table: whether it is kept. `None`: all are.
    pub(super) keep_children: Option<Vec<bool>>,
    pub(super) hasher: Option<SaltedHasher>,
    pub(super) identity: bool,
}

impl Projection {
    /// A projection that changes nothing.
    #[cfg(test)]
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
    #[cfg(test)]
    pub fn is_identity(&self) -> bool {
        self.identity
    }
}
