//! Telling a bad token from a missing role. Kustomer answers 401 to both
//! ("the result of a missing role, invalid auth token, or billing feature";
//! its errors reference has no 403), so a 401 alone cannot say whether the
//! whole sync must stop or only the table the role guards. The client asks
//! `GET /v1/users/current`, which every valid token may read: a 401 there
//! too means the token is bad ([`Error::Unauthorized`]); an answer means the
//! first 401 was a missing role (an [`Error::Api`] 401, [`Error::is_forbidden`]).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::Error;

/// What every valid token may read.
pub(crate) const PROBE_PATH: &str = "/v1/users/current";

/// How long a token seen working is trusted before a 401 asks again: a
/// token can expire during a long run, and its 401s must then stop the run
/// rather than skip every table as if roles were missing.
const TRUST_WORKING: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
enum Verdict {
    /// The probe answered at this instant.
    Works(Instant),
    /// The probe answered 401: a bad token stays bad.
    Rejected(String),
}

/// The verdict on the token, shared by every clone of a client (one probe
/// answers every 401 that arrives while it runs).
#[derive(Debug, Default)]
pub(crate) struct TokenCheck {
    verdict: tokio::sync::Mutex<Option<Verdict>>,
}

/// The server's words in a 401, if it said any.
fn server_text(error: &Error) -> String {
    match error {
        Error::Api { errors, snippet, .. } => crate::error::summary(errors, snippet)
            .trim_start_matches(": ")
            .to_owned(),
        other => other.to_string(),
    }
}

fn rejected(path: &str, message: String) -> Error {
    Error::Unauthorized {
        path: path.to_owned(),
        message,
    }
}

fn with_text(message: &str, error: &Error) -> String {
    match server_text(error) {
        t if t.is_empty() => message.to_owned(),
        t => format!("{message} (the server said: {t})"),
    }
}

impl TokenCheck {
    /// Classifies `error`, a 401 answered to `path`: [`Error::Unauthorized`]
    /// for a bad token, else `error` unchanged (a missing role). `probe`
    /// requests [`PROBE_PATH`]; it runs at most once per [`TRUST_WORKING`]
    /// however many 401s arrive, and never again once it answered 401.
    pub(crate) async fn classify<F, Fut>(&self, path: &str, error: Error, probe: F) -> Error
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(), Error>>,
    {
        if path.split('?').next() == Some(PROBE_PATH) {
            return rejected(path, with_text("the token is invalid or expired", &error));
        }
        let mut verdict = self.verdict.lock().await;
        let cached = match &*verdict {
            Some(Verdict::Works(at)) if at.elapsed() < TRUST_WORKING => Some(None),
            Some(Verdict::Rejected(why)) => Some(Some(why.clone())),
            _ => None,
        };
        let refusal = match cached {
            Some(known) => known,
            None => match probe().await {
                Ok(()) => {
                    *verdict = Some(Verdict::Works(Instant::now()));
                    None
                }
                Err(e) if e.is_unauthorized() => {
                    let why = with_text(
                        &format!("the token is invalid or expired: GET {PROBE_PATH}, which any valid token may read, answered 401 too"),
                        &error,
                    );
                    *verdict = Some(Verdict::Rejected(why.clone()));
                    Some(why)
                }
                // Answered, so the token authenticated: the 401 was the role.
                Err(e) if e.status().is_some() => {
                    *verdict = Some(Verdict::Works(Instant::now()));
                    None
                }
                // No verdict (not cached): the run stops, as for any 401 it cannot explain.
                Err(e) => Some(with_text(
                    &format!("GET {PROBE_PATH} could not tell a bad token from a missing role ({e})"),
                    &error,
                )),
            },
        };
        match refusal {
            Some(why) => rejected(path, why),
            None => {
                tracing::debug!(path, "401 while the token works elsewhere: a missing role");
                error
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn api(status: u16, path: &str) -> Error {
        Error::Api {
            status,
            method: "GET".into(),
            path: path.into(),
            errors: vec![crate::error::ApiErrorItem {
                title: Some("Unauthorized".into()),
                ..Default::default()
            }],
            snippet: None,
        }
    }

    #[tokio::test]
    async fn a_401_where_the_probe_answers_is_a_missing_role_and_is_probed_once() {
        let check = TokenCheck::default();
        let probes = AtomicUsize::new(0);
        for path in ["/v1/conversations/a/events", "/v1/customers/b/merges"] {
            let e = check
                .classify(path, api(401, path), || async {
                    probes.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                })
                .await;
            assert!(e.is_forbidden() && e.is_missing_role() && !e.is_unauthorized(), "{e}");
            assert_eq!(e.path(), Some(path));
        }
        assert_eq!(probes.load(Ordering::SeqCst), 1, "the verdict is cached");
    }

    #[tokio::test]
    async fn a_401_where_the_probe_is_refused_too_is_a_bad_token_for_good() {
        let check = TokenCheck::default();
        let probes = AtomicUsize::new(0);
        for _ in 0..2 {
            let e = check
                .classify("/v1/customers", api(401, "/v1/customers"), || async {
                    probes.fetch_add(1, Ordering::SeqCst);
                    Err(rejected(PROBE_PATH, "bad".into()))
                })
                .await;
            assert!(e.is_unauthorized() && !e.is_forbidden(), "{e}");
            let text = e.to_string();
            assert!(
                text.contains("401") && text.contains("/v1/customers") && text.contains("invalid or expired"),
                "{text}"
            );
            assert!(text.contains("Unauthorized"), "the server's words: {text}");
        }
        assert_eq!(probes.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_probe_itself_refused_is_a_bad_token_without_asking_again() {
        let e = TokenCheck::default()
            .classify(PROBE_PATH, api(401, PROBE_PATH), || async {
                panic!("no probe of the probe")
            })
            .await;
        assert!(e.is_unauthorized(), "{e}");
    }

    #[tokio::test]
    async fn a_probe_without_an_answer_stops_but_is_not_cached() {
        let check = TokenCheck::default();
        let e = check
            .classify("/v1/tags", api(401, "/v1/tags"), || async {
                Err(Error::Transport {
                    path: PROBE_PATH.into(),
                    message: "reset".into(),
                })
            })
            .await;
        assert!(e.is_unauthorized(), "{e}");
        let e = check
            .classify("/v1/tags", api(401, "/v1/tags"), || async { Ok(()) })
            .await;
        assert!(e.is_forbidden(), "asked again: {e}");
        let e = check
            .classify("/v1/teams", api(401, "/v1/teams"), || async {
                Err(api(403, PROBE_PATH))
            })
            .await;
        assert!(e.is_forbidden(), "cached: {e}");
    }

    #[test]
    fn statuses_classify() {
        assert!(api(403, "/p").is_forbidden());
        assert!(!api(403, "/p").is_unauthorized());
        assert!(!api(404, "/p").is_forbidden());
        assert!(api(400, "/p").is_bad_request());
        let u = rejected("/p", "m".into());
        assert_eq!(u.status(), Some(401));
        let wrapped = Error::RetriesExhausted {
            attempts: 3,
            last: Box::new(api(401, "/q")),
        };
        assert!(wrapped.is_forbidden());
        assert_eq!(wrapped.path(), Some("/q"));
    }
}
