//! Audit logs (`type: audit_log`): who changed what, read with cursor paging
//! (`count`, `before`/`after`); append-only.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::enums::AuditObjectType;
use crate::record::record;
use crate::value::Json;

record! {
    /// An audit log entry's attributes (spec §12; AppFlow `Audit Logs`).
    pub struct AuditLogAttributes {
        /// `kustomer.conversation.update`, …
        "eventName" => event_name: Option<String>,
        /// `create`, `update`, …
        "eventVerb" => event_verb: Option<String>,
        /// The org id.
        "org" => org: Option<String>,
        /// The acting user's id; column `audit_log_user_id` (`user_id` holds
        /// the `user` relationship).
        "userId" as "audit_log_user_id" => user_id: Option<String>,
        /// `system`, `user`, …
        "userType" => user_type: Option<String>,
        "objectId" => object_id: Option<String>,
        "objectType" => object_type: Option<AuditObjectType>,
        /// The calling service (`routing-api`).
        "client" => client: Option<String>,
        "ip" => ip: Option<String>,
        /// `{attributes|relationships: {field: {op, before, after}}}`.
        "changes" => changes: Option<Json>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "publishedAt" => published_at: Option<DateTime<Utc>>,
        /// When the entry is purged (about a year after creation).
        "expiresAt" => expires_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An audit log resource (`GET /v1/audit-logs`).
    pub type AuditLog = Resource<AuditLogAttributes> {
        resource: "audit_log",
        table: "audit_logs",
        singular: "audit_log",
        doc: "The org's audit trail: who changed what, when (append only)",
        relationships {
            "user" => "user_id",
            "customer" => "customer_id",
        }
        lists {}
        relationship_lists {}
    }
}
