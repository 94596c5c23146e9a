//! The route table: which request is which endpoint.
//!
//! Routing is done by hand rather than with axum's router because the API needs
//! things axum's matcher cannot express directly: every path with or without a
//! trailing slash, and `/v1/klasses/{x}` meaning a klass when `x` is its id but the
//! KObjects of klass `x` when it is a name.
//!
//! Matching order: exact configuration-list paths, then fixed endpoints
//! (`/v1/audit-logs`, `/v1/outbound-webhooks/events`, …), then configuration
//! records by id, then the record kinds and their nested lists. So
//! `/v1/customers/searches` is a list, not customer `searches`.

use axum::http::Method;

use crate::dataset::config_lists::{ListSpec, SPECS};
use crate::detail_route::Detail;
use crate::kind::Kind;
use crate::webhooks::WebhookOp;

/// Which records a list returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope<'a> {
    /// The whole collection.
    All,
    /// Those of one customer (`/v1/customers/{id}/…`).
    Customer(&'a str),
    /// Those of one conversation (`/v1/conversations/{id}/…`).
    Conversation(&'a str),
    /// The KObjects of one klass (`/v1/klasses/{name}`).
    Klass(&'a str),
    /// One customer's KObjects of one klass (`/v1/customers/{id}/klasses/{name}`).
    CustomerKlass(&'a str, &'a str),
}

/// An endpoint the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// `GET /v1/users/current`.
    CurrentUser,
    /// `POST /v1/customers/search`.
    Search,
    /// `POST /v1/customers/archive/search`: search over records older than the
    /// search window, returned thin.
    ArchiveSearch,
    /// A paged list.
    List(Kind, Scope<'a>),
    /// `GET /v1/<collection>/{id}`.
    Get(Kind, &'a str),
    /// `GET /v1/klasses/{x}`: a klass by id, else the KObjects of klass `x`.
    KlassOrKObjects(&'a str),
    /// `GET /v1/klasses/{name}/{id}`.
    KObject(&'a str, &'a str),
    /// A configuration list: `GET <spec.path>`.
    Config(&'static ListSpec),
    /// One configuration record: `GET <spec.path>/{id}` (`default` for the default
    /// brand or schedule).
    ConfigItem(&'static ListSpec, &'a str),
    /// `GET /v1/metadata/{resource}`.
    Metadata(&'a str),
    /// `GET /v1/audit-logs` (cursor paging).
    AuditLogs,
    /// `GET /v1/outbound-webhooks/events`.
    WebhookEvents,
    /// A detail list of one conversation or customer.
    Detail(Detail, &'a str),
    /// `GET /v1/conversations/times/{ids}` (comma-separated ids).
    TimesByIds(&'a str),
    /// `GET /v1/customers/merges/{id}`.
    CustomerMerge(&'a str),
    /// Outbound-webhook management: `POST /v1/outbound-webhooks`,
    /// `DELETE /v1/outbound-webhooks/{id}` ([`crate::webhooks`]).
    Webhook(WebhookOp<'a>),
}

impl<'a> Route<'a> {
    /// Matches a method and path (`/v1/...`, some `/v2/` and `/v3/`, trailing slash
    /// optional).
    pub(crate) fn parse(method: &Method, path: &'a str) -> Option<Route<'a>> {
        let path = path.trim_end_matches('/');
        let (version, rest) = path.strip_prefix('/')?.split_once('/')?;
        let segs: Vec<&str> = rest.split('/').collect();
        if segs.iter().any(|s| s.is_empty()) || !["v1", "v2", "v3"].contains(&version) {
            return None;
        }
        // ----- outbound webhooks (writes) -----
        if let Some(op) = WebhookOp::parse(method, version, &segs) {
            return Some(Route::Webhook(op));
        }
        if method == Method::POST {
            return match (version, segs.as_slice()) {
                ("v1", ["customers", "search"]) => Some(Route::Search),
                ("v1", ["customers", "archive", "search"]) => Some(Route::ArchiveSearch),
                _ => None,
            };
        }
        if method != Method::GET {
            return None;
        }
        if let Some(spec) = SPECS.iter().find(|s| s.path == path) {
            return Some(Route::Config(spec));
        }
        match (version, segs.as_slice()) {
            ("v2", ["conversations", id, "times"]) => return Some(Route::Detail(Detail::TimesV2, id)),
            ("v1", _) => {}
            _ => return config_item(path),
        }
        Some(match segs.as_slice() {
            ["audit-logs"] => Route::AuditLogs,
            ["outbound-webhooks", "events"] => Route::WebhookEvents,
            ["metadata", resource] => Route::Metadata(resource),
            ["conversations", "times", ids] => Route::TimesByIds(ids),
            ["customers", "merges", id] => Route::CustomerMerge(id),
            _ if config_item(path).is_some() => return config_item(path),
            [parent @ ("conversations" | "customers"), id, child] if Detail::parse(parent, child).is_some() => {
                Route::Detail(Detail::parse(parent, child)?, id)
            }
            ["users", "current"] => Route::CurrentUser,
            ["klasses", x] => Route::KlassOrKObjects(x),
            ["klasses", name, id] => Route::KObject(name, id),
            ["conversations", id, "messages"] => Route::List(Kind::Message, Scope::Conversation(id)),
            ["conversations", id, "notes"] => Route::List(Kind::Note, Scope::Conversation(id)),
            ["customers", id, "conversations"] => Route::List(Kind::Conversation, Scope::Customer(id)),
            ["customers", id, "messages"] => Route::List(Kind::Message, Scope::Customer(id)),
            ["customers", id, "notes"] => Route::List(Kind::Note, Scope::Customer(id)),
            ["customers", id, "klasses", name] => Route::List(Kind::KObject, Scope::CustomerKlass(id, name)),
            [collection] => Route::List(Kind::from_collection(collection)?, Scope::All),
            [collection, id] => Route::Get(Kind::from_collection(collection)?, id),
            _ => return None,
        })
    }

    /// The route's path template, for per-endpoint statistics.
    pub(crate) fn family(&self) -> String {
        let scoped = |parent: &str, child: &str| format!("GET /v1/{parent}/{{id}}/{child}");
        match *self {
            Route::CurrentUser => "GET /v1/users/current".into(),
            Route::Search => "POST /v1/customers/search".into(),
            Route::ArchiveSearch => "POST /v1/customers/archive/search".into(),
            Route::List(kind, Scope::All) => format!("GET /v1/{}", kind.collection()),
            Route::List(kind, Scope::Customer(_)) => scoped("customers", kind.collection()),
            Route::List(kind, Scope::Conversation(_)) => scoped("conversations", kind.collection()),
            Route::List(_, Scope::Klass(_)) | Route::KlassOrKObjects(_) => "GET /v1/klasses/{name}".into(),
            Route::List(_, Scope::CustomerKlass(..)) => "GET /v1/customers/{id}/klasses/{name}".into(),
            Route::Get(kind, _) => format!("GET /v1/{}/{{id}}", kind.collection()),
            Route::KObject(..) => "GET /v1/klasses/{name}/{id}".into(),
            Route::Config(spec) => format!("GET {}", spec.path),
            Route::ConfigItem(spec, _) => format!("GET {}/{{id}}", spec.path),
            Route::Metadata(_) => "GET /v1/metadata/{resource}".into(),
            Route::AuditLogs => "GET /v1/audit-logs".into(),
            Route::WebhookEvents => "GET /v1/outbound-webhooks/events".into(),
            Route::Detail(d, _) => d.family(),
            Route::TimesByIds(_) => "GET /v1/conversations/times/{ids}".into(),
            Route::CustomerMerge(_) => "GET /v1/customers/merges/{id}".into(),
            Route::Webhook(op) => op.family().into(),
        }
    }

    /// The permission-set role the endpoint needs (as Kustomer's OAS lists it where
    /// it does), named in missing-role answers.
    pub(crate) fn role(&self) -> String {
        let read = |what: &str| format!("org.permission.{what}.read");
        match *self {
            Route::CurrentUser => read("user"),
            Route::Search | Route::ArchiveSearch => "org.permission.search.create".into(),
            Route::List(kind, _) | Route::Get(kind, _) => read(kind.resource_type()),
            Route::KlassOrKObjects(_) => read("klass"),
            Route::KObject(..) => read("kobject"),
            Route::Config(spec) | Route::ConfigItem(spec, _) => spec.role.into(),
            Route::Metadata(_) => read("metadata"),
            Route::AuditLogs => read("audit_logs"),
            Route::WebhookEvents | Route::Webhook(_) => "org.permission.outbound_webhook".into(),
            Route::Detail(d, _) => d.role().into(),
            Route::TimesByIds(_) => read("conversation"),
            Route::CustomerMerge(_) => read("customer_merge"),
        }
    }
}

/// `<spec.path>/{id}` of a configuration list that serves records by id.
fn config_item(path: &str) -> Option<Route<'_>> {
    let (list, id) = path.rsplit_once('/')?;
    let spec = SPECS.iter().find(|s| s.path == list && s.serves_by_id())?;
    Some(Route::ConfigItem(spec, id))
}

/// The role named for a forbidden path no route matches:
/// `org.permission.<first segment after the version>.read`.
pub(crate) fn fallback_role(path: &str) -> String {
    let seg = path.trim_start_matches('/').split('/').nth(1).unwrap_or("api");
    format!("org.permission.{}.read", seg.replace('-', "_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_with_and_without_trailing_slash() {
        let get = |p| Route::parse(&Method::GET, p);
        assert_eq!(get("/v1/customers"), Some(Route::List(Kind::Customer, Scope::All)));
        assert_eq!(get("/v1/customers/"), Some(Route::List(Kind::Customer, Scope::All)));
        assert_eq!(get("/v1/users/current/"), Some(Route::CurrentUser));
        assert_eq!(get("/v1/notes/abc"), Some(Route::Get(Kind::Note, "abc")));
        assert_eq!(get("/v1/klasses/order/abc"), Some(Route::KObject("order", "abc")));
        assert_eq!(get("/v1/nothing"), None);
        assert_eq!(get("/v2/customers"), None);
        assert_eq!(
            Route::parse(&Method::POST, "/v1/customers/search/"),
            Some(Route::Search)
        );
        assert_eq!(
            Route::parse(&Method::POST, "/v1/customers/archive/search/"),
            Some(Route::ArchiveSearch)
        );
        assert_eq!(Route::parse(&Method::POST, "/v2/customers/archive/search"), None);
        assert_eq!(Route::parse(&Method::GET, "/v1/customers/archive/search"), None);
        assert_eq!(
            Route::ArchiveSearch.role(),
            Route::Search.role(),
            "archive search needs the search role"
        );
        assert_eq!(Route::parse(&Method::DELETE, "/v1/customers"), None);
    }

    #[test]
    fn config_and_detail_paths_win_over_record_ids() {
        let get = |p| Route::parse(&Method::GET, p);
        let table = |p| match get(p) {
            Some(Route::Config(s)) => s.table,
            other => panic!("{p}: {other:?}"),
        };
        assert_eq!(table("/v1/customers/searches/"), "customer_searches");
        assert_eq!(table("/v1/customers/searches/pinned"), "customer_searches_pinned");
        assert_eq!(table("/v1/shortcuts/categories"), "shortcut_categories");
        assert_eq!(table("/v3/kb/tags"), "kb_tags");
        assert!(matches!(get("/v1/brands/default"), Some(Route::ConfigItem(s, "default")) if s.table == "brands"));
        assert_eq!(get("/v1/kb/tags"), None, "kb tags are v3 only");
        assert_eq!(get("/v1/outbound-webhooks/events"), Some(Route::WebhookEvents));
        assert_eq!(get("/v1/conversations/times/a,b"), Some(Route::TimesByIds("a,b")));
        assert_eq!(
            get("/v2/conversations/x/times"),
            Some(Route::Detail(Detail::TimesV2, "x"))
        );
        assert_eq!(get("/v1/customers/x/merges"), Some(Route::Detail(Detail::Merges, "x")));
        assert_eq!(get("/v1/customers/merges/x"), Some(Route::CustomerMerge("x")));
        assert_eq!(
            get("/v1/metadata/kobject.order"),
            Some(Route::Metadata("kobject.order"))
        );
        assert_eq!(get("/v2/customers"), None);
        assert_eq!(get("/v1/audit-logs").unwrap().role(), "org.permission.audit_logs.read");
        assert_eq!(fallback_role("/v1/audit-logs/x"), "org.permission.audit_logs.read");
    }
}
