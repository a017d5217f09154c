//! Test set-up: each test gets the real application on port 0 and its own fresh database, cloned
//! from a migrated template so that it costs milliseconds. With `DATABASE_URL` unset, the databases
//! live on an embedded cluster started by the same code the application uses.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::OnceLock;

use cairn::config::Config;
use cairn::db::{self, embedded::Cluster};
use cairn::startup::Server;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
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

/// An admin of a newly signed-up organization, as the API returned it.
#[derive(Clone, Debug)]
pub struct Account {
    pub token: String,
    pub org_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub password: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// The handle db functions take for one organization's data, over `pool` (the owner's), for
    /// tests that call queries directly.
    pub fn tenant(&self, org_id: Uuid) -> db::TenantPool {
        db::TenantPool::new(self.pool.clone(), org_id)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signs up a new organization through the API.
    pub async fn signup(&self, org_name: &str) -> Account {
        let email = format!(
            "admin-{}@{}.test",
            Uuid::new_v4().simple(),
            org_name.to_lowercase().replace(' ', "-")
        );
        let response = self
            .client
            .post(self.url("/api/v1/signup"))
            .json(&json!({"org_name": org_name, "name": "Ada Admin", "email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let body = expect_status(response, StatusCode::CREATED).await;
        Account {
            token: body["token"].as_str().unwrap().to_owned(),
            org_id: body["org"]["id"].as_str().unwrap().parse().unwrap(),
            user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
            email,
            password: PASSWORD.to_owned(),
        }
    }

    /// An API request with the account's bearer token.
    pub fn api(&self, method: Method, token: &str, path: &str) -> RequestBuilder {
        reqwest::Client::new()
            .request(method, self.url(&format!("/api/v1{path}")))
            .bearer_auth(token)
    }

    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        expect_status(
            self.api(Method::GET, token, path).send().await.unwrap(),
            StatusCode::OK,
        )
        .await
    }

    pub async fn post_json(&self, token: &str, path: &str, body: Value) -> Value {
        expect_status(
            self.api(Method::POST, token, path)
                .json(&body)
                .send()
                .await
                .unwrap(),
            StatusCode::CREATED,
        )
        .await
    }
}

/// Asserts the status (showing the body when it differs) and returns the JSON body, or Null.
pub async fn expect_status(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Asserts a problem+json answer with this status, naming `field` among its errors if given.
pub async fn expect_problem(response: Response, status: StatusCode, field: Option<&str>) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = expect_status(response, status).await;
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(body["status"], status.as_u16());
    if let Some(field) = field {
        assert!(
            body["errors"][field].is_array(),
            "expected an error for `{field}`: {body}"
        );
    }
    body
}

/// Someone added to an organization, with an API token of their own.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: Uuid,
    pub token: String,
}

/// The id a created resource answered with.
pub fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .expect("the resource has an id")
        .to_owned()
}

impl TestApp {
    /// Adds a member with `role` to the account's organization straight in the database (the
    /// members API comes later), with a token to call the API as them.
    pub async fn add_member(&self, account: &Account, role: cairn::domain::Role) -> Member {
        let token = cairn::domain::credentials::new_secret(cairn::domain::credentials::API_TOKEN_PREFIX);
        let mut tx = self.pool.begin().await.unwrap();
        let email = format!("{role}-{}@example.test", Uuid::new_v4().simple());
        let user = db::users::create(&mut tx, &format!("A {role}"), &email, None)
            .await
            .unwrap();
        db::users::add_membership(&mut tx, account.org_id, user.id, role)
            .await
            .unwrap();
        db::tokens::create(&mut tx, account.org_id, user.id, "tests", &token)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        Member {
            user_id: user.id,
            token,
        }
    }

