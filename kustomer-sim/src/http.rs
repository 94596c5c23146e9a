//! HTTP helpers every layer answers with: JSON responses with rate-limit headers,
//! error bodies, and path matching.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;

use crate::errors::ApiError;
use crate::limits::RateHeaders;

/// A JSON response, with the rate-limit headers when the request was charged.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>, rate: Option<RateHeaders>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(rate) = rate {
        for (name, value) in [
            ("x-ratelimit-limit", u64::from(rate.limit)),
            ("x-ratelimit-remaining", u64::from(rate.remaining)),
            ("x-ratelimit-reset", rate.reset),
        ] {
            h.insert(name, HeaderValue::from(value));
        }
    }
    response
}

/// An error's status and JSON body.
pub(crate) fn error_response(e: &ApiError, rate: Option<RateHeaders>) -> Response {
    json_response(e.status(), e.body().to_string().into_bytes(), rate)
}

/// Serialises a response body.
pub(crate) fn to_bytes(body: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

/// A 404 for a missing record.
pub(crate) fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::NotFound(format!("{what} {id} not found"))
}

/// Whether `path` lies under `prefix`, segment-wise: `/v1/audit-logs` covers
/// `/v1/audit-logs`, `/v1/audit-logs/` and `/v1/audit-logs/x`, not `/v1/audit-logsx`;
/// `""` and `"/"` cover every path.
pub(crate) fn under(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    (path.trim_end_matches('/').strip_prefix(prefix)).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
