//! `bench`: the tools that measure the platform, kept out of the product (the `server` binary
//! carries none of this). Each works on the database of `DATABASE_URL` / `DATA_DIR`, like the
//! server, and never loads the demo zone.
//!
//! ```text
//! bench generate [--institutions N] [--resources N] [--bookings N] [--seed N]
//!                                    a realistic zone at scale, into an empty database
//! bench [--runs N] [--json FILE]     searches and reports timed in the backend
//! bench --http [--json FILE]         the real router on 127.0.0.1, driven over HTTP
//!              [--bookings-only]     (only the booking runs, e.g. under `perf record`)
//!              [--target HOST:PORT]  servers already running on the same database instead
//!                                    (e.g. several behind nginx: .ci/bench-servers.sh)
//!
//! Every row is printed with its target (from the speed issue) and met or MISSED; `--json` also
//! writes the rows and the machine to FILE, so two runs can be compared.
//! bench ledger [--rows N]            an N-row equipment ledger read, previewed and imported
//! ```

mod generate;
mod ledger;
mod load;
mod search;
mod stats;

use generate::{generate, Scale};
use server::config::Config;
use stats::option;
use std::time::Instant;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // RUST_LOG=app=debug prints each instrumented step's time as it closes (the profile of
    // what a figure is made of).
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
    let config = Config {
        demo_data: false,
        ..Config::from_env()?
    };
    let state = server::prepare_state_with_system_clock(&config).await?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") => run_generate(&state, &args[1..]).await,
        Some("ledger") => ledger::run(&state, &args[1..]).await,
        _ if args.iter().any(|a| a == "--http") => load::run(state.clone(), &args).await,
        _ => search::run(&state, &args).await,
    }
}

async fn run_generate(state: &app::backend::AppState, args: &[String]) -> anyhow::Result<()> {
    let d = Scale::default();
    let scale = Scale {
        institutions: option(args, "--institutions", d.institutions)?,
        resources: option(args, "--resources", d.resources)?,
        bookings: option(args, "--bookings", d.bookings)?,
        seed: option(args, "--seed", d.seed)?,
    };
    let today = state.clock.now().with_timezone(&state.tz).date_naive();
    let started = Instant::now();
    let made = generate(&state.db, scale, &state.tz, today)
        .await
        .map_err(|e| anyhow::anyhow!("generating: {e}"))?;
    println!(
        "generated {} institutions, {} customer organisations, {} resources, {} bookings, {} blackouts in {:.1} s (seed {})",
        made.institutions,
        made.customers,
        made.resources,
        made.bookings,
        made.blackouts,
        started.elapsed().as_secs_f64(),
        scale.seed
    );
    Ok(())
}
