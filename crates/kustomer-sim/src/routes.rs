//! The route table: which request is which endpoint.
//!
//! Routing is done by hand rather than with axum's router because the API needs
//! things axum's matcher cannot express directly: every path with or without a
//! trailing slash, and `/v1/klasses/{x}` meaning a klass when `x` is its id but the
//! KObjects of klass `x` when it is a name.

use axum::http::Method;

use crate::kind::Kind;

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
    /// A paged list.
    List(Kind, Scope<'a>),
    /// `GET /v1/<collection>/{id}`.
    Get(Kind, &'a str),
    /// `GET /v1/klasses/{x}`: a klass by id, else the KObjects of klass `x`.
    KlassOrKObjects(&'a str),
    /// `GET /v1/klasses/{name}/{id}`.
    KObject(&'a str, &'a str),
}

impl<'a> Route<'a> {
    /// Matches a method and path (`/v1/...`, trailing slash optional).
    pub(crate) fn parse(method: &Method, path: &'a str) -> Option<Route<'a>> {
        let rest = path.strip_prefix("/v1/")?.trim_end_matches('/');
        let segs: Vec<&str> = rest.split('/').collect();
        if segs.iter().any(|s| s.is_empty()) {
            return None;
        }
        if method == Method::POST {
            return (segs == ["customers", "search"]).then_some(Route::Search);
        }
        if method != Method::GET {
            return None;
        }
        Some(match segs.as_slice() {
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
            Route::List(kind, Scope::All) => format!("GET /v1/{}", kind.collection()),
            Route::List(kind, Scope::Customer(_)) => scoped("customers", kind.collection()),
            Route::List(kind, Scope::Conversation(_)) => scoped("conversations", kind.collection()),
            Route::List(_, Scope::Klass(_)) | Route::KlassOrKObjects(_) => "GET /v1/klasses/{name}".into(),
            Route::List(_, Scope::CustomerKlass(..)) => "GET /v1/customers/{id}/klasses/{name}".into(),
            Route::Get(kind, _) => format!("GET /v1/{}/{{id}}", kind.collection()),
            Route::KObject(..) => "GET /v1/klasses/{name}/{id}".into(),
        }
    }
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
        assert_eq!(Route::parse(&Method::DELETE, "/v1/customers"), None);
    }
}
