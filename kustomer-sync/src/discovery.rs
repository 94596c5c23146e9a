//! Discovery: what this org has beyond the fixed catalogue — its klasses and
//! its custom attributes — read at the start of every run, so a klass or an
//! attribute created between two syncs gets its table or column on the next.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use futures::TryStreamExt;
use kustomer_api::Client;
use kustomer_models::{snake_case, Klass};
use serde_json::Value;

use crate::custom_columns::CustomColumns;
use crate::error::SyncError;

/// One klass and its table.
#[derive(Debug)]
pub(crate) struct KlassTable {
    /// The klass name (`shopify-orders`).
    pub klass: String,
    /// Its table (`kobject_shopify_orders`).
    pub table: String,
    /// Its custom attributes as columns.
    pub custom: Arc<CustomColumns>,
}

/// What a run discovered: the org's klasses and custom attributes. Opaque
/// outside the crate; [`crate::streams::StreamDef::tables`] takes one
/// (`Discovery::default()`: no klasses, no custom columns).
#[derive(Debug, Default)]
pub struct Discovery {
    /// Custom attribute names per resource (`customer`, `conversation`, …).
    pub(crate) custom: BTreeMap<String, Vec<String>>,
    /// Klasses, sorted by name.
    pub(crate) klasses: Vec<KlassTable>,
    /// Each resource's attributes' `displayName` (resource → attribute →
    /// name), for the columns' comments.
    pub(crate) labels: BTreeMap<String, BTreeMap<String, String>>,
}

/// Table names for klasses: `kobject_` + the sanitised name. Names that
/// sanitise alike are told apart deterministically: sorted by klass name,
/// the first keeps the plain name and the others get `_2`, `_3`, ….
pub(crate) fn klass_table_names(klasses: &[String]) -> Vec<(String, String)> {
    let mut sorted: Vec<&String> = klasses.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut used = HashSet::new();
    sorted
        .into_iter()
        .map(|k| {
            let base = format!("kobject_{}", snake_case(k));
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            (k.clone(), name)
        })
        .collect()
}

/// A resource's live attributes, with their `displayName` when they have one.
async fn metadata_names(client: &Client, resource: &str) -> Result<Vec<(String, Option<String>)>, SyncError> {
    let v: Value = client.get_one(&format!("/v1/metadata/{resource}")).await?;
    let props = v.pointer("/attributes/properties").and_then(Value::as_object);
    Ok(props
        .map(|p| {
            p.iter()
                // An attribute deleted from the org's schema gets no new column.
                .filter(|(_, d)| d.get("deletedAt").is_none_or(Value::is_null))
                .map(|(k, d)| {
                    let label = d.get("displayName").and_then(Value::as_str).map(str::to_owned);
                    (k.clone(), label)
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Splits attributes into their names and their labels.
fn split_labels(found: Vec<(String, Option<String>)>) -> (Vec<String>, BTreeMap<String, String>) {
    let labels = (found.iter())
        .filter_map(|(k, l)| Some((k.clone(), l.clone()?)))
        .collect();
    (found.into_iter().map(|(k, _)| k).collect(), labels)
}

impl Discovery {
    /// Reads custom-attribute metadata for `resources` and, when `klasses` is
    /// set, every klass and its attributes. What the token may not read is
    /// skipped with a warning (its values stay in the `custom` JSON column);
    /// a 401 is an error.
    pub(crate) async fn discover(client: &Client, resources: &[&str], klasses: bool) -> Result<Discovery, SyncError> {
        // Every request at once: read one after another, these small
        // requests idled the budget for the first second or two of a run.
        let metadata = futures::future::join_all(resources.iter().map(|r| metadata_names(client, r)));
        let listing = async {
            if !klasses {
                return Ok(Vec::new());
            }
            let pages: Result<Vec<_>, _> = client.list::<Klass>("/v1/klasses", 100).try_collect().await;
            match pages {
                Ok(pages) => Ok(pages
                    .into_iter()
                    .flat_map(|p| p.data)
                    .filter_map(|k| k.attributes.name.clone())
                    .collect()),
                Err(e) if e.is_unauthorized() => Err(SyncError::from(e)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list klasses; no kobject_<klass> tables this run");
                    Ok(Vec::new())
                }
            }
        };
        let (metadata, names) = futures::future::join(metadata, listing).await;
        let mut d = Discovery::default();
        for (r, found) in resources.iter().zip(metadata) {
            match found {
                Ok(found) => {
                    let (names, labels) = split_labels(found);
                    d.custom.insert((*r).to_owned(), names);
                    d.labels.insert((*r).to_owned(), labels);
                }
                Err(e) if e.is_unauthorized() => return Err(e),
                Err(e) => {
                    tracing::warn!(resource = r, error = %e, "no custom-attribute metadata; custom values stay in the `custom` JSON column")
                }
            }
        }
        let tables = klass_table_names(&names?);
        let attrs = futures::future::join_all(
            tables
                .iter()
                .map(|(klass, _)| async move { metadata_names(client, &format!("kobject.{klass}")).await }),
        )
        .await;
        let taken: HashSet<String> = KLASS_TABLE_FIXED.iter().map(|s| (*s).to_owned()).collect();
        for ((klass, table), found) in tables.into_iter().zip(attrs) {
            let (attrs, labels) = match found {
                Ok(a) => split_labels(a),
                Err(e) if e.is_unauthorized() => return Err(e),
                Err(e) => {
                    tracing::warn!(klass, error = %e, "no metadata for klass; its custom values stay in JSON");
                    Default::default()
                }
            };
            d.klasses.push(KlassTable {
                klass,
                table,
                custom: Arc::new(CustomColumns::new(attrs, &taken).with_labels(Some(&labels))),
            });
        }
        Ok(d)
    }

    /// Custom columns of a resource, avoiding the table's own column names.
    pub(crate) fn custom_columns(&self, resource: &str, taken: &HashSet<String>) -> Option<CustomColumns> {
        self.custom
            .get(resource)
            .map(|names| CustomColumns::new(names.iter().cloned(), taken).with_labels(self.labels.get(resource)))
    }
}

/// The columns a `kobject_<klass>` table copies from `kobjects`, before the
/// klass's custom columns.
pub(crate) const KLASS_TABLE_FIXED: &[&str] = &[
    "id",
    "klass_name",
    "customer_id",
    "company_id",
    "external_id",
    "title",
    "description",
    "created_at",
    "updated_at",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn klass_names_are_sanitised_and_collisions_resolved() {
        let names: Vec<String> = ["shopify-orders", "order", "shopify_orders", "acme_app.loyalty-card"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            klass_table_names(&names),
            vec![
                (
                    "acme_app.loyalty-card".to_owned(),
                    "kobject_acme_app_loyalty_card".to_owned()
                ),
                ("order".to_owned(), "kobject_order".to_owned()),
                ("shopify-orders".to_owned(), "kobject_shopify_orders".to_owned()),
                ("shopify_orders".to_owned(), "kobject_shopify_orders_2".to_owned()),
            ]
        );
    }
}
