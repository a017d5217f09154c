//! Database faults: PostgreSQL stops in the middle of a stream of writes and comes back. Cairn
//! answers 503 with `Retry-After` meanwhile (never a 500, never a hang), loses no write it
//! acknowledged, and recovers by itself. A pool with no free connection answers 503 as well, after
//! a bounded wait.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use cairn::db::{self, embedded::Cluster};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TestApp, id_of, serve};

/// Longer than any bounded wait in Cairn (the pool's 5 s acquire timeout): a request that takes
/// this long hangs.
const HANG: Duration = Duration::from_secs(30);
/// What a readiness probe is given (Cairn bounds its own check at 0.9 s), with room for a busy
/// machine.
const READINESS_PROBE: Duration = Duration::from_secs(2);

/// A PostgreSQL cluster of this test's own, which it may stop and start.
struct OwnCluster {
    folder: PathBuf,
    running: Option<Cluster>,
}

impl OwnCluster {
    async fn start() -> OwnCluster {
        let folder = std::env::temp_dir().join(format!("cairn-fault-{}", Uuid::new_v4().simple()));
        let mut cluster = OwnCluster {
            folder,
            running: None,
        };
        cluster.restart().await;
        cluster
    }

    /// A fast shutdown: clients are disconnected, transactions in flight are rolled back.
    async fn stop(&mut self) {
        let mut running = self.running.take().expect("the cluster is running");
        tokio::task::spawn_blocking(move || running.stop()).await.unwrap();
    }

    async fn restart(&mut self) {
        let folder = self.folder.clone();
        let cluster = tokio::task::spawn_blocking(move || Cluster::start(&folder))
            .await
            .unwrap()
            .expect("the test's own cluster starts");
        self.running = Some(cluster);
    }

    /// Cairn on a new database of this cluster, migrated, with the pool Cairn itself makes.
    async fn serve_cairn(&self) -> TestApp {
        let cluster = self.running.as_ref().expect("the cluster is running");
        let admin = db::connect_when_ready(cluster.connect_options("postgres"), 1)
            .await
            .unwrap();
        sqlx::query("CREATE DATABASE cairn")
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let pool = db::connect_when_ready(cluster.connect_options("cairn"), 4)
            .await
            .unwrap();
        db::MIGRATOR.run(&pool).await.unwrap();
        serve(pool, |_| {}).await
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        if let Some(mut cluster) = self.running.take() {
            cluster.stop();
        }
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// Writes initiatives through the API one after another until told to stop, recording each
/// title and the status it was answered with.
struct WriteStream {
    stop: Arc<AtomicBool>,
    acknowledged: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<Vec<(String, StatusCode)>>,
}

impl WriteStream {
    fn start(app: &TestApp, token: &str, portfolio: &str) -> WriteStream {
        let stop = Arc::new(AtomicBool::new(false));
        let acknowledged = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let (app, token, portfolio) = (
            app.with_client(app.client.clone()),
            token.to_owned(),
            portfolio.to_owned(),
        );
        let (stopping, acks, refusals) = (stop.clone(), acknowledged.clone(), refused.clone());
        let task = tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for n in 0..5_000 {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let title = format!("Write {n}");
                let response = app
                    .api(Method::POST, &token, "/initiatives")
                    .json(&json!({"title": title, "portfolio_id": portfolio}))
                    .timeout(HANG)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("write {n} got no answer: {e}"));
                let status = response.status();
                if status.is_success() {
                    acks.fetch_add(1, Ordering::SeqCst);
                } else {
                    refusals.fetch_add(1, Ordering::SeqCst);
                }
                outcomes.push((title, status));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            outcomes
        });
        WriteStream {
            stop,
            acknowledged,
            refused,
            task,
        }
    }

    /// Waits (boundedly) until `count` says at least `target`.
    async fn wait_for(count: &AtomicUsize, target: usize, what: &str) {
        for _ in 0..1_200 {
            if count.load(Ordering::SeqCst) >= target {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what}: {} of {target}", count.load(Ordering::SeqCst));
    }

    async fn finish(self) -> Vec<(String, StatusCode)> {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap()
    }
}

/// GETs `path`, failing if it hangs; the status and `Retry-After`.
async fn probe(app: &TestApp, path: &str) -> (StatusCode, Option<String>) {
    let response = app
        .client
        .get(app.url(path))
        .timeout(HANG)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path} got no answer: {e}"));
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), retry_after)
}

