//! A 401 is a bad token only if `GET /v1/users/current` is refused too;
//! otherwise it is a missing role, and only that resource is unreadable.

use kustomer_api::{Client, Error};
use kustomer_models::{Customer, Page};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-SECRET-42";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .token(TOKEN)
        .rate_limit(60_000)
        .build()
        .unwrap()
}

fn unauthorized() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(json!({"errors": [{"status": "401", "title": "Unauthorized"}]}))
}

fn me() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {"type": "user", "id": "me", "attributes": {}}}))
}

#[tokio::test]
async fn a_401_on_one_endpoint_while_the_token_works_is_a_missing_role() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/current"))
        .respond_with(me())
        .expect(1)
        .mount(&server)
        .await;
    for p in ["/v1/conversations/c1/events", "/v1/customers/k1/merges"] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(unauthorized())
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    for p in ["/v1/conversations/c1/events", "/v1/customers/k1/merges"] {
        let e = c.clone().get_page::<serde_json::Value>(p).await.unwrap_err();
        assert!(e.is_forbidden() && e.is_missing_role(), "{e}");
        assert!(!e.is_unauthorized(), "{e}");
        assert!(matches!(e, Error::Api { status: 401, .. }), "{e:?}");
    }
    // One probe for both 401s (the verdict is shared by clones), none retried.
    assert_eq!(c.stats().requests, 3);
}

#[tokio::test]
async fn a_401_everywhere_is_a_bad_token_with_one_clear_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(unauthorized())
        .mount(&server)
        .await;
    let c = client(&server);
    let e = c.get_page::<Customer>("/v1/customers?page=1").await.unwrap_err();
    match &e {
        Error::Unauthorized { path, message } => {
            assert_eq!(path, "/v1/customers?page=1");
            assert!(message.contains("invalid or expired"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_unauthorized() && !e.is_forbidden());
    let text = format!("{e} {e:?}");
    assert!(!text.contains("SECRET"), "token leaked: {text}");
    assert!(e.to_string().contains("401"), "{e}");
    // The bad verdict is kept: a second 401 is not probed again.
    let before = c.stats().requests;
    let e = c.get_page::<Page<Customer>>("/v1/tags").await.unwrap_err();
    assert!(e.is_unauthorized(), "{e}");
    assert_eq!(c.stats().requests - before, 1);
}

#[tokio::test]
async fn a_403_is_a_missing_role_without_any_probe() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"errors": [{"status": "403", "title": "Forbidden"}]})),
        )
        .mount(&server)
        .await;
    let c = client(&server);
    let e = c.get_page::<Customer>("/v1/customers").await.unwrap_err();
    assert!(e.is_forbidden() && !e.is_unauthorized(), "{e}");
    assert_eq!(c.stats().requests, 1);
}
