//! Webhooks (SPEC §12) against a real receiver on 127.0.0.1 that the test starts: deliveries are
//! signed per Standard Webhooks (checked with the specification's library and by its algorithm),
//! a 500 is retried under the same `webhook-id`, a rolled-back change sends nothing, two servers
//! deliver an event once, an endpoint failing for 24 hours is disabled and receives nothing more, and URLs that
//! would reach the server's own network are refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, expect_status, id_of, serve, spawn_app, spawn_app_with};

/// One request the receiver took.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn id(&self) -> String {
        self.headers["webhook-id"].to_str().unwrap().to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// An HTTP receiver on 127.0.0.1 that keeps every request and answers the statuses it is given in
/// turn, then 200.
#[derive(Clone)]
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Receiver {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script: Arc<Mutex<Vec<u16>>> = Arc::new(Mutex::new(statuses.iter().rev().copied().collect()));
        let keep = received.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (keep, script) = (keep.clone(), script.clone());
                async move {
                    keep.lock().unwrap().push(Received { headers, body });
                    let status = script.lock().unwrap().pop().unwrap_or(200);
                    (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        format!("answered {status}"),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, received }
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests came, up to `within`; what came, however many.
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        while self.all().len() < n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.all()
    }
}

/// An app whose webhooks may reach loopback, as self-hosted installations may.
async fn open_app() -> TestApp {
    spawn_app_with(|config| config.webhook_allow_private = true).await
}

async fn register(app: &TestApp, token: &str, url: &str, events: &[&str]) -> Value {
    let response = app
        .api(Method::POST, token, "/webhooks")
        .json(&json!({"url": url, "events": events}))
        .send()
        .await
        .unwrap();
    expect_status(response, StatusCode::CREATED).await
}

/// The signature as the Standard Webhooks specification defines it.
fn by_hand(secret: &str, delivery: &Received) -> String {
    use base64::Engine;
    use hmac::Mac;
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let header = |name: &str| delivery.headers[name].to_str().unwrap().to_owned();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.{}",
            header("webhook-id"),
            header("webhook-timestamp"),
            delivery.body
        )
        .as_bytes(),
    );
    engine.encode(mac.finalize().into_bytes())
}

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn deliveries_are_signed_per_standard_webhooks_and_logged() {
    let app = open_app().await;
    let org = app.signup("Hooked").await;
    let receiver = Receiver::start(&[]).await;
    let hook = register(
        &app,
        &org.token,
        &receiver.url,
        &["initiative.created", "status_update.created"],
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    // The secret is shown once: reading the webhook again does not show it.
    let read = app
        .get_json(&org.token, &format!("/webhooks/{}", id_of(&hook)))
        .await;
    assert!(read.get("secret").is_none(), "{read}");
    assert_eq!(
        read["events"],
        json!(["initiative.created", "status_update.created"])
    );

    let portfolio = app
        .create_portfolio(&org.token, "Checkout", "product", None)
        .await;
    let initiative = app
        .create_initiative(&org.token, &id_of(&portfolio), json!({"title": "Card refunds"}))
        .await;
    let received = receiver.wait_for(1, WAIT).await;
    assert_eq!(received.len(), 1, "one event for one created initiative");
    let delivery = &received[0];
    standardwebhooks::Webhook::new(&secret)
        .unwrap()
        .verify(delivery.body.as_bytes(), &delivery.headers)
        .expect("the signature verifies with the endpoint's secret");
    let wrong = standardwebhooks::Webhook::new(&cairn::domain::webhook::new_secret()).unwrap();
    assert!(wrong.verify(delivery.body.as_bytes(), &delivery.headers).is_err());
    // And by the specification's algorithm written out: `v1,` and the base64 HMAC-SHA256, keyed
    // by the secret's bytes, of "id.timestamp.body".
    assert_eq!(
        delivery.headers["webhook-signature"].to_str().unwrap(),
        format!("v1,{}", by_hand(&secret, delivery))
    );
    let event = delivery.json();
    assert_eq!(event["type"], "initiative.created");
    assert_eq!(event["data"]["key"], initiative["key"]);
    assert_eq!(event["data"]["title"], "Card refunds");
    assert!(event["timestamp"].as_str().unwrap().ends_with('Z'));

    // The log shows the attempt.
    let log = wait_for_log(&app, &org.token, &id_of(&hook), 1).await;
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[0]["event_id"].as_str().unwrap(), delivery.id());
    assert!(log[0]["error"].is_null());
    assert_eq!(log[0]["response"], "answered 200");
}

