//! The simulator over HTTP, exercised with a plain client.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kustomer_sim::{Kind, SimConfig, Simulator};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn send(req: reqwest::RequestBuilder) -> Reply {
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Reply { status, headers, body }
}

async fn get(sim: &Simulator, path: &str) -> Reply {
    let req = reqwest::Client::new()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(sim.token());
    send(req).await
}

async fn search(sim: &Simulator, query: &str, body: Value) -> Reply {
    let req = reqwest::Client::new()
        .post(format!("{}/v1/customers/search{query}", sim.base_url()))
        .bearer_auth(sim.token())
        .header("Content-Type", "application/json")
        .body(body.to_string());
    send(req).await
}

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn tiny() -> Simulator {
    Simulator::start(SimConfig::tiny()).await.expect("start")
}

#[tokio::test]
async fn requires_a_bearer_token() {
    let sim = tiny().await;
    let url = format!("{}/v1/customers", sim.base_url());
    let client = reqwest::Client::new();
    for req in [
        client.get(&url),
        client.get(&url).bearer_auth("wrong"),
        client
            .get(&url)
            .header("Authorization", format!("Bearer  {}", sim.token())),
        client
            .get(&url)
            .header("Authorization", format!("Token {}", sim.token())),
    ] {
        let r = send(req).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let e = &r.body["errors"][0];
        assert_eq!(e["status"], "401");
        assert_eq!(e["code"], "unauthorized");
        assert!(e["title"].is_string() && e["detail"].is_string());
    }
    assert_eq!(sim.stats().unauthorized, 4);
    let ok = get(&sim, "/v1/customers/").await;
    assert_eq!(ok.status, StatusCode::OK, "trailing slash is accepted");
    let me = get(&sim, "/v1/users/current/").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["data"]["type"], "user");
    assert_eq!(me.body["data"]["attributes"]["userType"], "machine");
    sim.shutdown().await;
}

#[tokio::test]
async fn lists_page_with_relative_links_and_clamp_page_size() {
    let sim = tiny().await;
    let total = sim.with_org(|o| o.live_records(Kind::Customer).len());

    let p1 = get(&sim, "/v1/customers?pageSize=6").await;
    assert_eq!(p1.body["meta"]["total"], total);
    assert_eq!(p1.body["meta"]["totalPages"], total.div_ceil(6));
    let links = &p1.body["links"];
    assert_eq!(links["self"], "/v1/customers?page=1&pageSize=6");
    assert_eq!(links["first"], "/v1/customers?page=1&pageSize=6");
    assert_eq!(links["prev"], Value::Null);
    assert_eq!(links["next"], "/v1/customers?page=2&pageSize=6");
    assert_eq!(
        links["last"],
        format!("/v1/customers?page={}&pageSize=6", total.div_ceil(6))
    );

    // Following `next` visits every live record once, in ascending createdAt order.
    let mut seen = Vec::new();
    let mut next = Some("/v1/messages?pageSize=7".to_owned());
    while let Some(path) = next {
        let page = get(&sim, &path).await;
        assert_eq!(page.status, StatusCode::OK);
        let meta = page.body["meta"].as_object().unwrap();
        assert_eq!(meta.keys().collect::<Vec<_>>(), ["page", "pageSize"]);
        assert!(page.body["links"].get("last").is_none());
        assert!(page.body["links"].as_object().unwrap().contains_key("prev"));
        seen.extend(page.body["data"].as_array().unwrap().clone());
        next = page.body["links"]["next"].as_str().map(str::to_owned);
    }
    let expected: Vec<Value> = sim.with_org(|o| o.live_records(Kind::Message));
    assert_eq!(seen, expected);
    let created: Vec<&str> = seen
        .iter()
        .map(|m| m["attributes"]["createdAt"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]));

    let desc = get(&sim, "/v1/messages?sort=desc&pageSize=3").await;
    let mut last_three: Vec<String> = expected[expected.len() - 3..]
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    last_three.reverse();
    assert_eq!(ids(&desc.body), last_three);
    assert_eq!(desc.body["links"]["next"], "/v1/messages?page=2&pageSize=3&sort=desc");

    let clamped = get(&sim, "/v1/conversations?pageSize=1000").await;
    assert_eq!(clamped.body["meta"]["pageSize"], 100);
    let users = get(&sim, "/v1/users?pageSize=1000").await;
    assert_eq!(users.body["meta"]["pageSize"], 500);
    assert_eq!(get(&sim, "/v1/tags?page=abc").await.status, StatusCode::BAD_REQUEST);
    sim.shutdown().await;
}

