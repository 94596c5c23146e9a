//! The JSON:API envelope Kustomer wraps every response in (spec §2).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::ids::Id;
use crate::record::record;
use crate::value::{Count, Extra, Json, Key};

record! {
    /// The `links` of a relationship (`self`, sometimes `related`).
    pub struct RelationshipLinks {
        "self" => self_link: Option<String>,
        "related" => related: Option<String>,
    }
}

record! {
    /// A reference to another resource: `{"type": "user", "id": "…"}`.
    pub struct ResourceIdentifier {
        "type" => kind: Option<String>,
        "id" => id: Option<String>,
    }
}

/// The `data` of a relationship: one identifier (to-one) or several (to-many).
#[derive(Debug, Clone, PartialEq)]
pub enum RelationshipData {
    /// To-one.
    One(ResourceIdentifier),
    /// To-many (`userMentions`, `shortcuts`, `versions`).
    Many(Vec<ResourceIdentifier>),
}

impl<'de> Deserialize<'de> for RelationshipData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RelationshipData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a resource identifier or a list of them")
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                ResourceIdentifier::deserialize(de::value::MapAccessDeserializer::new(map)).map(RelationshipData::One)
            }
            fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Self::Value, S::Error> {
                Vec::<ResourceIdentifier>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(RelationshipData::Many)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for RelationshipData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RelationshipData::One(r) => r.serialize(s),
            RelationshipData::Many(v) => v.serialize(s),
        }
    }
}

impl crate::value::Scalar for RelationshipData {
    const TYPE: crate::table::LogicalType = crate::table::LogicalType::Json;
    fn into_cell(self) -> crate::cell::Cell {
        crate::cell::Cell::Json(serde_json::to_string(&self).unwrap_or_else(|_| "null".into()))
    }
}

record! {
    /// One relationship in any of its four shapes: to-one, to-many, link-only
    /// or data-only. A KObject's `klass` relationship uses a singular `link`
    /// key (spec §2 quirk); it is read into [`Relationship::link`].
    pub struct Relationship {
        "links" => links: Option<RelationshipLinks>,
        "link" => link: Option<RelationshipLinks>,
        "data" => data: Option<RelationshipData>,
        "meta" => meta: Option<Json>,
    }
}

impl Relationship {
    /// The id of a to-one relationship.
    pub fn id(&self) -> Option<&str> {
        match &self.data {
            Some(RelationshipData::One(r)) => r.id.as_deref(),
            _ => None,
        }
    }

    /// The ids of a to-many relationship (a to-one yields its single id).
    pub fn ids(&self) -> Vec<&str> {
        match &self.data {
            Some(RelationshipData::One(r)) => r.id.as_deref().into_iter().collect(),
            Some(RelationshipData::Many(v)) => v.iter().filter_map(|r| r.id.as_deref()).collect(),
            None => Vec::new(),
        }
    }

    /// The `self` link, whichever key (`links` or `link`) carried it.
    pub fn self_link(&self) -> Option<&str> {
        self.links
            .as_ref()
            .or(self.link.as_ref())
            .and_then(|l| l.self_link.as_deref())
    }
}

/// Relationships of a resource by name.
pub type Relationships = BTreeMap<String, Relationship>;

/// A relationship value of any shape: an object decodes as a [`Relationship`];
/// anything else (a bare id list seen in some payloads) is kept verbatim
/// under `extra["value"]` rather than failing the record.
struct LenientRelationship(Relationship);

impl LenientRelationship {
    fn other(value: serde_json::Value) -> Self {
        let mut rel = Relationship::default();
        rel.extra.insert("value".to_owned(), Json::from_value(&value));
        LenientRelationship(rel)
    }
}

