//! Auth roles: the role names an API key or user can hold
//! (`org.user.read`, …). The id is the role name.

use chrono::{DateTime, Utc};

use crate::entity::entity;
use crate::record::record;

record! {
    /// An auth role's attributes; the API documents none (AppFlow `Auth
    /// Roles` has only `ID`), so anything sent lands in `_extra`.
    pub struct AuthRoleAttributes {
        "updatedAt" => updated_at: Option<DateTime<Utc>>,
    }
}

entity! {
    /// An auth role resource (`GET /v1/auth/roles`).
    pub type AuthRole = Resource<AuthRoleAttributes> {
        resource: "role",
        table: "auth_roles",
        singular: "auth_role",
        doc: "Permission roles a user can hold",
        relationships {}
        lists {}
        relationship_lists {}
    }
}
