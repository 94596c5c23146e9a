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
/// The fast path decodes without tracking paths; only a body that fails is
/// decoded again with path tracking, so the error names where it failed at no
/// cost to good bodies.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(fast) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => {
                    let inner = e.inner();
                    Err(DecodeError {
                        path: e.path().to_string(),
                        message: inner.to_string(),
                        line: inner.line(),
                        column: inner.column(),
                    })
                }
                // Trailing garbage fails only the fast path's end-of-input check.
                Ok(_) => Err(DecodeError {
                    path: ".".into(),
                    message: fast.to_string(),
                    line: fast.line(),
                    column: fast.column(),
                }),
            }
        }
    }
}
