//! What mutations leave behind besides the changed record: a conversation event per
//! conversation change, an audit-log entry per change of an audited kind, and fresh
//! attachment rows for a changed message.

use serde_json::{Map, Value};

use super::Org;
use crate::dataset::{audit, detail, events, Refs};
use crate::kind::Kind;
use crate::outbox::RecordChange;
use crate::resource;

impl Org {
    /// The attributes of a record, for diffing (only for kinds whose changes are recorded).
    pub(super) fn snapshot(&self, kind: Kind, id: &str) -> Option<Map<String, Value>> {
        let recorded = kind == Kind::Conversation || audit::object_type(kind).is_some() || self.webhooks.any();
        recorded
            .then(|| match self.get(kind, id)? {
                Value::Object(mut record) => match record.remove("attributes")? {
                    Value::Object(attributes) => Some(attributes),
                    _ => None,
                },
                _ => None,
            })
            .flatten()
    }

    /// Records a mutation of record `id` of `kind`: `verb` is `create`, `update` or
    /// `delete`; `before` its attributes before an update; stamped at the org clock.
    pub(super) fn record(&mut self, kind: Kind, id: &str, verb: &str, before: Option<&Map<String, Value>>) {
        let Some(value) = self.get(kind, id) else {
            return;
        };
        let at = self.now;
        let refs = Refs::collect(self.seed, |k| self.rows(k));
        let changes = match (before, resource::attributes(&value)) {
            (Some(b), Some(a)) if verb == "update" => events::diff(b, a),
            _ => Value::Null,
        };
        if kind == Kind::Conversation && verb != "delete" {
            let n = self.store().get(events::TABLE).map_or(0, |c| c.count_children(id));
            let change = events::Change {
                verb,
                at,
                by: &refs.machine_user,
                changes: changes.clone(),
            };
            let e = events::event(self.seed, &refs, &value, n, change);
            self.store_mut().entry(events::TABLE).push(e, Some(id.to_owned()));
        }
        let attachments_changed = |b: &Map<String, Value>| {
            let a = resource::attributes(&value);
            ["attachments", "redacted", "deleted"]
                .iter()
                .any(|k| b.get(*k) != a.and_then(|a| a.get(*k)))
        };
        if kind == Kind::Message && (verb != "update" || before.is_none_or(attachments_changed)) {
            self.refresh_attachments(&refs, &value);
        }
        let change = RecordChange {
            kind,
            value: &value,
            verb,
            before,
            at,
        };
        self.webhooks.emit(|| self.store(), self.seed, &refs.org, change);
        if let Some(ty) = audit::object_type(kind) {
            let actor = audit::Actor {
                user: Some(refs.machine_user.clone()),
                user_type: "machine",
                client: "api",
            };
            let customer = match kind {
                Kind::Customer => Some(id.to_owned()),
                _ => resource::related_id(&value, "customer").map(str::to_owned),
            };
            let entry = audit::entry(
                self.seed,
                &refs.org,
                at,
                ty,
                id,
                verb,
                &actor,
                changes,
                customer.as_deref(),
            );
            self.store_mut().entry(audit::TABLE).push(entry, None);
        }
    }

    /// Replaces a message's rows in `conversation_attachments` by its current
    /// attachments (none once it is deleted).
    fn refresh_attachments(&mut self, refs: &Refs, message: &Value) {
        let mid = resource::id(message).to_owned();
        let Some(conv) = resource::related_id(message, "conversation").map(str::to_owned) else {
            return;
        };
        self.store_mut()
            .entry(detail::ATTACHMENTS)
            .retain(|v| v.facts().message.as_deref() != Some(mid.as_str()));
        if !resource::is_deleted(message) {
            for a in detail::attachments(refs, message) {
                self.store_mut().entry(detail::ATTACHMENTS).push(a, Some(conv.clone()));
            }
        }
    }
}
