//! Error responses in the two body shapes the real API uses (spec §10).

use axum::http::StatusCode;
use serde_json::{json, Value};

/// An error the simulator answers with.
///
/// Validation errors of parameters and bodies (400) use the new docs' main shape
/// `{"errors":[{"code":"bad_request","message":…,"meta":{}}]}`; the rest (the
/// result window's 400 included, as Elasticsearch words it) use the JSON:API shape
/// `{"errors":[{"status":…,"code":…,"title":…,"detail":…}]}`, so clients are
/// exercised on both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// 400: a bad parameter or body.
    BadRequest(String),
    /// 401: missing, malformed or wrong bearer token.
    Unauthorized(String),
    /// The token lacks the role the endpoint needs: the role's name and the status
    /// answered ([`crate::SimConfig::role_status`]: 401 by default, or 403).
    Role(String, StatusCode),
    /// Any status with a JSON:API body whose `code` and `title` derive from the
    /// status (`bad_request`/`Bad Request`, …) and this `detail`: the result window,
    /// a refused archive search.
    JsonApi(StatusCode, String),
    /// 404: no such route or record (or a search page beyond the cap).
    NotFound(String),
    /// 413: body over 100 kB.
    TooLarge,
    /// 429: a rate budget is spent.
    TooManyRequests,
    /// A 5xx (or any other status) injected by a [`crate::Fault::ServerError`].
    Server(StatusCode),
}

impl ApiError {
    /// The HTTP status.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Role(_, status) | ApiError::JsonApi(status, _) => *status,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Server(status) => *status,
        }
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        let (code, title, detail) = match self {
            ApiError::BadRequest(message) => {
                return json!({"errors": [{"code": "bad_request", "message": message, "meta": {}}]});
            }
            ApiError::Unauthorized(d) => ("unauthorized", "Unauthorized", d.as_str()),
            ApiError::Role(role, status) => {
                let title = reason(*status);
                return json!({"errors": [{
                    "status": status.as_u16().to_string(), "code": code_of(title), "title": title,
                    "detail": format!("Missing required role: {role}"),
                    "meta": {"requiredRoles": [role]},
                }]});
            }
            ApiError::JsonApi(status, detail) => {
                let title = reason(*status);
                return json!({"errors": [{
                    "status": status.as_u16().to_string(), "code": code_of(title), "title": title,
                    "detail": detail,
                }]});
            }
            ApiError::NotFound(d) => ("not_found", "Not Found", d.as_str()),
            ApiError::TooLarge => ("payload_too_large", "Payload Too Large", "Request body exceeds 100 kB"),
            ApiError::TooManyRequests => (
                "too_many_requests",
                "Too Many Requests",
                "Rate limit exceeded; retry after x-ratelimit-reset",
            ),
            ApiError::Server(status) => (
                "server_error",
                status.canonical_reason().unwrap_or("Server Error"),
                "An unexpected error occurred; please retry",
            ),
        };
        json!({"errors": [{
            "status": self.status().as_u16().to_string(),
            "code": code, "title": title, "detail": detail,
        }]})
    }
}

/// The status's reason phrase (`Bad Request`), or `Error` for unusual codes.
fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

/// `Bad Request` → `bad_request`.
fn code_of(title: &str) -> String {
    title.to_ascii_lowercase().replace([' ', '-'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_and_json_api_bodies_follow_their_status() {
        let role = |s| ApiError::Role("org.permission.x.read".into(), s).body();
        let e = &role(StatusCode::UNAUTHORIZED)["errors"][0];
        assert_eq!(
            (&e["status"], &e["code"], &e["title"]),
            (&json!("401"), &json!("unauthorized"), &json!("Unauthorized"))
        );
        assert_eq!(e["meta"]["requiredRoles"][0], "org.permission.x.read");
        let e = &role(StatusCode::FORBIDDEN)["errors"][0];
        assert_eq!(
            (&e["status"], &e["code"], &e["title"]),
            (&json!("403"), &json!("forbidden"), &json!("Forbidden"))
        );
        let e = ApiError::JsonApi(StatusCode::BAD_REQUEST, "d".into()).body();
        assert_eq!(
            e,
            json!({"errors": [{"status": "400", "code": "bad_request", "title": "Bad Request", "detail": "d"}]})
        );
    }
}
