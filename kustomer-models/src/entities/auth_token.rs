//! Auth tokens: the org's API keys and sessions, without their secrets.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;
use crate::redact::Redacted;
use crate::value::Json;

record! {
    /// An auth token's attributes (AppFlow `Auth Tokens`; `GET /v1/auth/tokens`).
    pub struct AuthTokenAttributes {
        "name" => name: Option<String>,
        /// The last characters of the token, to recognise it.
        "lastTokenChars" => last_token_chars: Option<String>,
        /// The token itself if the API ever sends it: withheld.
        "token" => token: Option<Redacted>,
        "ipAddress" => ip_address: Option<String>,
        "userAgent" => user_agent: Option<String>,
        /// Role names.
        "roles" => roles: Option<Json>,
        /// Allowed CIDR ranges.
        "cidr" => cidr: Option<Json>,
        "expireAt" => expire_at: Option<DateTime<Utc>>,
        "lastAccessedAt" => last_accessed_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An auth token resource.
    pub type AuthToken = Resource<AuthTokenAttributes> {
        resource: "auth_token",
        table: "auth_tokens",
        singular: "auth_token",
        doc: "API keys issued in the org (never the secret itself)",
        relationships {
            "org" => "org_id",
            "user" => "user_id",
        }
        lists {}
        relationship_lists {}
    }
}