/// The delivery log once it holds `n` attempts (the worker writes it just after the receiver answers).
async fn wait_for_log(app: &TestApp, token: &str, hook: &str, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let log = app.get_json(token, &format!("/webhooks/{hook}/deliveries")).await;
        let items = log["items"].as_array().unwrap().clone();
        if items.len() >= n || tokio::time::Instant::now() > deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_id() {
    let app = open_app().await;
    let org = app.signup("Retried").await;
    let receiver = Receiver::start(&[500]).await;
    let hook = register(&app, &org.token, &receiver.url, &["initiative.created"]).await;
    let portfolio = app
        .create_portfolio(&org.token, "Checkout", "product", None)
        .await;
    app.create_initiative(&org.token, &id_of(&portfolio), json!({}))
        .await;
    let received = receiver.wait_for(2, WAIT).await;
    assert_eq!(received.len(), 2, "the 500 was retried");
    assert_eq!(received[0].id(), received[1].id(), "under the same webhook-id");
    assert_eq!(received[0].body, received[1].body, "with the same body");
    let log = wait_for_log(&app, &org.token, &id_of(&hook), 2).await;
    // Newest first: the retry's 200, then the first attempt's 500.
    assert_eq!(
        (log[0]["attempt"].as_i64(), log[0]["status"].as_i64()),
        (Some(2), Some(200))
    );
    assert_eq!(
        (log[1]["attempt"].as_i64(), log[1]["status"].as_i64()),
        (Some(1), Some(500))
    );
    assert_eq!(log[1]["error"], "HTTP 500");
    // While it failed the endpoint said so; the success cleared it.
    let read = app
        .get_json(&org.token, &format!("/webhooks/{}", id_of(&hook)))
        .await;
    assert!(read["failing_since"].is_null(), "{read}");
}

#[tokio::test]
async fn a_rolled_back_change_sends_nothing_and_a_committed_one_always_does() {
    let app = open_app().await;
    let org = app.signup("Atomic").await;
    let receiver = Receiver::start(&[]).await;
    register(&app, &org.token, &receiver.url, &["initiative.updated"]).await;
    let portfolio = app
        .create_portfolio(&org.token, "Checkout", "product", None)
        .await;
    let initiative = app
        .create_initiative(&org.token, &id_of(&portfolio), json!({}))
        .await;
    let id: uuid::Uuid = id_of(&initiative).parse().unwrap();

    // A write that rolls back, on the server's own pool and row-level security.
    let mut tx = cairn::db::tenant::begin(&app.serving_pool, org.org_id)
        .await
        .unwrap();
    sqlx::query("UPDATE initiatives SET title = 'Rolled back', version = version + 1 WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    // Then one that commits, through the API.
    let response = app
        .api(Method::PATCH, &org.token, &format!("/initiatives/{id}"))
        .header("if-match", format!("\"{}\"", initiative["version"]))
        .json(&json!({"title": "Committed"}))
        .send()
        .await
        .unwrap();
    expect_status(response, StatusCode::OK).await;

    receiver.wait_for(1, WAIT).await;
    // Long enough for the rolled-back write's event to arrive, were there one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received: Vec<Value> = receiver.all().iter().map(Received::json).collect();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0]["data"]["title"], "Committed");
}

#[tokio::test]
async fn two_servers_deliver_each_event_once() {
    let app = open_app().await;
    let second = serve(app.pool.clone(), |config| config.webhook_allow_private = true).await;
    let org = app.signup("Twice").await;
    let receiver = Receiver::start(&[]).await;
    register(&app, &org.token, &receiver.url, &["initiative.created"]).await;
    let portfolio = app
        .create_portfolio(&org.token, "Checkout", "product", None)
        .await;
    for n in 0..12 {
        // Half through each server.
        let server = if n % 2 == 0 { &app } else { &second };
        server
            .create_initiative(
                &org.token,
                &id_of(&portfolio),
                json!({"title": format!("Work {n}")}),
            )
            .await;
    }
    receiver.wait_for(12, WAIT).await;
    // Long enough for a second delivery of any event to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut ids: Vec<String> = receiver.all().iter().map(Received::id).collect();
    assert_eq!(ids.len(), 12, "{ids:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "every event once");
}

#[tokio::test]
async fn an_endpoint_failing_for_24_hours_is_disabled_and_receives_nothing_more() {
    let app = open_app().await;
    let org = app.signup("Failing").await;
    let receiver = Receiver::start(&[500, 500, 500]).await;
    let hook = register(&app, &org.token, &receiver.url, &["initiative.created"]).await;
    // It has been failing for a day already.
    sqlx::query("UPDATE webhooks SET failing_since = now() - interval '25 hours' WHERE id = $1")
        .bind(id_of(&hook).parse::<uuid::Uuid>().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    let portfolio = app
        .create_portfolio(&org.token, "Checkout", "product", None)
        .await;
    app.create_initiative(&org.token, &id_of(&portfolio), json!({}))
        .await;
    receiver.wait_for(1, WAIT).await;
    wait_for_log(&app, &org.token, &id_of(&hook), 1).await;
    let read = app
        .get_json(&org.token, &format!("/webhooks/{}", id_of(&hook)))
        .await;
    assert_eq!(read["enabled"], false, "{read}");
    let why = read["disabled_reason"].as_str().unwrap();
    assert!(why.contains("24 hours") && why.contains("HTTP 500"), "{why}");

    app.create_initiative(&org.token, &id_of(&portfolio), json!({}))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.all().len(), 1, "a disabled endpoint receives nothing");
    // A test event is refused too, with the reason.
    let response = app
        .api(
            Method::POST,
            &org.token,
            &format!("/webhooks/{}/test", id_of(&hook)),
        )
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::CONFLICT, None).await;

    // Enabled again, it receives the next event.
    let response = app
        .api(Method::PATCH, &org.token, &format!("/webhooks/{}", id_of(&hook)))
        .header("if-match", format!("\"{}\"", read["version"]))
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    let enabled = expect_status(response, StatusCode::OK).await;
    assert!(
        enabled["disabled_reason"].is_null() && enabled["failing_since"].is_null(),
        "{enabled}"
    );
    app.create_initiative(&org.token, &id_of(&portfolio), json!({}))
        .await;
    assert!(receiver.wait_for(2, WAIT).await.len() >= 2);
}

#[tokio::test]
async fn urls_that_reach_the_servers_own_network_are_refused() {
    let strict = spawn_app().await;
    let org = strict.signup("Strict").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.7/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://example.com/hook",
        "https://user:secret@example.com/hook",
        "not a url",
    ] {
        let response = strict
            .api(Method::POST, &org.token, "/webhooks")
            .json(&json!({"url": url, "events": ["initiative.created"]}))
            .send()
            .await
            .unwrap();
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("url")).await;
    }
    // Allowing private ranges still refuses link-local and metadata addresses.
    let open = open_app().await;
    let org = open.signup("Open").await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
    ] {
        let response = open
            .api(Method::POST, &org.token, "/webhooks")
            .json(&json!({"url": url, "events": ["initiative.created"]}))
            .send()
            .await
            .unwrap();
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("url")).await;
    }
    // Unknown events and short secrets are named too.
    let response = open
        .api(Method::POST, &org.token, "/webhooks")
        .json(&json!({"url": "http://127.0.0.1:9/", "events": ["initiative.deleted"], "secret": "whsec_c2hvcnQ="}))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("events")).await;
    assert!(problem["errors"]["secret"].is_array(), "{problem}");
    let listed = open.get_json(&org.token, "/webhooks").await;
    assert_eq!(listed, json!([]), "nothing was registered");
}

