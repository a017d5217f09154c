//! A request cut short harms no one else's: clients that hang up in the middle of a database
//! round trip, a caller that stops waiting for its transaction to begin, sign-ins that fail on
//! Cairn's side. The database is reached through a fault-injecting proxy (`pg_proxy`) that holds
//! back the answer the cancellation must fall into, so every run cancels inside that window; the
//! serving pool has one connection, so the connection the cancellation touched is the one every
//! later request gets.

use std::time::Duration;

use cairn::db;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, database_options, expect_status, id_of, spawn_app_routed};
use crate::pg_proxy::{Fault, PgProxy};

/// Cairn with one serving connection and one of the test's own, both through `proxy`.
async fn app_through(proxy: &PgProxy) -> TestApp {
    spawn_app_routed(
        |options| proxy.options(options.get_database().unwrap()),
        1,
        |config| config.pool_size = 1,
    )
    .await
}

async fn proxy() -> PgProxy {
    PgProxy::start(database_options("postgres")).await
}

/// An organization with a root portfolio on Cairn through `proxy`, and the sessions opened so far.
async fn organization_through(proxy: &PgProxy, name: &str) -> (TestApp, Account, String, usize) {
    let app = app_through(proxy).await;
    let admin = app.signup(name).await;
    let root = id_of(&app.create_portfolio(&admin.token, name, "portfolio", None).await);
    let sessions = proxy.sessions_opened();
    (app, admin, root, sessions)
}

/// `POST /tokens` with the admin's email and password.
async fn sign_in_through_the_api(app: &TestApp, admin: &Account) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"email": admin.email, "password": admin.password}))
        .send()
        .await
        .unwrap()
}

fn assert_no_session_reopened(proxy: &PgProxy, sessions: usize) {
    assert_eq!(
        proxy.sessions_opened(),
        sessions,
        "a hang-up closed a pooled connection, and another was opened"
    );
}

/// Sends `request` and hangs up once the proxy holds the answer `fault` names, as a client that
/// times out or is stopped would; then lets the answer through.
async fn hang_up_during(proxy: &PgProxy, fault: Fault, request: reqwest::RequestBuilder) {
    proxy.arm(fault);
    let client = tokio::spawn(request.send());
    proxy.caught().await;
    client.abort();
    assert!(client.await.unwrap_err().is_cancelled());
    // hyper notices the closed connection at once and drops what it was serving; wait for that
    // before the answer comes, so that the answer finds the request gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.release();
}

/// Every kind of request works on the pool's connection(s) afterwards and reads what was just
/// written: writes (which a read-only leftover transaction refuses), reads of fresh data (which a
/// leftover snapshot would miss), sign-ins (which an aborted one would fail) and readiness.
async fn assert_every_pooled_connection_is_sound(app: &TestApp, admin: &Account, root: &str, round: usize) {
    for n in 0..3 {
        let title = format!("After the hang-up {round}.{n}");
        let created = app
            .create_initiative(&admin.token, root, json!({"title": title}))
            .await;
        let listed = app
            .get_json(
                &admin.token,
                &format!("/initiatives?portfolio_id={root}&limit=200"),
            )
            .await;
        let titles: Vec<&Value> = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| &i["title"])
            .collect();
        assert!(
            titles.contains(&&created["title"]),
            "{title} is missing from the list just after its 201: {titles:?}"
        );
        expect_status(sign_in_through_the_api(app, admin).await, StatusCode::CREATED).await;
        assert_eq!(app.get_json(&admin.token, "/me").await["role"], "admin");
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK, "/readyz");
    }
}

#[tokio::test]
async fn a_client_hanging_up_while_its_transaction_begins_leaves_the_pool_sound() {
    let proxy = proxy().await;
    let (app, admin, root, sessions) = organization_through(&proxy, "Hang-up").await;
    let rollup = format!("/portfolios/{root}/rollup");
    let requests = [
        // A read-only snapshot (the roll-up) and a write.
        app.api(Method::GET, &admin.token, &rollup),
        app.api(Method::POST, &admin.token, "/initiatives")
            .json(&json!({"title": "Given up on", "portfolio_id": root})),
    ];
    for (round, request) in requests.into_iter().enumerate() {
        hang_up_during(&proxy, Fault::HoldBegin, request).await;
        assert_every_pooled_connection_is_sound(&app, &admin, &root, round).await;
    }
    assert_no_session_reopened(&proxy, sessions);
}

#[tokio::test]
async fn a_client_hanging_up_while_the_pool_tests_its_connection_closes_nothing() {
    let proxy = proxy().await;
    let (app, admin, root, sessions) = organization_through(&proxy, "Impatient").await;
    // The first thing a request sends is the pool's ping of the idle connection it hands out.
    hang_up_during(
        &proxy,
        Fault::HoldNextMessage,
        app.api(Method::GET, &admin.token, &format!("/portfolios/{root}/rollup")),
    )
    .await;
    assert_every_pooled_connection_is_sound(&app, &admin, &root, 0).await;
    assert_no_session_reopened(&proxy, sessions);
}

#[tokio::test]
async fn a_caller_that_stops_waiting_for_begin_gets_its_transaction_rolled_back_whole() {
    let proxy = proxy().await;
    let app = app_through(&proxy).await;
    let admin = app.signup("Gave up").await;
    // The test's own pool: one connection through the proxy.
    let pool = app.pool.clone();
    for snapshot in [false, true] {
        proxy.arm(Fault::HoldBegin);
        let (caller_pool, org_id) = (pool.clone(), admin.org_id);
        let begin = tokio::spawn(async move {
            let begun = if snapshot {
                db::tenant::begin_snapshot(&caller_pool, org_id).await
            } else {
                db::tenant::begin(&caller_pool, org_id).await
            };
            begun.map(drop)
        });
        proxy.caught().await;
        begin.abort();
        assert!(begin.await.unwrap_err().is_cancelled());
        proxy.release();
        // The one connection comes back outside any transaction: two statements on it see two
        // transactions begin, and it can write.
        let mut connection = pool.acquire().await.unwrap();
        let now = "SELECT now()";
        let first: db::Timestamp = sqlx::query_scalar(now).fetch_one(&mut *connection).await.unwrap();
        let second: db::Timestamp = sqlx::query_scalar(now).fetch_one(&mut *connection).await.unwrap();
        assert_ne!(
            first, second,
            "the connection was left inside the transaction begun for no one"
        );
        sqlx::query("CREATE TEMPORARY TABLE written (n int)")
            .execute(&mut *connection)
            .await
            .unwrap();
        sqlx::query("DROP TABLE written")
            .execute(&mut *connection)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn sign_ins_that_fail_on_cairns_side_do_not_count_as_wrong_passwords() {
    let proxy = proxy().await;
    let app = app_through(&proxy).await;
    let admin = app.signup("Unlucky").await;
    // More than an account's allowance of failures (5), each cut off by the database going away
    // while the password is looked up.
    for attempt in 0..7 {
        proxy.arm(Fault::Cut("sign_in_organization"));
        let cut = sign_in_through_the_api(&app, &admin).await;
        assert_eq!(cut.status(), StatusCode::SERVICE_UNAVAILABLE, "attempt {attempt}");
        proxy.caught().await;
    }
    let signed_in = app.sign_in_page(&admin.email, &admin.password, "").await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "the right password after Cairn's own failures"
    );
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_in_attempts")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(recorded, 0, "attempts that were not wrong passwords stay counted");
}
