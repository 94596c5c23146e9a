//! The endpoints served from named collections (configuration lists, metadata,
//! audit logs, per-conversation and per-customer detail), over HTTP.

use std::collections::BTreeSet;

use kustomer_sim::{Kind, SimConfig, Simulator};
use reqwest::StatusCode;
use serde_json::{json, Value};

mod common;

use common::get;

/// Follows `links.next` from `path`, returning every `data` item.
async fn walk(sim: &Simulator, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(p) = next {
        let (status, body) = get(sim, &p).await;
        assert_eq!(status, StatusCode::OK, "{p}: {body}");
        out.extend(body["data"].as_array().expect("data array").iter().cloned());
        next = body["links"]["next"].as_str().map(str::to_owned);
    }
    out
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().map(|v| v["id"].as_str().unwrap()).collect()
}

async fn tiny() -> Simulator {
    Simulator::start(SimConfig::tiny()).await.expect("start")
}

/// `(table, path, type)` of every paged configuration list.
const PAGED: &[(&str, &str, &str)] = &[
    ("brands", "/v1/brands", "brand"),
    ("business_schedules", "/v1/schedules", "schedule"),
    ("slas", "/v1/slas", "sla"),
    ("satisfactions", "/v1/satisfaction", "satisfaction"),
    ("spam_senders", "/v1/spam/senders", "sender"),
    ("auth_tokens", "/v1/auth/tokens", "auth_token"),
    ("queues", "/v1/routing/queues", "queue"),
    ("team_routing_settings", "/v1/routing/settings", "routing_setting"),
    ("routing_queue_rules", "/v1/routing/queue-rules", "queue_rule"),
    ("routing_statuses", "/v1/routing/statuses", "routing_status"),
    ("routing_work_items", "/v1/routing/work-items", "work_item"),
    ("work_sessions", "/v1/routing/work-sessions", "work_session"),
    ("cards", "/v1/cards", "card"),
    ("shortcut_categories", "/v1/shortcuts/categories", "shortcut_category"),
    ("notifications", "/v1/notifications", "notification"),
    ("snoozes", "/v1/snoozes", "snooze"),
    ("assistants", "/v1/assistants", "assistant"),
    ("apps", "/v1/apps", "app"),
    ("settings", "/v1/settings", "setting"),
    ("snippets", "/v1/snippets", "snippet"),
    ("customer_searches", "/v1/customers/searches", "search"),
    (
        "customer_searches_pinned",
        "/v1/customers/searches/pinned",
        "search_pin",
    ),
    ("hooks_email", "/v1/hooks/email", "email_hook"),
    ("hooks_web", "/v1/hooks/web", "web_hook"),
    ("kviews", "/v1/kviews", "kview"),
    ("outbound_webhooks", "/v1/outbound-webhooks", "outbound_webhook"),
    (
        "outbound_webhook_transactions",
        "/v1/outbound-webhooks/transactions",
        "outbound_webhook_transaction",
    ),
    ("kb_articles", "/v1/kb/articles", "kb_article"),
    ("kb_categories", "/v1/kb/categories", "kb_category"),
    ("kb_forms", "/v1/kb/forms", "kb_form"),
    ("kb_routes", "/v1/kb/routes", "kb_route"),
    ("kb_tags", "/v3/kb/tags", "kb_tag"),
    ("kb_templates", "/v3/kb/templates", "kb_template"),
    ("kb_themes", "/v3/kb/themes", "kb_theme"),
];

