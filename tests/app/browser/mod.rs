//! Browser tests: headless Chromium driven through chromedriver (WebDriver) by fantoccini, against
//! the real server. Each test starts its own chromedriver on a free port with a fresh profile, and
//! the tests take turns through one lock so a small machine is never running two browsers.
//!
//! Without chromedriver or Chromium (or, for the accessibility test, axe-core) the tests print
//! `SKIPPED` and pass, except under `CI=true`, where a missing tool is a failure: CI must never
//! silently skip them.

mod accessibility;
mod auth;
mod baselines;
mod feedback;
mod forms;
mod imports;
mod okrs;
mod priorities;
mod rollup;
mod scenarios;
mod scores;
mod status_updates;
// Trust under load, faults and hostile input
mod security;
// Roadmaps.
mod roadmaps;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

/// One browser at a time across the whole test binary.
static ONE_BROWSER: Mutex<()> = Mutex::const_new(());

/// How long to wait for the browser to show something before the test fails.
const PATIENCE: Duration = Duration::from_secs(15);

const CHROME_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

/// A WebDriver session in a fresh headless Chromium.
pub struct Browser {
    client: Client,
    chrome_bin: PathBuf,
    // Dropped after the client: the driver and its browser go, then the next test may start.
    // Shared by a second session of the same test (`another_session`).
    driver: Arc<Driver>,
    _turn: Arc<MutexGuard<'static, ()>>,
}

impl Browser {
    /// Starts chromedriver and a browser session, or returns `None` (after saying so loudly)
    /// when this machine has no browser and is not CI.
    pub async fn start() -> Option<Browser> {
        let (Some(driver_bin), Some(chrome_bin)) = (
            find_binary(&["chromedriver"], "/usr/bin/chromedriver"),
            find_binary(&["chromium", "chromium-browser"], "/usr/bin/chromium"),
        ) else {
            skip_unless_ci(
                "browser test needs chromedriver and chromium (apt-get install chromium chromium-driver)",
            );
            return None;
        };
        // Both ring and aws-lc-rs are compiled in; rustls needs to be told which to use. A second
        // install (another test got there first) is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let turn = ONE_BROWSER.lock().await;
        let driver = Driver::start(&driver_bin);
        let client = driver.session(&chrome_bin).await;
        Some(Browser {
            client,
            chrome_bin,
            driver: Arc::new(driver),
            _turn: Arc::new(turn),
        })
    }

    /// A second browser window with a profile (and so cookies) of its own, on the same driver and
    /// within the same turn: a second person working at the same time.
    pub async fn another_session(&self) -> Browser {
        Browser {
            client: self.driver.session(&self.chrome_bin).await,
            chrome_bin: self.chrome_bin.clone(),
            driver: self.driver.clone(),
            _turn: self._turn.clone(),
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Waits until an element matching `css` is on the page.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` appeared: {e}"))
    }

    /// Types into the form control named `name`, replacing what was there.
    pub async fn fill(&self, name: &str, value: &str) {
        let input = self.find(&format!("[name='{name}']")).await;
        input.clear().await.expect("clear the field");
        input.send_keys(value).await.expect("type into the field");
    }

    /// Picks the option with `value` in the select named `name`.
    pub async fn choose(&self, name: &str, value: &str) {
        self.find(&format!("select[name='{name}']"))
            .await
            .select_by_value(value)
            .await
            .expect("choose an option");
    }

    /// Waits until the element matching `css` shows `expected` (a submitted form's answer has
    /// loaded).
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let shown = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if shown.contains(expected) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{css}` shows {shown:?}, expected {expected:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the element matching `css` (a submit button: the browser then loads the answer).
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements")
            .len()
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("read text")
    }

    /// The current value of the form control named `name`.
    pub async fn value(&self, name: &str) -> String {
        self.find(&format!("[name='{name}']"))
            .await
            .prop("value")
            .await
            .expect("read value")
            .unwrap_or_default()
    }

    /// Waits until the browser shows a page at `path` (the server's redirect has been followed).
    pub async fn wait_for_path(&self, path: &str) {
        self.wait_for_url(|url| url.path() == path, path).await;
    }

    /// Waits until the browser has left `path` (after a sign-in that lands wherever home sends).
    pub async fn wait_to_leave(&self, path: &str) {
        self.wait_for_url(|url| url.path() != path, &format!("anything but {path}"))
            .await;
    }

    async fn wait_for_url(&self, arrived: impl Fn(&reqwest::Url) -> bool, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let url = self.client.current_url().await.expect("current URL");
            if arrived(&url) {
                return;
            }
            assert!(Instant::now() < deadline, "still at {url}, expected {expected}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs in through the sign-in page and waits for the home page.
    pub async fn sign_in(&self, url: &str, email: &str, password: &str) {
        self.goto(&format!("{url}/login")).await;
        self.fill("email", email).await;
        self.fill("password", password).await;
        self.click("form[action='/login'] button[type='submit']").await;
        // Home sends portfolio owners on to their roll-up; signed in is anywhere but /login.
        self.wait_to_leave("/login").await;
    }

    /// Ends the WebDriver session cleanly; dropping the browser without it still kills the driver.
    pub async fn close(self) {
        self.client
            .clone()
            .close()
            .await
            .expect("close the browser session");
    }
}

/// Says loudly that a test is skipped for want of `what_is_missing`, or fails it under `CI=true`,
/// where nothing may be skipped silently. The caller returns after it.
pub fn skip_unless_ci(what_is_missing: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what_is_missing}; CI=true, so a missing tool fails the test");
    }
    eprintln!("\n*** SKIPPED: {what_is_missing} ***\n");
}

/// A chromedriver process of our own, in its own process group so that the Chromium it starts
/// dies with it.
struct Driver {
    child: Child,
    url: String,
    profile: PathBuf,
}

impl Driver {
    fn start(binary: &Path) -> Driver {
        let port = free_port();
        let profile = std::env::temp_dir().join(format!("cairn-chrome-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile).expect("create a browser profile folder");
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile,
        };
        driver.wait_until_listening(port);
        driver
    }

    fn wait_until_listening(&self, port: u16) {
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Driver {
    /// A new Chromium session with a fresh profile folder inside the driver's.
    async fn session(&self, chrome_bin: &Path) -> Client {
        let profile = self.profile.join(Uuid::new_v4().simple().to_string());
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "goog:chromeOptions": {"binary": chrome_bin, "args": args}
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::rustls()
            .expect("TLS roots for the WebDriver client")
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("chromedriver opens a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group holds chromedriver and every Chromium process it started; ours alone.
        let group = self.child.id() as libc::pid_t;
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A port nobody is listening on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}

/// The first of `names` on PATH, else `fallback` if it exists.
fn find_binary(names: &[&str], fallback: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .chain(std::iter::once(PathBuf::from(fallback)))
        .find(|candidate| candidate.is_file())
}

impl Browser {
    /// Reloads the current page, as the reader pressing the browser's reload button.
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload the page");
    }

    /// Reloads until the element matching `css` shows `expected`: for what the server writes a
    /// moment later (share-link views, once a second).
    pub async fn reload_until_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.text(css).await.contains(expected) {
            assert!(Instant::now() < deadline, "`{css}` never shows {expected:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
            self.reload().await;
        }
    }
}