#[tokio::test]
async fn serves_records_by_id_and_nested_lists() {
    let sim = tiny().await;
    let (conv, customer, klass, kobject, klass_id) = sim.with_org(|o| {
        let conv = o.live_records(Kind::Conversation)[0].clone();
        let customer = conv["relationships"]["customer"]["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let kobject = o.live_records(Kind::KObject)[0].clone();
        let klass = kobject["relationships"]["klass"]["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let klass_id = o.ids(Kind::Klass)[0].clone();
        (conv, customer, klass, kobject, klass_id)
    });
    let conv_id = conv["id"].as_str().unwrap();
    let one = get(&sim, &format!("/v1/conversations/{conv_id}")).await;
    assert_eq!(one.body["data"], conv);

    let msgs = get(&sim, &format!("/v1/conversations/{conv_id}/messages")).await;
    assert!(!ids(&msgs.body).is_empty());
    for m in msgs.body["data"].as_array().unwrap() {
        assert_eq!(m["relationships"]["conversation"]["data"]["id"], conv_id);
    }
    assert_eq!(
        msgs.body["links"]["self"],
        format!("/v1/conversations/{conv_id}/messages?page=1&pageSize=100")
    );
    let convs = get(&sim, &format!("/v1/customers/{customer}/conversations")).await;
    assert!(ids(&convs.body).contains(&conv_id.to_owned()));

    let kobjects = get(&sim, &format!("/v1/klasses/{klass}")).await;
    assert_eq!(kobjects.status, StatusCode::OK);
    assert!(kobjects.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["type"] == format!("kobject.{klass}")));
    let kid = kobject["id"].as_str().unwrap();
    let by_id = get(&sim, &format!("/v1/klasses/{klass}/{kid}")).await;
    assert_eq!(by_id.body["data"], kobject);
    assert_eq!(
        by_id.body["data"]["relationships"]["klass"]["link"]["self"],
        format!("/v1/klasses/{klass}")
    );
    let klass_by_id = get(&sim, &format!("/v1/klasses/{klass_id}")).await;
    assert_eq!(klass_by_id.body["data"]["type"], "klass");
    let klasses = get(&sim, "/v1/klasses").await;
    assert_eq!(ids(&klasses.body).len(), 3);
    assert_eq!(ids(&get(&sim, "/v1/klasses?status=disabled").await.body).len(), 0);

    for path in [
        "/v1/klasses/no-such-klass",
        "/v1/customers/000000000000000000000000",
        "/v1/nowhere",
    ] {
        let r = get(&sim, path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.body["errors"][0]["status"], "404");
    }

    sim.with_org(|o| assert!(o.delete(Kind::Conversation, conv_id)));
    let gone = get(&sim, &format!("/v1/conversations/{conv_id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let list = get(&sim, "/v1/conversations").await;
    assert!(!ids(&list.body).contains(&conv_id.to_owned()));
    sim.shutdown().await;
}

#[tokio::test]
async fn search_filters_sorts_and_reports_totals() {
    let sim = tiny().await;
    let body = json!({
        "and": [{"conversation_updated_at": {"gte": "2000-01-01"}}],
        "sort": [{"conversation_updated_at": "asc"}],
        "queryContext": "conversation",
    });
    let all = search(&sim, "?pageSize=5", body).await;
    assert_eq!(all.status, StatusCode::OK);
    let live = sim.with_org(|o| o.live_records(Kind::Conversation).len());
    let meta = &all.body["meta"];
    assert_eq!(meta["total"], live);
    assert_eq!(meta["totalPages"], live.div_ceil(5));
    assert_eq!(meta["aggregations"], json!({}));
    assert_eq!(meta["timed_out"], false);
    assert_eq!(all.body["links"]["self"], "/v1/customers/search?page=1&pageSize=5");
    assert_eq!(all.body["links"]["next"], "/v1/customers/search?page=2&pageSize=5");
    assert_eq!(all.body["links"]["prev"], Value::Null);
    assert!(all.body["links"]["last"].is_string());

    // Bounds in every date shape clients send, and equality on ids and status.
    let conv = sim.with_org(|o| o.live_records(Kind::Conversation)[3].clone());
    let at = conv["attributes"]["updatedAt"].as_str().unwrap();
    let six = at.replace('Z', "000Z");
    let spaced = at.replace('T', " ").replace('Z', "+00:00");
    let body = json!({
        "and": [
            {"conversation_updated_at": {"gte": six, "lte": spaced}},
            {"conversation_customer_id": {"equals": conv["relationships"]["customer"]["data"]["id"]}},
            {"conversation_status": {"equals": conv["attributes"]["status"]}},
        ],
        "or": [],
        "queryContext": "conversation",
    });
    let hit = search(&sim, "", body).await;
    assert!(ids(&hit.body).contains(&conv["id"].as_str().unwrap().to_owned()));
    for r in hit.body["data"].as_array().unwrap() {
        assert_eq!(r["attributes"]["updatedAt"], at);
    }

    let bad = search(
        &sim,
        "",
        json!({"and": [{"conversation_colour": {"equals": "red"}}], "queryContext": "conversation"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["errors"][0]["code"], "bad_request");
    assert!(bad.body["errors"][0]["message"].is_string());
    let bad_op = search(
        &sim,
        "",
        json!({"and": [{"customer_updated_at": {"after": "2024-01-01"}}]}),
    )
    .await;
    assert_eq!(bad_op.status, StatusCode::BAD_REQUEST);
    let malformed = reqwest::Client::new()
        .post(format!("{}/v1/customers/search", sim.base_url()))
        .bearer_auth(sim.token())
        .body("{\"and\": [");
    assert_eq!(send(malformed).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(sim.stats().search_requests, 5);
    sim.shutdown().await;
}

#[tokio::test]
async fn search_caps_at_100_pages() {
    let sim = tiny().await;
    let body = json!({"sort": [{"message_updated_at": "asc"}], "queryContext": "message"});
    let total = sim.with_org(|o| o.live_records(Kind::Message).len());
    assert!(total > 100, "tiny org needs more than 100 messages");
    let p100 = search(&sim, "?page=100&pageSize=1", body.clone()).await;
    assert_eq!(p100.status, StatusCode::OK);
    assert_eq!(p100.body["links"]["next"], "/v1/customers/search?page=101&pageSize=1");
    let p101 = search(&sim, "?page=101&pageSize=1", body.clone()).await;
    assert_eq!(p101.status, StatusCode::NOT_FOUND);
    assert_eq!(p101.body["errors"][0]["status"], "404");
    let clamped = search(&sim, "?pageSize=1000", body).await;
    assert_eq!(clamped.body["meta"]["pageSize"], 500);
    sim.shutdown().await;
}

#[tokio::test]
async fn ties_come_in_a_query_dependent_order() {
    let sim = tiny().await;
    let tied = sim.with_org(|o| o.touch_many_at_once(Kind::Message, 50));
    let at = sim.with_org(|o| o.get(Kind::Message, &tied[0]).unwrap()["attributes"]["updatedAt"].clone());
    let query = |gte: &str| {
        json!({"and": [{"message_updated_at": {"gte": gte}}],
               "sort": [{"message_updated_at": "asc"}], "queryContext": "message"})
    };
    let tail = |body: &Value| -> Vec<String> { ids(body).into_iter().filter(|id| tied.contains(id)).collect() };
    let a = search(&sim, "?pageSize=500", query(at.as_str().unwrap())).await;
    let a2 = search(&sim, "?pageSize=500", query(at.as_str().unwrap())).await;
    let b = search(&sim, "?pageSize=500", query("2020-01-01")).await;
    let (ta, ta2, tb) = (tail(&a.body), tail(&a2.body), tail(&b.body));
    assert_eq!(ta.len(), 50);
    assert_eq!(ta, ta2, "the same query pages consistently");
    assert_ne!(ta, tb, "a different query orders ties differently");
    let mut sorted = ta.clone();
    sorted.sort();
    assert_ne!(ta, sorted, "ties are not in id order");
    let mut sb = tb.clone();
    sb.sort();
    assert_eq!(sorted, sb);

    // Paging one query through the tie group visits every member exactly once.
    let mut paged = Vec::new();
    for page in 1..=5 {
        let r = search(&sim, &format!("?page={page}&pageSize=12"), query(at.as_str().unwrap())).await;
        paged.extend(ids(&r.body));
    }
    assert_eq!(paged, ids(&a.body));
    sim.shutdown().await;
}

#[tokio::test]
async fn mutations_show_up_in_search_and_deletes_need_include_deleted() {
    let sim = tiny().await;
    let since = sim.with_org(|o| o.now()).to_rfc3339();
    let q = |include: bool| {
        json!({"and": [{"customer_updated_at": {"gte": since}}],
               "sort": [{"customer_updated_at": "asc"}], "queryContext": "customer",
               "includeDeleted": include})
    };
    assert_eq!(search(&sim, "", q(false)).await.body["meta"]["total"], 0);

    let (edited, removed) = sim.with_org(|o| {
        let ids = o.ids(Kind::Customer);
        let live: Vec<String> = ids
            .into_iter()
            .filter(|id| o.get(Kind::Customer, id).unwrap()["attributes"]["deleted"] == false)
            .collect();
        assert!(o.update(Kind::Customer, &live[0], |a| {
            a.insert("displayName".into(), json!("Renamed"));
        }));
        assert!(o.delete(Kind::Customer, &live[1]));
        (live[0].clone(), live[1].clone())
    });
    let visible = search(&sim, "", q(false)).await;
    assert_eq!(ids(&visible.body), std::slice::from_ref(&edited));
    assert_eq!(visible.body["data"][0]["attributes"]["displayName"], "Renamed");
    let with_deleted = search(&sim, "", q(true)).await;
    assert_eq!(ids(&with_deleted.body), [edited, removed.clone()]);
    assert_eq!(with_deleted.body["data"][1]["attributes"]["deleted"], true);

    let inserted = sim.with_org(|o| o.insert(Kind::Note));
    let notes = search(
        &sim,
        "",
        json!({"and": [{"note_created_at": {"gte": since}}], "queryContext": "note"}),
    )
    .await;
    assert_eq!(ids(&notes.body), [inserted]);
    sim.shutdown().await;
}

#[tokio::test]
async fn search_sees_only_the_window() {
    let config = SimConfig {
        history_days: 1_000,
        ..SimConfig::tiny()
    };
    let sim = Simulator::start(config).await.unwrap();
    let body = json!({"queryContext": "message"});
    let live = sim.with_org(|o| o.live_records(Kind::Message).len());
    let seen = search(&sim, "", body.clone()).await.body["meta"]["total"]
        .as_u64()
        .unwrap() as usize;
    assert!(seen < live, "records older than 730 days are not searchable");
    sim.with_org(|o| o.advance(chrono::Duration::days(2_000)));
    assert_eq!(search(&sim, "", body).await.body["meta"]["total"], 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_headers() {
    let config = SimConfig {
        org_rate_limit: Some(4),
        search_rate_limit: Some(2),
        ..SimConfig::tiny()
    };
    let sim = Simulator::start(config).await.unwrap();
    let header = |r: &Reply, name: &str| -> u64 { r.headers[name].to_str().unwrap().parse().unwrap() };
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();

    let first = get(&sim, "/v1/tags").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(header(&first, "x-ratelimit-limit"), 4);
    assert_eq!(header(&first, "x-ratelimit-remaining"), 3);
    let reset = header(&first, "x-ratelimit-reset");
    assert!(reset >= now && reset <= now + 61, "epoch seconds of the window's end");

    let s1 = search(&sim, "", json!({})).await;
    assert_eq!(
        header(&s1, "x-ratelimit-remaining"),
        1,
        "search reports the tighter budget"
    );
    let s2 = search(&sim, "", json!({})).await;
    assert_eq!(s2.status, StatusCode::OK);
    let s3 = search(&sim, "", json!({})).await;
    assert_eq!(s3.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&s3, "x-ratelimit-limit"), 2);
    assert_eq!(header(&s3, "x-ratelimit-remaining"), 0);
    assert!(s3.headers.get("retry-after").is_none());
    assert_eq!(s3.body["errors"][0]["status"], "429");

    let over = get(&sim, "/v1/tags").await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&over, "x-ratelimit-limit"), 4);
    assert_eq!(header(&over, "x-ratelimit-remaining"), 0);
    let stats = sim.stats();
    assert_eq!((stats.requests, stats.search_requests, stats.throttled), (5, 3, 2));
    assert_eq!(stats.by_family["GET /v1/tags"], 2);
    sim.reset_stats();
    assert_eq!(sim.stats().requests, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn same_seed_serves_the_same_bytes() {
    let a = tiny().await;
    let b = tiny().await;
    let c = Simulator::start(SimConfig {
        seed: 7,
        ..SimConfig::tiny()
    })
    .await
    .unwrap();
    for path in ["/v1/customers", "/v1/messages?page=2", "/v1/klasses/order", "/v1/users"] {
        let (ra, rb, rc) = (get(&a, path).await, get(&b, path).await, get(&c, path).await);
        assert_eq!(ra.body, rb.body, "{path}");
        assert_ne!(ra.body, rc.body, "{path}");
    }
    let q = json!({"sort": [{"customer_updated_at": "desc"}]});
    assert_eq!(search(&a, "", q.clone()).await.body, search(&b, "", q).await.body);
    for sim in [a, b, c] {
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn latency_delays_each_request() {
    let config = SimConfig {
        latency: Duration::from_millis(30)..Duration::from_millis(40),
        ..SimConfig::tiny()
    };
    let sim = Simulator::start(config).await.unwrap();
    let started = std::time::Instant::now();
    get(&sim, "/v1/tags").await;
    assert!(started.elapsed() >= Duration::from_millis(30));
    sim.shutdown().await;
}
