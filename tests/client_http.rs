//! The API client against a mock server: paging, search bodies, rate limits,
//! retries, both error shapes, and a token that never leaks.

use std::time::{Duration, Instant};

use futures::TryStreamExt;
use kustomer::api::retry::RetryPolicy;
use kustomer::api::search::{Criterion, QueryContext, SearchQuery, SortOrder};
use kustomer::api::{Client, Error};
use kustomer::models::{Customer, Page};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-SECRET-1234567890";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .token(TOKEN)
        .rate_limit(60_000)
        .search_rate_limit(60_000)
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

fn customer(id: &str) -> serde_json::Value {
    json!({"type": "customer", "id": id, "attributes": {"name": id, "updatedAt": "2024-03-01T10:00:02.130Z"}})
}

fn page(ids: &[&str], next: Option<&str>) -> serde_json::Value {
    json!({
        "meta": {"pageSize": 2, "page": 1},
        "links": {"self": "/v1/customers?page=1&pageSize=2", "first": "/v1/customers?page=1&pageSize=2", "prev": null, "next": next},
        "data": ids.iter().map(|i| customer(i)).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn list_follows_relative_links_lazily() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("page", "1"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(page(&["a", "b"], Some("/v1/customers?page=2&pageSize=2"))),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&["c"], None)))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let stream = c.list::<Customer>("/v1/customers", 2);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "no request before the first poll"
    );
    let pages: Vec<Page<Customer>> = stream.try_collect().await.unwrap();
    let ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p.data.iter().map(|c| c.id.to_string()))
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[tokio::test]
async fn list_stops_when_the_server_repeats_a_link() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(&["a"], Some("/v1/customers?page=1&pageSize=2"))))
        .mount(&server)
        .await;
    let pages: Vec<Page<Customer>> = client(&server).list("/v1/customers", 2).try_collect().await.unwrap();
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn search_sends_the_documented_body() {
    let server = MockServer::start().await;
    let expected = json!({
        "and": [{"conversation_updated_at": {"gte": "2024-01-01T00:00:00.000Z"}}],
        "sort": [{"conversation_updated_at": "asc"}],
        "queryContext": "conversation",
        "includeDeleted": true
    });
    Mock::given(method("POST"))
        .and(path("/v1/customers/search"))
        .and(query_param("page", "1"))
        .and(query_param("pageSize", "500"))
        .and(header("content-type", "application/json"))
        .and(body_json(&expected))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [], "links": {"next": null}, "meta": {"total": 0}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let q = SearchQuery::new(QueryContext::Conversation)
        .and(Criterion::gte(
            "conversation_updated_at",
            "2024-01-01T00:00:00Z".parse().unwrap(),
        ))
        .sort("conversation_updated_at", SortOrder::Asc)
        .include_deleted(true);
    let p: Page<serde_json::Value> = client(&server).search_page(&q, 1, 500).await.unwrap();
    assert!(p.data.is_empty());
}

async fn rate_limited_then_ok(headers: &[(&str, String)]) -> (Duration, u64) {
    let server = MockServer::start().await;
    let mut limited =
        ResponseTemplate::new(429).set_body_json(json!({"errors": [{"status": "429", "title": "Too Many Requests"}]}));
    for (k, v) in headers {
        limited = limited.insert_header(*k, v.as_str());
    }
    Mock::given(method("GET"))
        .respond_with(limited)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": customer("a")})))
        .mount(&server)
        .await;
    let c = client(&server);
    let started = Instant::now();
    let got: Customer = c.get_one("/v1/customers/a").await.unwrap();
    assert_eq!(got.id.as_str(), "a");
    (started.elapsed(), c.stats().throttled)
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (waited, throttled) = rate_limited_then_ok(&[("retry-after", "1".into())]).await;
    assert!(waited >= Duration::from_millis(990), "{waited:?}");
    assert_eq!(throttled, 1);
}

#[tokio::test]
async fn ratelimit_reset_as_delta_is_honoured() {
    let (waited, _) =
        rate_limited_then_ok(&[("x-ratelimit-remaining", "0".into()), ("x-ratelimit-reset", "1".into())]).await;
    assert!(waited >= Duration::from_millis(990), "{waited:?}");
}

