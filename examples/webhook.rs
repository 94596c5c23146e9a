//! Near-real-time: receive Kustomer's outbound webhooks into the same DuckDB
//! tables the `sync` example fills, while periodic syncs stay the source of truth.
//!
//! ```text
//! cargo run --release --example webhook -- --simulate
//! KUSTOMER_WEBHOOK_SECRET=… cargo run --release --example webhook -- --port 8088 --dest kustomer.duckdb
//! ```
//! With `--simulate` it starts the simulator, syncs it, subscribes a webhook
//! pointing at itself, changes records in the simulator, and prints how soon
//! each change was in the tables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use kustomer::api::{Client, NewOutboundWebhook};
use kustomer::sync::dest::duckdb::DuckDbDestination;
use kustomer::sync::webhook::{WebhookReceiver, WebhookSecret, EVENTS};
use kustomer::sync::{Engine, SyncOptions};
use kustomer_sim::{Kind, OrgSize, SimConfig, Simulator};

/// Receive Kustomer outbound webhooks into DuckDB.
#[derive(Parser, Debug)]
struct Args {
    /// Start the simulator, sync it, subscribe, make changes, and report how fast they landed.
    #[arg(long)]
    simulate: bool,
    /// Port on 127.0.0.1 to listen on (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// DuckDB file (the same one the `sync` example loads).
    #[arg(long, default_value = "kustomer.duckdb")]
    dest: PathBuf,
    /// The webhook's signing secret (its `token`); several, comma-separated, during a rotation.
    #[arg(long, env = "KUSTOMER_WEBHOOK_SECRET", hide_env_values = true, value_delimiter = ',')]
    secret: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    let url = format!("http://{}/kustomer", listener.local_addr()?);
    let dest = DuckDbDestination::open(&args.dest)?;

    if !args.simulate {
        if args.secret.is_empty() {
            bail!("set KUSTOMER_WEBHOOK_SECRET (or --secret) to the webhook's signing secret, or use --simulate");
        }
        let token =
            std::env::var("KUSTOMER_API_TOKEN").context("set KUSTOMER_API_TOKEN (custom attributes are read once)")?;
        let org = std::env::var("KUSTOMER_ORG").context("set KUSTOMER_ORG to the org name")?;
        let client = Client::builder().org(org).token(token).build()?;
        let sink = Engine::new(client, SyncOptions::default()).webhook_sink(dest).await?;
        let secrets = args.secret.iter().map(|s| WebhookSecret::new(s.clone())).collect();
        let app = WebhookReceiver::new(secrets, Arc::new(sink)).router();
        println!("Receiving Kustomer webhooks on {url}");
        axum::serve(listener, app).await?;
        return Ok(());
    }

    let sim = Simulator::start(SimConfig {
        size: OrgSize::tiny(),
        ..SimConfig::default()
    })
    .await?;
    let client = Client::builder().base_url(sim.base_url()).token(sim.token()).build()?;
    let options =
        SyncOptions::default().with_tables(["customers", "conversations", "messages", "users", "teams", "tags"]);
    let engine = Engine::new(client.clone(), options);
    let (report, dest) = engine.run(dest).await?;
    println!(
        "Initial sync: {} records",
        report.streams.iter().map(|s| s.records).sum::<u64>()
    );

    let created = client
        .create_outbound_webhook(&NewOutboundWebhook::new("kustomer-rs", &url).events(EVENTS))
        .await?;
    let secret = created.secret.context("the API returned no signing secret")?;
    let sink = engine.webhook_sink(dest.try_clone()?).await?;
    let app = WebhookReceiver::new(vec![secret], Arc::new(sink)).router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("Receiving on {url}; subscribed as webhook {}", created.webhook.id);

    // Change records and time how long each takes to show in the tables.
    let mut worst = Duration::ZERO;
    for i in 0..10 {
        let name = format!("Renamed by webhook demo #{i}");
        let id = sim.with_org(|o| {
            let id = o.ids(Kind::Customer)[i].clone();
            o.update(Kind::Customer, &id, |a| {
                a.insert("name".into(), name.clone().into());
            });
            id
        });
        let started = Instant::now();
        loop {
            let stored: Option<String> = dest
                .connection()
                .query_row("SELECT name FROM customers WHERE id = ?", [&id], |r| r.get(0))
                .ok();
            if stored.as_deref() == Some(name.as_str()) {
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("customer {id} was not updated within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        worst = worst.max(started.elapsed());
    }
    let conv = sim.with_org(|o| o.ids(Kind::Conversation)[0].clone());
    let msg = sim
        .with_org(|o| o.insert_into(Kind::Message, &conv))
        .context("conversation exists")?;
    sim.flush_webhooks().await;
    let found: i64 = dest
        .connection()
        .query_row("SELECT count(*) FROM messages WHERE id = ?", [&msg], |r| r.get(0))?;
    let deliveries = sim.webhook_deliveries();
    let ok = deliveries.iter().filter(|d| d.delivered).count();
    println!(
        "{ok}/{} events delivered and applied; 10 customer updates visible within {:.1} ms at worst; new message {}",
        deliveries.len(),
        worst.as_secs_f64() * 1000.0,
        if found == 1 { "stored" } else { "MISSING" }
    );
    sim.shutdown().await;
    if found != 1 || ok != deliveries.len() {
        bail!("some events were not applied");
    }
    Ok(())
}
