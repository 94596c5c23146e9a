//! Webhook events into the sync's own tables: the same shaping (custom
//! columns, selection, hashing, bookkeeping columns, history) and the same
//! destination path as a poll, so a table fed by both ends the same.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use futures::future::BoxFuture;
use kustomer_models::{Conversation, Customer, Message, Tag, Team, User};
use tokio::sync::{mpsc, oneshot};

use crate::dest::{Destination, StreamTables, WriteBatch, WriteStats};
use crate::engine::{Engine, Shaping};
use crate::error::SyncError;
use crate::streams::Shaper;
use crate::webhook::{EventSink, WebhookEvent, WebhookRecord};

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

type Job = (WriteBatch, oneshot::Sender<Result<WriteStats, SyncError>>);

/// How one stream's events become rows.
struct View {
    shaper: Shaper,
    shaping: Arc<Shaping>,
    /// Per-parent detail lists (events, drafts…) the event does not carry:
    /// empty slots for the projection, and left out of the write so stored
    /// detail rows stay.
    detail_slots: usize,
    keep: usize,
    tables: Arc<StreamTables>,
}

/// An [`EventSink`] that writes events into a destination, durably (the
/// destination's commit) before it answers.
pub struct DestinationSink {
    tx: mpsc::Sender<Job>,
    views: Arc<HashMap<&'static str, View>>,
    hard_delete: bool,
}

impl std::fmt::Debug for DestinationSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut tables: Vec<&&str> = self.views.keys().collect();
        tables.sort();
        f.debug_struct("DestinationSink").field("tables", &tables).finish()
    }
}

impl Engine {
    /// A webhook sink writing into `dest` with this engine's options: the
    /// tables it would sync (of customers, conversations, messages, users,
    /// teams and tags), shaped as a sync shapes them. Runs discovery (custom
    /// attributes) once, now.
    pub async fn webhook_sink<D: Destination>(&self, dest: D) -> Result<DestinationSink, SyncError> {
        let client = self.run_client()?;
        let selection = self.selection()?;
        let streams: Vec<_> = self
            .selected()?
            .into_iter()
            .filter(|s| WEBHOOK_STREAMS.iter().any(|(n, _)| *n == s.name()))
            .collect();
        let plan = self.plan(&client, &streams, &selection).await?;
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
            let own = shaper.tables().children.len();
            let own_names: Vec<String> = raw.children[..own].iter().map(|c| c.name.clone()).collect();
            let t = &shaping.tables;
            // Children come first in the projected list, details after.
            let keep = t.children.iter().take_while(|c| own_names.contains(&c.name)).count();
            let tables = StreamTables {
                parent: t.parent.clone(),
                children: t.children[..keep].to_vec(),
                history: t.history.iter().filter(|h| h.source <= keep).cloned().collect(),
            };
            views.insert(
                name,
                View {
                    shaper,
                    shaping: shaping.clone(),
                    detail_slots: raw.children.len() - own,
                    keep,
                    tables: Arc::new(tables),
                },
            );
        }
        let prepare: Vec<Arc<StreamTables>> = plan.shapings.iter().map(|s| s.tables.clone()).collect();
        let (tx, mut rx) = mpsc::channel::<Job>(64);
        let (ready_tx, ready_rx) = oneshot::channel();
        tokio::task::spawn_blocking(move || {
            let mut dest = dest;
            let prepared = prepare.iter().try_for_each(|t| dest.prepare(t));
            let ok = prepared.is_ok();
            let _ = ready_tx.send(prepared);
            if !ok {
                return;
            }
            while let Some((batch, ack)) = rx.blocking_recv() {
                let _ = ack.send(dest.write(batch));
            }
        });
        ready_rx
            .await
            .map_err(|_| SyncError::Destination("webhook writer stopped".into()))??;
        Ok(DestinationSink {
            tx,
            views: Arc::new(views),
            hard_delete: self.options().hard_delete,
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
            let mut rec = match event.record {
                WebhookRecord::Customer(r) => view.shaper.shape(r),
                WebhookRecord::Conversation(r) => view.shaper.shape(r),
                WebhookRecord::Message(r) => view.shaper.shape(r),
                WebhookRecord::User(r) => view.shaper.shape(r),
                WebhookRecord::Team(r) => view.shaper.shape(r),
                WebhookRecord::Tag(r) => view.shaper.shape(r),
            };
            rec.children
                .extend(std::iter::repeat_with(Vec::new).take(view.detail_slots));
            let deleted = view.shaping.shape(&mut rec, Utc::now().trunc_subsecs(6));
            rec.children.truncate(view.keep);
            let mut batch = WriteBatch::new(stream, view.tables.clone(), Vec::new());
            if deleted && hard {
                batch.deletes.push(view.shaping.stored_id(&rec));
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
