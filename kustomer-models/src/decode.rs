//! Decoding API bodies, with errors that name the JSON path.

use serde::de::DeserializeOwned;

/// A body that did not decode: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at `{path}` (line {line}, column {column}): {message}")]
pub struct DecodeError {
    /// The JSON path of the offending value, e.g. `data[3].attributes.updatedAt`.
    pub path: String,
    /// serde's message.
    pub message: String,
    /// 1-based line of the input.
    pub line: usize,
    /// 1-based column of the input.
    pub column: usize,
}

/// Decodes `T` from JSON bytes.
///
/// The fast path decodes strictly without tracking paths. A body that fails
/// is decoded again leniently: a value that does not fit its field's type
/// (a boolean where a string was documented) is kept in the record's `extra`
/// (and so in the `_extra` column) with a warning naming its JSON path, and
/// the record still loads. Only a body that is not valid JSON, or whose shape
/// is wrong beyond single fields, is an error, and the error names the path.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(_) => {
            let strict = strict_error::<T>(bytes);
            match crate::value::leniently(|| serde_json::from_slice::<T>(bytes)) {
                Ok(v) => {
                    tracing::warn!(error = %strict, "kept a value that does not fit its field in _extra");
                    Ok(v)
                }
                Err(_) => Err(strict),
            }
        }
    }
}

/// Decodes strictly with path tracking, for the error of a body that failed.
fn strict_error<T: DeserializeOwned>(bytes: &[u8]) -> DecodeError {
    match serde_json::from_slice::<T>(bytes) {
        Ok(_) => DecodeError {
            path: ".".into(),
            message: "decoded on retry".into(),
            line: 0,
            column: 0,
        },
        Err(fast) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => {
                    let inner = e.inner();
                    DecodeError {
                        path: e.path().to_string(),
                        message: inner.to_string(),
                        line: inner.line(),
                        column: inner.column(),
                    }
                }
                // Trailing garbage fails only the fast path's end-of-input check.
                Ok(_) => DecodeError {
                    path: ".".into(),
                    message: fast.to_string(),
                    line: fast.line(),
                    column: fast.column(),
                },
            }
        }
    }
}
