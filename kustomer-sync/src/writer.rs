//! The writer: one blocking thread owns the destination and commits each
//! batch with its bookmark, in the order the streams sent them.
//!
//! The channel to it is bounded, so fetching never runs far ahead of
//! loading and memory stays flat whatever the org's size. Reads of the
//! destination ([`IdReader`]) travel the same channel, behind the writes
//! queued before them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kustomer_models::{Cell, FlatRecord};
use tokio::sync::{mpsc, oneshot};

use crate::bookmark::Bookmark;
use crate::dest::{Destination, IdQuery, StreamTables, WriteBatch, WriteStats};
use crate::error::SyncError;

/// What the writer thread is asked to do, in order.
pub(crate) enum WriterMsg {
    /// Commit a batch.
    Write(Box<WriteBatch>),
    /// Read something of the destination (after every batch queued before).
    Read(DestRead),
}

/// A read of the destination on the writer thread (it answers on a channel
/// of its own).
pub(crate) type DestRead = Box<dyn FnOnce(&mut dyn Destination) + Send>;

/// The sending end of the writer's channel.
pub(crate) type WriterTx = mpsc::Sender<WriterMsg>;

/// What the writer thread hands back when its channel closes: the
/// destination, rows written per stream, and the error that stopped it.
pub(crate) type WriterEnd<D> = (D, BTreeMap<String, WriteStats>, Option<SyncError>);

/// Asks the run's destination which ids it holds. Queries travel the same
/// ordered channel as the writes, so a stream's earlier batches are
/// committed before its query is answered.
#[derive(Clone)]
pub struct IdReader {
    tx: WriterTx,
}

impl std::fmt::Debug for IdReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdReader")
    }
}

impl IdReader {
    /// A reader asking the writer behind `tx`.
    pub(crate) fn new(tx: WriterTx) -> IdReader {
        IdReader { tx }
    }

    /// Ids of `table`'s parent rows that `query` selects.
    pub async fn ids(&self, table: &str, query: IdQuery) -> Result<Vec<String>, SyncError> {
        let table = table.to_owned();
        self.ask(move |d| d.ids(&table, &query)).await
    }

    /// How many parent rows of `table` `query` selects.
    pub async fn count(&self, table: &str, query: IdQuery) -> Result<u64, SyncError> {
        let table = table.to_owned();
        self.ask(move |d| d.count_ids(&table, &query)).await
    }

    /// Up to `limit` ids of `table`'s parent rows after `after`, ascending.
    pub async fn ids_after(&self, table: &str, after: Option<String>, limit: usize) -> Result<Vec<String>, SyncError> {
        let table = table.to_owned();
        self.ask(move |d| d.ids_after(&table, after.as_deref(), limit)).await
    }

    /// A stream's stored bookmark.
    pub(crate) async fn bookmark(&self, stream: &str) -> Result<Option<Bookmark>, SyncError> {
        let name = stream.to_owned();
        let text = self.ask(move |d| d.bookmark(&name)).await?;
        text.map(|t| Bookmark::from_json(&t))
            .transpose()
            .map_err(|e| SyncError::Bookmark {
                stream: stream.to_owned(),
                message: e.to_string(),
            })
    }

    async fn ask<T: Send + 'static>(
        &self,
        read: impl FnOnce(&mut dyn Destination) -> Result<T, SyncError> + Send + 'static,
    ) -> Result<T, SyncError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || SyncError::Destination("the destination stopped".into());
        let msg = WriterMsg::Read(Box::new(move |d| {
            let _ = reply.send(read(d));
        }));
        self.tx.send(msg).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// A stream to prepare before a run: its name, its tables, and whether it
/// is re-synced (its bookmark forgotten).
pub(crate) type Prep = (String, Arc<StreamTables>, bool);

/// Prepares the tables (`extra` first, then each stream's), forgets
/// re-synced bookmarks and reads the others, on a blocking thread.
pub(crate) async fn prepare<D: Destination>(
    dest: D,
    extra: StreamTables,
    prep: Vec<Prep>,
) -> Result<(D, HashMap<String, Bookmark>), SyncError> {
    tokio::task::spawn_blocking(move || -> Result<_, SyncError> {
        let mut dest = dest;
        let all: Vec<&StreamTables> = std::iter::once(&extra)
            .chain(prep.iter().map(|(_, t, _)| &**t))
            .collect();
        dest.prepare_all(&all)?;
        let mut bookmarks = HashMap::new();
        for (name, _, resync) in &prep {
            if *resync {
                tracing::info!(stream = %name, "re-sync: bookmark forgotten, reading in full");
                dest.reset(name)?;
                continue;
            }
            if let Some(text) = dest.bookmark(name)? {
                let bm = Bookmark::from_json(&text).map_err(|e| SyncError::Bookmark {
                    stream: name.clone(),
                    message: e.to_string(),
                })?;
                bookmarks.insert(name.clone(), bm);
            }
        }
        Ok((dest, bookmarks))
    })
    .await
    .map_err(|e| SyncError::Destination(format!("writer thread: {e}")))?
}

/// Writes a last batch and finishes the destination, on a blocking thread.
pub(crate) async fn finish<D: Destination>(dest: D, last: WriteBatch) -> Result<D, SyncError> {
    tokio::task::spawn_blocking(move || -> Result<D, SyncError> {
        let mut dest = dest;
        dest.write(last)?;
        dest.finish()?;
        Ok(dest)
    })
    .await
    .map_err(|e| SyncError::Destination(format!("writer thread: {e}")))?
}

