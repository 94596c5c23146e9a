//! `POST /v1/customers/search` and `POST /v1/customers/archive/search`: criteria,
//! sort, the two-year window that splits them, thin archive records and the
//! undefined order of ties (spec §4, §11).

use serde_json::{Map, Value};

use crate::errors::ApiError;
use crate::kind::Kind;
use crate::org::{Org, Row};
use crate::resource;
use crate::rng::{combine, hash_bytes};
use crate::time;

/// Search answers at most this many pages; later pages are a 404.
pub(crate) const PAGE_CAP: usize = 100;
/// The largest search `pageSize`.
pub(crate) const MAX_PAGE_SIZE: usize = 500;

/// Which side of the search window a query reads (spec §4): search sees records
/// updated within the window, archive search the older ones, so together they cover
/// every record exactly once (except old notes: archive search refuses note queries,
/// see [`crate::policy::Policy::check_body`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Index {
    /// `POST /v1/customers/search`: `updatedAt` at or after the window start (all
    /// records when the window is disabled).
    Search,
    /// `POST /v1/customers/archive/search`: `updatedAt` before the window start
    /// (nothing when the window is disabled).
    Archive,
}

impl Index {
    /// Whether a record updated at `updated` lies in this index, given the window
    /// start (`None` = no window).
    fn holds(self, window_start: Option<i64>, updated: i64) -> bool {
        match self {
            Index::Search => window_start.is_none_or(|start| updated >= start),
            Index::Archive => window_start.is_some_and(|start| updated < start),
        }
    }

    /// The endpoint's path, for links.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Index::Search => "/v1/customers/search",
            Index::Archive => "/v1/customers/archive/search",
        }
    }
}

/// What a criterion field reads from a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attr {
    UpdatedAt,
    CreatedAt,
    Status,
    CustomerId,
    ConversationId,
    Email,
    Deleted,
}

impl Attr {
    fn is_date(self) -> bool {
        matches!(self, Attr::UpdatedAt | Attr::CreatedAt)
    }
}

/// A search field: the context (kind) it belongs to and what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    ctx: Kind,
    attr: Attr,
}

impl Field {
    /// Resolves `conversation_updated_at`, `note_customer_id`, … Unknown names are `None`.
    fn parse(name: &str) -> Option<Field> {
        let (ctx, rest) = Kind::ALL
            .into_iter()
            .filter_map(|k| {
                let prefix = k.search_context()?;
                Some((k, name.strip_prefix(prefix)?.strip_prefix('_')?))
            })
            .next()?;
        let attr = match (ctx, rest) {
            (_, "updated_at") => Attr::UpdatedAt,
            (_, "created_at") => Attr::CreatedAt,
            (Kind::Conversation, "status") => Attr::Status,
            (Kind::Conversation | Kind::Message | Kind::Note, "customer_id") => Attr::CustomerId,
            (Kind::Message | Kind::Note, "conversation_id") => Attr::ConversationId,
            (Kind::Customer, "email") => Attr::Email,
            (Kind::Note, "deleted") => Attr::Deleted,
            _ => return None,
        };
        Some(Field { ctx, attr })
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Gte,
    Gt,
    Lte,
    Lt,
    Equals,
}

/// A criterion's operand.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// A date as the half-open interval it denotes (see [`time::parse_bound`]).
    Interval(i64, i64),
    Text(String),
    Bool(bool),
}

/// One `{"<field>": {"<op>": value, …}}` criterion, or a nested group.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Criterion(Field, Vec<(Op, Operand)>),
    Group(Group),
}

/// `and` (all), `or` (any; an empty `or` imposes nothing) and `not` (none).
#[derive(Debug, Clone, PartialEq, Default)]
struct Group {
    all: Vec<Node>,
    any: Vec<Node>,
    none: Vec<Node>,
}

