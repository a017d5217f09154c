//! Test set-up: each test gets the real application on port 0 and its own fresh database, cloned
//! from a migrated template so that it costs milliseconds. With `DATABASE_URL` unset, the databases
//! live on an embedded cluster started by the same code the application uses.
//!
//! What the helpers are for, by file: `accounts` (signing up, members, signing in), `api` (JSON
//! calls and the checks on their answers), `pages` (pages read as parsed HTML), `forms` (forms read
//! and submitted as a browser does), `demo` (a tour of the demo organization).

mod accounts;
mod api;
mod demo;
mod forms;
mod pages;

pub use accounts::*;
pub use api::*;
pub use demo::*;
pub use forms::*;
pub use pages::*;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::OnceLock;

use cairn::config::Config;
use cairn::db::{self, embedded::Cluster};
use cairn::startup::Server;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgPool};
use uuid::Uuid;

/// The PostgreSQL server the tests create their databases on.
struct DatabaseServer {
    options: PgConnectOptions,
    /// `DATABASE_URL` with `{database}` where the database name goes.
    url_pattern: String,
    template: String,
    /// Keeps the embedded cluster running for the whole test process.
    _cluster: Option<Cluster>,
}

static SERVER: OnceLock<DatabaseServer> = OnceLock::new();
static TEMPLATE_READY: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

fn database_server() -> &'static DatabaseServer {
    SERVER.get_or_init(|| {
        let template = format!("cairn_tpl_{}", migrations_digest());
        match std::env::var("DATABASE_URL") {
            Ok(url) => {
                let options = PgConnectOptions::from_str(&url).expect("DATABASE_URL is a PostgreSQL URL");
                let mut pattern = reqwest::Url::parse(&url).expect("DATABASE_URL is a URL");
                pattern.set_path("/DATABASE");
                let url_pattern = pattern.to_string().replace("DATABASE", "{database}");
                DatabaseServer {
                    options,
                    url_pattern,
                    template,
                    _cluster: None,
                }
            }
            Err(_) => {
                // Outside the work tree: under root the server runs as an unprivileged account,
                // which must be able to reach the folder.
                let folder =
                    std::env::temp_dir().join(format!("cairn-test-cluster-{}", unsafe { libc::geteuid() }));
                let cluster = Cluster::start(&folder).expect("the embedded test cluster starts");
                DatabaseServer {
                    options: cluster.connect_options("postgres"),
                    url_pattern: cluster.url("{database}"),
                    template,
                    _cluster: Some(cluster),
                }
            }
        }
    })
}

