//! Where the API lives: an org's host, a regional host, or any URL.

use std::str::FromStr;

use reqwest::Url;

use crate::error::Error;

/// Kustomer's regional pods (spec §1). A token works only in its own region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Region {
    /// US (prod1): `https://api.kustomerapp.com`.
    Us,
    /// EU (prod2): `https://api.prod2.kustomerapp.com`.
    Eu,
    /// India (prod4): `https://api.prod4.kustomerapp.com`.
    In,
}

impl Region {
    /// The region's API host URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://api.kustomerapp.com",
            Region::Eu => "https://api.prod2.kustomerapp.com",
            Region::In => "https://api.prod4.kustomerapp.com",
        }
    }
}

impl FromStr for Region {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "us" | "prod1" => Ok(Region::Us),
            "eu" | "prod2" => Ok(Region::Eu),
            "in" | "india" | "prod4" => Ok(Region::In),
            other => Err(Error::Config(format!(
                "unknown region {other:?}: expected us, eu or in"
            ))),
        }
    }
}

/// The base URL the client appends `/v1/…` to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseUrl {
    /// `https://{org}.api.kustomerapp.com`, which routes to the org's region.
    Org(String),
    /// A regional host.
    Region(Region),
    /// Any URL (scheme, host and port): a simulator, a proxy.
    Url(String),
}

impl BaseUrl {
    /// Resolves to a URL, checking that it is usable.
    pub fn resolve(&self) -> Result<Url, Error> {
        let text = match self {
            BaseUrl::Org(org) => {
                let org = org.trim();
                let valid = !org.is_empty() && org.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if !valid {
                    return Err(Error::Config(format!(
                        "invalid org name {org:?}: use the sign-in subdomain (acme for acme.kustomerapp.com)"
                    )));
                }
                format!("https://{org}.api.kustomerapp.com")
            }
            BaseUrl::Region(r) => r.base_url().to_owned(),
            BaseUrl::Url(u) => u.trim_end_matches('/').to_owned(),
        };
        let url = Url::parse(&text).map_err(|e| Error::Config(format!("invalid base URL {text:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(Error::Config(format!(
                "invalid base URL {text:?}: expected http(s)://host[:port]"
            )));
        }
        Ok(url)
    }
}

/// Whether a URL points at this machine (plain HTTP is only allowed there).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves() {
        assert_eq!(
            BaseUrl::Org("acme".into()).resolve().unwrap().as_str(),
            "https://acme.api.kustomerapp.com/"
        );
        assert_eq!(
            BaseUrl::Region(Region::Eu).resolve().unwrap().host_str(),
            Some("api.prod2.kustomerapp.com")
        );
        assert!(BaseUrl::Org("ac me".into()).resolve().is_err());
        assert!(BaseUrl::Url("ftp://x".into()).resolve().is_err());
        assert_eq!("EU".parse::<Region>().unwrap(), Region::Eu);
        assert!(is_loopback(
            &BaseUrl::Url("http://127.0.0.1:8080".into()).resolve().unwrap()
        ));
    }
}