/// A parsed search body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Search {
    ctx: Kind,
    filter: Group,
    sort: Vec<(Attr, bool)>,
    include_deleted: bool,
    /// Fixes the order of ties for this query (criteria, sort, context, deleted flag).
    fingerprint: u64,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

impl Search {
    /// Parses a request body (empty = `{}`: all customers). Unknown fields and
    /// operators, malformed dates and malformed JSON are a 400.
    pub(crate) fn parse(body: &[u8]) -> Result<Search, ApiError> {
        let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            serde_json::from_slice(body).map_err(|e| bad(format!("Invalid JSON body: {e}")))?
        };
        let Value::Object(body) = body else {
            return Err(bad("The request body must be a JSON object"));
        };
        let ctx_name = match body.get("queryContext") {
            None | Some(Value::Null) => "customer",
            Some(Value::String(s)) => s.as_str(),
            Some(other) => return Err(bad(format!("Invalid queryContext {other}"))),
        };
        let ctx =
            Kind::from_search_context(ctx_name).ok_or_else(|| bad(format!("Invalid queryContext \"{ctx_name}\"")))?;
        let include_deleted = match body.get("includeDeleted") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(bad(format!("includeDeleted must be a boolean, got {other}"))),
        };
        let filter = Group::parse(&body, ctx)?;
        let sort = parse_sort(body.get("sort"), ctx)?;
        let mut identity = Map::new();
        for key in ["and", "or", "not", "sort"] {
            identity.insert(key.into(), body.get(key).cloned().unwrap_or(Value::Null));
        }
        identity.insert("queryContext".into(), Value::from(ctx_name));
        identity.insert("includeDeleted".into(), Value::from(include_deleted));
        let fingerprint = hash_bytes(canonical(&Value::Object(identity)).as_bytes());
        Ok(Search {
            ctx,
            filter,
            sort,
            include_deleted,
            fingerprint,
        })
    }

    /// Every matching record, sorted. Records that tie on the sort keys come in an
    /// order that is arbitrary but fixed for this query on this org: a hash of the
    /// record id and the query's fingerprint. The same query pages consistently; a
    /// different query (e.g. a moved `gte` bound) orders the same ties differently,
    /// as Elasticsearch does. No id tiebreak exists, as in the real API.
    pub(crate) fn run<'o>(&self, org: &'o Org, index: Index) -> Vec<&'o Row> {
        let window = org.search_window_start();
        let salt = combine(org.seed(), self.fingerprint);
        let mut hits: Vec<(Vec<i64>, u64, &Row)> = (org.rows(self.ctx).iter())
            .filter(|r| self.include_deleted || !r.meta.deleted)
            .filter(|r| index.holds(window, r.meta.updated))
            .filter(|r| self.filter.matches(org, self.ctx, r))
            .map(|r| {
                let keys = self
                    .sort
                    .iter()
                    .map(|&(attr, desc)| {
                        let t = if attr == Attr::CreatedAt {
                            r.meta.created
                        } else {
                            r.meta.updated
                        };
                        if desc {
                            -t
                        } else {
                            t
                        }
                    })
                    .collect();
                (keys, combine(hash_bytes(r.id().as_bytes()), salt), r)
            })
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        hits.into_iter().map(|(_, _, r)| r).collect()
    }
}

impl Group {
    fn parse(obj: &Map<String, Value>, ctx: Kind) -> Result<Group, ApiError> {
        let nodes = |key: &str| -> Result<Vec<Node>, ApiError> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(vec![]),
                Some(Value::Object(m)) => Node::parse_all(m, ctx),
                Some(Value::Array(items)) => {
                    let mut out = Vec::new();
                    for item in items {
                        let Value::Object(m) = item else {
                            return Err(bad(format!("Each {key} criterion must be an object")));
                        };
                        out.extend(Node::parse_all(m, ctx)?);
                    }
                    Ok(out)
                }
                Some(_) => Err(bad(format!("{key} must be an object or an array"))),
            }
        };
        Ok(Group {
            all: nodes("and")?,
            any: nodes("or")?,
            none: nodes("not")?,
        })
    }

    fn matches(&self, org: &Org, ctx: Kind, row: &Row) -> bool {
        self.all.iter().all(|n| n.matches(org, ctx, row))
            && (self.any.is_empty() || self.any.iter().any(|n| n.matches(org, ctx, row)))
            && !self.none.iter().any(|n| n.matches(org, ctx, row))
    }
}