/// Changes to the migrations make a new template.
fn migrations_digest() -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for migration in db::MIGRATOR.iter() {
        migration.checksum.hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

/// A `DATABASE_URL` naming `database` on the test server, for running the `cairn` binary.
pub fn database_url(database: &str) -> String {
    database_server().url_pattern.replace("{database}", database)
}

/// Connection options for an existing database on the test server.
pub fn database_options(database: &str) -> PgConnectOptions {
    database_server().options.clone().database(database)
}

/// A fresh, migrated database for one test.
pub async fn fresh_database() -> PgConnectOptions {
    let server = database_server();
    let maintenance = server.options.clone().database("postgres");
    TEMPLATE_READY
        .get_or_init(|| async {
            let admin = db::connect_when_ready(maintenance.clone(), 1)
                .await
                .expect("connect to the test PostgreSQL");
            let mut admin = admin.acquire().await.unwrap();
            // One template per set of migrations; several test processes may race to create it.
            sqlx::query("SELECT pg_advisory_lock(7241)")
                .execute(&mut *admin)
                .await
                .unwrap();
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&server.template)
                    .fetch_one(&mut *admin)
                    .await
                    .unwrap();
            if !exists {
                let building = format!("{}_building", server.template);
                sqlx::query(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                    .execute(&mut *admin)
                    .await
                    .unwrap();
                sqlx::query(&format!("CREATE DATABASE {building}"))
                    .execute(&mut *admin)
                    .await
                    .unwrap();
                let pool = db::connect_when_ready(server.options.clone().database(&building), 1)
                    .await
                    .unwrap();
                db::MIGRATOR
                    .run(&pool)
                    .await
                    .expect("migrations apply to the template");
                pool.close().await;
                sqlx::query(&format!(
                    "ALTER DATABASE {building} RENAME TO {}",
                    server.template
                ))
                .execute(&mut *admin)
                .await
                .unwrap();
            }
            sqlx::query("SELECT pg_advisory_unlock(7241)")
                .execute(&mut *admin)
                .await
                .unwrap();
        })
        .await;
    let name = format!("cairn_test_{}", Uuid::new_v4().simple());
    let mut admin = maintenance
        .connect()
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {}", server.template))
        .execute(&mut admin)
        .await
        .expect("clone the template database");
    admin.close().await.unwrap();
    server.options.clone().database(&name)
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// Connected as the schema's owner (a superuser in tests), for looking at every organization's
    /// rows; row-level security does not hold it.
    pub pool: PgPool,
    /// The pool the server serves from, as `cairn_app`.
    pub serving_pool: PgPool,
    /// A browser-like client: keeps cookies, does not follow redirects (tests check them).
    pub client: reqwest::Client,
    /// Shared by every handle on this test's app (see `with_client`); `None` when the test made
    /// the database itself (`serve`).
    database: Option<std::sync::Arc<DatabaseGuard>>,
}

/// Drops a test's database when the last handle to it goes, so that test runs leave nothing
/// behind on a shared PostgreSQL.
struct DatabaseGuard {
    options: PgConnectOptions,
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        let Some(name) = self.options.get_database().map(str::to_owned) else {
            return;
        };
        let maintenance = self.options.clone().database("postgres");
        // Drop is not async, and the test's runtime may be shutting down: use a runtime of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut admin = maintenance.connect().await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
            })
        });
        if let Ok(Err(error)) = dropped.join() {
            eprintln!("could not drop a test database: {error}");
        }
    }
}

/// Starts Cairn on port 0 against a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts Cairn on port 0 against a fresh database, with `configure` applied to its configuration.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_routed(|options| options, 8, configure).await
}

/// Starts Cairn on port 0 against a fresh database that it and the test's own pool (of
/// `owner_connections`) reach by the options `route` makes of the database's: a fault-injecting
/// proxy's (`pg_proxy`).
pub async fn spawn_app_routed(
    route: impl FnOnce(PgConnectOptions) -> PgConnectOptions,
    owner_connections: u32,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let options = fresh_database().await;
    let database = std::sync::Arc::new(DatabaseGuard {
        options: options.clone(),
    });
    let pool = db::connect_when_ready(route(options), owner_connections)
        .await
        .expect("connect to the test database");
    TestApp {
        database: Some(database),
        ..serve(pool, configure).await
    }
}

/// Starts Cairn on port 0 over `pool`, a database the test looks after itself.
pub async fn serve(pool: PgPool, configure: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: std::env::temp_dir(),
        database_url: None,
        public_url: None,
        client_ip_header: None,
        pool_size: 8,
        share_burst: 30,
        webhook_allow_private: false,
    };
    configure(&mut config);
    let server = Server::bind(&config, pool.clone()).await.expect("bind port 0");
    let addr = server.local_addr();
    let serving_pool = server.pool().clone();
    tokio::spawn(server.run(std::future::pending()));
    TestApp {
        addr,
        pool,
        serving_pool,
        client: new_client(),
        database: None,
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// The handle db functions take for one organization's data, over `pool` (the owner's), for
    /// tests that call queries directly.
    pub fn tenant(&self, org_id: Uuid) -> db::TenantPool {
        db::TenantPool::new(self.pool.clone(), org_id)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    /// The same server and database seen through another client (another browser).
    pub fn with_client(&self, client: reqwest::Client) -> TestApp {
        TestApp {
            addr: self.addr,
            pool: self.pool.clone(),
            serving_pool: self.serving_pool.clone(),
            client,
            database: self.database.clone(),
        }
    }
}

/// Rows in `table` that `executor` can see (the test pool sees all; a tenant transaction, its own).
pub async fn count_rows(executor: impl sqlx::PgExecutor<'_>, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(executor)
        .await
        .unwrap()
}
