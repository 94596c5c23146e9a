//! What a run reads and how: the streams the options select, the client
//! they share, and what discovery finds and the selection makes of each
//! stream's tables. The engine, `sync --check` and the webhook sink all
//! start here.

use std::sync::Arc;

use kustomer_api::Client;

use crate::catalog::needs_discovery;
use crate::dest::StreamTables;
use crate::discovery::Discovery;
use crate::error::SyncError;
use crate::options::SyncOptions;
use crate::select::Selection;
use crate::shaping::Shaping;
use crate::streams::StreamDef;

/// The client a run uses (with the run's usage ceiling).
pub(crate) fn run_client(client: &Client, options: &SyncOptions) -> Result<Client, SyncError> {
    Ok(match options.usage_ceiling {
        Some(share) => client.with_usage_ceiling(share)?,
        None => client.clone(),
    })
}

/// The streams of `streams` that `options` select (by their static tables;
/// klass tables are known only once the run discovers them).
pub(crate) fn select(
    streams: &[Arc<dyn StreamDef>],
    options: &SyncOptions,
) -> Result<Vec<Arc<dyn StreamDef>>, SyncError> {
    options.validate()?;
    let selection = Selection::new(options)?;
    let empty = Discovery::default();
    let statics: Vec<(Arc<dyn StreamDef>, StreamTables)> =
        streams.iter().map(|s| (s.clone(), s.tables(&empty))).collect();
    let known: Vec<&str> = statics
        .iter()
        .flat_map(|(_, t)| t.data().map(|d| d.name.as_str()))
        .collect();
    selection.check_tables(&known)?;
    // Klass tables are named only after discovery: asking for one runs kobjects.
    let wants_klass = (options.tables.iter().flatten()).any(|t| t.starts_with("kobject_"))
        && !options.exclude_tables.iter().any(|t| t == "kobjects");
    Ok(statics
        .into_iter()
        .filter(|(s, t)| selection.wants_stream(t) || (wants_klass && s.name() == "kobjects"))
        .map(|(s, _)| s)
        .collect())
}

/// What a run discovered, and how each selected stream's records become rows.
pub(crate) struct RunPlan {
    pub(crate) discovery: Arc<Discovery>,
    /// Each stream's tables before the selection.
    pub(crate) raw: Vec<StreamTables>,
    pub(crate) shapings: Vec<Arc<Shaping>>,
}

/// Discovers what the streams need and shapes this run's tables: the
/// selection's projection, the bookkeeping columns, history tables.
pub(crate) async fn plan(
    client: &Client,
    streams: &[Arc<dyn StreamDef>],
    selection: &Selection,
    options: &SyncOptions,
) -> Result<RunPlan, SyncError> {
    let names: Vec<&str> = streams.iter().map(|s| s.name()).collect();
    let (resources, klasses) = needs_discovery(&names);
    let discovery = Arc::new(Discovery::discover(client, &resources, klasses).await?);
    let raw: Vec<StreamTables> = streams.iter().map(|s| s.tables(&discovery)).collect();
    selection.check_columns(raw.iter())?;
    let mut shapings: Vec<Arc<Shaping>> = Vec::new();
    for (s, r) in streams.iter().zip(&raw) {
        let (mut t, projection) = selection.project(r)?;
        t = t.with_system_columns();
        if options.history && s.name() == "conversations" {
            if let Some(singular) = s.singular() {
                t = t.with_history(singular);
            }
        }
        shapings.push(Arc::new(Shaping::new(r, t, projection)));
    }
    Ok(RunPlan {
        discovery,
        raw,
        shapings,
    })
}
