//! The per-parent detail endpoints (`/v1/conversations/{id}/events`, …) and their
//! per-endpoint facts: parent kind, collection, page-size cap, order and role.

use crate::dataset::{detail, events};
use crate::kind::Kind;

/// A detail list of one conversation or customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// `GET /v1/conversations/{id}/events`.
    Events,
    /// `GET /v1/conversations/{id}/times`.
    Times,
    /// `GET /v2/conversations/{id}/times` (same records, `pageSize` up to 1000).
    TimesV2,
    /// `GET /v1/conversations/{id}/forwards`.
    Forwards,
    /// `GET /v1/conversations/{id}/attachments`.
    Attachments,
    /// `GET /v1/customers/{id}/drafts`.
    Drafts,
    /// `GET /v1/customers/{id}/merges` (merges the customer was source or target of).
    Merges,
}

impl Detail {
    /// The detail list a `/v1/<parent>/{id}/<child>` path names.
    pub(crate) fn parse(parent: &str, child: &str) -> Option<Detail> {
        Some(match (parent, child) {
            ("conversations", "events") => Detail::Events,
            ("conversations", "times") => Detail::Times,
            ("conversations", "forwards") => Detail::Forwards,
            ("conversations", "attachments") => Detail::Attachments,
            ("customers", "drafts") => Detail::Drafts,
            ("customers", "merges") => Detail::Merges,
            _ => return None,
        })
    }

    /// The kind of the parent record.
    pub(crate) fn parent(self) -> Kind {
        match self {
            Detail::Drafts | Detail::Merges => Kind::Customer,
            _ => Kind::Conversation,
        }
    }

    /// The collection holding the records.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Detail::Events => events::TABLE,
            Detail::Times | Detail::TimesV2 => detail::TIMES,
            Detail::Forwards => detail::FORWARDS,
            Detail::Attachments => detail::ATTACHMENTS,
            Detail::Drafts => detail::DRAFTS,
            Detail::Merges => detail::MERGES,
        }
    }

    /// The largest honoured `pageSize`.
    pub(crate) fn max_page_size(self) -> usize {
        if self == Detail::TimesV2 {
            1_000
        } else {
            100
        }
    }

    /// The path of the list for parent `id`.
    pub(crate) fn path(self, id: &str) -> String {
        let (version, parent, child) = self.template();
        format!("/{version}/{parent}/{id}/{child}")
    }

    /// `(version, parent collection, child)`.
    fn template(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Detail::Events => ("v1", "conversations", "events"),
            Detail::Times => ("v1", "conversations", "times"),
            Detail::TimesV2 => ("v2", "conversations", "times"),
            Detail::Forwards => ("v1", "conversations", "forwards"),
            Detail::Attachments => ("v1", "conversations", "attachments"),
            Detail::Drafts => ("v1", "customers", "drafts"),
            Detail::Merges => ("v1", "customers", "merges"),
        }
    }

    /// The path template, for statistics.
    pub(crate) fn family(self) -> String {
        let (version, parent, child) = self.template();
        format!("GET /{version}/{parent}/{{id}}/{child}")
    }

    /// The permission-set role the endpoint needs (per Kustomer's OAS).
    pub(crate) fn role(self) -> &'static str {
        match self {
            Detail::Events => "org.permission.event.read",
            Detail::Times | Detail::TimesV2 => "org.permission.conversation.read",
            Detail::Forwards | Detail::Drafts => "org.permission.draft.read",
            Detail::Attachments => "org.permission.attachment.read",
            Detail::Merges => "org.permission.customer_merge.read",
        }
    }
}