#[tokio::test]
async fn every_configuration_list_pages_like_the_other_lists() {
    let sim = tiny().await;
    for &(table, path, ty) in PAGED {
        let want: Vec<Value> = sim.with_org(|o| o.collection(table));
        assert!(!want.is_empty(), "{table} is empty");
        let (_, first) = get(&sim, &format!("{path}/?pageSize=2")).await;
        assert_eq!(first["meta"], json!({"pageSize": 2, "page": 1}), "{path}");
        assert_eq!(first["links"]["self"], format!("{path}?page=1&pageSize=2"));
        assert_eq!(first["links"]["prev"], Value::Null);
        let served = walk(&sim, &format!("{path}?pageSize=2")).await;
        assert_eq!(served, want, "{path} serves the collection");
        for v in &served {
            assert_eq!(v["type"], ty, "{path}");
            assert_eq!(v["id"].as_str().unwrap().len(), 24, "{path}");
            assert!(v["relationships"]["org"]["data"]["id"].is_string(), "{path}");
        }
        let (_, clamped) = get(&sim, &format!("{path}?pageSize=5000")).await;
        assert_eq!(clamped["meta"]["pageSize"], 100, "{path}");
    }
    // Records with links are served by id; brands and schedules have a default.
    let brand = sim.with_org(|o| o.collection("brands")[1].clone());
    let (status, one) = get(&sim, brand["links"]["self"].as_str().unwrap()).await;
    assert_eq!((status, &one["data"]), (StatusCode::OK, &brand));
    let (_, default) = get(&sim, "/v1/brands/default").await;
    assert_eq!(default["data"]["attributes"]["default"], true);
    let (status, _) = get(&sim, "/v1/routing/queues/000000000000000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Cards carry their contexts; time stamps follow the references.
    let cards = sim.with_org(|o| o.collection("cards"));
    assert!(cards
        .iter()
        .any(|c| c["attributes"]["contexts"].as_array().unwrap().len() > 1));
    for c in &cards {
        for k in ["createdAt", "updatedAt", "modifiedAt"] {
            assert!(c["attributes"][k].is_string(), "cards {k}");
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn odd_shapes_single_unpaged_bare_and_event_names() {
    let sim = tiny().await;
    let (_, accounts) = get(&sim, "/v1/outboundAccounts?page=2&pageSize=1").await;
    assert_eq!(accounts["meta"], json!({}));
    assert_eq!(accounts["links"], json!({"self": "/v1/outboundAccounts"}));
    let accounts = accounts["data"].as_array().unwrap();
    assert_eq!(accounts.len(), 4, "paging parameters are ignored");
    for a in accounts {
        assert_eq!(a["type"], "outbound_account");
        assert!(a.get("id").is_none(), "outbound accounts have no id");
        assert!(a["attributes"]["account"].is_string());
    }
    let (_, roles) = get(&sim, "/v1/auth/roles").await;
    assert_eq!(roles.as_object().unwrap().keys().collect::<Vec<_>>(), ["data"]);
    assert!(roles["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == &json!({"type": "role", "id": "org.user.read"})));
    for (path, ty) in [
        ("/v1/auth/customer/settings", "customer_settings"),
        ("/v1/chat/settings", "chat_settings"),
        ("/v1/customers/searches/positions", "search_positions"),
    ] {
        let (status, body) = get(&sim, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body["data"]["type"], ty, "{path}");
        assert!(body["data"]["attributes"].is_object(), "{path}");
    }
    let (_, tokens) = get(&sim, "/v1/auth/tokens").await;
    for t in tokens["data"].as_array().unwrap() {
        assert_eq!(t["attributes"]["lastTokenChars"].as_str().unwrap().len(), 4);
        assert!(t["attributes"].get("token").is_none(), "never a token secret");
    }
    let (_, events) = get(&sim, "/v1/outbound-webhooks/events").await;
    assert_eq!(events.as_object().unwrap().keys().collect::<Vec<_>>(), ["events"]);
    assert_eq!(events["events"].as_array().unwrap().len(), 12);
    assert!(events["events"]
        .as_array()
        .unwrap()
        .contains(&json!("kustomer.conversation.update")));
    sim.shutdown().await;
}

#[tokio::test]
async fn slas_side_load_versions_and_schedules_holidays() {
    let sim = tiny().await;
    let (_, plain) = get(&sim, "/v1/slas").await;
    assert!(plain.get("included").is_none());
    let (_, all) = get(&sim, "/v1/slas?versions=all").await;
    assert_eq!(all["links"]["self"], "/v1/slas?page=1&pageSize=100&versions=all");
    let included = all["included"].as_array().unwrap();
    let want = sim.with_org(|o| o.collection("sla_versions").len());
    assert_eq!(included.len(), want);
    let mut referenced = BTreeSet::new();
    for sla in all["data"].as_array().unwrap() {
        assert!(sla["attributes"]["currentVersion"].is_u64());
        assert!(sla["attributes"]["createdAt"].is_string());
        for v in sla["relationships"]["versions"]["data"].as_array().unwrap() {
            assert_eq!(v["type"], "sla_version");
            referenced.insert(v["id"].as_str().unwrap().to_owned());
        }
    }
    for v in included {
        assert_eq!(v["type"], "sla_version");
        assert!(referenced.contains(v["id"].as_str().unwrap()));
        assert!(
            !v["attributes"]["criteria"]["and"].as_array().unwrap().is_empty(),
            "criteria list"
        );
        assert!(v["relationships"]["sla"]["data"]["id"].is_string());
    }
    let (_, active) = get(&sim, "/v1/slas?versions=active").await;
    let active = active["included"].as_array().unwrap();
    assert_eq!(
        active.len(),
        all["data"].as_array().unwrap().len(),
        "one current version per SLA"
    );
    // Conversations reference real SLAs and versions.
    let conv_sla = sim.with_org(|o| {
        (o.live_records(Kind::Conversation).into_iter()).find_map(|c| {
            c["relationships"]["slaVersion"]["data"]["id"]
                .as_str()
                .map(str::to_owned)
        })
    });
    assert!(referenced.contains(&conv_sla.expect("some conversation has an SLA")));
    let sla_id = all["data"][0]["id"].as_str().unwrap();
    let (_, one) = get(&sim, &format!("/v1/slas/{sla_id}?versions=all")).await;
    assert_eq!(one["data"]["id"], sla_id);
    assert!(!one["included"].as_array().unwrap().is_empty());

    // Holidays come with one schedule (`/v1/schedules/{id}`, `/default`), not with
    // the list, where `include=holidays` is not documented.
    let (status, schedules) = get(&sim, "/v1/schedules?include=holidays").await;
    assert_eq!(status, StatusCode::OK);
    assert!(schedules.get("included").is_none(), "the list ignores include");
    let (_, default) = get(&sim, "/v1/schedules/default?include=holidays").await;
    assert_eq!(default["data"]["attributes"]["default"], true);
    let default_id = default["data"]["id"].as_str().unwrap();
    let holidays = default["included"].as_array().unwrap();
    assert!(!holidays.is_empty());
    assert_eq!(
        holidays.len(),
        sim.with_org(|o| o.collection_for("holidays", default_id).len())
    );
    for h in holidays {
        assert_eq!(h["type"], "holiday");
        assert_eq!(h["relationships"]["schedule"]["data"]["id"], default_id);
    }
    for s in schedules["data"].as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        let (status, one) = get(&sim, &format!("/v1/schedules/{id}?include=holidays")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["data"], *s);
        let included = one["included"].as_array().unwrap();
        assert_eq!(included.len(), sim.with_org(|o| o.collection_for("holidays", id).len()));
        assert!(included
            .iter()
            .all(|h| h["relationships"]["schedule"]["data"]["id"] == id));
        let (_, plain) = get(&sim, &format!("/v1/schedules/{id}")).await;
        assert!(plain.get("included").is_none());
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn audit_logs_page_by_cursor_newest_first() {
    let sim = tiny().await;
    let want: Vec<Value> = sim.with_org(|o| o.collection("audit_logs"));
    assert!(want.len() >= 50);
    let created: Vec<&str> = want
        .iter()
        .map(|v| v["attributes"]["createdAt"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let (_, first) = get(&sim, "/v1/audit-logs?count=7").await;
    assert_eq!(
        first["meta"],
        json!({"count": 7, "total": want.len(), "cursorCount": want.len()})
    );
    assert_eq!(first["links"]["self"], "/v1/audit-logs?count=7");
    assert_eq!(first["links"]["first"], "/v1/audit-logs?count=7");
    assert_eq!(first["links"]["prev"], Value::Null);
    let last_id = first["data"][6]["id"].as_str().unwrap();
    assert_eq!(
        first["links"]["next"],
        format!("/v1/audit-logs?count=7&before={last_id}")
    );

    // Following `next` visits every entry once, newest first, and ends with null.
    let served = walk(&sim, "/v1/audit-logs?count=7").await;
    assert_eq!(served, want);
    // `prev` from the second page leads back to the first.
    let next = first["links"]["next"].as_str().unwrap();
    let (_, second) = get(&sim, next).await;
    assert_eq!(second["meta"]["cursorCount"], want.len() - 7);
    let first_of_second = second["data"][0]["id"].as_str().unwrap();
    assert_eq!(
        second["links"]["prev"],
        format!("/v1/audit-logs?count=7&after={first_of_second}")
    );
    let (_, back) = get(&sim, second["links"]["prev"].as_str().unwrap()).await;
    assert_eq!(back["data"], first["data"]);

    let (_, default) = get(&sim, "/v1/audit-logs").await;
    assert_eq!(default["meta"]["count"], 100);
    let (_, clamped) = get(&sim, "/v1/audit-logs?count=5000").await;
    assert_eq!(clamped["meta"]["count"], 1000);
    assert_eq!(clamped["links"]["next"], Value::Null);

    // Filters: object type (plus `include`), object id, date range; links keep them.
    let (_, convs) = get(&sim, "/v1/audit-logs?count=5&filter%5BobjectType%5D=conversation").await;
    let n_conv = want
        .iter()
        .filter(|v| v["attributes"]["objectType"] == "conversation")
        .count();
    assert_eq!(convs["meta"]["total"], n_conv);
    assert!(convs["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["attributes"]["objectType"] == "conversation"));
    assert!(convs["links"]["next"]
        .as_str()
        .unwrap()
        .contains("filter%5BobjectType%5D=conversation&before="));
    let (_, both) = get(
        &sim,
        "/v1/audit-logs?filter[objectType]=conversation&filter[include]=customer",
    )
    .await;
    let n_cust = want
        .iter()
        .filter(|v| v["attributes"]["objectType"] == "customer")
        .count();
    assert_eq!(both["meta"]["total"], n_conv + n_cust);
    let entry = &want[3];
    let (oid, oty) = (
        entry["attributes"]["objectId"].as_str().unwrap(),
        entry["attributes"]["objectType"].as_str().unwrap(),
    );
    let (_, by_object) = get(
        &sim,
        &format!("/v1/audit-logs?filter[objectType]={oty}&filter[objectId]={oid}"),
    )
    .await;
    assert!(ids(by_object["data"].as_array().unwrap()).contains(&entry["id"].as_str().unwrap()));
    let (status, _) = get(&sim, &format!("/v1/audit-logs?filter[objectId]={oid}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "objectId needs objectType");
    let (start, end) = (created[created.len() - 1], created[created.len() / 2]);
    let (_, ranged) = get(
        &sim,
        &format!("/v1/audit-logs?count=1000&filter[start]={start}&filter[end]={end}"),
    )
    .await;
    let expect = created.iter().filter(|c| **c >= start && **c <= end).count();
    assert_eq!(ranged["meta"]["total"], expect);
    let (status, _) = get(&sim, "/v1/audit-logs?before=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Mutations add entries at the top.
    let conv = sim.with_org(|o| {
        let id = o.live_records(Kind::Conversation)[0]["id"].as_str().unwrap().to_owned();
        o.update(Kind::Conversation, &id, |a| {
            a.insert("status".into(), json!("done"));
        });
        id
    });
    let (_, top) = get(&sim, "/v1/audit-logs?count=1").await;
    assert_eq!(top["data"][0]["attributes"]["objectId"], conv.as_str());
    assert_eq!(
        top["data"][0]["attributes"]["eventName"],
        "kustomer.conversation.update"
    );
    assert_eq!(top["meta"]["total"], want.len() + 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn metadata_describes_exactly_the_custom_attributes_records_carry() {
    let sim = tiny().await;
    let klasses: Vec<String> = sim.with_org(|o| {
        (o.records(Kind::Klass).iter())
            .map(|k| k["attributes"]["name"].as_str().unwrap().to_owned())
            .collect()
    });
    let mut resources: Vec<(String, Kind)> = [
        ("customer", Kind::Customer),
        ("conversation", Kind::Conversation),
        ("message", Kind::Message),
        ("company", Kind::Company),
    ]
    .into_iter()
    .map(|(r, k)| (r.to_owned(), k))
    .collect();
    resources.extend(klasses.iter().map(|k| (format!("kobject.{k}"), Kind::KObject)));
    for (resource, kind) in resources {
        let (status, doc) = get(&sim, &format!("/v1/metadata/{resource}")).await;
        assert_eq!(status, StatusCode::OK, "{resource}");
        assert_eq!(doc["data"]["type"], "metadata");
        assert_eq!(doc["data"]["id"], resource.as_str());
        let props = doc["data"]["attributes"]["properties"].as_object().unwrap();
        let declared: BTreeSet<&str> = props.keys().map(String::as_str).collect();
        let carried: BTreeSet<String> = sim.with_org(|o| {
            (o.records(kind).iter())
                .filter(|r| r["type"] == resource.as_str() || kind != Kind::KObject)
                .flat_map(|r| r["attributes"]["custom"].as_object().unwrap().keys().cloned())
                .collect()
        });
        let carried: BTreeSet<&str> = carried.iter().map(String::as_str).collect();
        assert_eq!(declared, carried, "{resource}");
        for suffix in ["Str", "Txt", "Num", "At", "Bool", "Url"] {
            assert!(
                declared.iter().any(|n| n.ends_with(suffix)),
                "{resource} lacks {suffix}"
            );
        }
        assert!(
            declared.iter().any(|n| n.ends_with("Tree") || n.ends_with("Id")),
            "{resource}: unknown suffix"
        );
        for p in props.values() {
            for key in [
                "displayName",
                "type",
                "array",
                "enumeration",
                "multi",
                "tree",
                "target",
                "hasSensitiveAttributes",
                "modifiedAt",
                "modifiedBy",
                "deletedAt",
                "deletedBy",
            ] {
                assert!(p.get(key).is_some(), "{resource}: {key}");
            }
        }
        assert_eq!(
            props.iter().find(|(n, _)| n.ends_with("Num")).unwrap().1["type"],
            "number"
        );
    }
    let (status, body) = get(&sim, "/v1/metadata/kobject").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("kobject.<klassName>"));
    sim.shutdown().await;
}

#[tokio::test]
async fn detail_lists_belong_to_their_parents_and_updates_add_events() {
    let sim = tiny().await;
    let (conv, customer) = sim.with_org(|o| {
        let c = o.live_records(Kind::Conversation)[0].clone();
        let cust = c["relationships"]["customer"]["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        (c["id"].as_str().unwrap().to_owned(), cust)
    });
    let events = walk(&sim, &format!("/v1/conversations/{conv}/events?pageSize=1")).await;
    assert_eq!(events[0]["attributes"]["name"], "kustomer.conversation.create");
    for e in &events {
        assert_eq!(e["type"], "customer_event");
        assert_eq!(e["relationships"]["conversation"]["data"]["id"], conv.as_str());
        assert_eq!(
            e["links"]["self"],
            format!("/v1/customers/{customer}/events/{}", e["id"].as_str().unwrap())
        );
    }
    // Every detail record hangs off an existing parent.
    sim.with_org(|o| {
        for (table, kind) in [
            ("conversation_events", Kind::Conversation),
            ("conversation_times", Kind::Conversation),
            ("conversation_forwards", Kind::Conversation),
            ("customer_drafts", Kind::Customer),
        ] {
            let rows = o.collection(table);
            assert!(!rows.is_empty(), "{table}");
            let rel = if kind == Kind::Customer {
                "customer"
            } else {
                "conversation"
            };
            for r in rows {
                let parent = r["relationships"][rel]["data"]["id"].as_str().unwrap();
                assert!(o.get(kind, parent).is_some(), "{table}");
            }
        }
        let merges = o.collection("customer_merges");
        assert!(!merges.is_empty());
        for m in merges {
            assert_eq!(m["type"], "customer_merge");
            for side in ["source", "target"] {
                assert!(o
                    .get(Kind::Customer, m["relationships"][side]["data"]["id"].as_str().unwrap())
                    .is_some());
            }
        }
        let with_files: usize = (o.records(Kind::Message).iter())
            .map(|m| m["attributes"]["attachments"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(o.collection("conversation_attachments").len(), with_files);
    });

    // An update adds an event (with its diff) to that conversation only.
    let other = sim.with_org(|o| o.live_records(Kind::Conversation)[1]["id"].as_str().unwrap().to_owned());
    let before_other = sim.with_org(|o| o.collection_for("conversation_events", &other).len());
    sim.with_org(|o| {
        o.update(Kind::Conversation, &conv, |a| {
            a.insert("priority".into(), json!(5));
        })
    });
    let after = walk(&sim, &format!("/v1/conversations/{conv}/events")).await;
    assert_eq!(after.len(), events.len() + 1);
    let last = after.last().unwrap();
    assert_eq!(last["attributes"]["name"], "kustomer.conversation.update");
    assert_eq!(last["attributes"]["changes"]["attributes"]["priority"]["after"], 5);
    assert_eq!(
        sim.with_org(|o| o.collection_for("conversation_events", &other).len()),
        before_other
    );
    let (_, changed) = get(&sim, &format!("/v1/conversations/{conv}/events?changed=priority")).await;
    assert_eq!(ids(changed["data"].as_array().unwrap()), [last["id"].as_str().unwrap()]);
    let (_, desc) = get(&sim, &format!("/v1/conversations/{conv}/events?sort=desc&pageSize=1")).await;
    assert_eq!(desc["data"][0]["id"], last["id"]);

    // Conversation times: v1 and v2 paths, and by id.
    let with_times = sim.with_org(|o| {
        o.collection("conversation_times")[0]["relationships"]["conversation"]["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let (_, v1) = get(&sim, &format!("/v1/conversations/{with_times}/times")).await;
    let (_, v2) = get(&sim, &format!("/v2/conversations/{with_times}/times?pageSize=5000")).await;
    assert_eq!(v1["data"], v2["data"]);
    assert_eq!(v2["meta"]["pageSize"], 1000);
    let t = &v1["data"][0];
    assert_eq!(t["type"], "conversation_time");
    assert!(t["attributes"]["handleTime"].is_u64());
    let (_, by_id) = get(&sim, t["links"]["self"].as_str().unwrap()).await;
    assert_eq!(&by_id["data"], t);

    // Drafts, merges, forwards, attachments; unknown parents are 404.
    let drafted = sim.with_org(|o| {
        o.collection("customer_drafts")[0]["relationships"]["customer"]["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let (_, drafts) = get(&sim, &format!("/v1/customers/{drafted}/drafts")).await;
    assert_eq!(drafts["data"][0]["type"], "draft");
    let merge = sim.with_org(|o| o.collection("customer_merges")[0].clone());
    let target = merge["relationships"]["target"]["data"]["id"].as_str().unwrap();
    let (_, merges) = get(&sim, &format!("/v1/customers/{target}/merges")).await;
    assert!(ids(merges["data"].as_array().unwrap()).contains(&merge["id"].as_str().unwrap()));
    let (_, one) = get(&sim, merge["links"]["self"].as_str().unwrap()).await;
    assert_eq!(one["data"], merge);
    let forward = sim.with_org(|o| o.collection("conversation_forwards")[0].clone());
    let fconv = forward["relationships"]["conversation"]["data"]["id"].as_str().unwrap();
    let (_, forwards) = get(&sim, &format!("/v1/conversations/{fconv}/forwards")).await;
    assert_eq!(forwards["data"][0]["type"], "forward");
    let att = sim.with_org(|o| o.collection("conversation_attachments")[0].clone());
    let mid = att["relationships"]["message"]["data"]["id"].as_str().unwrap();
    let aconv =
        sim.with_org(|o| o.get(Kind::Message, mid).unwrap()["relationships"]["conversation"]["data"]["id"].clone());
    let (_, atts) = get(
        &sim,
        &format!("/v1/conversations/{}/attachments", aconv.as_str().unwrap()),
    )
    .await;
    assert!(atts["data"].as_array().unwrap().contains(&att));
    assert!(att["links"]["related"].as_str().unwrap().starts_with("https://"));
    for path in [
        "/v1/conversations/000000000000000000000000/events",
        "/v1/customers/000000000000000000000000/drafts",
        "/v1/customers/merges/000000000000000000000000",
        "/v1/conversations/times/000000000000000000000000",
    ] {
        assert_eq!(get(&sim, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    sim.shutdown().await;
}
