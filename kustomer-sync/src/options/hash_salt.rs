use serde::{Deserialize, Deserializer};

/// The salt of hashed columns: a secret that `Debug` and `Display` never print.
#[derive(Clone, PartialEq, Eq)]
pub struct HashSalt(String);

impl HashSalt {
    /// Wraps a salt.
    pub fn new(salt: impl Into<String>) -> Self {
        HashSalt(salt.into())
    }

    /// The salt itself.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for HashSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashSalt(<redacted>)")
    }
}

impl std::fmt::Display for HashSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for HashSalt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(HashSalt)
    }
}
