//! How a table is kept up to date.

/// How a table is kept up to date (Etleap's modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// Incremental on `updatedAt`, upsert by `id`.
    Update,
    /// Re-read in full every run.
    Replace,
    /// Insert only (audit logs).
    Append,
}

impl Mode {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Update => "update",
            Mode::Replace => "replace",
            Mode::Append => "append",
        }
    }
}
