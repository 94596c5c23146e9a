//! Custom attribute metadata: the definitions of a resource's custom
//! attributes, from `GET /v1/metadata/{resource}`. The response is a single
//! resource whose `attributes.properties` maps each attribute name to its
//! definition; [`metadata_rows`] turns it into one row per attribute.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::cell::Cell;
use crate::decode::{decode, DecodeError};
use crate::entity::{EntitySchema, FlatRecord};
use crate::record::{record, Record};
use crate::table::{Column, LogicalType, TableDef, EXTRA_COLUMN};
use crate::value::{extra_cell, Json};

record! {
    /// One custom attribute's definition (`properties.<name>`).
    pub struct AttributeDefinition {
        "displayName" => display_name: Option<String>,
        /// The value type (`string`, `number`, …); column `attribute_type`.
        "type" as "attribute_type" => kind: Option<String>,
        "array" => array: Option<bool>,
        /// The allowed values of an enumerated attribute (a list, or a flag).
        "enumeration" => enumeration: Option<Json>,
        "multi" => multi: Option<bool>,
        /// The options of a tree attribute.
        "tree" => tree: Option<Json>,
        "lastNodeRequired" => last_node_required: Option<bool>,
        /// The klass a reference attribute points to.
        "target" => target: Option<String>,
        "hasSensitiveAttributes" => has_sensitive_attributes: Option<bool>,
        "modifiedBy" => modified_by: Option<String>,
        "deletedBy" => deleted_by: Option<String>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
}

/// The `custom_attribute_metadata` table: `id` (`"{resource}.{name}"`),
/// `resource`, `name`, the [`AttributeDefinition`] columns and `_extra`.
pub fn custom_attribute_metadata_schema() -> &'static EntitySchema {
    static SCHEMA: OnceLock<EntitySchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut columns = vec![
            Column::required("id", LogicalType::Text)
                .with_doc("`{resource}.{name}`: the attribute's resource and API name")
                .with_source("(sync)"),
            Column::new("resource", LogicalType::Text)
                .with_doc("The resource the attribute belongs to (`customer`, `kobject.order`, …)")
                .with_source("the path: /v1/metadata/{resource}"),
            Column::new("name", LogicalType::Text)
                .with_doc("The attribute's API name (`totalSpentNum`): its column is `custom_<snake_case name>`")
                .with_source("attributes.properties key"),
        ];
        columns.extend(
            AttributeDefinition::columns()
                .into_iter()
                .map(|c| crate::docs::under("attributes.properties.*", c)),
        );
        columns.push(
            Column::new(EXTRA_COLUMN, LogicalType::Json)
                .with_doc("Fields of the definition this version does not model, as JSON")
                .with_source("attributes.properties.* (other fields)"),
        );
        EntitySchema {
            resource: "metadata",
            table: TableDef {
                name: "custom_attribute_metadata".into(),
                columns,
                primary_key: vec!["id".into()],
                parent: None,
            },
            children: Vec::new(),
            doc: "Definitions of the org's custom attributes, one row per attribute of each resource and klass".into(),
            child_docs: Vec::new(),
        }
    })
}

#[derive(Deserialize)]
struct Body {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    attributes: Option<Attributes>,
}

#[derive(Deserialize)]
struct Attributes {
    #[serde(default)]
    properties: Option<BTreeMap<String, AttributeDefinition>>,
}

