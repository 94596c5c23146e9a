//! The real API's documented limits, one `SimConfig` switch each, in their default
//! (real) and switched behaviour: missing-role status, the 10,000-record result
//! window, capped search totals, archive search availability and its refusal of
//! note queries, standard search's refusal of company queries, unserved paths.

use chrono::Duration;
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};
use reqwest::StatusCode;
use serde_json::{json, Value};

mod common;

use common::get;

const SEARCH: &str = "/v1/customers/search";
const ARCHIVE: &str = "/v1/customers/archive/search";

async fn post(sim: &Simulator, path: &str, body: &Value) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .bearer_auth(sim.token())
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"));
    (status, body)
}

async fn start(config: SimConfig) -> Simulator {
    Simulator::start(config).await.expect("start")
}

/// A tiny org with 10,050 messages: one list and one search context longer than
/// the result window.
fn over_the_window() -> SimConfig {
    SimConfig {
        size: OrgSize {
            messages: 10_050,
            ..OrgSize::tiny()
        },
        ..SimConfig::tiny()
    }
}

/// The result window's 400 for a page reaching `reach`.
fn window_error(reach: usize) -> Value {
    json!({"errors": [{"status": "400", "code": "bad_request", "title": "Bad Request",
        "detail": format!("Result window is too large, from + size must be less than or equal to: [10000] but was [{reach}].")}]})
}

#[tokio::test]
async fn missing_roles_answer_401_by_default_and_403_when_configured() {
    let forbidden = vec!["/v1/audit-logs".to_owned()];
    let sim = start(SimConfig {
        forbidden: forbidden.clone(),
        ..SimConfig::tiny()
    })
    .await;
    let (status, body) = get(&sim, "/v1/audit-logs?count=5").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"errors": [{"status": "401", "code": "unauthorized", "title": "Unauthorized",
            "detail": "Missing required role: org.permission.audit_logs.read",
            "meta": {"requiredRoles": ["org.permission.audit_logs.read"]}}]})
    );
    assert_eq!(get(&sim, "/v1/brands").await.0, StatusCode::OK);
    // A bad token is a 401 too, told apart by its detail and counted apart.
    let resp = reqwest::Client::new()
        .get(format!("{}/v1/brands", sim.base_url()))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let bad: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(bad["errors"][0]["detail"], "Invalid API token");
    assert!(bad["errors"][0].get("meta").is_none());
    let stats = sim.stats();
    assert_eq!((stats.forbidden, stats.unauthorized), (1, 1));
    sim.shutdown().await;

    let sim = start(SimConfig {
        forbidden,
        role_status: 403,
        ..SimConfig::tiny()
    })
    .await;
    let (status, body) = get(&sim, "/v1/audit-logs").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let e = &body["errors"][0];
    assert_eq!(
        (&e["status"], &e["code"], &e["title"]),
        (&json!("403"), &json!("forbidden"), &json!("Forbidden"))
    );
    assert_eq!(e["meta"]["requiredRoles"][0], "org.permission.audit_logs.read");
    assert_eq!((sim.stats().forbidden, sim.stats().unauthorized), (1, 0));
    sim.shutdown().await;
}

