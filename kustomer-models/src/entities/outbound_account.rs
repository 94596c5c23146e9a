//! Outbound accounts: the addresses and numbers agents can send from
//! (`GET /v1/outboundAccounts`).

use chrono::{DateTime, Utc};

use crate::decode::{decode, DecodeError};
use crate::entity::entity;
use crate::envelope::Page;
use crate::record::record;

record! {
    /// An outbound account's attributes (AppFlow `Outbound Accounts`).
    pub struct OutboundAccountAttributes {
        "name" => name: Option<String>,
        /// The address or number itself.
        "account" => account: Option<String>,
        "app" => app: Option<String>,
        "channel" => channel: Option<String>,
        "aliasUsername" => alias_username: Option<bool>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An outbound account resource. The documented response has no `id`;
    /// decode it with [`outbound_accounts_page`].
    pub type OutboundAccount = Resource<OutboundAccountAttributes> {
        resource: "outbound_account",
        table: "outbound_accounts",
        singular: "outbound_account",
        doc: "Outbound channel accounts (e-mail addresses, SMS numbers…) the org sends from",
        relationships {
            "org" => "org_id",
        }
        lists {}
        relationship_lists {}
    }
}

/// Decodes a `GET /v1/outboundAccounts` body. Items without an `id` get the
/// stable key `"{app}:{channel}:{account}"` (empty parts for missing
/// attributes); items with one keep it.
pub fn outbound_accounts_page(body: &[u8]) -> Result<Page<OutboundAccount>, DecodeError> {
    let mut value: serde_json::Value = decode(body)?;
    if let Some(items) = value.get_mut("data").and_then(|d| d.as_array_mut()) {
        for item in items.iter_mut().filter_map(|i| i.as_object_mut()) {
            if item.get("id").is_some_and(|id| !id.is_null()) {
                continue;
            }
            let attr = |name: &str| {
                item.get("attributes")
                    .and_then(|a| a.get(name))
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let id = format!("{}:{}:{}", attr("app"), attr("channel"), attr("account"));
            item.insert("id".into(), id.into());
        }
    }
    let bytes = serde_json::to_vec(&value).unwrap_or_default();
    decode(&bytes)
}
