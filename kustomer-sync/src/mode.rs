//! How a table is kept up to date, and how a full read reads.

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

/// When a full read (a first load, a re-sync) reads the per-parent detail
/// lists (one request per parent each, several per parent in all: on a
/// large org more than the core tables cost together).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DetailsMode {
    /// After the stream's core tables, in the background of the org budget
    /// (only the slots the core reads of every stream leave unused): a first
    /// load is useful (its core tables complete) long before the detail
    /// tables finish, and they never slow the core tables down. Costs one
    /// request more per parent (read again by id with its details).
    #[default]
    AfterCore,
    /// With each batch, as incremental runs always do.
    Inline,
}

/// How a first load (no bookmark yet, or a re-sync) of an incremental
/// stream reads the org.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FirstLoadMode {
    /// Search for the last two years and the GET lists (up to the
    /// 10,000-record window) for what is older, at once; then checked by id
    /// against archive search, and what is missing fetched by id.
    #[default]
    Lists,
    /// Search only: sees the last two years (the peers' way; for comparison).
    SearchOnly,
}