#[tokio::test]
async fn forbidden_prefixes_answer_403_naming_the_role() {
    // 403 when configured, for every forbidden prefix and only those.
    let config = SimConfig {
        forbidden: vec!["/v1/audit-logs".into(), "/v1/kb".into()],
        role_status: 403,
        ..SimConfig::tiny()
    };
    let sim = Simulator::start(config).await.unwrap();
    for (path, role) in [
        ("/v1/audit-logs", "org.permission.audit_logs.read"),
        ("/v1/audit-logs/?count=5", "org.permission.audit_logs.read"),
        ("/v1/kb/articles", "org.permission.kb.read"),
    ] {
        let (status, body) = get(&sim, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        let e = &body["errors"][0];
        assert_eq!(e["status"], "403");
        assert_eq!(e["code"], "forbidden");
        assert!(e["detail"].as_str().unwrap().contains(role), "{path}: {e}");
        assert_eq!(e["meta"]["requiredRoles"][0], role);
    }
    assert_eq!(get(&sim, "/v1/brands").await.0, StatusCode::OK);
    assert_eq!(
        get(&sim, "/v3/kb/tags").await.0,
        StatusCode::OK,
        "only the /v1/kb prefix is forbidden"
    );
    assert_eq!(sim.stats().forbidden, 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn result_window_refuses_pages_past_record_10000() {
    let sim = start(over_the_window()).await;
    let messages = sim.with_org(|o| o.live_records(Kind::Message).len());
    assert_eq!(messages, 10_050);
    // The last page inside the window is served and still links onwards...
    let (status, last) = get(&sim, "/v1/messages?page=100&pageSize=100").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(last["data"].as_array().unwrap().len(), 100);
    assert_eq!(last["links"]["next"], "/v1/messages?page=101&pageSize=100");
    // ...but the next one is refused, although 50 records remain.
    let (status, over) = get(&sim, "/v1/messages?page=101&pageSize=100").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(over, window_error(10_100));
    // pageSize is clamped first: 1000 means 100, so page 100 still fits.
    assert_eq!(get(&sim, "/v1/messages?page=100&pageSize=1000").await.0, StatusCode::OK);
    assert_eq!(get(&sim, "/v1/messages?page=10000&pageSize=1").await.0, StatusCode::OK);
    assert_eq!(
        get(&sim, "/v1/messages?page=10001&pageSize=1").await.1,
        window_error(10_001)
    );

    // Every kind of page/pageSize list, however short.
    let (conv, klass) = sim.with_org(|o| {
        let conv = o.live_records(Kind::Conversation)[0]["id"].as_str().unwrap().to_owned();
        let klass = o.records(Kind::Klass)[0]["attributes"]["name"]
            .as_str()
            .unwrap()
            .to_owned();
        (conv, klass)
    });
    for path in [
        format!("/v1/conversations/{conv}/messages?page=101&pageSize=100"),
        format!("/v1/klasses/{klass}?page=101"),
        format!("/v1/conversations/{conv}/events?page=101"),
        "/v1/brands?page=101".to_owned(),
        "/v1/customers?page=101".to_owned(),
    ] {
        let (status, body) = get(&sim, &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body, window_error(10_100), "{path}");
    }
    assert_eq!(get(&sim, "/v1/users?page=20&pageSize=500").await.0, StatusCode::OK);
    assert_eq!(
        get(&sim, "/v1/users?page=21&pageSize=500").await.1,
        window_error(10_500)
    );

    // Search: 20 pages of 500; the 100-page cap (404) comes first.
    let body = json!({"queryContext": "message", "sort": [{"message_updated_at": "asc"}]});
    let (status, p20) = post(&sim, &format!("{SEARCH}?page=20&pageSize=500"), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p20["data"].as_array().unwrap().len(), 500);
    assert_eq!(p20["meta"]["total"], 10_050);
    assert_eq!(p20["links"]["next"], format!("{SEARCH}?page=21&pageSize=500"));
    let (status, p21) = post(&sim, &format!("{SEARCH}?page=21&pageSize=500"), &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(p21, window_error(10_500));
    let (status, _) = post(&sim, &format!("{SEARCH}?page=101&pageSize=100"), &body).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the page cap is checked first");
    let (status, archived) = post(&sim, &format!("{ARCHIVE}?page=21&pageSize=500"), &body).await;
    assert_eq!((status, archived), (StatusCode::BAD_REQUEST, window_error(10_500)));
    sim.shutdown().await;

    // Disabled: every page is served.
    let sim = start(SimConfig {
        result_window: None,
        ..over_the_window()
    })
    .await;
    let (status, tail) = get(&sim, "/v1/messages?page=101&pageSize=100").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tail["data"].as_array().unwrap().len(), 50);
    assert!(tail["links"]["next"].is_null());
    let (status, p21) = post(&sim, &format!("{SEARCH}?page=21&pageSize=500"), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p21["data"].as_array().unwrap().len(), 50);
    sim.shutdown().await;
}

#[tokio::test]
async fn cap_totals_stops_search_totals_at_10000() {
    let body = json!({"queryContext": "message", "includeDeleted": true});
    let sim = start(over_the_window()).await;
    let (_, exact) = post(&sim, SEARCH, &body).await;
    assert_eq!(exact["meta"]["total"], 10_050, "exact by default");
    assert_eq!(exact["meta"]["totalPages"], 101);
    sim.shutdown().await;

    let sim = start(SimConfig {
        cap_totals: true,
        ..over_the_window()
    })
    .await;
    let (_, capped) = post(&sim, SEARCH, &body).await;
    assert_eq!(capped["meta"]["total"], 10_000);
    assert_eq!(capped["meta"]["totalPages"], 100);
    assert_eq!(capped["links"]["last"], format!("{SEARCH}?page=100&pageSize=100"));
    assert_eq!(capped["links"]["next"], format!("{SEARCH}?page=2&pageSize=100"));
    // The last page inside the window still links on: more records match.
    let (_, p100) = post(&sim, &format!("{SEARCH}?page=100&pageSize=100"), &body).await;
    assert_eq!(p100["links"]["next"], format!("{SEARCH}?page=101&pageSize=100"));
    // Smaller totals are exact.
    let (_, few) = post(
        &sim,
        SEARCH,
        &json!({"queryContext": "conversation", "includeDeleted": true}),
    )
    .await;
    assert_eq!(
        few["meta"]["total"],
        sim.with_org(|o| o.records(Kind::Conversation).len())
    );
    // Archive search too, once every message is older than the window.
    sim.with_org(|o| o.advance(Duration::days(3_000)));
    let (_, archived) = post(&sim, ARCHIVE, &body).await;
    assert_eq!(archived["meta"]["total"], 10_000);
    assert_eq!(archived["meta"]["totalPages"], 100);
    sim.shutdown().await;
}

#[tokio::test]
async fn archive_search_can_be_missing_from_the_org() {
    let body = json!({"queryContext": "customer"});
    let sim = start(SimConfig::five_years()).await;
    let (status, served) = post(&sim, ARCHIVE, &body).await;
    assert_eq!(status, StatusCode::OK, "served by default: {served}");
    sim.shutdown().await;

    for (code, status, title) in [
        (404, StatusCode::NOT_FOUND, "Not Found"),
        (401, StatusCode::UNAUTHORIZED, "Unauthorized"),
    ] {
        let sim = start(SimConfig {
            archive_search: Some(code),
            ..SimConfig::five_years()
        })
        .await;
        for query in ["", "?page=2&pageSize=10"] {
            let (got, reply) = post(&sim, &format!("{ARCHIVE}{query}"), &body).await;
            assert_eq!(got, status, "{reply}");
            let e = &reply["errors"][0];
            assert_eq!(e["status"], code.to_string());
            assert_eq!(e["title"], title);
            assert!(e["detail"].is_string());
        }
        let (got, _) = post(&sim, ARCHIVE, &json!({"queryContext": "planet"})).await;
        assert_eq!(got, status, "refused whatever the body");
        assert_eq!(
            post(&sim, SEARCH, &body).await.0,
            StatusCode::OK,
            "search is unaffected"
        );
        let stats = sim.stats();
        assert_eq!(stats.search_requests, 4);
        assert_eq!((stats.forbidden, stats.unauthorized), (0, 0));
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn archive_search_refuses_note_queries() {
    let sim = start(SimConfig::five_years()).await;
    for body in [
        json!({"queryContext": "note"}),
        json!({"queryContext": "note", "and": [{"note_updated_at": {"lt": "2024-01-01"}}]}),
        json!({"queryContext": "customer", "or": [{"and": [{"note_created_at": {"gte": "2020-01-01"}}]}]}),
        json!({"queryContext": "note", "sort": [{"note_updated_at": "asc"}]}),
    ] {
        let (status, reply) = post(&sim, ARCHIVE, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {reply}");
        let e = &reply["errors"][0];
        assert_eq!(e["code"], "bad_request");
        let message = e["message"].as_str().unwrap();
        assert!(message.contains("note"), "{message}");
    }
    // Standard search takes them; archive search takes the other contexts.
    let notes = json!({"queryContext": "note", "and": [{"note_updated_at": {"gte": "2020-01-01"}}]});
    assert_eq!(post(&sim, SEARCH, &notes).await.0, StatusCode::OK);
    for ctx in ["customer", "company", "conversation", "message", "kobject"] {
        let (status, reply) = post(&sim, ARCHIVE, &json!({"queryContext": ctx})).await;
        assert_eq!(status, StatusCode::OK, "{ctx}: {reply}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn search_can_refuse_company_queries() {
    let bodies = [
        json!({"queryContext": "company"}),
        json!({"queryContext": "company", "sort": [{"company_updated_at": "asc"}]}),
        json!({"and": [{"company_updated_at": {"gte": "2020-01-01"}}], "queryContext": "company"}),
    ];
    let sim = start(SimConfig::tiny()).await;
    for body in &bodies {
        let (status, reply) = post(&sim, SEARCH, body).await;
        assert_eq!(status, StatusCode::OK, "accepted by default: {reply}");
    }
    sim.shutdown().await;

    let sim = start(SimConfig {
        search_refuses_company: true,
        ..SimConfig::five_years()
    })
    .await;
    for body in &bodies {
        let (status, reply) = post(&sim, SEARCH, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply["errors"][0]["code"], "bad_request");
        assert!(reply["errors"][0]["message"].as_str().unwrap().contains("company"));
        let (status, _) = post(&sim, ARCHIVE, body).await;
        assert_eq!(status, StatusCode::OK, "archive search still takes {body}");
    }
    assert_eq!(
        post(&sim, SEARCH, &json!({"queryContext": "customer"})).await.0,
        StatusCode::OK
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn unserved_prefixes_answer_404() {
    let sim = start(SimConfig::tiny()).await;
    assert_eq!(get(&sim, "/v1/assistants").await.0, StatusCode::OK, "served by default");
    sim.shutdown().await;

    let sim = start(SimConfig {
        unserved: vec!["/v1/assistants".into()],
        forbidden: vec!["/v1/assistants".into(), "/v1/audit-logs".into()],
        ..SimConfig::tiny()
    })
    .await;
    for path in ["/v1/assistants", "/v1/assistants/", "/v1/assistants/x?page=2"] {
        let (status, body) = get(&sim, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        let e = &body["errors"][0];
        assert_eq!((&e["status"], &e["code"]), (&json!("404"), &json!("not_found")));
        assert!(e["detail"]
            .as_str()
            .unwrap()
            .starts_with("No route for GET /v1/assistants"));
    }
    assert_eq!(get(&sim, "/v1/brands").await.0, StatusCode::OK);
    assert_eq!(get(&sim, "/v1/audit-logs").await.0, StatusCode::UNAUTHORIZED);
    let stats = sim.stats();
    assert_eq!(stats.forbidden, 1, "unserved wins over forbidden");
    assert_eq!(stats.by_family["other"], 3);
    assert!(!stats.by_family.contains_key("GET /v1/assistants"));
    sim.shutdown().await;
}
