//! Typed errors. None of them ever carries the API token.

use std::time::Duration;

use kustomer_models::DecodeError;
use serde::Deserialize;

/// One entry of an error body's `errors[]`. Both documented shapes decode
/// into it: `{code, message, meta}` and the JSON:API `{status, code, title,
/// detail, source}` (spec §10).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ApiErrorItem {
    /// HTTP status as a string (JSON:API shape).
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
    /// Machine-readable code (`bad_request`, `unauthorized`).
    #[serde(default, deserialize_with = "lenient_string")]
    pub code: Option<String>,
    /// Short title (JSON:API shape).
    #[serde(default)]
    pub title: Option<String>,
    /// Detail (JSON:API shape).
    #[serde(default)]
    pub detail: Option<String>,
    /// Message (the newer shape).
    #[serde(default)]
    pub message: Option<String>,
    /// `source.pointer` / `source.parameter`.
    #[serde(default)]
    pub source: Option<serde_json::Value>,
}

impl ApiErrorItem {
    /// The most informative human text of the item.
    pub fn text(&self) -> String {
        let parts: Vec<&str> = [&self.title, &self.detail, &self.message, &self.code]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        let mut out = Vec::new();
        for p in parts {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out.join(": ")
    }
}

fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ApiErrorItem>,
}

/// Parses an error body in either documented shape. A body that is not
/// JSON (an HTML page from a proxy) yields no items.
pub(crate) fn parse_error_items(body: &[u8]) -> Vec<ApiErrorItem> {
    serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.errors)
        .unwrap_or_default()
}

/// Everything that can go wrong talking to Kustomer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a non-success status that is not retried (or
    /// whose retries ran out; see [`Error::RetriesExhausted`]).
    #[error("Kustomer answered {status} to {method} {path}{}", summary(errors, snippet))]
    Api {
        /// HTTP status.
        status: u16,
        /// HTTP method.
        method: String,
        /// Path and query of the request (never the token).
        path: String,
        /// Parsed `errors[]`.
        errors: Vec<ApiErrorItem>,
        /// The start of a body that was not a JSON error (HTML from a proxy).
        snippet: Option<String>,
    },
    /// The API token itself was refused: a request answered 401 and so did
    /// `GET /v1/users/current`, which every valid token may read. Kustomer
    /// answers 401 for a missing role too; that one stays an [`Error::Api`]
    /// (see [`Error::is_forbidden`]). A sync must stop at once.
    #[error("the API token was rejected (401 Unauthorized) on {path}: {message}")]
    Unauthorized {
        /// Path and query of the refused request (never the token).
        path: String,
        /// Why the token is held bad, with the server's text.
        message: String,
    },
    /// A body that could not be decoded; names the JSON path.
    #[error("could not decode the response to {path}: {source}")]
    Decode {
        /// Path and query of the request.
        path: String,
        /// Where and why.
        #[source]
        source: DecodeError,
    },
    /// No complete response within the request timeout.
    #[error("{path}: no response within {timeout:?}")]
    Timeout {
        /// Path and query of the request.
        path: String,
        /// The configured timeout.
        timeout: Duration,
    },
    /// Connection refused/reset, TLS failure, body cut short.
    #[error("{path}: connection failed: {message}")]
    Transport {
        /// Path and query of the request.
        path: String,
        /// What the transport said.
        message: String,
    },
    /// Retries for a retryable failure ran out.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: Box<Error>,
    },
    /// Invalid client configuration (bad base URL, missing token, …).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Creating an outbound webhook was refused (or not attempted): the org
    /// already has the most Kustomer allows.
    #[error("the org has {existing} outbound webhooks; Kustomer allows at most {limit}")]
    WebhookLimit {
        /// The limit ([`crate::webhooks::MAX_OUTBOUND_WEBHOOKS`]).
        limit: usize,
        /// How many the org has.
        existing: usize,
    },
}

pub(crate) fn summary(errors: &[ApiErrorItem], snippet: &Option<String>) -> String {
    let texts: Vec<String> = errors
        .iter()
        .map(ApiErrorItem::text)
        .filter(|t| !t.is_empty())
        .collect();
    if !texts.is_empty() {
        format!(": {}", texts.join("; "))
    } else if let Some(s) = snippet {
        format!(": {s}")
    } else {
        String::new()
    }
}

impl Error {
    /// The HTTP status, for API errors (looking through retries).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::Unauthorized { .. } => Some(401),
            Error::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// The path (and query) of the request that failed, if the error has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::Api { path, .. }
            | Error::Unauthorized { path, .. }
            | Error::Decode { path, .. }
            | Error::Timeout { path, .. }
            | Error::Transport { path, .. } => Some(path),
            Error::RetriesExhausted { last, .. } => last.path(),
            Error::Config(_) | Error::WebhookLimit { .. } => None,
        }
    }

    /// The token is invalid or expired ([`Error::Unauthorized`]): a sync
    /// must stop at once. A 401 for a missing role is not this.
    pub fn is_unauthorized(&self) -> bool {
        match self {
            Error::Unauthorized { .. } => true,
            Error::RetriesExhausted { last, .. } => last.is_unauthorized(),
            _ => false,
        }
    }

    /// The token lacks a role for this resource: a 403, or a 401 while the
    /// token works elsewhere (the client turns a 401 of a bad token into
    /// [`Error::Unauthorized`], so an [`Error::Api`] 401 is a missing role).
    /// Other resources may still be readable.
    pub fn is_forbidden(&self) -> bool {
        match self {
            Error::Api { status, .. } => matches!(status, 401 | 403),
            Error::RetriesExhausted { last, .. } => last.is_forbidden(),
            _ => false,
        }
    }

    /// Same as [`Error::is_forbidden`], named for what a 401 means there.
    pub fn is_missing_role(&self) -> bool {
        self.is_forbidden()
    }

    /// 400: the API refused the request itself (a parameter, a field, the
    /// body). Repeating it brings the same answer.
    pub fn is_bad_request(&self) -> bool {
        self.status() == Some(400)
    }

    /// 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_error_shapes() {
        let a = parse_error_items(
            br#"{"errors":[{"code":"bad_request","message":"Invalid request body or parameters.","meta":{}}]}"#,
        );
        assert_eq!(a[0].text(), "Invalid request body or parameters.: bad_request");
        let b = parse_error_items(
            br#"{"errors":[{"status":"404","code":"not_found","title":"Not Found","detail":"no such customer","source":{"parameter":"id"}}]}"#,
        );
        assert_eq!(b[0].status.as_deref(), Some("404"));
        assert_eq!(b[0].text(), "Not Found: no such customer: not_found");
        assert!(parse_error_items(b"<html>502 Bad Gateway</html>").is_empty());
        let c = parse_error_items(br#"{"errors":[{"status":429}]}"#);
        assert_eq!(c[0].status.as_deref(), Some("429"));
    }
}
