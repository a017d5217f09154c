//! The `cairn` command: serve (default), demo, seed, migrate.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::db::Database;
use crate::startup::{Server, shutdown_signal};

#[derive(Parser, Debug)]
#[command(
    name = "cairn",
    version,
    about = "Product portfolio management: roll-ups, OKRs and roadmaps"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve Cairn (the default).
    Serve,
    /// Serve with a realistic demo organization loaded (once), and print how to sign in.
    Demo,
    /// Create a new organization with a realistic hierarchy and N synthetic initiatives (for
    /// benchmarks); print `{org_id, root_portfolio_id, token, email, password}` as one JSON line.
    Seed {
        /// How many initiatives to create.
        #[arg(long)]
        initiatives: usize,
    },
    /// Apply database migrations and exit.
    Migrate,
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("cairn: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    let database = Database::open(&config).await?;
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config, &database).await,
        Command::Demo => demo(&config, &database).await,
        Command::Seed { initiatives } => seed(&database, initiatives).await,
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
    };
    database.close().await;
    result
}

async fn serve(config: &Config, database: &Database) -> anyhow::Result<()> {
    let server = Server::bind(config, database.pool.clone()).await?;
    server.run(shutdown_signal()).await?;
    Ok(())
}

async fn demo(config: &Config, database: &Database) -> anyhow::Result<()> {
    let demo = crate::demo::load(&database.pool).await?;
    if demo.created {
        tracing::info!(org_id = %demo.org_id, "loaded the demo organization");
    }
    let server = Server::bind(config, database.pool.clone()).await?;
    let url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", server.local_addr()));
    println!("{}", demo.instructions(&url));
    let token = crate::demo::share_roadmap(&database.pool, demo.org_id).await?;
    println!(
        "The board roadmap, shared read-only (no sign-in; expires in 90 days):\n  {url}{}{token}\n",
        crate::http::share::PREFIX
    );
    server.run(shutdown_signal()).await?;
    Ok(())
}

/// Stdout carries only the JSON line, so that scripts can read it; progress goes to the log.
async fn seed(database: &Database, initiatives: usize) -> anyhow::Result<()> {
    let seeded = crate::seed::seed(&database.pool, initiatives).await?;
    println!("{}", serde_json::to_string(&seeded)?);
    Ok(())
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // CAIRN_LOG_FORMAT=json for log shippers; readable lines otherwise.
    if std::env::var("CAIRN_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