/// Rows of `custom_attribute_metadata` from a `GET /v1/metadata/{resource}`
/// body: one per attribute, sorted by name, with id `"{resource}.{name}"`.
/// Unknown keys of a definition land in its `_extra`; members of the response
/// other than `attributes.properties` (resource-level flags) are not tabled.
pub fn metadata_rows(resource: &str, body: &[u8]) -> Result<Vec<FlatRecord>, DecodeError> {
    let body: Body = decode(body)?;
    let properties = body.data.attributes.and_then(|a| a.properties).unwrap_or_default();
    let width = custom_attribute_metadata_schema().table.columns.len();
    Ok(properties
        .into_iter()
        .map(|(name, definition)| {
            let id = format!("{resource}.{name}");
            let mut row = Vec::with_capacity(width);
            row.push(Cell::Text(id.clone()));
            row.push(Cell::Text(resource.to_owned()));
            row.push(Cell::Text(name));
            let extra = definition.push_cells(&mut row);
            row.push(extra_cell(&extra));
            FlatRecord {
                id,
                row,
                children: Vec::new(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"data":{"type":"metadata","id":"5f8481c6a22ab5b9d5f2dd8a",
        "attributes":{"properties":{
            "shopifyCustomerIdNum":{"type":"number","displayName":"Shopify customer id"},
            "loyaltyTierStr":{"type":"string","displayName":"Loyalty tier","enumeration":["gold","silver"],
                "modifiedBy":"5cb5e5a780b7e30014e4b6c3","modifiedAt":"2024-02-01T10:00:00.000Z",
                "updatedAt":"2024-02-01T10:00:00.000Z","hasSensitiveAttributes":false,"icon":"star"},
            "ordersId":{"type":"string","target":"kobject.order","multi":true,"array":true,
                "deletedAt":"2024-03-01T00:00:00.000Z","deletedBy":"5cb5e5a780b7e30014e4b6c3"}}},
        "relationships":{"org":{"data":{"type":"org","id":"5f8481c6a22ab5b9d5f2dd8a"}}}}}"#;

    fn cell<'a>(row: &'a [Cell], name: &str) -> &'a Cell {
        &row[custom_attribute_metadata_schema().table.column_index(name).unwrap()]
    }

    #[test]
    fn one_row_per_attribute() {
        let rows = metadata_rows("customer", BODY.as_bytes()).unwrap();
        let ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "customer.loyaltyTierStr",
                "customer.ordersId",
                "customer.shopifyCustomerIdNum"
            ]
        );
        let width = custom_attribute_metadata_schema().table.columns.len();
        assert!(rows.iter().all(|r| r.row.len() == width && r.children.is_empty()));
        let tier = &rows[0].row;
        assert_eq!(cell(tier, "resource"), &Cell::Text("customer".into()));
        assert_eq!(cell(tier, "name"), &Cell::Text("loyaltyTierStr".into()));
        assert_eq!(cell(tier, "attribute_type"), &Cell::Text("string".into()));
        assert_eq!(cell(tier, "enumeration"), &Cell::Json(r#"["gold","silver"]"#.into()));
        assert_eq!(cell(tier, "has_sensitive_attributes"), &Cell::Bool(false));
        assert_eq!(cell(tier, "_extra"), &Cell::Json(r#"{"icon":"star"}"#.into()));
        let orders = &rows[1].row;
        assert_eq!(cell(orders, "target"), &Cell::Text("kobject.order".into()));
        assert_eq!(cell(orders, "multi"), &Cell::Bool(true));
        assert!(matches!(cell(orders, "deleted_at"), Cell::Timestamp(_)));
        assert!(cell(&rows[2].row, "_extra").is_null());
    }

    #[test]
    fn empty_and_bad_bodies() {
        let rows = metadata_rows("company", br#"{"data":{"type":"metadata","id":"x","attributes":{}}}"#).unwrap();
        assert!(rows.is_empty());
        // A value of the wrong type is kept in `_extra`, not an error.
        let rows = metadata_rows(
            "company",
            br#"{"data":{"attributes":{"properties":{"aStr":{"array":"yes"}}}}}"#,
        )
        .unwrap();
        assert_eq!(rows[0].row.last(), Some(&Cell::Json(r#"{"array":"yes"}"#.into())));
        // Malformed JSON is an error naming where.
        let e = metadata_rows(
            "company",
            br#"{"data":{"attributes":{"properties":{"aStr":{"array":tru}}}}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "data.attributes.properties.aStr.array");
    }
}
