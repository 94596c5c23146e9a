//! Error responses in the two body shapes the real API uses (spec §10).

use axum::http::StatusCode;
use serde_json::{json, Value};

/// An error the simulator answers with.
///
/// Validation errors (400) use the new docs' main shape
/// `{"errors":[{"code":"bad_request","message":…,"meta":{}}]}`; the rest use the
/// JSON:API shape `{"errors":[{"status":…,"code":…,"title":…,"detail":…}]}`, so
/// clients are exercised on both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// 400: a bad parameter or body.
    BadRequest(String),
    /// 401: missing, malformed or wrong bearer token.
    Unauthorized(String),
    /// 403: the token lacks the role the endpoint needs (the role's name).
    Forbidden(String),
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
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
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
            ApiError::Forbidden(role) => {
                return json!({"errors": [{
                    "status": "403", "code": "forbidden", "title": "Forbidden",
                    "detail": format!("Missing required role: {role}"),
                    "meta": {"requiredRoles": [role]},
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
