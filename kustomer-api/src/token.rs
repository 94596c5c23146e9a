//! The API token: a secret that never reaches logs, errors or `Debug` output.

use std::fmt;

/// A Kustomer API token. `Debug` and `Display` print a placeholder, and the
/// value is only read when the `Authorization` header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        ApiToken(token.into().trim().to_owned())
    }

    /// The secret itself. Named so that every use stands out in review.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the token is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for ApiToken {
    fn from(s: String) -> Self {
        ApiToken::new(s)
    }
}

impl From<&str> for ApiToken {
    fn from(s: &str) -> Self {
        ApiToken::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::ApiToken;

    #[test]
    fn never_printed() {
        let t = ApiToken::new("sk-very-secret");
        assert!(!format!("{t:?} {t} {:#?}", t).contains("very-secret"));
        assert_eq!(t.expose_secret(), "sk-very-secret");
    }
}
