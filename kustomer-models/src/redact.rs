//! Secrets the API returns (an outbound webhook's HMAC `token`, the chat
//! customer-auth `secret`, webhook header values): withheld while decoding.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize, Serializer};

use crate::cell::Cell;
use crate::table::LogicalType;
use crate::value::Scalar;

/// A secret whose value was dropped while decoding: it is never held, logged,
/// serialized or loaded. Its column holds [`Redacted::PLACEHOLDER`], which
/// only says that the API sent one (`null` stays NULL).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Redacted;

impl Redacted {
    /// What the column and any re-serialization show instead of the secret.
    pub const PLACEHOLDER: &'static str = "[redacted]";
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Redacted::PLACEHOLDER)
    }
}

impl<'de> Deserialize<'de> for Redacted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Redacted)
    }
}

impl Serialize for Redacted {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(Redacted::PLACEHOLDER)
    }
}

impl Scalar for Redacted {
    const TYPE: LogicalType = LogicalType::Text;
    fn into_cell(self) -> Cell {
        Cell::Text(Redacted::PLACEHOLDER.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_is_never_kept() {
        let r: Option<Redacted> = serde_json::from_str(r#"{"k":"s3cr3t"}"#).unwrap();
        assert_eq!(format!("{r:?}"), "Some([redacted])");
        assert_eq!(serde_json::to_string(&r).unwrap(), r#""[redacted]""#);
        let none: Option<Redacted> = serde_json::from_str("null").unwrap();
        assert!(none.is_none());
    }
}
