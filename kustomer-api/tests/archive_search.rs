//! `Client::archive_search_page` against the simulator: it reaches the records
//! search's two-year window leaves out, thin, on the search budget.

use std::collections::BTreeSet;

use kustomer_api::search::{QueryContext, SearchQuery, SortOrder};
use kustomer_api::{Client, Error};
use kustomer_models::Page;
use kustomer_sim::{Kind, SimConfig, Simulator};
use serde_json::Value;

fn client(sim: &Simulator) -> Client {
    Client::builder()
        .token(sim.token())
        .base_url(sim.base_url())
        .build()
        .unwrap()
}

fn ids(page: &Page<Value>) -> BTreeSet<String> {
    page.data.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn archive_search_reads_what_search_cannot() {
    let sim = Simulator::start(SimConfig::five_years()).await.unwrap();
    let c = client(&sim);
    let query = SearchQuery::new(QueryContext::Customer)
        .sort("customer_updated_at", SortOrder::Asc)
        .include_deleted(true);
    let recent: Page<Value> = c.search_page(&query, 1, 500).await.unwrap();
    let old: Page<Value> = c.archive_search_page(&query, 1, 500).await.unwrap();
    let all = sim.with_org(|o| o.records(Kind::Customer).len());
    assert!(!old.data.is_empty());
    assert_eq!(recent.data.len() + old.data.len(), all);
    assert!(ids(&recent).is_disjoint(&ids(&old)));
    assert_eq!(old.meta.total.map(|t| t.0), Some(old.data.len() as i64));
    assert!(old.links.next.is_none());
    for record in &old.data {
        assert!(record.get("relationships").is_none());
        assert!(record["attributes"].get("custom").is_none());
        assert!(record["attributes"]["updatedAt"].is_string());
    }

    let paged: Page<Value> = c.archive_search_page(&query, 2, 1).await.unwrap();
    assert_eq!(paged.data.len(), 1);
    assert_eq!(
        paged.links.next.as_deref(),
        Some("/v1/customers/archive/search?page=3&pageSize=1")
    );
    let past_cap = c.archive_search_page::<Value>(&query, 101, 1).await;
    assert!(matches!(past_cap, Err(Error::Api { status: 404, .. })), "{past_cap:?}");

    let stats = sim.stats();
    assert_eq!(stats.search_requests, 4);
    assert_eq!(stats.by_family["POST /v1/customers/archive/search"], 3);
    assert_eq!(c.stats().search_requests, 4);
    sim.shutdown().await;
}
