//! Fault injection, through HTTP: one test per fault kind, rule counting, and
//! `on_request` hooks.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kustomer_sim::{Fault, FaultRule, Kind, Method, Reset, SimConfig, Simulator};
use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A response read to the end (its body as bytes).
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn number(&self, name: &str) -> u64 {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .parse()
            .unwrap()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn read(req: reqwest::RequestBuilder) -> Raw {
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.expect("body").to_vec();
    Raw { status, headers, body }
}

async fn get(sim: &Simulator, path: &str) -> Raw {
    read(
        client()
            .get(format!("{}{path}", sim.base_url()))
            .bearer_auth(sim.token()),
    )
    .await
}

async fn search(sim: &Simulator, query: &str) -> Raw {
    let req = client()
        .post(format!("{}/v1/customers/search{query}", sim.base_url()))
        .bearer_auth(sim.token())
        .header("Content-Type", "application/json")
        .body(json!({"queryContext": "customer"}).to_string());
    read(req).await
}

async fn tiny() -> Simulator {
    Simulator::start(SimConfig::tiny()).await.expect("start")
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn too_many_requests_with_and_without_hints() {
    let sim = tiny().await;
    let bare = FaultRule::new(
        Fault::TooManyRequests {
            retry_after: None,
            reset: None,
        },
        "/v1/tags",
    );
    sim.inject(bare);
    let r = get(&sim, "/v1/tags").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["errors"][0]["status"], "429");
    for name in [
        "retry-after",
        "x-ratelimit-reset",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
    ] {
        assert!(
            r.header(name).is_none(),
            "{name}: no limiter configured, no hint asked for"
        );
    }
    assert_eq!(
        get(&sim, "/v1/tags").await.status,
        StatusCode::OK,
        "fires once by default"
    );

    let hinted = Fault::TooManyRequests {
        retry_after: Some(7),
        reset: Some(Reset::Delta(30)),
    };
    sim.inject(FaultRule::new(hinted, "/v1/tags"));
    let r = get(&sim, "/v1/tags").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.number("retry-after"), 7);
    assert_eq!(r.number("x-ratelimit-reset"), 30);

    let epoch = Fault::TooManyRequests {
        retry_after: None,
        reset: Some(Reset::Epoch(60)),
    };
    sim.inject(FaultRule::new(epoch, "/v1/tags"));
    let before = now();
    let r = get(&sim, "/v1/tags").await;
    let reset = r.number("x-ratelimit-reset");
    assert!(
        (before + 60..=now() + 60).contains(&reset),
        "epoch seconds 60 s from now: {reset}"
    );
    assert!(r.header("retry-after").is_none());

    let stats = sim.stats();
    assert_eq!((stats.requests, stats.throttled, stats.faults), (4, 3, 3));
    assert_eq!(
        stats.by_family["GET /v1/tags"], 4,
        "faulted requests count per endpoint"
    );
    sim.shutdown().await;

    // With a rate limit configured, a 429 fault reports that budget as spent, as the
    // limiter's own 429s do; the reset comes only from the fault.
    let config = SimConfig {
        org_rate_limit: Some(50),
        ..SimConfig::tiny()
    };
    let sim = Simulator::start(config).await.unwrap();
    let bare = Fault::TooManyRequests {
        retry_after: None,
        reset: None,
    };
    sim.inject(FaultRule::new(bare, ""));
    let r = get(&sim, "/v1/customers").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        (r.number("x-ratelimit-limit"), r.number("x-ratelimit-remaining")),
        (50, 0)
    );
    assert!(r.header("x-ratelimit-reset").is_none() && r.header("retry-after").is_none());
    let ok = get(&sim, "/v1/customers").await;
    assert_eq!(
        ok.number("x-ratelimit-remaining"),
        48,
        "the faulted request was charged to the budget"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn server_error_has_a_json_error_body() {
    let sim = tiny().await;
    sim.inject(FaultRule::new(Fault::ServerError(503), "/v1/customers"));
    sim.inject(FaultRule::new(Fault::ServerError(42), "/v1/customers"));
    let r = get(&sim, "/v1/customers").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let e = &r.json()["errors"][0];
    assert_eq!(e["status"], "503");
    assert_eq!(e["code"], "server_error");
    assert_eq!(e["title"], "Service Unavailable");
    assert!(e["detail"].is_string());
    let r = get(&sim, "/v1/customers").await;
    assert_eq!(
        r.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "an invalid code becomes 500"
    );
    assert_eq!(get(&sim, "/v1/customers").await.status, StatusCode::OK);
    assert_eq!(sim.stats().faults, 2);
    sim.shutdown().await;
}

/// The body bytes a GET receives, chunk by chunk, and how the body ended.
async fn read_until_dropped(sim: &Simulator, path: &str) -> (Vec<u8>, Result<(), reqwest::Error>) {
    let mut resp = (client().get(format!("{}{path}", sim.base_url())))
        .bearer_auth(sim.token())
        .send()
        .await
        .expect("the head arrives");
    assert_eq!(resp.status(), StatusCode::OK);
    let mut got = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => got.extend_from_slice(&c),
            Ok(None) => return (got, Ok(())),
            Err(e) => return (got, Err(e)),
        }
    }
}

