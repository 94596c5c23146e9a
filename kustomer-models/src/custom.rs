//! Custom attributes, typed by the suffix of their name (spec §8).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::cell::Cell;
use crate::table::LogicalType;
use crate::value::{Json, Key, Scalar};

/// The type a custom attribute's name declares by its suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum CustomKind {
    /// `…Str`: string (≤ 1024 chars).
    Str,
    /// `…Txt`: longer text.
    Txt,
    /// `…Num`: number.
    Num,
    /// `…At`: date-time.
    At,
    /// `…Bool`: boolean.
    Bool,
    /// `…Url`: URL string.
    Url,
    /// Any other suffix (`…Tree`, `…Id`): kept as raw JSON.
    Unknown,
}

impl CustomKind {
    /// The kind a name declares. The suffix must follow a lowercase letter or
    /// digit, so `format` is not an `At` attribute but `placedAt` is.
    pub fn of(name: &str) -> CustomKind {
        const SUFFIXES: [(&str, CustomKind); 6] = [
            ("Str", CustomKind::Str),
            ("Txt", CustomKind::Txt),
            ("Num", CustomKind::Num),
            ("Bool", CustomKind::Bool),
            ("Url", CustomKind::Url),
            ("At", CustomKind::At),
        ];
        for (suffix, kind) in SUFFIXES {
            if let Some(stem) = name.strip_suffix(suffix) {
                if stem
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                {
                    return kind;
                }
            }
        }
        CustomKind::Unknown
    }

    /// The column type of an attribute of this kind.
    pub fn logical_type(self) -> LogicalType {
        match self {
            CustomKind::Str | CustomKind::Txt | CustomKind::Url => LogicalType::Text,
            CustomKind::Num => LogicalType::Double,
            CustomKind::At => LogicalType::Timestamp,
            CustomKind::Bool => LogicalType::Boolean,
            CustomKind::Unknown => LogicalType::Json,
        }
    }
}

/// One custom attribute's value, typed by its name's suffix.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CustomValue {
    /// JSON `null`.
    Null,
    /// A string of a `Str`, `Txt` or `Url` attribute.
    Text(String),
    /// A `Num` attribute; kept as the JSON number it was.
    Num(serde_json::Number),
    /// An `At` attribute.
    At(DateTime<Utc>),
    /// A `Bool` attribute.
    Bool(bool),
    /// An attribute with an unknown suffix, verbatim.
    Other(Json),
    /// A value that does not fit its declared type (a `Num` sent as `"12,5"`),
    /// verbatim: kept, never dropped, and reported by [`CustomValue::is_mismatch`].
    Mismatch(Json),
}

impl CustomValue {
    fn parse(kind: CustomKind, raw: Json) -> CustomValue {
        let text = raw.get();
        if text == "null" {
            return CustomValue::Null;
        }
        let typed = match kind {
            CustomKind::Str | CustomKind::Txt | CustomKind::Url => {
                serde_json::from_str::<String>(text).ok().map(CustomValue::Text)
            }
            CustomKind::Num => serde_json::from_str::<serde_json::Number>(text)
                .ok()
                .map(CustomValue::Num),
            CustomKind::Bool => serde_json::from_str::<bool>(text).ok().map(CustomValue::Bool),
            CustomKind::At => serde_json::from_str::<DateTime<Utc>>(text).ok().map(CustomValue::At),
            CustomKind::Unknown => return CustomValue::Other(raw),
        };
        typed.unwrap_or(CustomValue::Mismatch(raw))
    }

    /// Whether the value did not fit its declared type.
    pub fn is_mismatch(&self) -> bool {
        matches!(self, CustomValue::Mismatch(_))
    }

    /// The value as a cell of its kind's column type; a mismatch gives NULL
    /// (the caller keeps the raw value in an overflow column).
    pub fn to_cell(&self) -> Cell {
        match self {
            CustomValue::Null | CustomValue::Mismatch(_) => Cell::Null,
            CustomValue::Text(s) => Cell::Text(s.clone()),
            CustomValue::Num(n) => n.as_f64().map(Cell::Float).unwrap_or(Cell::Null),
            CustomValue::At(t) => Cell::Timestamp(*t),
            CustomValue::Bool(b) => Cell::Bool(*b),
            CustomValue::Other(j) => Cell::Json(j.get().to_owned()),
        }
    }
}

impl Serialize for CustomValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CustomValue::Null => s.serialize_none(),
            CustomValue::Text(t) => s.serialize_str(t),
            CustomValue::Num(n) => n.serialize(s),
            CustomValue::At(t) => s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            CustomValue::Bool(b) => s.serialize_bool(*b),
            CustomValue::Other(j) | CustomValue::Mismatch(j) => j.serialize(s),
        }
    }
}

/// The `custom` object of a customer, conversation, message, company or
/// KObject: every attribute, typed by suffix, none dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomAttributes(pub BTreeMap<String, CustomValue>);

impl CustomAttributes {
    /// An attribute by name.
    pub fn get(&self, name: &str) -> Option<&CustomValue> {
        self.0.get(name)
    }

    /// The names of attributes whose value did not fit their declared type.
    pub fn mismatches(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter(|(_, v)| v.is_mismatch()).map(|(k, _)| k.as_str())
    }
}

impl<'de> Deserialize<'de> for CustomAttributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CustomAttributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of custom attributes")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let raw: Json = map.next_value()?;
                    let value = CustomValue::parse(CustomKind::of(key.as_str()), raw);
                    out.insert(key.into_owned(), value);
                }
                Ok(CustomAttributes(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for CustomAttributes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Scalar for CustomAttributes {
    const TYPE: LogicalType = LogicalType::Json;
    fn into_cell(self) -> Cell {
        Cell::Json(serde_json::to_string(&self).unwrap_or_else(|_| "{}".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes() {
        assert_eq!(CustomKind::of("loyaltyTierStr"), CustomKind::Str);
        assert_eq!(CustomKind::of("placedAt"), CustomKind::At);
        assert_eq!(CustomKind::of("format"), CustomKind::Unknown);
        assert_eq!(CustomKind::of("profileUrl"), CustomKind::Url);
        assert_eq!(CustomKind::of("contactReasonTree"), CustomKind::Unknown);
        assert_eq!(CustomKind::of("At"), CustomKind::Unknown);
    }

    #[test]
    fn typed_and_kept() {
        let c: CustomAttributes = serde_json::from_str(
            r#"{"aNum": 12345.6789, "bNum": "12,5", "cAt": "2024-02-28T17:01:00.000Z", "dTree": {"x": [1]}, "eBool": null}"#,
        )
        .unwrap();
        assert_eq!(c.get("aNum").unwrap().to_cell(), Cell::Float(12345.6789));
        assert!(c.get("bNum").unwrap().is_mismatch());
        assert_eq!(c.mismatches().collect::<Vec<_>>(), vec!["bNum"]);
        assert!(matches!(c.get("cAt"), Some(CustomValue::At(_))));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"aNum":12345.6789,"bNum":"12,5","cAt":"2024-02-28T17:01:00.000Z","dTree":{"x": [1]},"eBool":null}"#
        );
    }
}