    /// A request with a JSON body, and `If-Match` when given.
    pub async fn send_json(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Response {
        let mut request = self.api(method, token, path).json(&body);
        if let Some(etag) = if_match {
            request = request.header("if-match", etag);
        }
        request.send().await.unwrap()
    }

    pub async fn patch_json(&self, token: &str, path: &str, body: Value) -> Value {
        expect_status(
            self.send_json(Method::PATCH, token, path, body, None).await,
            StatusCode::OK,
        )
        .await
    }

    pub async fn create_portfolio(
        &self,
        token: &str,
        name: &str,
        level: &str,
        parent: Option<&str>,
    ) -> Value {
        self.post_json(
            token,
            "/portfolios",
            json!({"name": name, "level": level, "parent_id": parent}),
        )
        .await
    }

    pub async fn create_initiative(&self, token: &str, portfolio_id: &str, extra: Value) -> Value {
        let mut body = json!({"title": "An initiative", "portfolio_id": portfolio_id});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        self.post_json(token, "/initiatives", body).await
    }

    /// Every item of a list, walking its pages `limit` at a time.
    pub async fn all_pages(&self, token: &str, path: &str, limit: usize) -> (Vec<Value>, usize) {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut pages = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{path}{separator}limit={limit}");
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let page = self.get_json(token, &url).await;
            pages += 1;
            let batch = page["items"].as_array().unwrap();
            assert!(batch.len() <= limit);
            items.extend(batch.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return (items, pages),
            }
        }
    }
}

/// A page as the tests read it: the status, where a redirect points, the cookies it set and the
/// parsed document.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<SetCookie>,
    pub html: scraper::Html,
}

/// One `Set-Cookie` header: the name, the value and its attributes.
#[derive(Debug)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    attributes: Vec<String>,
}

impl SetCookie {
    fn parse(header: &str) -> SetCookie {
        let mut parts = header.split(';').map(str::trim);
        let (name, value) = parts.next().unwrap_or("").split_once('=').unwrap_or(("", ""));
        SetCookie {
            name: name.to_owned(),
            value: value.to_owned(),
            attributes: parts.map(str::to_ascii_lowercase).collect(),
        }
    }

    /// Whether an attribute such as `HttpOnly` or `SameSite=Lax` is present (case-insensitive).
    pub fn has(&self, attribute: &str) -> bool {
        self.attributes.contains(&attribute.to_ascii_lowercase())
    }
}

/// The name of Cairn's session cookie.
pub const SESSION_COOKIE: &str = "cairn_session";

