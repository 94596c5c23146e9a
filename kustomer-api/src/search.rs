//! A typed builder for `POST /v1/customers/search` bodies (spec §4).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Which object type fills `data[]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QueryContext {
    /// Customers.
    Customer,
    /// Conversations.
    Conversation,
    /// Messages.
    Message,
    /// Notes.
    Note,
    /// KObjects of every klass.
    Kobject,
    /// Companies.
    Company,
    /// Any other context, verbatim.
    Other(String),
}

impl QueryContext {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            QueryContext::Customer => "customer",
            QueryContext::Conversation => "conversation",
            QueryContext::Message => "message",
            QueryContext::Note => "note",
            QueryContext::Kobject => "kobject",
            QueryContext::Company => "company",
            QueryContext::Other(s) => s,
        }
    }

    /// `<ctx>_updated_at`, the incremental sort and filter field.
    pub fn updated_at_field(&self) -> String {
        format!("{}_updated_at", self.as_str())
    }

    /// `<ctx>_created_at`.
    pub fn created_at_field(&self) -> String {
        format!("{}_created_at", self.as_str())
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `equals`
    Equals,
    /// `gte`
    Gte,
    /// `gt`
    Gt,
    /// `lte`
    Lte,
    /// `lt`
    Lt,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Equals => "equals",
            Op::Gte => "gte",
            Op::Gt => "gt",
            Op::Lte => "lte",
            Op::Lt => "lt",
        }
    }
}

/// One criterion: `{"<field>": {"<op>": value}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Search field, e.g. `conversation_updated_at`.
    pub field: String,
    /// Operator.
    pub op: Op,
    /// Value.
    pub value: Value,
}

/// Formats an instant the way the API documents it: UTC with milliseconds.
pub fn format_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Criterion {
    /// A criterion with any JSON value.
    pub fn new(field: impl Into<String>, op: Op, value: impl Into<Value>) -> Self {
        Criterion {
            field: field.into(),
            op,
            value: value.into(),
        }
    }
    /// `field == value`.
    pub fn equals(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Criterion::new(field, Op::Equals, value)
    }
    /// `field >= t`.
    pub fn gte(field: impl Into<String>, t: DateTime<Utc>) -> Self {
        Criterion::new(field, Op::Gte, format_instant(t))
    }
    /// `field > t`.
    pub fn gt(field: impl Into<String>, t: DateTime<Utc>) -> Self {
        Criterion::new(field, Op::Gt, format_instant(t))
    }
    /// `field <= t`.
    pub fn lte(field: impl Into<String>, t: DateTime<Utc>) -> Self {
        Criterion::new(field, Op::Lte, format_instant(t))
    }
    /// `field < t`.
    pub fn lt(field: impl Into<String>, t: DateTime<Utc>) -> Self {
        Criterion::new(field, Op::Lt, format_instant(t))
    }
}

impl Serialize for Criterion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut outer = s.serialize_map(Some(1))?;
        outer.serialize_entry(&self.field, &OpValue(self.op, &self.value))?;
        outer.end()
    }
}

struct OpValue<'a>(Op, &'a Value);

impl Serialize for OpValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.0.as_str(), self.1)?;
        m.end()
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// A search body.
///
/// ```
/// use kustomer_api::search::{Criterion, QueryContext, SearchQuery, SortOrder};
/// let t = "2024-03-01T10:00:00Z".parse().unwrap();
/// let q = SearchQuery::new(QueryContext::Conversation)
///     .and(Criterion::gte("conversation_updated_at", t))
///     .sort("conversation_updated_at", SortOrder::Asc)
///     .include_deleted(true);
/// assert_eq!(
///     serde_json::to_string(&q).unwrap(),
///     r#"{"and":[{"conversation_updated_at":{"gte":"2024-03-01T10:00:00.000Z"}}],"sort":[{"conversation_updated_at":"asc"}],"queryContext":"conversation","includeDeleted":true}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// All must hold.
    pub and: Vec<Criterion>,
    /// At least one must hold.
    pub or: Vec<Criterion>,
    /// None may hold.
    pub not: Vec<Criterion>,
    /// Sort fields, in priority order.
    pub sort: Vec<(String, SortOrder)>,
    /// What `data[]` holds.
    pub query_context: QueryContext,
    /// Include deleted records (with their `deleted` flag).
    pub include_deleted: bool,
    /// IANA time zone for date-only values.
    pub time_zone: Option<String>,
}

impl SearchQuery {
    /// An empty query over `ctx`.
    pub fn new(ctx: QueryContext) -> Self {
        SearchQuery {
            and: Vec::new(),
            or: Vec::new(),
            not: Vec::new(),
            sort: Vec::new(),
            query_context: ctx,
            include_deleted: false,
            time_zone: None,
        }
    }
    /// Adds an `and` criterion.
    pub fn and(mut self, c: Criterion) -> Self {
        self.and.push(c);
        self
    }
    /// Adds an `or` criterion.
    pub fn or(mut self, c: Criterion) -> Self {
        self.or.push(c);
        self
    }
    /// Adds a `not` criterion.
    pub fn not(mut self, c: Criterion) -> Self {
        self.not.push(c);
        self
    }
    /// Adds a sort field.
    pub fn sort(mut self, field: impl Into<String>, order: SortOrder) -> Self {
        self.sort.push((field.into(), order));
        self
    }
    /// Sets `includeDeleted`.
    pub fn include_deleted(mut self, yes: bool) -> Self {
        self.include_deleted = yes;
        self
    }
    /// Sets `timeZone`.
    pub fn time_zone(mut self, tz: impl Into<String>) -> Self {
        self.time_zone = Some(tz.into());
        self
    }
}

struct SortEntries<'a>(&'a [(String, SortOrder)]);

impl Serialize for SortEntries<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (field, order) in self.0 {
            let dir = match order {
                SortOrder::Asc => "asc",
                SortOrder::Desc => "desc",
            };
            seq.serialize_element(&serde_json::json!({ field: dir }))?;
        }
        seq.end()
    }
}

impl Serialize for SearchQuery {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if !self.and.is_empty() {
            m.serialize_entry("and", &self.and)?;
        }
        if !self.or.is_empty() {
            m.serialize_entry("or", &self.or)?;
        }
        if !self.not.is_empty() {
            m.serialize_entry("not", &self.not)?;
        }
        if !self.sort.is_empty() {
            m.serialize_entry("sort", &SortEntries(&self.sort))?;
        }
        m.serialize_entry("queryContext", self.query_context.as_str())?;
        if self.include_deleted {
            m.serialize_entry("includeDeleted", &true)?;
        }
        if let Some(tz) = &self.time_zone {
            m.serialize_entry("timeZone", tz)?;
        }
        m.end()
    }
}