/// Starts the writer thread on `dest`, its channel holding `capacity`
/// messages; it runs until every sender is dropped or a write fails.
pub(crate) fn spawn<D: Destination>(dest: D, capacity: usize) -> (WriterTx, tokio::task::JoinHandle<WriterEnd<D>>) {
    let (tx, mut rx) = mpsc::channel::<WriterMsg>(capacity.max(1));
    let writer = tokio::task::spawn_blocking(move || -> WriterEnd<D> {
        let mut dest = dest;
        let mut stats: BTreeMap<String, WriteStats> = BTreeMap::new();
        // Group commit: batches that queued up while the destination was
        // busy go in together, one transaction per stream, so small pages
        // (a list page is 100 records) do not each pay a transaction.
        let mut groups: Vec<Group> = Vec::new();
        let flush = |dest: &mut D, groups: Vec<Group>, stats: &mut BTreeMap<String, WriteStats>| {
            for Group { batch, .. } in groups {
                let stream = batch.stream.clone();
                *stats.entry(stream).or_default() += dest.write(batch)?;
            }
            Ok::<(), SyncError>(())
        };
        while let Some(first) = rx.blocking_recv() {
            let mut msgs = vec![first];
            while msgs.len() < 64 {
                match rx.try_recv() {
                    Ok(m) => msgs.push(m),
                    Err(_) => break,
                }
            }
            for msg in msgs {
                match msg {
                    WriterMsg::Write(batch) => {
                        let batch = *batch;
                        let rest = match groups.iter().position(|g| g.batch.stream == batch.stream) {
                            Some(i) => groups[i].merge(batch).map(|b| (Some(groups.remove(i)), b)),
                            None => Some((None, batch)),
                        };
                        if let Some((pending, batch)) = rest {
                            // Not mergeable: what was pending for the stream goes first.
                            if let Err(e) = flush(&mut dest, pending.into_iter().collect(), &mut stats) {
                                return (dest, stats, Some(e));
                            }
                            groups.push(Group::new(batch));
                        }
                    }
                    WriterMsg::Read(read) => {
                        if let Err(e) = flush(&mut dest, std::mem::take(&mut groups), &mut stats) {
                            return (dest, stats, Some(e));
                        }
                        read(&mut dest);
                    }
                }
            }
            if let Err(e) = flush(&mut dest, std::mem::take(&mut groups), &mut stats) {
                return (dest, stats, Some(e));
            }
        }
        (dest, stats, None)
    });
    (tx, writer)
}

/// A batch and where to answer once it is committed.
#[cfg(feature = "webhook")]
pub(crate) type Acked = (WriteBatch, oneshot::Sender<Result<WriteStats, SyncError>>);

/// Starts a writer thread that answers each batch once it is committed (a
/// webhook's acknowledgement waits for it), after preparing `tables`; fails
/// when they cannot be prepared.
#[cfg(feature = "webhook")]
pub(crate) async fn spawn_acked<D: Destination>(
    dest: D,
    tables: Vec<Arc<StreamTables>>,
    capacity: usize,
) -> Result<mpsc::Sender<Acked>, SyncError> {
    let (tx, mut rx) = mpsc::channel::<Acked>(capacity);
    let (ready_tx, ready_rx) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let mut dest = dest;
        let prepared = tables.iter().try_for_each(|t| dest.prepare(t));
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
    Ok(tx)
}

/// Records one group commit holds at most.
const GROUP_RECORDS: usize = 20_000;

/// Batches of one stream committed together, with the position of each
/// record id in it (kept as batches join, not rebuilt per batch).
struct Group {
    batch: WriteBatch,
    index: HashMap<String, usize>,
}

impl Group {
    fn new(batch: WriteBatch) -> Group {
        let index = batch
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Group { batch, index }
    }

    /// Appends `b` when writing both as one batch equals writing them in
    /// turn: this group carries only records and a bookmark (no deletes,
    /// marks, sweep or companions that `b`'s records would have to follow),
    /// both write the same tables the same way, and the group stays
    /// bounded. Returns `b` when it cannot merge.
    fn merge(&mut self, b: WriteBatch) -> Option<WriteBatch> {
        let a = &mut self.batch;
        let plain = a.deletes.is_empty() && a.mark_deleted.is_empty() && a.sweep.is_none() && a.companions.is_empty();
        if !plain
            || !Arc::ptr_eq(&a.tables, &b.tables)
            || a.newest_wins != b.newest_wins
            || a.records.len() + b.records.len() > GROUP_RECORDS
        {
            return Some(b);
        }
        let updated = a.tables.parent.column_index("updated_at");
        let at = |r: &FlatRecord| match updated.and_then(|i| r.row.get(i)) {
            Some(Cell::Timestamp(t)) => Some(*t),
            _ => None,
        };
        for r in b.records {
            match self.index.get(&r.id) {
                // In turn, the later copy wins unless newest-wins keeps a newer one.
                Some(&i) => {
                    if !(a.newest_wins && at(&a.records[i]) > at(&r)) {
                        a.records[i] = r;
                    }
                }
                None => {
                    self.index.insert(r.id.clone(), a.records.len());
                    a.records.push(r);
                }
            }
        }
        a.deletes = b.deletes;
        a.mark_deleted = b.mark_deleted;
        a.companions = b.companions;
        a.sweep = b.sweep;
        if b.bookmark.is_some() {
            a.bookmark = b.bookmark;
        }
        None
    }
}
