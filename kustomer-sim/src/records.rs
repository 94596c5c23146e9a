//! Handlers of the record kinds: the one generic list (scope, filters, order,
//! paging) and search, live and archived.

use serde_json::value::RawValue;

use crate::errors::ApiError;
use crate::http::{not_found, to_bytes};
use crate::kind::Kind;
use crate::org::{Org, Row};
use crate::paging::{self, ListBody, PageRequest, Query, Totals};
use crate::policy::Policy;
use crate::routes::Scope;
use crate::row::to_raw;
use crate::search::{self, Index, Search};

/// A live parent record or a 404.
pub(crate) fn parent<'o>(org: &'o Org, kind: Kind, id: &str) -> Result<&'o Row, ApiError> {
    org.row(kind, id)
        .filter(|r| !r.meta.deleted)
        .ok_or_else(|| not_found(kind.resource_type(), id))
}

/// The one generic list handler: scope, filters, order, paging and envelope.
pub(crate) fn list(
    org: &Org,
    policy: &Policy,
    kind: Kind,
    scope: Scope<'_>,
    query: &Query,
) -> Result<Vec<u8>, ApiError> {
    let (path, totals) = match scope {
        Scope::All => (format!("/v1/{}", kind.collection()), {
            if kind == Kind::Customer {
                Totals::Counted
            } else {
                Totals::None
            }
        }),
        Scope::Customer(id) => {
            parent(org, Kind::Customer, id)?;
            (format!("/v1/customers/{id}/{}", kind.collection()), Totals::None)
        }
        Scope::Conversation(id) => {
            parent(org, Kind::Conversation, id)?;
            (format!("/v1/conversations/{id}/{}", kind.collection()), Totals::None)
        }
        Scope::Klass(name) => (format!("/v1/klasses/{name}"), Totals::None),
        Scope::CustomerKlass(id, name) => {
            parent(org, Kind::Customer, id)?;
            if org.klass_named(name).is_none() {
                return Err(not_found("klass", name));
            }
            (format!("/v1/customers/{id}/klasses/{name}"), Totals::None)
        }
    };
    let req = PageRequest::parse(query, kind.max_page_size())?;
    policy.window(req)?;
    // `GET /v1/users?deleted=true` lists only deactivated users; otherwise deleted
    // records are hidden.
    let want_deleted = kind == Kind::User && query.get("deleted") == Some("true");
    let status = (kind == Kind::Klass).then(|| query.get("status").unwrap_or("enabled"));
    let in_scope = |r: &Row| match scope {
        Scope::All => true,
        Scope::Customer(id) => r.meta.customer.as_deref() == Some(id),
        Scope::Conversation(id) => r.meta.conversation.as_deref() == Some(id),
        Scope::Klass(name) => r.meta.klass.as_deref() == Some(name),
        Scope::CustomerKlass(id, name) => {
            r.meta.customer.as_deref() == Some(id) && r.meta.klass.as_deref() == Some(name)
        }
    };
    let mut items: Vec<&RawValue> = (org.rows(kind).iter())
        .filter(|r| r.meta.deleted == want_deleted)
        .filter(|r| in_scope(r))
        .filter(|r| status.is_none_or(|s| r.meta.status.as_deref() == Some(s)))
        .map(Row::json)
        .collect();
    if kind.sortable_list() && query.get("sort") == Some("desc") {
        items.reverse();
    }
    let (meta, links) = paging::envelope(&path, query, req, items.len(), totals);
    Ok(to_bytes(&ListBody {
        meta,
        links,
        data: req.slice(&items),
    }))
}

/// `POST /v1/customers/search` and `POST /v1/customers/archive/search`: one handler,
/// the index deciding which records are seen and whether they come thin. Checks
/// come in this order: archive search served, page cap (404), result window (400),
/// body (400).
pub(crate) fn search(
    org: &Org,
    policy: &Policy,
    query: &Query,
    body: &[u8],
    index: Index,
) -> Result<Vec<u8>, ApiError> {
    if index == Index::Archive {
        policy.archive_served()?;
    }
    let req = PageRequest::parse(query, search::MAX_PAGE_SIZE)?;
    if req.page > search::PAGE_CAP {
        return Err(ApiError::NotFound(format!(
            "Search results are limited to {} pages",
            search::PAGE_CAP
        )));
    }
    policy.window(req)?;
    let parsed = Search::parse(body)?;
    policy.check_body(index, body)?;
    let hits = parsed.run(org, index);
    let reported = policy.reported_total(hits.len());
    let (meta, links) = paging::envelope_reporting(
        index.path(),
        &Query::default(),
        req,
        hits.len(),
        reported,
        Totals::Search,
    );
    let page = req.slice(&hits);
    if index == Index::Search {
        let data: Vec<&RawValue> = page.iter().map(|r| r.json()).collect();
        return Ok(to_bytes(&ListBody {
            meta,
            links,
            data: &data,
        }));
    }
    let thin: Vec<Box<RawValue>> = page.iter().map(|r| to_raw(&search::thin(&r.value()))).collect();
    let data: Vec<&RawValue> = thin.iter().map(|t| &**t).collect();
    Ok(to_bytes(&ListBody {
        meta,
        links,
        data: &data,
    }))
}
