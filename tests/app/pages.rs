//! The sign-up, sign-in and sign-out pages over HTTP, read the way a user reads them.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, Page, SESSION_COOKIE, SignUpFields, TestApp, new_client, spawn_app};

#[tokio::test]
async fn signing_up_on_the_page_opens_the_new_orgs_home() {
    let app = spawn_app().await;
    let form = app.get_page("/signup").await;
    assert_eq!(form.status, StatusCode::OK);
    form.one("form[action='/signup'] input[name='org_name']");

    let created = app.sign_up_page(&SignUpFields::valid("Northwind Labs")).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(created.location.as_deref(), Some("/"));
    let cookie = created.session_cookie().expect("a session cookie");
    assert!(cookie.has("HttpOnly"), "{cookie:?}");
    assert!(cookie.has("SameSite=Lax"), "{cookie:?}");

    let home = app.get_page("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.text("h1"), "Northwind Labs");
    assert_eq!(home.text(".topbar .org-name"), "Northwind Labs");
}

#[tokio::test]
async fn a_bad_sign_up_shows_each_error_beside_its_field_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let fields = SignUpFields {
        org_name: "Contoso".into(),
        name: "   ".into(),
        email: "contoso-at-example".into(),
        password: "short".into(),
    };
    let page = app.sign_up_page(&fields).await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.field_error("org_name"), None);
    assert!(page.field_error("name").unwrap().contains("required"));
    assert!(page.field_error("email").unwrap().contains("not an email"));
    assert!(page.field_error("password").unwrap().contains("at least 10"));
    assert_eq!(page.value("#org_name").as_deref(), Some("Contoso"));
    assert_eq!(page.value("#email").as_deref(), Some("contoso-at-example"));
    // A password is never sent back into a page.
    assert_eq!(page.value("#password").unwrap_or_default(), "");
    assert!(
        page.session_cookie().is_none(),
        "no session for a refused sign-up"
    );
}

#[tokio::test]
async fn signing_up_with_a_taken_email_says_so_beside_the_email() {
    let app = spawn_app().await;
    let first = SignUpFields::valid("First Org");
    assert_eq!(app.sign_up_page(&first).await.status, StatusCode::SEE_OTHER);

    let again = SignUpFields {
        email: first.email.clone(),
        ..SignUpFields::valid("Second Org")
    };
    let page = new_visitor(&app).sign_up_page(&again).await;

    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.field_error("email").is_some(), "{}", page.html.html());
    assert_eq!(page.field_error("org_name"), None);
    assert_eq!(page.value("#org_name").as_deref(), Some("Second Org"));
    assert_eq!(page.value("#email").as_deref(), Some(first.email.as_str()));
}

#[tokio::test]
async fn a_wrong_password_shows_a_message_and_keeps_the_email() {
    let app = spawn_app().await;
    let account = app.signup("Fabrikam").await;

    let page = app
        .sign_in_page(&account.email, &format!("{}x", account.password), "")
        .await;

    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.text(".alert").contains("do not match"));
    assert_eq!(page.value("#email").as_deref(), Some(account.email.as_str()));
    assert_eq!(page.value("#password").unwrap_or_default(), "");
    assert!(page.session_cookie().is_none());
}

#[tokio::test]
async fn signing_in_replaces_the_session_id() {
    let app = spawn_app().await;
    let fields = SignUpFields::valid("Tailspin");
    let signed_up = app.sign_up_page(&fields).await;
    let before = signed_up.session_cookie().unwrap().value.clone();

    // The same browser signs in again, carrying the session it already had.
    let signed_in = app.sign_in_page(&fields.email, PASSWORD, "").await;

    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let after = signed_in
        .session_cookie()
        .expect("a new session cookie")
        .value
        .clone();
    assert_ne!(before, after, "sign-in must issue a new session id");
    assert!(
        !app.session_exists(&before).await,
        "the old id no longer names a session"
    );
    assert!(app.session_exists(&after).await);
}

#[tokio::test]
async fn signing_out_deletes_the_session_on_the_server() {
    let app = spawn_app().await;
    let signed_up = app.sign_up_page(&SignUpFields::valid("Wide World")).await;
    let session = signed_up.session_cookie().unwrap().value.clone();
    assert!(app.session_exists(&session).await);

    let out = app.post_form("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/login"));
    assert!(!app.session_exists(&session).await, "the session row is gone");

    // Someone who kept a copy of the cookie gets the sign-in page, not the org.
    let replayed = reqwest::Client::new()
        .get(app.url("/"))
        .header("cookie", format!("{SESSION_COOKIE}={session}"))
        .send()
        .await
        .unwrap();
    let page = Page::read(replayed).await;
    page.assert_sign_in_page();
    assert!(page.select(".topbar .org-name").is_empty());
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for_but_never_off_site() {
    let app = spawn_app().await;
    let account = app.signup("Litware").await;

    let form = app.get_page("/login?next=/portfolios").await;
    assert_eq!(form.value("input[name='next']").as_deref(), Some("/portfolios"));

    let back = app.sign_in_page(&account.email, PASSWORD, "/portfolios").await;
    assert_eq!(back.location.as_deref(), Some("/portfolios"));

    for hostile in ["//evil.example", "https://evil.example/", "/\\evil.example"] {
        let page = new_visitor(&app)
            .sign_in_page(&account.email, PASSWORD, hostile)
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location.as_deref(), Some("/"), "next={hostile}");
    }
}

/// The same server seen from another browser, with no cookies.
fn new_visitor(app: &TestApp) -> TestApp {
    app.with_client(new_client())
}
