//! Runs the offline Kustomer simulator standalone, so any client can be
//! pointed at it.
//!
//! ```text
//! cargo run --release --example sim -- --port 8080
//! KUSTOMER_API_TOKEN=sim-token cargo run --release --example sync -- --base-url http://127.0.0.1:8080
//! ```

use std::net::SocketAddr;

use clap::Parser;
use kustomer_sim::{OrgSize, SimConfig, Simulator};

/// The offline Kustomer simulator.
#[derive(Parser, Debug)]
struct Args {
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Seed of the generated org.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Serve without rate limits (the default applies the real 1000/min and 100/min search).
    #[arg(long)]
    unlimited: bool,
    /// Grow the org: this many times `bench_sync`'s scale-1 org (200
    /// customers, 400 conversations, 1,200 messages, …) instead of the demo
    /// org; for measuring a sync's memory in its own process.
    #[arg(long)]
    scale: Option<usize>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = SimConfig::demo();
    config.seed = args.seed;
    if let Some(s) = args.scale {
        config.size = OrgSize::scaled(s);
    }
    if args.unlimited {
        config.org_rate_limit = None;
        config.search_rate_limit = None;
    }
    let token = config.token.clone();
    let sim = Simulator::start_on(config, SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
    println!(
        "Kustomer simulator on {} (token: {token}); Ctrl-C to stop",
        sim.base_url()
    );
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