#[tokio::test]
async fn reset_mid_body_drops_the_connection_after_half_the_body() {
    let sim = tiny().await;
    let full = get(&sim, "/v1/customers?pageSize=20").await;
    assert!(full.body.len() > 1000);

    sim.inject(FaultRule::new(Fault::ResetMidBody, "/v1/customers"));
    let resp = client()
        .get(format!("{}/v1/customers?pageSize=20", sim.base_url()))
        .bearer_auth(sim.token())
        .send()
        .await
        .expect("the head arrives");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CONTENT_LENGTH], full.body.len().to_string().as_str());
    assert!(resp.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let err = resp.bytes().await.expect_err("the body is cut off");
    // reqwest reports hyper's `IncompleteBody` (an unexpected EOF) as a decode error.
    assert!(err.is_body() || err.is_decode(), "{err:?}");

    // Reading chunk by chunk shows what arrived before the drop: the first half.
    sim.inject(FaultRule::new(Fault::ResetMidBody, "/v1/customers"));
    let (got, end) = read_until_dropped(&sim, "/v1/customers?pageSize=20").await;
    assert!(end.is_err(), "the stream must end in an error, not a clean EOF");
    assert_eq!(got, full.body[..full.body.len() / 2]);

    // The server carries on.
    assert_eq!(get(&sim, "/v1/customers?pageSize=20").await.body, full.body);
    let stats = sim.stats();
    assert_eq!((stats.requests, stats.faults), (4, 2));

    // A body large enough to go out in several writes.
    let big = get(&sim, "/v1/messages?pageSize=100").await.body;
    assert!(big.len() > 64 * 1024, "{}", big.len());
    sim.inject(FaultRule::new(Fault::ResetMidBody, "/v1/messages"));
    let (got, end) = read_until_dropped(&sim, "/v1/messages?pageSize=100").await;
    assert!(end.is_err());
    assert_eq!(got, big[..big.len() / 2]);
    sim.shutdown().await;
}

