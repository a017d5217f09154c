//! `cairn serve` as an operator runs it: a process that finishes its requests in flight on
//! SIGTERM, and several processes sharing one database behind a load balancer.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ExitStatus, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cli::cairn;
use crate::helpers::{SESSION_COOKIE, TestApp, database_url, id_of, new_client, spawn_app};

/// Longer than any request or shutdown should take: past this, something hangs.
const HANG: Duration = Duration::from_secs(60);

/// A `cairn serve` process on a free port; killed if the test ends before it does.
struct Served {
    child: Child,
    addr: SocketAddr,
}

impl Served {
    /// Starts `cairn serve` over the database of `app` (another server on the same database).
    fn start(app: &TestApp) -> Served {
        let database = app.pool.connect_options().get_database().unwrap().to_owned();
        let mut child = cairn()
            .env("DATABASE_URL", database_url(&database))
            .env("CAIRN_BIND", "127.0.0.1:0")
            .env("CAIRN_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run cairn serve");
        let log = child.stderr.take().unwrap();
        let (listening, address) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Reads to the end, so that the server never blocks on a full pipe.
            for line in BufReader::new(log).lines().map_while(Result::ok) {
                let entry: Value = serde_json::from_str(&line).unwrap_or_default();
                match entry["fields"]["address"].as_str() {
                    Some(address) if entry["fields"]["message"] == "Cairn is listening" => {
                        let _ = listening.send(address.parse::<SocketAddr>().unwrap());
                    }
                    _ => eprintln!("cairn serve: {line}"),
                }
            }
        });
        let addr = address
            .recv_timeout(HANG)
            .expect("cairn serve says where it listens");
        Served { child, addr }
    }

    /// `app` (its database and helpers) reached through this process with `client`.
    fn through(&self, app: &TestApp, client: reqwest::Client) -> TestApp {
        let mut through = app.with_client(client);
        through.addr = self.addr;
        through
    }

    fn terminate(&self) {
        // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
        let sent = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM sent");
    }

    /// Waits, boundedly, for the process to exit.
    fn wait(&mut self) -> ExitStatus {
        for _ in 0..HANG.as_millis() / 50 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("cairn serve did not exit after SIGTERM");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn sigterm_lets_the_requests_in_flight_finish_and_exits_cleanly() {
    let app = spawn_app().await;
    let seeded = cairn::seed::seed(&app.pool, 3_000).await.unwrap();
    let mut server = Served::start(&app);
    let browser = server.through(&app, new_client());
    let signed_in = browser.sign_in_page(&seeded.email, &seeded.password, "").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);

    // The heaviest reads of a 3,000-initiative organization, all at once.
    let root = seeded.root_portfolio_id;
    let paths = [
        format!("/portfolios/{root}"),
        "/initiatives".to_owned(),
        "/initiatives.csv".to_owned(),
    ];
    let (answered, mut answers) = tokio::sync::mpsc::unbounded_channel();
    for path in paths.iter().cycle().take(12) {
        let (client, url, answered) = (browser.client.clone(), browser.url(path), answered.clone());
        let path = path.clone();
        tokio::spawn(async move {
            let outcome = async {
                let response = client.get(url).timeout(HANG).send().await?;
                let status = response.status();
                response.bytes().await?;
                Ok::<_, reqwest::Error>(status)
            };
            let _ = answered.send((path, outcome.await));
        });
    }
    drop(answered);

    // The first answer is in: the others are being worked on when the signal arrives.
    let first = answers.recv().await.unwrap();
    server.terminate();
    let mut outcomes = vec![first];
    while let Some(outcome) = answers.recv().await {
        outcomes.push(outcome);
    }
    assert_eq!(outcomes.len(), 12);
    for (path, outcome) in outcomes {
        match outcome {
            Ok(status) => assert_eq!(status, StatusCode::OK, "{path}"),
            Err(error) => panic!("{path} was cut off: {error}"),
        }
    }
    let status = tokio::task::spawn_blocking(move || server.wait()).await.unwrap();
    assert!(status.success(), "cairn serve exited with {status}");
    assert!(
        new_client().get(browser.url("/healthz")).send().await.is_err(),
        "nothing listens any more"
    );
}

#[tokio::test]
async fn two_servers_on_one_database_share_sessions_and_writes() {
    let app = spawn_app().await;
    let account = app.signup("Two Servers").await;
    let (first, second) = (Served::start(&app), Served::start(&app));
    // One browser behind a load balancer: its cookie goes to whichever server answers.
    let browser = new_client();
    let via_first = first.through(&app, browser.clone());
    let via_second = second.through(&app, browser);

    let signed_in = via_first
        .sign_in_page(&account.email, &account.password, "")
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let cookie = signed_in.session_cookie().unwrap().value.clone();

    // A write through the first server is on the second's page, shown to the session the first
    // started; a write through the second is in the first's API.
    let token = &account.token;
    let root = id_of(
        &via_first
            .create_portfolio(token, "Shared", "portfolio", None)
            .await,
    );
    via_first
        .create_initiative(token, &root, json!({"title": "Made on the first"}))
        .await;
    let page = via_second.get_page(&format!("/portfolios/{root}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("main").contains("Made on the first"));
    let made = id_of(
        &via_second
            .create_initiative(token, &root, json!({"title": "Made on the second"}))
            .await,
    );
    let read = via_first.get_json(token, &format!("/initiatives/{made}")).await;
    assert_eq!(read["title"], "Made on the second");

    // A share link made through the first opens through the second, and revoked through the
    // second it is gone through the first: links live in the database, not in a process.
    let today = chrono::Utc::now().date_naive();
    let roadmap = via_first
        .post_json(
            token,
            "/roadmaps",
            json!({"name": "Board", "portfolio_id": root, "layout": "now_next_later",
                   "from": today - chrono::Days::new(30), "to": today + chrono::Days::new(300)}),
        )
        .await;
    let share = via_first
        .post_json(token, &format!("/roadmaps/{}/shares", id_of(&roadmap)), json!({}))
        .await;
    let link = format!("/s/{}", share["token"].as_str().unwrap());
    let anonymous = |server: &TestApp| server.with_client(new_client());
    let shared = anonymous(&via_second).get_page(&link).await;
    assert_eq!(shared.status, StatusCode::OK);
    assert!(shared.text("body").contains("Board"));
    let revoke = via_second
        .api(
            reqwest::Method::DELETE,
            token,
            &format!("/shares/{}", id_of(&share)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        anonymous(&via_first).get_page(&link).await.status,
        StatusCode::NOT_FOUND
    );

    // Signing out through the second ends the session for the first too.
    let signed_out = via_second.post_form("/logout", &[]).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    let replayed = new_client()
        .get(via_first.url(&format!("/portfolios/{root}")))
        .header("cookie", format!("{SESSION_COOKIE}={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.status(),
        StatusCode::SEE_OTHER,
        "the old cookie signs in no more"
    );
}