impl Node {
    /// Every key of a criteria object: nested `and`/`or`/`not` groups, or fields.
    fn parse_all(obj: &Map<String, Value>, ctx: Kind) -> Result<Vec<Node>, ApiError> {
        if obj.keys().any(|k| matches!(k.as_str(), "and" | "or" | "not")) {
            let nested = Group::parse(obj, ctx)?;
            let mut rest = obj.clone();
            for k in ["and", "or", "not"] {
                rest.remove(k);
            }
            let mut nodes = vec![Node::Group(nested)];
            nodes.extend(Node::parse_all(&rest, ctx)?);
            return Ok(nodes);
        }
        obj.iter().map(|(name, ops)| Node::criterion(name, ops, ctx)).collect()
    }

    fn criterion(name: &str, ops: &Value, ctx: Kind) -> Result<Node, ApiError> {
        let field = Field::parse(name).ok_or_else(|| bad(format!("Unknown search field \"{name}\"")))?;
        if field.ctx != ctx && field.ctx != Kind::Customer {
            return Err(bad(format!(
                "Field \"{name}\" cannot be used with queryContext \"{}\"",
                ctx.search_context().unwrap_or_default()
            )));
        }
        let Value::Object(ops) = ops else {
            return Err(bad(format!("Criterion \"{name}\" must be an object of operators")));
        };
        if ops.is_empty() {
            return Err(bad(format!("Criterion \"{name}\" has no operator")));
        }
        let mut parsed = Vec::new();
        for (op_name, value) in ops {
            let op = match (op_name.as_str(), field.attr.is_date()) {
                ("equals", _) => Op::Equals,
                ("gte", true) => Op::Gte,
                ("gt", true) => Op::Gt,
                ("lte", true) => Op::Lte,
                ("lt", true) => Op::Lt,
                _ => return Err(bad(format!("Unknown operator \"{op_name}\" for field \"{name}\""))),
            };
            let operand = match (field.attr, value) {
                (a, Value::String(s)) if a.is_date() => {
                    let (start, end) = time::parse_bound(s)
                        .ok_or_else(|| bad(format!("Invalid date \"{s}\" for field \"{name}\"")))?;
                    Operand::Interval(start, end)
                }
                (Attr::Deleted, Value::Bool(b)) => Operand::Bool(*b),
                (Attr::Deleted, Value::String(s)) if s == "true" || s == "false" => Operand::Bool(s == "true"),
                (a, Value::String(s)) if !a.is_date() && a != Attr::Deleted => Operand::Text(s.clone()),
                (_, other) => return Err(bad(format!("Invalid value {other} for field \"{name}\""))),
            };
            parsed.push((op, operand));
        }
        Ok(Node::Criterion(field, parsed))
    }

    fn matches(&self, org: &Org, ctx: Kind, row: &Row) -> bool {
        match self {
            Node::Group(g) => g.matches(org, ctx, row),
            Node::Criterion(field, ops) => {
                // A customer field in another context reads the record's customer.
                let target = if field.ctx == ctx {
                    Some(row)
                } else {
                    row.meta.customer.as_deref().and_then(|id| org.row(Kind::Customer, id))
                };
                target.is_some_and(|r| ops.iter().all(|(op, v)| test(field.attr, r, *op, v)))
            }
        }
    }
}

