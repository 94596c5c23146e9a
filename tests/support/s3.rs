//! The S3-compatible server of the tests: `KUSTOMER_TEST_S3` (an endpoint
//! URL; `.ci/moto.sh` starts a moto server and exports it). Without it the
//! S3 tests print `skipped: …` and pass; with it, a server that does not
//! answer fails them.

use std::io::{Read, Write};
use std::net::TcpStream;

/// A new bucket on the test server (`s3://NAME`), with the `AWS_*`
/// variables set for it; `None` (skipped) without a server.
pub fn bucket(test: &str) -> Option<String> {
    let Ok(endpoint) = std::env::var("KUSTOMER_TEST_S3") else {
        eprintln!("skipped: no S3 server (set KUSTOMER_TEST_S3, or source .ci/moto.sh)");
        return None;
    };
    for (k, v) in [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ] {
        if std::env::var_os(k).is_none() {
            std::env::set_var(k, v);
        }
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("kustomer-{test}-{}-{nanos:x}", std::process::id()).replace('_', "-");
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    // moto does not check signatures: a bare PUT creates the bucket.
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("KUSTOMER_TEST_S3={endpoint}: {e}"));
    write!(
        s,
        "PUT /{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "create bucket {name}: {answer}");
    Some(format!("s3://{name}"))
}
