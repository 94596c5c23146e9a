//! Salted SHA-256 of cell values, as lowercase hex.

use std::fmt::{self, Write as _};

use kustomer_models::Cell;
use sha2::{Digest, Sha256};

use crate::options::HashSalt;

/// SHA-256 with the salt already absorbed; cloned for each value.
#[derive(Clone)]
pub(super) struct SaltedHasher(pub(super) Sha256);

impl fmt::Debug for SaltedHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SaltedHasher(<redacted>)")
    }
}

/// Feeds formatted text straight into a hasher (no intermediate string).
struct Feed<'a>(&'a mut Sha256);

impl fmt::Write for Feed<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl SaltedHasher {
    pub(super) fn new(salt: &HashSalt) -> Self {
        let mut h = Sha256::new();
        h.update(salt.expose_secret().as_bytes());
        SaltedHasher(h)
    }

    /// The digest of a non-null cell's value.
    pub(super) fn digest(&self, cell: &Cell) -> [u8; 32] {
        let mut h = self.0.clone();
        // Writing into a hasher cannot fail.
        let _ = match cell {
            Cell::Text(s) | Cell::Json(s) => {
                h.update(s.as_bytes());
                Ok(())
            }
            Cell::Int(i) => write!(Feed(&mut h), "{i}"),
            Cell::Float(x) => write!(Feed(&mut h), "{x}"),
            Cell::Bool(b) => {
                h.update(if *b { b"true".as_slice() } else { b"false".as_slice() });
                Ok(())
            }
            Cell::Timestamp(t) => write!(Feed(&mut h), "{}", t.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
            // A variant added later: its debug form, never the raw value.
            other => write!(Feed(&mut h), "{other:?}"),
        };
        h.finalize().into()
    }

    /// Replaces a cell by its digest (NULL stays NULL), reusing a text
    /// cell's buffer.
    pub(super) fn hash_in_place(&self, cell: &mut Cell) {
        if cell.is_null() {
            return;
        }
        let digest = self.digest(cell);
        match cell {
            Cell::Text(s) => {
                s.clear();
                push_hex(&digest, s);
            }
            Cell::Json(s) => {
                let mut s = std::mem::take(s);
                s.clear();
                push_hex(&digest, &mut s);
                *cell = Cell::Text(s);
            }
            _ => {
                let mut s = String::with_capacity(64);
                push_hex(&digest, &mut s);
                *cell = Cell::Text(s);
            }
        }
    }
}

pub(super) fn push_hex(digest: &[u8; 32], out: &mut String) {
    out.reserve(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// The salted SHA-256 hex digest of a cell's value; NULL stays NULL.
///
/// The digest covers the salt's bytes followed by the value's: the bytes of
/// `Text` and `Json` strings, `Int` in decimal, `Float` as Rust's `{}` prints
/// it, `Bool` as `true`/`false`, and `Timestamp` as RFC 3339 with microseconds
/// and `Z` (`2024-01-01T10:00:00.000000Z`). The same value and salt give the
/// same digest in every table, so joins on hashed columns still work.
///
/// ```
/// use kustomer_models::Cell;
/// use kustomer_sync::{hash_cell, HashSalt};
///
/// let salt = HashSalt::new("a long random secret");
/// let a = hash_cell(&salt, &Cell::Text("jane@example.com".into()));
/// let b = hash_cell(&salt, &Cell::Text("jane@example.com".into()));
/// assert_eq!(a, b); // the same value hashes alike in every table
/// assert_eq!(a.as_str().unwrap().len(), 64);
/// assert_eq!(hash_cell(&salt, &Cell::Null), Cell::Null);
/// ```
pub fn hash_cell(salt: &HashSalt, cell: &Cell) -> Cell {
    if cell.is_null() {
        return Cell::Null;
    }
    let mut out = String::with_capacity(64);
    push_hex(&SaltedHasher::new(salt).digest(cell), &mut out);
    Cell::Text(out)
}