#[tokio::test]
async fn truncated_json_sends_the_first_half_with_a_matching_length() {
    let sim = tiny().await;
    let full = get(&sim, "/v1/conversations").await;
    sim.inject(FaultRule::new(Fault::TruncatedJson, "/v1/conversations"));
    let cut = get(&sim, "/v1/conversations").await;
    assert_eq!(cut.status, StatusCode::OK);
    assert!(cut.header("content-type").unwrap().starts_with("application/json"));
    assert_eq!(cut.body, full.body[..full.body.len() / 2]);
    assert_eq!(cut.number("content-length"), cut.body.len() as u64);
    assert!(serde_json::from_slice::<Value>(&cut.body).is_err());
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_json_is_a_200_that_does_not_parse() {
    let sim = tiny().await;
    sim.inject(FaultRule::new(Fault::InvalidJson, "/v1/users/current"));
    let r = get(&sim, "/v1/users/current").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    assert!(!r.body.is_empty());
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    sim.shutdown().await;
}

#[tokio::test]
async fn html_page_is_a_proxy_error() {
    let sim = tiny().await;
    sim.inject(FaultRule::new(Fault::HtmlPage(502), "/v1/customers/search"));
    let r = search(&sim, "").await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let text = String::from_utf8(r.body.clone()).unwrap();
    assert!(text.contains("<h1>502 Bad Gateway</h1>"), "{text}");
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    let stats = sim.stats();
    assert_eq!((stats.search_requests, stats.faults), (1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn slow_delays_the_real_response() {
    let sim = tiny().await;
    let fast = get(&sim, "/v1/tags").await;
    sim.inject(FaultRule::new(Fault::Slow(Duration::from_millis(300)), "/v1/tags"));
    let start = Instant::now();
    let slow = get(&sim, "/v1/tags").await;
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!((slow.status, &slow.body), (StatusCode::OK, &fast.body));

    // A client with a shorter timeout gives up.
    sim.inject(FaultRule::new(Fault::Slow(Duration::from_secs(5)), "/v1/tags"));
    let err = client()
        .get(format!("{}/v1/tags", sim.base_url()))
        .bearer_auth(sim.token())
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .expect_err("times out");
    assert!(err.is_timeout());
    sim.shutdown().await;
}

#[tokio::test]
async fn short_page_keeps_the_real_links_and_meta() {
    let sim = tiny().await;
    let full = get(&sim, "/v1/customers?page=2&pageSize=6").await.json();
    sim.inject(FaultRule::new(Fault::ShortPage, "/v1/customers").times(u32::MAX));
    let short = get(&sim, "/v1/customers?page=2&pageSize=6").await.json();
    assert_eq!(
        short["data"].as_array().unwrap()[..],
        full["data"].as_array().unwrap()[..3]
    );
    assert_eq!(short["links"], full["links"]);
    assert_eq!(short["meta"], full["meta"]);
    assert!(short["links"]["next"].is_string());

    // The last page (no `next`) and single records are not altered, and do not count.
    let last_page = full["meta"]["totalPages"].as_u64().unwrap();
    let last = get(&sim, &format!("/v1/customers?page={last_page}&pageSize=6"))
        .await
        .json();
    assert!(last["links"]["next"].is_null());
    let whole_last = sim.with_org(|o| o.live_records(Kind::Customer).len()) - 6 * (last_page as usize - 1);
    assert_eq!(last["data"].as_array().unwrap().len(), whole_last);
    let id = full["data"][0]["id"].as_str().unwrap();
    assert_eq!(get(&sim, &format!("/v1/customers/{id}")).await.json()["data"]["id"], id);
    assert_eq!(sim.stats().faults, 1);

    // Search pages too (its path lies under /v1/customers).
    let s = search(&sim, "?pageSize=8").await.json();
    assert_eq!(s["data"].as_array().unwrap().len(), 4);
    assert_eq!(s["links"]["next"], "/v1/customers/search?page=2&pageSize=8");
    assert_eq!(sim.stats().faults, 2);

    // Cursor-paged audit logs.
    let real = get(&sim, "/v1/audit-logs?count=9").await.json();
    sim.inject(FaultRule::new(Fault::ShortPage, "/v1/audit-logs"));
    let audit = get(&sim, "/v1/audit-logs?count=9").await.json();
    assert_eq!(
        audit["data"].as_array().unwrap()[..],
        real["data"].as_array().unwrap()[..4]
    );
    assert_eq!((&audit["links"], &audit["meta"]), (&real["links"], &real["meta"]));
    assert!(audit["links"]["next"].is_string());
    sim.shutdown().await;
}

#[tokio::test]
async fn skip_times_order_and_method() {
    let sim = tiny().await;
    let status = |r: Raw| r.status.as_u16();
    // skip 2, times 2.
    sim.inject(FaultRule::new(Fault::ServerError(500), "/v1/tags").skip(2).times(2));
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(status(get(&sim, "/v1/tags").await));
    }
    assert_eq!(seen, [200, 200, 500, 500, 200]);

    // Rules fire in order; a request one rule fires on is not seen by the next.
    sim.inject(FaultRule::new(Fault::ServerError(500), "/v1/teams").times(2));
    let throttle = Fault::TooManyRequests {
        retry_after: Some(1),
        reset: None,
    };
    sim.inject(FaultRule::new(throttle, "/v1/teams"));
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(status(get(&sim, "/v1/teams").await));
    }
    assert_eq!(seen, [500, 500, 429, 200]);

    // A method filter: GETs under the path pass, the POST search fires.
    sim.inject(FaultRule::new(Fault::ServerError(502), "/v1/customers").method(Method::POST));
    assert_eq!(status(get(&sim, "/v1/customers").await), 200);
    assert_eq!(status(search(&sim, "").await), 502);
    assert_eq!(status(search(&sim, "").await), 200);

    // Prefixes match whole segments; "" matches everything; forever until cleared.
    sim.inject(FaultRule::new(Fault::ServerError(500), "/v1/tag").times(u32::MAX));
    assert_eq!(status(get(&sim, "/v1/tags").await), 200);
    sim.inject(FaultRule::new(Fault::ServerError(504), "").times(u32::MAX));
    for path in ["/v1/tags", "/v1/users/current", "/v1/nothing"] {
        assert_eq!(status(get(&sim, path).await), 504, "{path}");
    }
    sim.clear_faults();
    assert_eq!(status(get(&sim, "/v1/tags").await), 200);
    assert_eq!(sim.stats().faults, 2 + 3 + 1 + 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn authentication_comes_before_faults() {
    let sim = tiny().await;
    sim.inject(FaultRule::new(Fault::ServerError(500), "/v1/tags"));
    let bad = read(client().get(format!("{}/v1/tags", sim.base_url())).bearer_auth("wrong")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(sim.stats().faults, 0);
    assert_eq!(
        get(&sim, "/v1/tags").await.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "the rule is still armed"
    );
    let stats = sim.stats();
    assert_eq!((stats.requests, stats.unauthorized, stats.faults), (2, 1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn on_request_mutations_show_in_the_triggering_response() {
    let sim = tiny().await;
    let page2 = get(&sim, "/v1/customers?page=2&pageSize=5").await.json();
    let id = page2["data"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/customers/{id}");
    let original = get(&sim, &path).await.json()["data"]["attributes"]["name"].clone();

    // Fires on the second GET under /v1/customers: page 1 is untouched, page 2
    // already shows the change.
    let target = id.clone();
    sim.on_request(Some(Method::GET), "/v1/customers", 1, move |org| {
        org.update(Kind::Customer, &target, |a| {
            a.insert("name".into(), json!("Renamed mid-stream"));
        });
    });
    let p1 = get(&sim, "/v1/customers?page=1&pageSize=5").await.json();
    assert!(p1["data"].as_array().unwrap().iter().all(|c| c["id"] != id.as_str()));
    assert_eq!(
        sim.with_org(|o| o.get(Kind::Customer, &id).unwrap()["attributes"]["name"].clone()),
        original
    );
    let p2 = get(&sim, "/v1/customers?page=2&pageSize=5").await.json();
    let seen = p2["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .cloned();
    let seen = seen.expect("an update does not move a customer in GET /v1/customers");
    assert_eq!(
        seen["attributes"]["name"], "Renamed mid-stream",
        "the triggering page sees the change"
    );
    assert_ne!(original, "Renamed mid-stream");

    // A deletion on a single-record GET, combined with a fault on the same request:
    // the hook runs first, so the request that triggers it is faulted and the record
    // is gone afterwards.
    let target = id.clone();
    sim.on_request(None, path.clone(), 0, move |org| {
        org.delete(Kind::Customer, &target);
    });
    sim.inject(FaultRule::new(Fault::ServerError(500), path.clone()));
    assert_eq!(get(&sim, &path).await.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(get(&sim, &path).await.status, StatusCode::NOT_FOUND);

    // An insert seen by the very page that triggered it.
    let before = get(&sim, "/v1/tags?pageSize=100").await.json()["data"]
        .as_array()
        .unwrap()
        .len();
    sim.on_request(None, "/v1/tags", 0, |org| {
        org.insert(Kind::Tag);
    });
    let after = get(&sim, "/v1/tags?pageSize=100").await.json()["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before + 1);

    // clear_faults drops hooks that have not run.
    sim.on_request(None, "/v1/tags", 0, |org| {
        org.insert(Kind::Tag);
    });
    sim.clear_faults();
    let again = get(&sim, "/v1/tags?pageSize=100").await.json()["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(again, after);
    sim.shutdown().await;
}
