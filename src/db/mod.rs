//! Connecting to PostgreSQL (a given `DATABASE_URL` or the embedded cluster), migrations, and one
//! module of queries per aggregate.

pub mod baselines;
pub mod bulk;
pub mod capacity;
pub mod check_ins;
pub mod dependencies;
pub mod digest;
pub mod embedded;
pub mod feedback;
pub mod idempotency;
pub mod imports;
pub mod initiative_lists;
pub mod initiatives;
pub mod key_result_edits;
pub mod key_result_links;
pub mod key_results;
pub mod kpis;
pub mod members;
pub mod objectives;
pub mod orgs;
pub mod pages;
pub mod permissions;
pub mod portfolio_views;
pub mod portfolios;
pub mod priorities;
pub mod rollup;
pub mod scenario_figures;
pub mod scenarios;
pub mod scorecard;
pub mod sessions;
pub mod sign_in;
pub mod status_updates;
pub mod tenant;
pub mod themes;
pub mod tokens;
pub mod users;
pub mod version_authors;
pub mod webhooks;
// Roadmaps and their share links.
pub mod roadmaps;
pub mod share_links;

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool, Postgres};

use crate::config::Config;
use crate::error::AppError;

pub type Tx<'a> = sqlx::Transaction<'a, Postgres>;
pub use tenant::TenantPool;

/// A point in time, as stored (timestamptz) and shown (RFC 3339, UTC).
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// What a read of an organization's data depends on besides its arguments: the organization's
/// data version (migrations/0014_data_versions.sql: it changes with every committed write to what
/// pages show) and its date (late work, the roadmap's today). Two reads with equal stamps read the
/// same; `crate::read_cache` serves one for the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DataStamp {
    pub version: i64,
    pub today: chrono::NaiveDate,
}

impl DataStamp {
    /// The organization's data version and date as `executor`'s snapshot has them.
    pub async fn read(
        executor: impl sqlx::PgExecutor<'_>,
        org_id: uuid::Uuid,
    ) -> Result<DataStamp, AppError> {
        let row = sqlx::query!(
            r#"SELECT (now() AT TIME ZONE time_zone)::date AS "today!",
                      data_version($1) AS "version!"
               FROM organizations WHERE id = $1"#,
            org_id
        )
        .fetch_one(executor)
        .await?;
        Ok(DataStamp {
            version: row.version,
            today: row.today,
        })
    }
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// The database the service runs on, and the embedded cluster behind it when there is one.
pub struct Database {
    /// Connected as the user who owns the schema: it migrates, seeds and loads the demo. The server
    /// makes its own pool from it that serves as `cairn_app` (`serving_pool`).
    pub pool: PgPool,
    cluster: Option<embedded::Cluster>,
}

impl Database {
    /// Connects as configured, creating the database if it is missing, and migrates it.
    pub async fn open(config: &Config) -> anyhow::Result<Database> {
        let (options, cluster) = match &config.database_url {
            Some(url) => {
                if !Postgres::database_exists(url).await.unwrap_or(false) {
                    tracing::info!("creating the database named in DATABASE_URL");
                    Postgres::create_database(url)
                        .await
                        .context("cannot create the database named in DATABASE_URL")?;
                }
                (
                    PgConnectOptions::from_str(url).context("DATABASE_URL is not a PostgreSQL URL")?,
                    None,
                )
            }
            None => {
                let folder = config.data_dir.clone();
                let cluster =
                    tokio::task::spawn_blocking(move || embedded::Cluster::start(&folder)).await??;
                let admin = connect_when_ready(cluster.connect_options("postgres"), 1).await?;
                let exists: bool =
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'cairn')")
                        .fetch_one(&admin)
                        .await?;
                if !exists {
                    sqlx::query("CREATE DATABASE cairn").execute(&admin).await?;
                }
                admin.close().await;
                (cluster.connect_options("cairn"), Some(cluster))
            }
        };
        let pool = connect_when_ready(options, OWNER_POOL_SIZE).await?;
        MIGRATOR.run(&pool).await.context("cannot migrate the database")?;
        Ok(Database { pool, cluster })
    }