#[tokio::test]
async fn a_database_restart_loses_no_acknowledged_write_and_needs_no_restart_of_cairn() {
    let mut cluster = OwnCluster::start().await;
    let app = cluster.serve_cairn().await;
    let account = app.signup("Fault Co").await;
    let root = id_of(
        &app.create_portfolio(&account.token, "Fault Co", "portfolio", None)
            .await,
    );
    let signed_in = app.sign_in_page(&account.email, &account.password, "").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);

    let writes = WriteStream::start(&app, &account.token, &root);
    WriteStream::wait_for(&writes.acknowledged, 5, "writes before the outage").await;

    cluster.stop().await;
    WriteStream::wait_for(&writes.refused, 1, "writes refused during the outage").await;
    // Orchestrators give a readiness probe about a second: it must not wait out the pool's
    // five-second bound on reaching the database.
    let readiness = app
        .client
        .get(app.url("/readyz"))
        .timeout(READINESS_PROBE)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!("/readyz did not answer within {READINESS_PROBE:?} during the outage: {e}")
        });
    assert_eq!(readiness.status(), StatusCode::SERVICE_UNAVAILABLE);
    let api_path = format!("/api/v1/portfolios/{root}/rollup");
    for path in ["/readyz", &format!("/portfolios/{root}"), "/"] {
        let (status, _) = probe(&app, path).await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path} during the outage"
        );
    }
    let api = app
        .api(Method::GET, &account.token, &format!("/portfolios/{root}/rollup"))
        .timeout(HANG)
        .send()
        .await
        .unwrap();
    assert!(api.headers().contains_key("retry-after"), "{api_path}");
    crate::helpers::expect_problem(api, StatusCode::SERVICE_UNAVAILABLE, None).await;
    let (_, retry_after) = probe(&app, &format!("/portfolios/{root}")).await;
    assert!(
        retry_after.is_some(),
        "a page during the outage says when to retry"
    );

    // A couple of seconds down, then back: Cairn was not restarted.
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.restart().await;
    let mut ready = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..600 {
        ready = probe(&app, "/readyz").await.0;
        if ready == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready, StatusCode::OK, "/readyz after the database is back");
    let before = writes.acknowledged.load(Ordering::SeqCst);
    WriteStream::wait_for(&writes.acknowledged, before + 5, "writes after the outage").await;
    let outcomes = writes.finish().await;

    let (page, _) = probe(&app, &format!("/portfolios/{root}")).await;
    assert_eq!(page, StatusCode::OK, "the signed-in page works again");
    for (title, status) in &outcomes {
        assert!(
            *status == StatusCode::CREATED || *status == StatusCode::SERVICE_UNAVAILABLE,
            "{title} was answered {status}"
        );
    }
    let stored: Vec<String> = sqlx::query_scalar("SELECT title FROM initiatives")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let lost: Vec<&String> = outcomes
        .iter()
        .filter(|(title, status)| status.is_success() && !stored.contains(title))
        .map(|(title, _)| title)
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}

#[tokio::test]
async fn a_pool_with_no_free_connection_answers_503_after_a_bounded_wait() {
    let app = crate::helpers::spawn_app().await;
    let account = app.signup("Busy Co").await;
    let signed_in = app.sign_in_page(&account.email, &account.password, "").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);

    // Something holds every connection of the server's pool (long transactions, a stuck query).
    let mut held = Vec::new();
    for _ in 0..app.serving_pool.options().get_max_connections() {
        held.push(app.serving_pool.acquire().await.unwrap());
    }
    let api = app.api(Method::GET, &account.token, "/me").timeout(HANG).send();
    let (api, page, ready) = tokio::join!(api, probe(&app, "/"), probe(&app, "/readyz"));
    let api = api.unwrap();
    assert!(
        api.headers().contains_key("retry-after"),
        "the API says when to retry"
    );
    crate::helpers::expect_problem(api, StatusCode::SERVICE_UNAVAILABLE, None).await;
    assert_eq!(
        page,
        (StatusCode::SERVICE_UNAVAILABLE, Some("1".to_owned())),
        "a page"
    );
    assert_eq!(ready.0, StatusCode::SERVICE_UNAVAILABLE, "/readyz");

    drop(held);
    assert_eq!(probe(&app, "/readyz").await.0, StatusCode::OK);
    app.get_json(&account.token, "/me").await;
}
