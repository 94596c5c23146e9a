//! Builders for JSON:API resource objects and the four relationship shapes (spec §2).

use serde_json::{json, Map, Value};

/// A to-one relationship: `{"links":{"self":path},"data":{"type","id"}}`.
pub(crate) fn to_one(kind: &str, id: &str, path: &str) -> Value {
    json!({"links": {"self": path}, "data": {"type": kind, "id": id}})
}

/// A to-one relationship to a user (`createdBy`, `modifiedBy`, `deletedBy`, …).
pub(crate) fn user(id: &str) -> Value {
    to_one("user", id, &format!("/v1/users/{id}"))
}

/// A to-many relationship: `{"data":[{"type","id"},…]}`.
pub(crate) fn to_many(kind: &str, ids: &[String]) -> Value {
    let data: Vec<Value> = ids.iter().map(|id| json!({"type": kind, "id": id})).collect();
    let mut rel = Map::new();
    rel.insert("data".into(), Value::Array(data));
    Value::Object(rel)
}

/// A link-only relationship: `{"links":{"self":path}}`.
pub(crate) fn link_only(path: &str) -> Value {
    json!({"links": {"self": path}})
}

/// A data-only relationship: `{"data":{"type","id"}}`.
pub(crate) fn data_only(kind: &str, id: &str) -> Value {
    json!({"data": {"type": kind, "id": id}})
}

/// A complete resource object.
pub(crate) fn resource(
    kind: &str,
    id: &str,
    attributes: Map<String, Value>,
    relationships: Map<String, Value>,
    self_path: &str,
) -> Value {
    // Built by hand: `json!` would deep-copy the maps through `to_value`.
    let mut links = Map::new();
    links.insert("self".into(), Value::from(self_path));
    let mut object = Map::new();
    object.insert("type".into(), Value::from(kind));
    object.insert("id".into(), Value::from(id));
    object.insert("attributes".into(), Value::Object(attributes));
    object.insert("relationships".into(), Value::Object(relationships));
    object.insert("links".into(), Value::Object(links));
    Value::Object(object)
}

/// `value.attributes`, if the value is a resource object.
pub(crate) fn attributes(value: &Value) -> Option<&Map<String, Value>> {
    value.get("attributes")?.as_object()
}

/// `value.attributes.<name>` as a string.
pub(crate) fn attr_str<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    attributes(value)?.get(name)?.as_str()
}

/// `value.relationships.<name>.data.id` of a to-one relationship.
pub(crate) fn related_id<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
    value.get("relationships")?.get(name)?.get("data")?.get("id")?.as_str()
}

/// `value.id`.
pub(crate) fn id(value: &Value) -> &str {
    value.get("id").and_then(Value::as_str).unwrap_or_default()
}

/// Whether a record is soft-deleted: `deleted: true`, or a `deletedAt` timestamp
/// (users carry only the latter).
pub(crate) fn is_deleted(value: &Value) -> bool {
    attributes(value).is_some_and(|a| {
        a.get("deleted").and_then(Value::as_bool).unwrap_or(false) || a.get("deletedAt").is_some_and(Value::is_string)
    })
}