    /// Closes the pool, then stops the embedded cluster if this process started one.
    pub async fn close(mut self) {
        self.pool.close().await;
        if let Some(mut cluster) = self.cluster.take() {
            let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
        }
    }
}

/// The owner's pool does one thing at a time: migrate, seed, load the demo.
const OWNER_POOL_SIZE: u32 = 2;

/// The role requests are served as (migrations/0011_row_level_security.sql): it owns nothing and
/// is subject to row-level security, so a tenant query sees only the organization its transaction
/// set (`tenant`).
pub const APP_ROLE: &str = "cairn_app";

/// Waits on a pool are bounded: a request never queues forever behind a busy or absent database.
fn pool_options(size: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(5))
}

/// The pool requests are served from: the same server, database and user as `owner`, each
/// connection switched to `APP_ROLE` as it opens. Permission checks and row-level security go by
/// the current role, so even a superuser's connection is held to the policies after `SET ROLE`.
pub async fn serving_pool(owner: &PgPool, size: u32) -> anyhow::Result<PgPool> {
    pool_options(size)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(format!("SET ROLE {APP_ROLE}").as_str()).await?;
                Ok(())
            })
        })
        .connect_with((*owner.connect_options()).clone())
        .await
        .with_context(|| format!("cannot serve as {APP_ROLE}; was the database migrated by this user?"))
}

/// A pool that waits up to 30 s for a PostgreSQL that is still starting.
pub async fn connect_when_ready(options: PgConnectOptions, size: u32) -> anyhow::Result<PgPool> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = pool_options(size).connect_with(options.clone()).await;
        match attempt {
            Ok(pool) => return Ok(pool),
            // 57P03: the server is starting up (crash recovery after an unclean stop).
            Err(e) if Instant::now() < deadline && is_transient(&e) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e).context("cannot connect to PostgreSQL"),
        }
    }
}

fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db.code().as_deref() == Some("57P03"),
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        _ => false,
    }
}

/// Begins a transaction with `statement` (`BEGIN …`) so that no cancellation can leave it half
/// begun. sqlx 0.8.6 (and 0.9.0) counts a transaction as begun only once PostgreSQL has answered
/// its `BEGIN`; a future dropped while waiting for that answer returns the connection to the pool
/// inside a transaction nobody will end, and every later user of the connection works in it
/// (sqlx issues 4385 and 4393, fixed upstream by pull request 4394 and in no release yet: once a
/// release has it, `pool.begin_with` can be called directly again). So the pool is waited for and
/// the `BEGIN` is sent in a task of its own, which a dropped caller does not cancel: if nobody
/// waits any more when it is answered, the transaction is dropped whole, which rolls it back and
/// returns a clean connection. Requests already run to their end (`http::detached`); this covers
/// what is cancelled inside one, such as the other branches of a `try_join!` that failed.
pub async fn begin_with(pool: &PgPool, statement: String) -> Result<Tx<'static>, sqlx::Error> {
    let pool = pool.clone();
    match tokio::spawn(async move { pool.begin_with(statement).await }).await {
        Ok(begun) => begun,
        Err(failure) if failure.is_panic() => std::panic::resume_unwind(failure.into_panic()),
        // Only a runtime shutting down cancels a task.
        Err(_) => Err(sqlx::Error::PoolClosed),
    }
}

/// A transaction on `pool` that works for no organization yet (`begin_with`).
pub async fn begin(pool: &PgPool) -> Result<Tx<'static>, sqlx::Error> {
    begin_with(pool, "BEGIN".to_owned()).await
}

/// Refuses a write made against a version that is no longer current: an API `If-Match`, or the
/// version an HTML form was rendered with. `None` applies the write to the current version.
/// Call it on a row read `FOR UPDATE`, so that no other write slips in between.
pub fn check_version(expected: Option<i64>, current: i64) -> Result<(), AppError> {
    match expected {
        Some(expected) if expected != current => Err(AppError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// Serializes one kind of write across an organization until the transaction ends, for rules that
/// span rows no single row lock covers: the shape of the portfolio tree, the sum of theme targets.
pub async fn lock_org(tx: &mut Tx<'_>, org_id: uuid::Uuid, what: &str) -> Result<(), AppError> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 0))",
        org_id.to_string(),
        what
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
