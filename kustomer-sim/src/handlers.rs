//! Handlers of the endpoints served from named collections: the generic
//! configuration-list handler (one for every spec row), custom-attribute metadata,
//! audit logs, webhook event names, and per-conversation/per-customer detail.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::cursor::{self, CursorRequest};
use crate::dataset::config_lists::{ListSpec, Shape, Side};
use crate::dataset::{audit, detail, METADATA, WEBHOOK_EVENTS};
use crate::detail_route::Detail;
use crate::errors::ApiError;
use crate::http::{not_found, to_bytes};
use crate::kind::Kind;
use crate::org::Org;
use crate::paging::{self, PageRequest, Query, Totals};
use crate::policy::Policy;
use crate::records::parent;
use crate::resource;
use crate::store::Item;
use crate::time;

/// A list body with optional side-loaded records.
#[derive(Debug, Serialize)]
struct ListBody<'a> {
    meta: Value,
    links: Value,
    data: &'a [&'a RawValue],
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Vec<&'a RawValue>>,
}

/// A single-record body with optional side-loaded records.
#[derive(Debug, Serialize)]
struct OneBody<'a> {
    data: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    included: Option<Vec<&'a RawValue>>,
}

/// `{"data", "links", "meta"}`, the latter two optional, with keys in the order a
/// `json!` object writes them (sorted).
#[derive(Debug, Serialize)]
struct DataBody<'a> {
    data: &'a [&'a RawValue],
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<Value>,
}

/// The stored JSON of `items`.
fn raw<'a>(items: &[&'a Item]) -> Vec<&'a RawValue> {
    items.iter().map(|i| i.json()).collect()
}

/// The side-loaded children of `parents` the query asks for, if any.
fn included<'o>(org: &'o Org, side: Option<Side>, query: &Query, parents: &[&Item]) -> Option<Vec<&'o RawValue>> {
    let side = side?;
    let asked = query.get(side.param)?;
    let all = asked.split(',').any(|v| v.trim() == side.all);
    let active = side.active.is_some_and(|a| asked == a);
    if !all && !active {
        return None;
    }
    let mut out = Vec::new();
    for p in parents {
        let current = p.value()["attributes"]["currentVersion"].as_u64();
        for child in org.collection_items_for(side.table, p.id()) {
            if all || child.value()["attributes"]["version"].as_u64() == current {
                out.push(child.json());
            }
        }
    }
    Some(out)
}

/// `GET <spec.path>`: every configuration list, paged and wrapped as its spec says.
/// Side-loaded children come only where the list documents them (SLA versions,
/// not holidays: those come with one schedule, see [`config_item`]).
pub(crate) fn config_list(org: &Org, policy: &Policy, spec: &ListSpec, query: &Query) -> Result<Vec<u8>, ApiError> {
    let items = org.collection_items(spec.table);
    match spec.shape {
        Shape::Single => {
            let first = items.first().ok_or_else(|| not_found(spec.kind, "settings"))?;
            Ok(to_bytes(&OneBody {
                data: first.json(),
                included: None,
            }))
        }
        Shape::Unpaged => Ok(to_bytes(&DataBody {
            data: &raw(&items),
            links: Some(json!({"self": spec.path})),
            meta: Some(json!({})),
        })),
        Shape::Bare => Ok(to_bytes(&DataBody {
            data: &raw(&items),
            links: None,
            meta: None,
        })),
        Shape::Paged { max } => {
            let req = PageRequest::parse(query, max)?;
            policy.window(req)?;
            let page = req.slice(&items);
            let (meta, links) = paging::envelope(spec.path, query, req, items.len(), Totals::None);
            let side = spec.side.filter(|s| s.on_list);
            Ok(to_bytes(&ListBody {
                meta,
                links,
                data: &raw(page),
                included: included(org, side, query, page),
            }))
        }
    }
}

/// `GET <spec.path>/{id}`; `default` names the record whose `default` is true.
pub(crate) fn config_item(org: &Org, spec: &ListSpec, id: &str, query: &Query) -> Result<Vec<u8>, ApiError> {
    let items = org.collection_items(spec.table);
    let found = if id == "default" {
        items.into_iter().find(|v| v.value()["attributes"]["default"] == true)
    } else {
        items.into_iter().find(|v| v.id() == id)
    };
    let data = found.ok_or_else(|| not_found(spec.kind, id))?;
    Ok(to_bytes(&OneBody {
        data: data.json(),
        included: included(org, spec.side, query, &[data]),
    }))
}

/// `GET /v1/metadata/{resource}`: `customer`, `conversation`, `message`, `company`
/// or `kobject.<klassName>`.
pub(crate) fn metadata(org: &Org, resource: &str) -> Result<Vec<u8>, ApiError> {
    let doc = (org.store().get(METADATA))
        .and_then(|c| c.get(resource))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "No metadata for {resource:?}: use company, conversation, customer, message or kobject.<klassName>"
            ))
        })?;
    Ok(to_bytes(&OneBody {
        data: doc.json(),
        included: None,
    }))
}

/// The `filter[start]`/`filter[end]` bound, if given.
fn bound(query: &Query, key: &str) -> Result<Option<(i64, i64)>, ApiError> {
    match query.get(key) {
        None | Some("") => Ok(None),
        Some(v) => time::parse_bound(v)
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest(format!("{key} must be a date or date-time, got {v:?}"))),
    }
}