impl<'de> Deserialize<'de> for LenientRelationship {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientRelationship;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a relationship")
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
                Relationship::deserialize(de::value::MapAccessDeserializer::new(map)).map(LenientRelationship)
            }
            fn visit_seq<S: SeqAccess<'de>>(self, seq: S) -> Result<Self::Value, S::Error> {
                let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(LenientRelationship::other(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LenientRelationship::other(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LenientRelationship::other(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LenientRelationship::other(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(LenientRelationship::other(v.into()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(LenientRelationship::other(v.into()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LenientRelationship::other(serde_json::Value::Null))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON:API resource object whose attributes are `A`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Resource<A> {
    /// `type`: `customer`, `conversation`, `kobject.order`, …
    pub kind: String,
    /// `id`.
    pub id: Id<A>,
    /// `attributes`.
    pub attributes: A,
    /// `relationships`.
    pub relationships: Relationships,
    /// `links` (`self`).
    pub links: Option<Json>,
    /// Top-level members this version does not model.
    pub extra: Extra,
}

impl<A: Default> Resource<A> {
    /// A resource with default attributes; mostly for tests and builders.
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Resource {
            kind: kind.into(),
            id: Id::new(id),
            attributes: A::default(),
            relationships: Relationships::new(),
            links: None,
            extra: Extra::new(),
        }
    }
}

impl<'de, A: Deserialize<'de> + Default> Deserialize<'de> for Resource<A> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<A>(std::marker::PhantomData<A>);
        impl<'de, A: Deserialize<'de> + Default> Visitor<'de> for V<A> {
            type Value = Resource<A>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON:API resource object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut kind = None;
                let mut id = None;
                let mut attributes = None;
                let mut relationships = None;
                let mut links = None;
                let mut extra = Extra::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        "type" => kind = Some(map.next_value::<String>()?),
                        "id" => id = Some(map.next_value::<Id<A>>()?),
                        "attributes" => attributes = Some(map.next_value::<A>()?),
                        "relationships" => {
                            let rels = map.next_value::<Option<BTreeMap<String, LenientRelationship>>>()?;
                            relationships = rels.map(|m| m.into_iter().map(|(k, v)| (k, v.0)).collect());
                        }
                        "links" => links = map.next_value::<Option<Json>>()?,
                        _ => {
                            let v: Json = map.next_value()?;
                            extra.insert(key.into_owned(), v);
                        }
                    }
                }
                Ok(Resource {
                    kind: kind.ok_or_else(|| de::Error::missing_field("type"))?,
                    id: id.ok_or_else(|| de::Error::missing_field("id"))?,
                    attributes: attributes.unwrap_or_default(),
                    relationships: relationships.unwrap_or_default(),
                    links,
                    extra,
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<A: Serialize> Serialize for Resource<A> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", &self.kind)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("attributes", &self.attributes)?;
        m.serialize_entry("relationships", &self.relationships)?;
        if let Some(l) = &self.links {
            m.serialize_entry("links", l)?;
        }
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

record! {
    /// The `links` of a list page. Links are relative paths with the full
    /// query string; `prev`/`next` are `null` at the ends.
    pub struct PageLinks {
        "self" => self_link: Option<String>,
        "first" => first: Option<String>,
        "prev" => prev: Option<String>,
        "next" => next: Option<String>,
        "last" => last: Option<String>,
    }
}

record! {
    /// The `meta` of a list page. Only `GET /v1/customers` and search carry
    /// `total`/`totalPages`; audit logs carry `count`/`total`/`cursorCount`.
    pub struct PageMeta {
        "pageSize" => page_size: Option<Count>,
        "page" => page: Option<Count>,
        "total" => total: Option<Count>,
        "totalPages" => total_pages: Option<Count>,
        "count" => count: Option<Count>,
        "cursorCount" => cursor_count: Option<Count>,
    }
}

/// One page of a list or search response.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The records.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// Paging links.
    #[serde(default)]
    pub links: PageLinks,
    /// Paging meta.
    #[serde(default)]
    pub meta: PageMeta,
    /// Side-loaded resources (`GET /v1/slas?versions=all`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included: Vec<Json>,
}

impl<T> Page<T> {
    /// Decodes the side-loaded resources of entity `E`: the `included[]` items
    /// whose `type` is `E`'s resource type (`sla_version` on
    /// `GET /v1/slas?versions=all`),
    /// in their order. Items of other types are skipped.
    pub fn included_of<E: crate::entity::Entity>(&self) -> Result<Vec<E>, crate::decode::DecodeError> {
        included_of(&self.included)
    }
}

/// The side-loaded resources among `included` whose `type` is `E`'s
/// resource type, in their order (a list's `included[]`, or a single
/// object's). Items of other types are skipped.
pub fn included_of<E: crate::entity::Entity>(included: &[Json]) -> Result<Vec<E>, crate::decode::DecodeError> {
    #[derive(Deserialize)]
    struct Kind {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    let want = E::schema().resource;
    let mut out = Vec::new();
    for item in included {
        let kind: Kind = crate::decode::decode(item.get().as_bytes())?;
        if kind.kind.as_deref() == Some(want) {
            out.push(crate::decode::decode(item.get().as_bytes())?);
        }
    }
    Ok(out)
}

/// A single-resource response: `{"data": {…}}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Single<T> {
    /// The resource.
    pub data: T,
}