impl Page {
    pub async fn read(response: Response) -> Page {
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| SetCookie::parse(v.to_str().unwrap()))
            .collect();
        let html = scraper::Html::parse_document(&response.text().await.unwrap());
        Page {
            status,
            location,
            set_cookies,
            html,
        }
    }

    /// The session cookie this response set, if any.
    pub fn session_cookie(&self) -> Option<&SetCookie> {
        self.set_cookies.iter().find(|c| c.name == SESSION_COOKIE)
    }

    /// Every element matching a CSS selector.
    pub fn select(&self, selector: &str) -> Vec<scraper::ElementRef<'_>> {
        let parsed = scraper::Selector::parse(selector).unwrap_or_else(|_| panic!("bad selector {selector}"));
        self.html.select(&parsed).collect()
    }

    /// The one element matching `selector`; panics (showing the page) when there is none.
    pub fn one(&self, selector: &str) -> scraper::ElementRef<'_> {
        let found = self.select(selector);
        assert!(
            found.len() == 1,
            "expected one `{selector}`, found {} in:\n{}",
            found.len(),
            self.html.html()
        );
        found[0]
    }

    /// The text of the one element matching `selector`, whitespace collapsed.
    pub fn text(&self, selector: &str) -> String {
        collapse(&self.one(selector).text().collect::<String>())
    }

    /// The `value` attribute of the one input matching `selector`.
    pub fn value(&self, selector: &str) -> Option<String> {
        self.one(selector).value().attr("value").map(str::to_owned)
    }

    /// The error message shown beside form field `name`, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        let control = scraper::Selector::parse(&format!("[name='{name}']")).unwrap();
        let error = scraper::Selector::parse(".field-error").unwrap();
        // Beside the field means inside the same `.field` wrapper as the control.
        let field = self
            .select(".field")
            .into_iter()
            .find(|field| field.select(&control).next().is_some())
            .unwrap_or_else(|| panic!("no field `{name}` in:\n{}", self.html.html()));
        field
            .select(&error)
            .next()
            .map(|e| collapse(&e.text().collect::<String>()))
    }

    /// Asserts the page is the sign-in form.
    pub fn assert_sign_in_page(&self) {
        self.one("form[action='/login'] input[name='password']");
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the sign-up form takes.
pub struct SignUpFields {
    pub org_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
}

impl SignUpFields {
    /// A valid sign-up with a unique email.
    pub fn valid(org_name: &str) -> SignUpFields {
        SignUpFields {
            org_name: org_name.to_owned(),
            name: "Grace Hopper".to_owned(),
            email: format!("grace-{}@example.test", Uuid::new_v4().simple()),
            password: PASSWORD.to_owned(),
        }
    }

    fn form(&self) -> [(&'static str, &str); 4] {
        [
            ("org_name", &self.org_name),
            ("name", &self.name),
            ("email", &self.email),
            ("password", &self.password),
        ]
    }
}

impl TestApp {
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

    /// GET a page with the app's cookie-keeping client.
    pub async fn get_page(&self, path: &str) -> Page {
        Page::read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// POST a form as a browser would, with the app's cookie-keeping client.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Page::read(self.client.post(self.url(path)).form(form).send().await.unwrap()).await
    }

    /// Submits the sign-up page.
    pub async fn sign_up_page(&self, fields: &SignUpFields) -> Page {
        self.post_form("/signup", &fields.form()).await
    }

    /// Submits the sign-in page.
    pub async fn sign_in_page(&self, email: &str, password: &str, next: &str) -> Page {
        self.post_form(
            "/login",
            &[("email", email), ("password", password), ("next", next)],
        )
        .await
    }

    /// Whether the server still holds a session with this id.
    pub async fn session_exists(&self, id: &str) -> bool {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1)")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The value of the option selected in `select` (the first, if none is).
fn selected_option(select: scraper::ElementRef<'_>) -> String {
    let option = scraper::Selector::parse("option").unwrap();
    let options: Vec<_> = select.select(&option).collect();
    options
        .iter()
        .find(|o| o.value().attr("selected").is_some())
        .or(options.first())
        .and_then(|o| o.value().attr("value"))
        .unwrap_or_default()
        .to_owned()
}

/// The edit forms, read and submitted the way a browser does.
impl Page {
    /// The value of the option selected in the select named `name` (the first, if none is).
    pub fn selected(&self, name: &str) -> String {
        selected_option(self.one(&format!("select[name='{name}']")))
    }

    /// The saved value shown beside field `name` after a conflict, if any.
    pub fn theirs(&self, name: &str) -> Option<String> {
        let control = scraper::Selector::parse(&format!("[name='{name}']")).unwrap();
        let theirs = scraper::Selector::parse(".theirs .theirs-value").unwrap();
        let field = self
            .select(".field")
            .into_iter()
            .find(|field| field.select(&control).next().is_some())
            .unwrap_or_else(|| panic!("no field `{name}` in:\n{}", self.html.html()));
        field
            .select(&theirs)
            .next()
            .map(|e| collapse(&e.text().collect::<String>()))
    }

    /// Every named control of the form posting to `action` (its action may add a `#fragment`, where
    /// the answer scrolls to), with the value a browser would send: what resubmitting the page as
    /// shown sends.
    pub fn form_fields(&self, action: &str) -> Vec<(String, String)> {
        let form = self.one(&format!("form[action='{action}'], form[action^='{action}#']"));
        let controls = scraper::Selector::parse("input[name], select[name], textarea[name]").unwrap();
        form.select(&controls)
            // A browser sends a checkbox or radio button only when it is checked.
            .filter(|control| {
                !matches!(control.value().attr("type"), Some("checkbox" | "radio"))
                    || control.value().attr("checked").is_some()
            })
            .map(|control| {
                let name = control.value().attr("name").unwrap().to_owned();
                let value = match control.value().name() {
                    "select" => selected_option(control),
                    "textarea" => control.text().collect(),
                    _ => control.value().attr("value").unwrap_or_default().to_owned(),
                };
                (name, value)
            })
            .collect()
    }
}

/// `fields` with `changes` applied: each named field takes the new value.
pub fn with_changes(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(name, value)| {
            let changed = changes.iter().find(|(field, _)| field == name);
            (
                name.clone(),
                changed.map_or(value.clone(), |(_, new)| (*new).to_owned()),
            )
        })
        .collect()
}

impl TestApp {
    /// POST a form given as owned pairs (what `Page::form_fields` reads).
    pub async fn submit(&self, path: &str, fields: &[(String, String)]) -> Page {
        Page::read(
            self.client
                .post(self.url(path))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// A member with `role` who can sign in to the pages, signed in on a client of their own.
    pub async fn signed_in_member(&self, account: &Account, role: cairn::domain::Role) -> (Member, TestApp) {
        let (member, email) = self.member_with_password(account, role).await;
        let browser = self.with_client(new_client());
        let signed_in = browser.sign_in_page(&email, PASSWORD, "").await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "the member signs in");
        (member, browser)
    }

    /// A member with `role`, an API token and a password (`PASSWORD`), and the email they sign
    /// in with.
    pub async fn member_with_password(
        &self,
        account: &Account,
        role: cairn::domain::Role,
    ) -> (Member, String) {
        let member = self.add_member(account, role).await;
        let email = format!("{role}-{}@pages.test", Uuid::new_v4().simple());
        let hash = cairn::domain::credentials::hash_password(PASSWORD).unwrap();
        sqlx::query("UPDATE users SET email = $2, password_hash = $3 WHERE id = $1")
            .bind(member.user_id)
            .bind(&email)
            .bind(hash)
            .execute(&self.pool)
            .await
            .unwrap();
        (member, email)
    }
}

impl TestApp {
    /// Gives a member added by `add_member` a password, so they can sign in to the pages.
    pub async fn set_password(&self, user_id: Uuid, password: &str) {
        let hash = cairn::domain::credentials::hash_password(password).unwrap();
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .unwrap();
    }

    /// The email a user signs in with.
    pub async fn email_of(&self, user_id: Uuid) -> String {
        sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

impl Page {
    /// The `href` of the one link matching `selector`.
    pub fn href(&self, selector: &str) -> String {
        self.one(selector)
            .value()
            .attr("href")
            .unwrap_or_else(|| panic!("`{selector}` has no href"))
            .to_owned()
    }
}

/// Members added through the members API, and signing in as them.
impl TestApp {
    /// Adds a member through `POST /members` as `admin`; the answer's JSON.
    pub async fn add_member_api(&self, admin: &str, role: &str, password: Option<&str>) -> Value {
        let email = format!("{role}-{}@members.test", Uuid::new_v4().simple());
        let mut body = json!({"email": email, "name": format!("A {role}"), "role": role});
        if let Some(password) = password {
            body["password"] = json!(password);
        }
        self.post_json(admin, "/members", body).await
    }

    /// `POST /tokens` with an email and password, as a client at this test's address.
    pub async fn request_token(&self, email: &str, password: &str) -> Response {
        reqwest::Client::new()
            .post(self.url("/api/v1/tokens"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// The token `POST /tokens` hands out for a correct email and password.
    pub async fn token_for(&self, email: &str, password: &str) -> String {
        let body = expect_status(self.request_token(email, password).await, StatusCode::CREATED).await;
        body["token"].as_str().unwrap().to_owned()
    }
}

/// Shared checks of the API's write rules.
impl TestApp {
    /// Sends a JSON write and asserts it is refused with `status` (problem+json).
    pub async fn expect_refused(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Value,
        status: StatusCode,
    ) {
        expect_problem(
            self.send_json(method, token, path, body, None).await,
            status,
            None,
        )
        .await;
    }

    /// The lost-update guard on a resource at version 1: a PATCH naming version 1 succeeds and
    /// answers ETag "2"; a second PATCH and a DELETE still naming version 1 answer 412.
    pub async fn assert_if_match_guards(&self, token: &str, path: &str, first: Value, stale: Value) {
        let ok = self
            .send_json(Method::PATCH, token, path, first, Some("\"1\""))
            .await;
        assert_eq!(ok.headers()["etag"], "\"2\"");
        expect_status(ok, StatusCode::OK).await;
        let stale = self
            .send_json(Method::PATCH, token, path, stale, Some("\"1\""))
            .await;
        expect_problem(stale, StatusCode::PRECONDITION_FAILED, None).await;
        let stale_delete = self
            .api(Method::DELETE, token, path)
            .header("if-match", "\"1\"")
            .send()
            .await;
        expect_problem(stale_delete.unwrap(), StatusCode::PRECONDITION_FAILED, None).await;
    }
}

/// Rows in `table` that `executor` can see (the test pool sees all; a tenant transaction, its own).
pub async fn count_rows(executor: impl sqlx::PgExecutor<'_>, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(executor)
        .await
        .unwrap()
}

/// The demo organization, loaded into a test's database, and one page of every kind a person
/// meets in it: what the compression and accessibility tests walk through.
pub struct DemoTour {
    /// The sign-in page, for a visitor.
    pub sign_in: String,
    /// Pages for the signed-in CPO, each with what it is: roll-up, initiative, /my, …
    pub pages: Vec<(&'static str, String)>,
    /// The board roadmap's share link, which opens without an account.
    pub shared: String,
}

pub const DEMO_CPO: &str = "cpo@northwind.example";

impl TestApp {
    /// Loads the demo (`cairn demo`'s organization) and finds a page of every kind in it.
    pub async fn demo_tour(&self) -> DemoTour {
        let demo = cairn::demo::load(&self.pool).await.expect("load the demo");
        let token = cairn::demo::share_roadmap(&self.pool, demo.org_id)
            .await
            .expect("share the board roadmap");
        let id = |sql: &'static str| {
            let pool = self.pool.clone();
            async move {
                sqlx::query_scalar::<_, Uuid>(sql)
                    .bind(demo.org_id)
                    .fetch_one(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        };
        let root = id("SELECT id FROM portfolios WHERE org_id = $1 AND parent_id IS NULL").await;
        let area =
            id("SELECT id FROM portfolios WHERE org_id = $1 AND level = 'area' ORDER BY name LIMIT 1").await;
        let initiative = id("SELECT id FROM initiatives WHERE org_id = $1 AND key = 'NORTH-20'").await;
        let objective = id("SELECT id FROM objectives WHERE org_id = $1 ORDER BY title LIMIT 1").await;
        let timeline = id("SELECT id FROM roadmaps WHERE org_id = $1 AND layout = 'timeline' LIMIT 1").await;
        let columns =
            id("SELECT id FROM roadmaps WHERE org_id = $1 AND layout = 'now_next_later' LIMIT 1").await;
        DemoTour {
            sign_in: "/login".to_owned(),
            pages: vec![
                ("the CPO's roll-up", format!("/portfolios/{root}")),
                ("an area's roll-up", format!("/portfolios/{area}")),
                ("the portfolio tree", "/portfolios".to_owned()),
                ("an initiative", format!("/initiatives/{initiative}")),
                ("the initiative list", "/initiatives".to_owned()),
                ("a new initiative's form", "/initiatives/new".to_owned()),
                (
                    "an initiative's edit form",
                    format!("/initiatives/{initiative}/edit"),
                ),
                ("my initiatives", "/my".to_owned()),
                ("the OKR tree", "/objectives".to_owned()),
                ("an objective", format!("/objectives/{objective}")),
                ("the roadmaps", "/roadmaps".to_owned()),
                ("a timeline roadmap", format!("/roadmaps/{timeline}")),
                ("a now/next/later roadmap", format!("/roadmaps/{columns}")),
                ("members", "/settings/members".to_owned()),
                ("organization settings", "/settings/organization".to_owned()),
            ],
            shared: format!("/s/{token}"),
        }
    }
}