/// `GET /v1/audit-logs`: filters, then cursor paging over the newest-first list.
pub(crate) fn audit_logs(org: &Org, query: &Query) -> Result<Vec<u8>, ApiError> {
    let req = CursorRequest::parse(query)?;
    let mut types: Vec<&str> = query.get("filter[objectType]").into_iter().collect();
    types.extend(
        query
            .get("filter[include]")
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(str::trim),
    );
    let object = query.get("filter[objectId]");
    if object.is_some() && query.get("filter[objectType]").is_none() {
        return Err(ApiError::BadRequest(
            "filter[objectId] requires filter[objectType]".into(),
        ));
    }
    if let Some(t) = types.iter().find(|t| !audit::OBJECT_TYPES.contains(t)) {
        return Err(ApiError::BadRequest(format!("unknown filter[objectType] {t:?}")));
    }
    let user = query.get("filter[userId]");
    let (start, end) = (bound(query, "filter[start]")?, bound(query, "filter[end]")?);
    let items: Vec<&Item> = (org.collection_items(audit::TABLE).into_iter())
        .filter(|v| types.is_empty() || v.facts().object_type.as_deref().is_some_and(|t| types.contains(&t)))
        .filter(|v| object.is_none_or(|o| v.facts().object_id.as_deref() == Some(o)))
        .filter(|v| user.is_none_or(|u| v.facts().user_id.as_deref() == Some(u)))
        .filter(|v| {
            let at = v.facts().created;
            start.is_none_or(|(s, _)| at >= s) && end.is_none_or(|(_, e)| at < e)
        })
        .collect();
    let page = cursor::page(&items, &req);
    let (meta, links) = cursor::envelope("/v1/audit-logs", query, &req, &page, items.len());
    Ok(to_bytes(&DataBody {
        data: &raw(&page.items),
        links: Some(links),
        meta: Some(meta),
    }))
}

/// `GET /v1/outbound-webhooks/events`: `{"events": [...]}`.
pub(crate) fn webhook_events(org: &Org) -> Vec<u8> {
    #[derive(Serialize)]
    struct Events<'a> {
        events: &'a [&'a RawValue],
    }
    to_bytes(&Events {
        events: &raw(&org.collection_items(WEBHOOK_EVENTS)),
    })
}

/// A detail list of one live conversation or customer, paged. Filters and sorts
/// parse only the parent's own records (and the merges it was the source of).
pub(crate) fn detail_list(org: &Org, policy: &Policy, d: Detail, id: &str, query: &Query) -> Result<Vec<u8>, ApiError> {
    parent(org, d.parent(), id)?;
    let req = PageRequest::parse(query, d.max_page_size())?;
    policy.window(req)?;
    let mut items = org.collection_items_for(d.table(), id);
    match d {
        Detail::Merges => {
            let as_source = (org.collection_items(d.table()).into_iter()).filter(|m| {
                m.facts().source.as_deref() == Some(id) && resource::related_id(&m.value(), "target") != Some(id)
            });
            items.extend(as_source);
            items.sort_by_cached_key(|m| {
                resource::attr_str(&m.value(), "createdAt")
                    .unwrap_or_default()
                    .to_owned()
            });
        }
        Detail::Events => {
            if let Some(name) = query.get("name") {
                items.retain(|e| resource::attr_str(&e.value(), "name") == Some(name));
            }
            if let Some(field) = query.get("changed") {
                items.retain(|e| e.value()["attributes"]["changes"]["attributes"].get(field).is_some());
            }
            if query.get("sort") == Some("desc") {
                items.reverse();
            }
        }
        _ => {}
    }
    let (meta, links) = paging::envelope(&d.path(id), query, req, items.len(), Totals::None);
    Ok(to_bytes(&ListBody {
        meta,
        links,
        data: &raw(req.slice(&items)),
        included: None,
    }))
}

/// `GET /v1/conversations/times/{ids}`: one object for one id, a list for several.
pub(crate) fn times_by_ids(org: &Org, ids: &str) -> Result<Vec<u8>, ApiError> {
    let live = |t: &&Item| {
        resource::related_id(&t.value(), "conversation")
            .and_then(|c| org.row(Kind::Conversation, c))
            .is_some_and(|c| !c.meta.deleted)
    };
    let times = org.store().get(detail::TIMES);
    let found: Vec<&Item> = (ids.split(','))
        .filter_map(|id| times.and_then(|c| c.get(id.trim())))
        .filter(live)
        .collect();
    match (ids.contains(','), found.as_slice()) {
        (_, []) => Err(not_found("conversation_time", ids)),
        (false, [one]) => Ok(to_bytes(&OneBody {
            data: one.json(),
            included: None,
        })),
        _ => Ok(to_bytes(&DataBody {
            data: &raw(&found),
            links: None,
            meta: None,
        })),
    }
}

/// `GET /v1/customers/merges/{id}`.
pub(crate) fn customer_merge(org: &Org, id: &str) -> Result<Vec<u8>, ApiError> {
    let merge = (org.store().get(detail::MERGES))
        .and_then(|c| c.get(id))
        .ok_or_else(|| not_found("customer_merge", id))?;
    Ok(to_bytes(&OneBody {
        data: merge.json(),
        included: None,
    }))
}
