//! Field value types and how each maps to a column.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::cell::Cell;
use crate::table::LogicalType;

/// A JSON value kept exactly as the API sent it (no float rounding, no key
/// reordering). Used for nested objects that land in JSON columns.
#[derive(Clone)]
pub struct Json(Box<RawValue>);

impl Json {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parses the text into a [`serde_json::Value`]. The text is valid JSON,
    /// but a value serde_json cannot hold as a `Value` (nested deeper than its
    /// recursion limit of 128, or a number beyond f64) gives `null`.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }

    /// Wraps a [`serde_json::Value`].
    pub fn from_value(value: &serde_json::Value) -> Json {
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
        Json(RawValue::from_string(text).expect("serde_json output is valid JSON"))
    }

    /// Serializes any value.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Json {
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
        Json(RawValue::from_string(text).expect("serde_json output is valid JSON"))
    }

    /// Parses JSON text; `None` when it is not valid JSON.
    pub fn from_text(text: &str) -> Option<Json> {
        RawValue::from_string(text.to_owned()).ok().map(Json)
    }

    /// Whether the value is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.0.get() == "null"
    }

    /// The JSON text, consuming the value.
    pub fn into_string(self) -> String {
        let boxed: Box<str> = self.0.into();
        boxed.into_string()
    }
}

impl PartialEq for Json {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(Json)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A field type that maps to one column.
///
/// Implemented for the scalar types the models use; a model field of type
/// `Option<T>` becomes a nullable column of `T::TYPE`.
pub trait Scalar {
    /// The column's logical type.
    const TYPE: LogicalType;
    /// Converts the value into a cell, consuming it (no copies of strings).
    fn into_cell(self) -> Cell;
}

impl Scalar for String {
    const TYPE: LogicalType = LogicalType::Text;
    fn into_cell(self) -> Cell {
        Cell::Text(self)
    }
}

impl Scalar for i64 {
    const TYPE: LogicalType = LogicalType::BigInt;
    fn into_cell(self) -> Cell {
        Cell::Int(self)
    }
}

impl Scalar for f64 {
    const TYPE: LogicalType = LogicalType::Double;
    fn into_cell(self) -> Cell {
        Cell::Float(self)
    }
}

impl Scalar for bool {
    const TYPE: LogicalType = LogicalType::Boolean;
    fn into_cell(self) -> Cell {
        Cell::Bool(self)
    }
}

impl Scalar for DateTime<Utc> {
    const TYPE: LogicalType = LogicalType::Timestamp;
    fn into_cell(self) -> Cell {
        Cell::Timestamp(self)
    }
}

impl Scalar for Json {
    const TYPE: LogicalType = LogicalType::Json;
    fn into_cell(self) -> Cell {
        Cell::Json(self.into_string())
    }
}

impl Scalar for Flex {
    const TYPE: LogicalType = LogicalType::Text;
    fn into_cell(self) -> Cell {
        match self {
            Flex::Text(s) => Cell::Text(s),
            Flex::Other(j) => Cell::Text(j.into_string()),
        }
    }
}

/// A value that is usually a string (an id, a channel name) but is kept
/// whatever the API sends: anything else is held as raw JSON, never an error.
#[derive(Debug, Clone, PartialEq)]
pub enum Flex {
    /// The usual string.
    Text(String),
    /// Anything else, verbatim.
    Other(Json),
}

impl Flex {
    /// The string, when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Flex::Text(s) => Some(s),
            Flex::Other(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Flex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw.get();
        if text.starts_with('"') {
            let s: String = serde_json::from_str(text).map_err(de::Error::custom)?;
            Ok(Flex::Text(s))
        } else {
            Ok(Flex::Other(Json(raw)))
        }
    }
}

impl Serialize for Flex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Flex::Text(t) => t.serialize(s),
            Flex::Other(j) => j.serialize(s),
        }
    }
}

