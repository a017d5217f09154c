//! Hostile input and the browser's defences: the security headers on every kind of response,
//! a policy the pages really keep to, user text shown as text everywhere, and oversized bodies.

use reqwest::header::HeaderMap;
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::helpers::{Page, TestApp, id_of, spawn_app, spawn_app_with};

/// What an attacker would store as a name or a title.
const HOSTILE: &str = "<script>alert(1)</script>";

fn assert_security_headers(headers: &HeaderMap, what: &str) {
    let policy = headers
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    let directive = |name: &str| {
        policy
            .split(';')
            .map(str::trim)
            .find(|d| d.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{what}: no {name} in {policy}"))
            .to_owned()
    };
    assert_eq!(directive("script-src"), "script-src 'self'", "{what}");
    assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'", "{what}");
    assert_eq!(directive("object-src"), "object-src 'none'", "{what}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "same-origin", "{what}");
}

async fn get(app: &TestApp, path: &str) -> Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let login = get(&app, "/login").await;
    assert_security_headers(login.headers(), "a page");
    let css = Page::read(login).await.href("link[rel='stylesheet']");

    let oversized = app
        .client
        .post(app.url("/api/v1/signup"))
        .header("content-type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    let answers = [
        (get(&app, &css).await, StatusCode::OK, "a static file"),
        (
            get(&app, "/no-such-page").await,
            StatusCode::NOT_FOUND,
            "a missing page",
        ),
        (
            get(&app, "/api/v1/me").await,
            StatusCode::UNAUTHORIZED,
            "an API error",
        ),
        (
            get(&app, "/api/v1/no-such-thing").await,
            StatusCode::NOT_FOUND,
            "a missing API resource",
        ),
        (get(&app, "/healthz").await, StatusCode::OK, "the health check"),
        (oversized, StatusCode::PAYLOAD_TOO_LARGE, "an oversized body"),
    ];
    for (response, status, what) in answers {
        assert_eq!(response.status(), status, "{what}");
        assert_security_headers(response.headers(), what);
        // Plain http: telling browsers to insist on https would lock them out.
        assert!(
            !response.headers().contains_key("strict-transport-security"),
            "{what}"
        );
    }
}

#[tokio::test]
async fn a_service_reached_over_https_tells_browsers_to_stay_on_https() {
    let app = spawn_app_with(|config| config.public_url = Some("https://cairn.example".into())).await;
    for path in ["/login", "/no-such-page", "/api/v1/me"] {
        let response = get(&app, path).await;
        let hsts = response.headers()["strict-transport-security"].to_str().unwrap();
        assert!(hsts.starts_with("max-age="), "{path}: {hsts}");
        assert_security_headers(response.headers(), path);
    }
}

/// A signed-in admin whose organization stores hostile text as a portfolio, a theme and an
/// initiative: the ids of the root portfolio, its hostile child and the hostile initiative.
async fn hostile_org(app: &TestApp) -> (String, String, String) {
    let account = app.signup("Hostile Co").await;
    let token = &account.token;
    let root = id_of(&app.create_portfolio(token, "Hostile Co", "portfolio", None).await);
    let child = id_of(
        &app.create_portfolio(token, HOSTILE, "product_line", Some(&root))
            .await,
    );
    let theme = id_of(&app.post_json(token, "/themes", json!({"name": HOSTILE})).await);
    let initiative = id_of(
        &app.create_initiative(
            token,
            &root,
            json!({"title": HOSTILE, "theme_id": theme, "description": HOSTILE}),
        )
        .await,
    );
    app.create_initiative(token, &child, json!({"title": "Inside", "theme_id": theme}))
        .await;
    let signed_in = app.sign_in_page(&account.email, &account.password, "").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    (root, child, initiative)
}

/// The page shows the hostile text as text, and runs no script but Cairn's own file.
fn assert_shown_as_text(page: &Page, path: &str) {
    assert_eq!(page.status, StatusCode::OK, "{path}");
    let body: String = page.one("body").text().collect();
    assert!(
        body.contains(HOSTILE),
        "{path} does not show the text:\n{}",
        page.html.html()
    );
    for script in page.select("script") {
        let src = script.value().attr("src").unwrap_or_default();
        assert!(
            src.starts_with("/static/"),
            "{path} runs a script: {}",
            script.html()
        );
    }
}

#[tokio::test]
async fn hostile_names_and_titles_are_shown_as_text_on_every_page_and_export() {
    let app = spawn_app().await;
    let (root, child, initiative) = hostile_org(&app).await;

    for path in [
        format!("/portfolios/{root}"),
        format!("/portfolios/{child}"),
        format!("/initiatives/{initiative}"),
        format!("/initiatives?portfolio_id={root}"),
        "/portfolios".to_owned(),
    ] {
        assert_shown_as_text(&app.get_page(&path).await, &path);
    }

    // The exports hold the text in its cell, exactly (it starts with `<`, which no spreadsheet
    // evaluates; cells that would be formulas are defused, see rollup_pages).
    for (path, column) in [
        (format!("/initiatives.csv?portfolio_id={root}"), "title"),
        (format!("/initiatives.csv?portfolio_id={root}"), "theme"),
        (format!("/initiatives.csv?portfolio_id={root}"), "portfolio"),
        (format!("/portfolios/{root}/children.csv"), "portfolio"),
    ] {
        let text = get(&app, &path).await.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let index = header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("{path}: no column {column} in {header:?}"));
        let cells: Vec<String> = reader.records().map(|r| r.unwrap()[index].to_owned()).collect();
        assert!(
            cells.iter().any(|cell| cell == HOSTILE),
            "{path} {column}: {cells:?}"
        );
    }
}

#[tokio::test]
async fn the_pages_use_no_inline_script_the_policy_would_block() {
    let app = spawn_app().await;
    let (root, _, initiative) = hostile_org(&app).await;
    for path in [
        format!("/portfolios/{root}"),
        format!("/initiatives/{initiative}"),
        format!("/initiatives/{initiative}/edit"),
        "/initiatives".to_owned(),
        "/my".to_owned(),
        "/objectives".to_owned(),
        "/objectives/new".to_owned(),
        "/portfolios/new".to_owned(),
        "/settings/members".to_owned(),
        "/settings/organization".to_owned(),
    ] {
        let page = app.get_page(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        for element in page.select("*") {
            if element.value().name() == "script" {
                assert!(element.value().attr("src").is_some(), "{path}: inline script");
            }
            for (name, value) in element.value().attrs() {
                assert!(!name.starts_with("on"), "{path}: inline handler {name}");
                assert!(
                    !value.trim_start().starts_with("javascript:"),
                    "{path}: {name}={value}"
                );
            }
        }
        assert!(page.select("style").is_empty(), "{path}: a <style> element");
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_before_they_are_read() {
    let app = spawn_app().await;
    let account = app.signup("Big Co").await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let api = app
        .api(Method::POST, &account.token, "/themes")
        .json(&json!({"name": huge}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let form = app
        .client
        .post(app.url("/login"))
        .form(&[("email", huge.as_str()), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