#[tokio::test]
async fn only_admins_manage_webhooks_and_only_their_own_organizations() {
    let app = open_app().await;
    let org = app.signup("Ours").await;
    let other = app.signup("Theirs").await;
    let hook = register(&app, &other.token, "http://127.0.0.1:9/", &["initiative.created"]).await;
    let member = app.add_member(&org, cairn::domain::Role::Member).await;
    let response = app
        .api(Method::POST, &member.token, "/webhooks")
        .json(&json!({"url": "http://127.0.0.1:9/", "events": ["initiative.created"]}))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    let response = app
        .api(Method::GET, &member.token, "/webhooks")
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    for (method, path) in [
        (Method::GET, format!("/webhooks/{}", id_of(&hook))),
        (Method::GET, format!("/webhooks/{}/deliveries", id_of(&hook))),
        (Method::POST, format!("/webhooks/{}/test", id_of(&hook))),
    ] {
        let response = app.api(method, &org.token, &path).send().await.unwrap();
        expect_problem(response, StatusCode::NOT_FOUND, None).await;
    }
}

#[tokio::test]
async fn the_settings_page_registers_shows_the_secret_once_and_sends_a_test_event() {
    let app = open_app().await;
    let org = app.signup("Paged").await;
    app.sign_in_page(&org.email, &org.password, "").await;
    let receiver = Receiver::start(&[]).await;

    // A bad URL is refused beside its field, with what was typed kept.
    let refused = app
        .post_form(
            "/settings/webhooks",
            &[
                ("url", "http://169.254.169.254/"),
                ("events", "initiative.created"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.field_error("url").unwrap().contains("link-local"),
        "{:?}",
        refused.field_error("url")
    );
    assert_eq!(
        refused.value("input[name=url]").as_deref(),
        Some("http://169.254.169.254/")
    );

    let created = app
        .post_form(
            "/settings/webhooks",
            &[
                ("url", &receiver.url),
                ("events", "initiative.created"),
                ("events", "scenario.applied"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let secret = created.text(".new-secret .secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let edit_action = created
        .one("form.edit-webhook")
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    let listed = app.get_page("/settings/webhooks").await;
    assert!(listed.text("table.webhooks").contains(&receiver.url));
    let shown = app.get_page(&edit_action).await;
    assert!(shown.select(".new-secret").is_empty(), "the secret is shown once");
    assert!(
        shown
            .select("input[name=events][value='scenario.applied'][checked]")
            .len()
            == 1
    );

    let sent = app.post_form(&format!("{edit_action}/test"), &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let received = receiver.wait_for(1, WAIT).await;
    assert_eq!(received[0].json()["type"], "webhook.test");
    standardwebhooks::Webhook::new(&secret)
        .unwrap()
        .verify(received[0].body.as_bytes(), &received[0].headers)
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    let log = loop {
        let page = app.get_page(&edit_action).await;
        if !page.select("table.attempts tbody tr").is_empty() || tokio::time::Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(log.text("table.attempts tbody tr .status"), "200");
    assert!(log.text("table.attempts").contains("webhook.test"));

    // Paused from the page, it says so.
    let version = log.value("form.edit-webhook input[name=version]").unwrap();
    let paused = app
        .post_form(
            &edit_action,
            &[
                ("url", &receiver.url),
                ("events", "initiative.created"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    let page = app.get_page(&edit_action).await;
    assert!(page.text(".disabled-reason").contains("Paused by an admin"));
}
