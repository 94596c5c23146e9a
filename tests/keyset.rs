//! Keyset streams against the simulator, whose search orders records that
//! share an `updatedAt` differently for every query (as the real API may).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kustomer::api::search::QueryContext;
use kustomer::models::{Conversation, Entity, Message};
use kustomer::sync::{keyset_stream, Bookmark, KeysetOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use support::sim_client;

fn config() -> SimConfig {
    SimConfig {
        size: OrgSize {
            conversations: 400,
            messages: 900,
            ..OrgSize::tiny()
        },
        ..SimConfig::default()
    }
}

fn opts(ctx: QueryContext, page_size: u32) -> KeysetOptions {
    KeysetOptions::new(ctx).page_size(page_size)
}

#[tokio::test]
async fn nothing_is_requested_before_the_first_poll() {
    let sim = Simulator::start(config()).await.unwrap();
    let stream = keyset_stream::<Conversation>(
        sim_client(&sim),
        opts(QueryContext::Conversation, 50),
        Bookmark::default(),
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sim.stats().requests, 0);
    let mut stream = std::pin::pin!(stream);
    stream.next().await.unwrap().unwrap();
    assert!(sim.stats().requests >= 1);
}

#[tokio::test]
async fn every_record_once_at_any_page_size() {
    let sim = Simulator::start(config()).await.unwrap();
    let want: BTreeSet<String> = sim.with_org(|o| o.ids(Kind::Message)).into_iter().collect();
    for page_size in [7, 50, 500] {
        let batches: Vec<_> = keyset_stream::<Message>(
            sim_client(&sim),
            opts(QueryContext::Message, page_size),
            Bookmark::default(),
        )
        .try_collect()
        .await
        .unwrap();
        let ids: Vec<String> = batches
            .iter()
            .flat_map(|b| b.records.iter().map(|r| r.id().to_owned()))
            .collect();
        let unique: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(ids.len(), unique.len(), "duplicates at page size {page_size}");
        assert_eq!(unique, want, "page size {page_size}");
    }
}

#[tokio::test]
async fn resumes_from_any_bookmark_without_loss_or_duplicates() {
    let sim = Simulator::start(config()).await.unwrap();
    let want: BTreeSet<String> = sim.with_org(|o| o.ids(Kind::Message)).into_iter().collect();
    let mut seen = Vec::new();
    let mut bookmark = Bookmark::default();
    // Stop after every third batch and resume from the stored bookmark.
    loop {
        let text = bookmark.to_json();
        let resumed = Bookmark::from_json(&text).unwrap();
        let mut stream = std::pin::pin!(keyset_stream::<Message>(
            sim_client(&sim),
            opts(QueryContext::Message, 11),
            resumed
        ));
        let mut taken = 0;
        let mut ended = true;
        while let Some(batch) = stream.try_next().await.unwrap() {
            seen.extend(batch.records.iter().map(|r| r.id().to_owned()));
            bookmark = batch.bookmark;
            taken += 1;
            if taken == 3 {
                ended = false;
                break;
            }
        }
        if ended {
            break;
        }
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len());
    assert_eq!(unique, want);
}

#[tokio::test]
async fn records_changing_while_paging_are_all_read_at_their_newest() {
    let sim = Simulator::start(config()).await.unwrap();
    let mut stream = std::pin::pin!(keyset_stream::<Conversation>(
        sim_client(&sim),
        opts(QueryContext::Conversation, 13),
        Bookmark::default()
    ));
    let mut latest: BTreeMap<String, Option<chrono::DateTime<chrono::Utc>>> = BTreeMap::new();
    let mut n = 0;
    let mut bookmark = Bookmark::default();
    while let Some(batch) = stream.try_next().await.unwrap() {
        for r in &batch.records {
            latest.insert(r.id().to_owned(), r.updated_at());
        }
        bookmark = batch.bookmark;
        n += 1;
        if n % 3 == 0 {
            // Move some records (read or not yet read) to the end of the order.
            sim.with_org(|o| {
                let ids = o.ids(Kind::Conversation);
                for id in ids.iter().skip(n).step_by(37).take(3) {
                    o.touch(Kind::Conversation, id);
                }
            });
        }
    }
    // Changes made after the stream caught up are the next run's: read them
    // from the bookmark, as the next sync would.
    let rest: Vec<_> = keyset_stream::<Conversation>(sim_client(&sim), opts(QueryContext::Conversation, 13), bookmark)
        .try_collect()
        .await
        .unwrap();
    for r in rest.iter().flat_map(|b| b.records.iter()) {
        latest.insert(r.id().to_owned(), r.updated_at());
    }
    let truth: BTreeMap<String, Option<chrono::DateTime<chrono::Utc>>> = sim.with_org(|o| {
        o.records(Kind::Conversation)
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap().to_owned();
                let at = r["attributes"]["updatedAt"].as_str().map(|s| s.parse().unwrap());
                (id, at)
            })
            .collect()
    });
    assert_eq!(latest, truth);
}
