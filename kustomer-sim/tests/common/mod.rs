//! Helpers shared by the simulator's HTTP tests.

use kustomer_sim::Simulator;
use reqwest::StatusCode;
use serde_json::Value;

/// `GET path` with the simulator's token: status and JSON body.
pub async fn get(sim: &Simulator, path: &str) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(sim.token())
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"));
    (status, body)
}