#[tokio::test]
async fn ratelimit_reset_as_epoch_is_honoured() {
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    let (waited, _) = rate_limited_then_ok(&[("x-ratelimit-reset", epoch.to_string())]).await;
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

#[tokio::test]
async fn rate_limit_without_headers_backs_off() {
    let (waited, throttled) = rate_limited_then_ok(&[]).await;
    assert!(waited >= Duration::from_millis(10), "{waited:?}");
    assert_eq!(throttled, 1);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": customer("a")})))
        .mount(&server)
        .await;
    let c = client(&server);
    let _: Customer = c.get_one("/v1/customers/a").await.unwrap();
    assert_eq!(c.stats().requests, 3);
    assert_eq!(c.stats().retries, 2);
}

#[tokio::test]
async fn server_errors_give_up_within_the_budget() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c.get_one::<Customer>("/v1/customers/a").await.unwrap_err();
    assert!(matches!(err, Error::RetriesExhausted { attempts: 6, .. }), "{err:?}");
    assert_eq!(err.status(), Some(500));
}

#[tokio::test]
async fn client_errors_are_not_retried_and_both_shapes_parse() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/missing"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"errors": [{"status": "404", "code": "not_found", "title": "Not Found", "detail": "no customer missing"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/bad"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"errors": [{"code": "bad_request", "message": "Invalid request body or parameters.", "meta": {}}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let e404 = c.get_one::<Customer>("/v1/customers/missing").await.unwrap_err();
    assert!(e404.is_not_found());
    assert!(e404.to_string().contains("no customer missing"), "{e404}");
    let e400 = c.get_one::<Customer>("/v1/customers/bad").await.unwrap_err();
    assert_eq!(e400.status(), Some(400));
    assert!(
        e400.to_string().contains("Invalid request body or parameters."),
        "{e400}"
    );
    assert_eq!(c.stats().requests, 2);
}

#[tokio::test]
async fn decode_errors_name_the_json_path() {
    let server = MockServer::start().await;
    // A syntax error inside the second record's `updatedAt` (a value of the
    // wrong type would be kept in `_extra` instead: see the models' tests).
    let body = page(&["a", "b"], None).to_string();
    let at = body.rfind(r#""updatedAt":"#).unwrap() + r#""updatedAt":"#.len();
    let body = format!("{}x{}", &body[..at], &body[at..]);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    let err = client(&server)
        .get_page::<Customer>("/v1/customers?page=1")
        .await
        .unwrap_err();
    match &err {
        Error::Decode { source, .. } => assert_eq!(source.path, "data[1].attributes.updatedAt"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_token_never_appears_in_errors_or_debug() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"errors": [{"status": "401", "title": "Unauthorized"}]})),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c.get_one::<Customer>("/v1/customers/a").await.unwrap_err();
    assert!(err.is_unauthorized());
    let texts = [
        format!("{err}"),
        format!("{err:?}"),
        format!("{c:?}"),
        format!("{:?}", Client::builder().token(TOKEN)),
    ];
    for t in texts {
        assert!(!t.contains("SECRET"), "token leaked: {t}");
    }
    // A connection failure names the path, not the token.
    let dead = Client::builder()
        .base_url("http://127.0.0.1:9")
        .token(TOKEN)
        .retry_policy(RetryPolicy {
            base_delay: Duration::from_millis(5),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = dead.get_one::<Customer>("/v1/customers/a").await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("SECRET"));
}

#[test]
fn plain_http_is_refused_off_loopback() {
    let err = Client::builder()
        .base_url("http://example.com")
        .token("t")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("plain http"), "{err}");
    assert!(Client::builder()
        .base_url("http://example.com")
        .token("t")
        .danger_allow_plain_http(true)
        .build()
        .is_ok());
    assert!(Client::builder()
        .org("acme")
        .token("t")
        .usage_ceiling(0.95)
        .build()
        .is_err());
    assert!(Client::builder().org("acme").build().is_err());
}