/// Lenient number: the API documents integers for counts, but a value that
/// arrives as a float or a numeric string is kept rather than failing the record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count(pub i64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                Ok(Count(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                i64::try_from(v)
                    .map(Count)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Count(v as i64))
                } else {
                    Err(E::custom(format!("expected an integer, got {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
                v.trim()
                    .parse()
                    .map(Count)
                    .map_err(|_| E::custom(format!("expected an integer, got {v:?}")))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl Scalar for Count {
    const TYPE: LogicalType = LogicalType::BigInt;
    fn into_cell(self) -> Cell {
        Cell::Int(self.0)
    }
}

/// A field of a record that maps to one column. Blanket-implemented for
/// `Option<T>` where `T:` [`Scalar`].
pub trait ColumnValue {
    /// The column's logical type.
    const TYPE: LogicalType;
    /// Converts into a cell (`None` → NULL).
    fn into_cell(self) -> Cell;
}

impl<T: Scalar> ColumnValue for Option<T> {
    const TYPE: LogicalType = T::TYPE;
    fn into_cell(self) -> Cell {
        match self {
            Some(v) => v.into_cell(),
            None => Cell::Null,
        }
    }
}

/// A key of a JSON object, borrowed from the input when it has no escapes, so
/// decoding known fields allocates nothing for their names.
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }

    pub(crate) fn into_owned(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// Fields a model does not know yet, kept verbatim in wire order of arrival
/// (sorted by name) so nothing from the API is lost.
pub type Extra = std::collections::BTreeMap<String, Json>;

/// Serializes a non-empty [`Extra`] map as JSON text for the `_extra` column.
pub fn extra_cell(extra: &Extra) -> Cell {
    if extra.is_empty() {
        Cell::Null
    } else {
        Cell::Json(serde_json::to_string(extra).unwrap_or_else(|_| "{}".into()))
    }
}

/// A time the API sends either as ISO-8601 text or as epoch milliseconds
/// (a queue's `createdAt`, a webhook transaction's `sentAt`). Both load as a
/// timestamp; the value serializes back in the form it came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlexTime {
    /// ISO-8601 text.
    Iso(DateTime<Utc>),
    /// Epoch milliseconds (a number or a string of digits).
    Millis(i64),
}

impl FlexTime {
    /// The instant.
    pub fn at(self) -> DateTime<Utc> {
        match self {
            FlexTime::Iso(t) => t,
            // Range-checked when decoded.
            FlexTime::Millis(ms) => DateTime::from_timestamp_millis(ms).unwrap_or_default(),
        }
    }

    fn millis<E: de::Error>(ms: i64) -> Result<FlexTime, E> {
        match DateTime::from_timestamp_millis(ms) {
            Some(_) => Ok(FlexTime::Millis(ms)),
            None => Err(E::custom(format!("epoch milliseconds out of range: {ms}"))),
        }
    }
}

impl<'de> Deserialize<'de> for FlexTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = FlexTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO-8601 time or epoch milliseconds")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlexTime, E> {
                FlexTime::millis(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlexTime, E> {
                FlexTime::millis(i64::try_from(v).map_err(|_| E::custom("epoch milliseconds out of range"))?)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FlexTime, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    FlexTime::millis(v as i64)
                } else {
                    Err(E::custom(format!("expected epoch milliseconds, got {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FlexTime, E> {
                if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                    return FlexTime::millis(v.parse().map_err(E::custom)?);
                }
                v.parse::<DateTime<Utc>>()
                    .map(FlexTime::Iso)
                    .map_err(|e| E::custom(format!("invalid time {v:?}: {e}")))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for FlexTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FlexTime::Iso(t) => t.serialize(s),
            FlexTime::Millis(ms) => s.serialize_i64(*ms),
        }
    }
}

impl Scalar for FlexTime {
    const TYPE: LogicalType = LogicalType::Timestamp;
    fn into_cell(self) -> Cell {
        Cell::Timestamp(self.at())
    }
}

/// A list kept whole in one JSON column, its items typed (webhook headers).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsonList<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for JsonList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(d).map(JsonList)
    }
}

impl<T: Serialize> Serialize for JsonList<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<T: Serialize> Scalar for JsonList<T> {
    const TYPE: LogicalType = LogicalType::Json;
    fn into_cell(self) -> Cell {
        Cell::Json(serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into()))
    }
}

thread_local! {
    static LENIENT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with lenient decoding on this thread: a value that does not fit
/// its field's type is kept in the record's `extra` instead of failing.
pub(crate) fn leniently<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            LENIENT.with(|l| l.set(self.0));
        }
    }
    let _reset = Reset(LENIENT.with(|l| l.replace(true)));
    f()
}

/// Decodes the next map value into a known field. Strict by default (the
/// fast path); in lenient mode a value of the wrong type goes to `extra`
/// under its wire name, so nothing is dropped and the record still decodes.
#[doc(hidden)]
pub fn next_field<'de, M, T>(map: &mut M, field: &mut T, extra: &mut Extra, wire: &str) -> Result<(), M::Error>
where
    M: de::MapAccess<'de>,
    T: serde::de::DeserializeOwned,
{
    if !LENIENT.with(|l| l.get()) {
        *field = map.next_value()?;
        return Ok(());
    }
    let raw: Json = map.next_value()?;
    match serde_json::from_str::<T>(raw.get()) {
        Ok(v) => *field = v,
        Err(_) => {
            extra.insert(wire.to_owned(), raw);
        }
    }
    Ok(())
}
