//! Users (`type: user`): the org's agents and machine users (API keys).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::cell::Cell;
use crate::entity::entity;
use crate::enums::UserType;
use crate::record::record;
use crate::table::LogicalType;
use crate::value::{Flex, Json, Key, Scalar};

/// The non-secret status of a user's password (`password`): the flags
/// `allowNew` and `forceNew` and the time `updatedAt`, kept verbatim. Any other
/// key is treated as a secret: its value is dropped and only its name is kept,
/// under `_redacted`, so nothing disappears without a trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PasswordStatus {
    /// The kept keys and their values.
    pub fields: BTreeMap<String, Json>,
    /// Names of keys whose values were withheld.
    pub redacted: Vec<String>,
}

impl PasswordStatus {
    /// Keys whose values are kept; everything else is withheld.
    pub const KEPT: [&'static str; 3] = ["allowNew", "forceNew", "updatedAt"];
}

impl<'de> Deserialize<'de> for PasswordStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PasswordStatus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a password status object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<PasswordStatus, M::Error> {
                let mut out = PasswordStatus::default();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    if PasswordStatus::KEPT.contains(&key.as_str()) {
                        let v: Json = map.next_value()?;
                        out.fields.insert(key.into_owned(), v);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        out.redacted.push(key.into_owned());
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for PasswordStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in &self.fields {
            m.serialize_entry(k, v)?;
        }
        if !self.redacted.is_empty() {
            m.serialize_entry("_redacted", &self.redacted)?;
        }
        m.end()
    }
}

impl Scalar for PasswordStatus {
    const TYPE: LogicalType = LogicalType::Json;
    fn into_cell(self) -> Cell {
        Cell::Json(serde_json::to_string(&self).unwrap_or_else(|_| "{}".into()))
    }
}

record! {
    /// A user's attributes (Stitch and AppFlow `users`; spec §11).
    pub struct UserAttributes {
        "name" => name: Option<String>,
        "displayName" => display_name: Option<String>,
        "email" => email: Option<String>,
        "mobile" => mobile: Option<String>,
        "emailSignature" => email_signature: Option<String>,
        "avatarUrl" => avatar_url: Option<String>,
        "userType" => user_type: Option<UserType>,
        "verifiedEmailStatus" => verified_email_status: Option<String>,
        "isEmailValid" => is_email_valid: Option<bool>,
        "password" => password: Option<PasswordStatus>,
        "roleGroups" => role_groups: Option<Json>,
        "emailVerifiedAt" => email_verified_at: Option<DateTime<Utc>>,
        "firstEmailVerifiedAt" => first_email_verified_at: Option<DateTime<Utc>>,
        "firstLoginAt" => first_login_at: Option<DateTime<Utc>>,
        "mostRecentLoginAt" => most_recent_login_at: Option<DateTime<Utc>>,
        "deletedAt" => deleted_at: Option<DateTime<Utc>>,
        "createdAt" => created_at: Option<DateTime<Utc>>,
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
        "modifiedAt" => modified_at: Option<DateTime<Utc>>,
    }
    lists {
        /// Role names (`org.user.read`, …).
        "roles" => roles: Option<Vec<Flex>>,
    }
}

entity! {
    /// A user resource.
    pub type User = Resource<UserAttributes> {
        resource: "user",
        table: "users",
        singular: "user",
        doc: "Users: the org's agents, admins and API users",
        relationships {
            "org" => "org_id",
            "createdBy" => "created_by_id",
            "modifiedBy" => "modified_by_id",
        }
        lists {
            roles => "role",
        }
        relationship_lists {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_secrets_are_withheld() {
        let p: PasswordStatus =
            serde_json::from_str(r#"{"allowNew":false,"hash":"$2b$10$abc","updatedAt":"2024-01-01T00:00:00.000Z"}"#)
                .unwrap();
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(
            text,
            r#"{"allowNew":false,"updatedAt":"2024-01-01T00:00:00.000Z","_redacted":["hash"]}"#
        );
    }
}
