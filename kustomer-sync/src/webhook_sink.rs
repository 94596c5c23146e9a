//! Webhook events into the sync's own tables: the same shaping (custom
//! columns, selection, hashing, bookkeeping columns, history) and the same
//! destination path as a poll, so a table fed by both ends the same.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use kustomer_api::Client;
use kustomer_models::{Conversation, Customer, Message, Tag, Team, User};
use tokio::sync::{mpsc, oneshot};

use crate::dest::{Destination, StreamTables, WriteBatch};
use crate::error::SyncError;
use crate::options::SyncOptions;
use crate::select::Selection;
use crate::shaping::{EventShaping, Shaper};
use crate::streams::StreamDef;
use crate::webhook::{EventSink, WebhookEvent, WebhookRecord};
use crate::writer::Acked;

/// The streams webhook events feed, and the custom-attribute resource each
/// one's search stream reads (as the catalogue does).
const WEBHOOK_STREAMS: [(&str, Option<&str>); 6] = [
    ("customers", Some("customer")),
    ("conversations", Some("conversation")),
    ("messages", Some("message")),
    ("users", None),
    ("teams", None),
    ("tags", None),
];

/// An [`EventSink`] that writes events into a destination, durably (the
/// destination's commit) before it answers. Made by
/// [`Engine::webhook_sink`](crate::Engine::webhook_sink).
pub struct DestinationSink {
    tx: mpsc::Sender<Acked>,
    views: Arc<HashMap<&'static str, EventShaping>>,
    hard_delete: bool,
}

impl std::fmt::Debug for DestinationSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut tables: Vec<&&str> = self.views.keys().collect();
        tables.sort();
        f.debug_struct("DestinationSink").field("tables", &tables).finish()
    }
}

impl DestinationSink {
    /// A sink writing into `dest` the tables of `selected` (the streams
    /// `options` select) that events feed, shaped as a sync shapes them.
    /// Runs discovery (custom attributes) once, now.
    pub(crate) async fn open<D: Destination>(
        client: &Client,
        options: &SyncOptions,
        selected: &[Arc<dyn StreamDef>],
        dest: D,
    ) -> Result<DestinationSink, SyncError> {
        let client = crate::run_plan::run_client(client, options)?;
        let selection = Selection::new(options)?;
        let streams: Vec<_> = (selected.iter())
            .filter(|s| WEBHOOK_STREAMS.iter().any(|(n, _)| *n == s.name()))
            .cloned()
            .collect();
        let plan = crate::run_plan::plan(&client, &streams, &selection, options).await?;
        let mut views = HashMap::new();
        for ((stream, raw), shaping) in streams.iter().zip(&plan.raw).zip(&plan.shapings) {
            let Some(&(name, custom)) = WEBHOOK_STREAMS.iter().find(|(n, _)| *n == stream.name()) else {
                continue;
            };
            let shaper = match name {
                "customers" => Shaper::new::<Customer>(custom, false, &plan.discovery),
                "conversations" => Shaper::new::<Conversation>(custom, false, &plan.discovery),
                "messages" => Shaper::new::<Message>(custom, false, &plan.discovery),
                "users" => Shaper::new::<User>(None, false, &plan.discovery),
                "teams" => Shaper::new::<Team>(None, false, &plan.discovery),
                _ => Shaper::new::<Tag>(None, false, &plan.discovery),
            };
            views.insert(name, EventShaping::new(shaper, raw, shaping.clone()));
        }
        let prepare: Vec<Arc<StreamTables>> = plan.shapings.iter().map(|s| s.tables.clone()).collect();
        let tx = crate::writer::spawn_acked(dest, prepare, 64).await?;
        Ok(DestinationSink {
            tx,
            views: Arc::new(views),
            hard_delete: options.hard_delete,
        })
    }
}

impl EventSink for DestinationSink {
    fn apply(&self, event: WebhookEvent) -> BoxFuture<'static, Result<(), SyncError>> {
        let views = self.views.clone();
        let tx = self.tx.clone();
        let hard = self.hard_delete;
        Box::pin(async move {
            let stream = event.record.stream();
            let Some(view) = views.get(stream) else {
                tracing::debug!(stream, event = %event.name, "table not synced; event ignored");
                return Ok(());
            };
            let (rec, deleted) = match event.record {
                WebhookRecord::Customer(r) => view.shape(r),
                WebhookRecord::Conversation(r) => view.shape(r),
                WebhookRecord::Message(r) => view.shape(r),
                WebhookRecord::User(r) => view.shape(r),
                WebhookRecord::Team(r) => view.shape(r),
                WebhookRecord::Tag(r) => view.shape(r),
            };
            let mut batch = WriteBatch::new(stream, view.tables().clone(), Vec::new());
            if deleted && hard {
                batch.deletes.push(view.stored_id(&rec));
            } else {
                batch.records.push(rec);
            }
            batch.newest_wins = true;
            let (ack, done) = oneshot::channel();
            tx.send((batch, ack))
                .await
                .map_err(|_| SyncError::Destination("webhook writer stopped".into()))?;
            done.await
                .map_err(|_| SyncError::Destination("webhook writer stopped".into()))??;
            Ok(())
        })
    }
}