/// Whether `row`'s `attr` satisfies `op value`.
fn test(attr: Attr, row: &Row, op: Op, value: &Operand) -> bool {
    match (attr, value) {
        (Attr::UpdatedAt | Attr::CreatedAt, Operand::Interval(start, end)) => {
            let t = if attr == Attr::CreatedAt {
                row.meta.created
            } else {
                row.meta.updated
            };
            match op {
                Op::Gte => t >= *start,
                Op::Gt => t >= *end,
                Op::Lte => t < *end,
                Op::Lt => t < *start,
                Op::Equals => (*start..*end).contains(&t),
            }
        }
        (Attr::Deleted, Operand::Bool(b)) => row.meta.deleted == *b,
        (Attr::Status, Operand::Text(s)) => row.meta.status.as_deref() == Some(s),
        (Attr::CustomerId, Operand::Text(s)) => row.meta.customer.as_deref() == Some(s),
        (Attr::ConversationId, Operand::Text(s)) => row.meta.conversation.as_deref() == Some(s),
        (Attr::Email, Operand::Text(s)) => row.meta.emails.iter().any(|x| x.eq_ignore_ascii_case(s)),
        _ => false,
    }
}

/// Parses `sort`: `[{"<ctx>_updated_at": "asc"}, …]` (a single object also works).
fn parse_sort(sort: Option<&Value>, ctx: Kind) -> Result<Vec<(Attr, bool)>, ApiError> {
    let items: Vec<&Map<String, Value>> = match sort {
        None | Some(Value::Null) => vec![],
        Some(Value::Object(m)) => vec![m],
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_object().ok_or_else(|| bad("Each sort entry must be an object")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("sort must be an array")),
    };
    let mut out = Vec::new();
    for (name, dir) in items.into_iter().flatten() {
        let field = Field::parse(name)
            .filter(|f| f.ctx == ctx && f.attr.is_date())
            .ok_or_else(|| bad(format!("Unsupported sort field \"{name}\"")))?;
        let desc = match dir.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => return Err(bad(format!("Invalid sort direction {dir} for \"{name}\""))),
        };
        out.push((field.attr, desc));
    }
    Ok(out)
}

