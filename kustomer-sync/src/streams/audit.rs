//! Audit logs: append-only, read through the cursor API (`count`,
//! `before`), newest first, from the last `createdAt` loaded.

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use kustomer_api::search::format_instant;
use kustomer_models::{AuditLog, Cell, Entity};

use super::{entity_tables, Batch, Mode, Probe, StreamContext, StreamDef};
use crate::bookmark::Bookmark;
use crate::dest::StreamTables;
use crate::discovery::Discovery;
use crate::error::SyncError;

/// Entries per request (the API's maximum).
const COUNT: u32 = 1000;

/// The audit-log stream.
#[derive(Debug, Default)]
pub struct AuditLogStream;

impl StreamDef for AuditLogStream {
    fn name(&self) -> &str {
        &AuditLog::schema().table.name
    }
    fn mode(&self) -> Mode {
        Mode::Append
    }
    fn role(&self) -> String {
        "org.permission.audit_logs.read".to_owned()
    }
    fn probe(&self) -> Option<Probe> {
        Some(Probe::Cursor {
            path: "/v1/audit-logs".to_owned(),
            page_size: COUNT,
        })
    }
    fn tables(&self, _: &Discovery) -> StreamTables {
        entity_tables::<AuditLog>()
    }
    fn batches(&self, ctx: StreamContext) -> BoxStream<'static, Result<Batch, SyncError>> {
        let created = AuditLog::schema().table.column_index("created_at");
        let start = ctx.bookmark.as_ref().and_then(|b| b.updated_at).or(ctx.start_date);
        let mut first = format!("/v1/audit-logs?count={COUNT}");
        if let Some(s) = start {
            first.push_str(&format!("&filter[start]={}", format_instant(s)));
        }
        let client = ctx.client;
        let previous = ctx.bookmark.unwrap_or_default();
        async_stream::try_stream! {
            // Newest first: the bookmark can only move once everything newer
            // than the old one is loaded, so it rides on the last batch. A
            // crash before then re-reads; rows are keyed by id, so nothing doubles.
            let mut newest: Option<DateTime<Utc>> = previous.updated_at;
            let pages = client.pages_from::<AuditLog>(&first);
            futures::pin_mut!(pages);
            while let Some(page) = pages.try_next().await? {
                let records: Vec<_> = page.data.into_iter().map(Entity::flatten).collect();
                for r in &records {
                    if let Some(Cell::Timestamp(t)) = created.map(|i| &r.row[i]) {
                        newest = newest.max(Some(*t));
                    }
                }
                yield Batch::new(records, None);
            }
            let bookmark = Bookmark { updated_at: newest, ..Bookmark::default() };
            yield Batch::new(Vec::new(), Some(bookmark));
        }
        .boxed()
    }
}