/// An archive search item: `{"type", "id", "attributes"}` with only the scalar
/// top-level attributes (strings, numbers, booleans, `null`: `name`, `createdAt`,
/// `updatedAt`, `deleted`, `status`, …). Spec §4: archive search returns "fewer
/// attributes"; the archive records seen (spec §5) carry no emails, phones, custom
/// attributes or nested objects, and no `relationships` or `links`.
pub(crate) fn thin(record: &Value) -> Value {
    let attributes: Map<String, Value> = resource::attributes(record)
        .into_iter()
        .flatten()
        .filter(|(_, v)| !matches!(v, Value::Array(_) | Value::Object(_)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut out = Map::new();
    for key in ["type", "id"] {
        out.insert(key.into(), record.get(key).cloned().unwrap_or(Value::Null));
    }
    out.insert("attributes".into(), Value::Object(attributes));
    Value::Object(out)
}

/// JSON with object keys sorted, so a query's fingerprint does not depend on key order.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::from(k.as_str()), canonical(&m[k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;
    use std::cmp::Ordering;

    fn same_order(a: &[&Row], b: &[&Row]) -> Ordering {
        let ids = |v: &[&Row]| v.iter().map(|x| x.id().to_owned()).collect::<Vec<_>>();
        ids(a).cmp(&ids(b))
    }

    fn org() -> Org {
        Org::generate(&SimConfig::tiny())
    }

    fn parse(body: &str) -> Result<Search, ApiError> {
        Search::parse(body.as_bytes())
    }

    #[test]
    fn rejects_unknown_fields_ops_and_dates() {
        for body in [
            r#"{"and":[{"customer_colour":{"equals":"red"}}]}"#,
            r#"{"and":[{"customer_updated_at":{"near":"2024-01-01"}}]}"#,
            r#"{"and":[{"conversation_status":{"gte":"open"}}],"queryContext":"conversation"}"#,
            r#"{"and":[{"customer_updated_at":{"gte":"soon"}}]}"#,
            r#"{"sort":[{"customer_name":"asc"}]}"#,
            r#"{"queryContext":"planet"}"#,
            r#"{"and":"#,
            r#"[1,2]"#,
        ] {
            assert!(matches!(parse(body), Err(ApiError::BadRequest(_))), "{body}");
        }
    }

    #[test]
    fn filters_and_sorts_by_updated_at() {
        let org = org();
        let all = parse(r#"{"sort":[{"customer_updated_at":"asc"}]}"#)
            .unwrap()
            .run(&org, Index::Search);
        assert_eq!(all.len(), org.live_count(Kind::Customer));
        let middle = all[all.len() / 2].value();
        let t = resource::attr_str(&middle, "updatedAt").unwrap();
        let body = format!(
            r#"{{"and":[{{"customer_updated_at":{{"gte":"{t}"}}}}],"sort":[{{"customer_updated_at":"asc"}}],"queryContext":"customer"}}"#
        );
        let later = parse(&body).unwrap().run(&org, Index::Search);
        assert!(!later.is_empty() && later.len() < all.len());
        let later: Vec<Value> = later.iter().map(|r| r.value()).collect();
        let times: Vec<&str> = later
            .iter()
            .map(|v| resource::attr_str(v, "updatedAt").unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times[0] >= t);
    }

    #[test]
    fn search_and_archive_split_on_the_window_start() {
        let start = Some(1_000);
        assert!(Index::Search.holds(start, 1_000) && !Index::Archive.holds(start, 1_000));
        assert!(!Index::Search.holds(start, 999) && Index::Archive.holds(start, 999));
        assert!(Index::Search.holds(None, 0) && !Index::Archive.holds(None, 0));
        let org = Org::generate(&SimConfig::five_years());
        let q = parse(r#"{"queryContext":"conversation","includeDeleted":true}"#).unwrap();
        let (recent, old) = (q.run(&org, Index::Search), q.run(&org, Index::Archive));
        assert!(!recent.is_empty() && !old.is_empty());
        assert_eq!(recent.len() + old.len(), org.count(Kind::Conversation));
    }

    #[test]
    fn thin_keeps_only_scalar_attributes() {
        let record = serde_json::json!({
            "type": "customer", "id": "c1",
            "attributes": {"name": "Ada", "deleted": false, "score": 3, "lastSeenAt": null,
                           "emails": [{"email": "a@example.com"}], "custom": {"tierStr": "gold"},
                           "locale": {"code": "en"}},
            "relationships": {"org": {"data": {"type": "org", "id": "o"}}},
            "links": {"self": "/v1/customers/c1"}
        });
        assert_eq!(
            thin(&record),
            serde_json::json!({"type": "customer", "id": "c1",
                               "attributes": {"name": "Ada", "deleted": false, "score": 3, "lastSeenAt": null}})
        );
    }

    #[test]
    fn ties_order_depends_on_the_query() {
        let mut org = org();
        org.touch_many_at_once(Kind::Message, 60);
        let q1 = parse(r#"{"and":[{"message_updated_at":{"gte":"2020-01-01"}}],"sort":[{"message_updated_at":"desc"}],"queryContext":"message"}"#).unwrap();
        let q2 = parse(r#"{"and":[{"message_updated_at":{"gte":"2020-01-02"}}],"sort":[{"message_updated_at":"desc"}],"queryContext":"message"}"#).unwrap();
        let (a, b) = (q1.run(&org, Index::Search), q2.run(&org, Index::Search));
        assert_eq!(
            same_order(&q1.run(&org, Index::Search)[..60], &a[..60]),
            Ordering::Equal
        );
        assert_ne!(same_order(&a[..60], &b[..60]), Ordering::Equal);
        let mut ids: Vec<&str> = a[..60].iter().map(|r| r.id()).collect();
        let shown = ids.clone();
        ids.sort_unstable();
        assert_ne!(ids, shown, "ties must not come in id order");
    }
}
