//! Sign-up, tokens, and who the caller is.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, expect_problem, spawn_app};

#[tokio::test]
async fn signing_up_creates_an_org_its_admin_and_a_working_token() {
    let app = spawn_app().await;
    let account = app.signup("Acme Corp").await;

    let me = app.get_json(&account.token, "/me").await;
    assert_eq!(me["role"], "admin");
    assert_eq!(me["org"]["name"], "Acme Corp");
    assert_eq!(me["org"]["slug"], "acme-corp");
    assert_eq!(me["user"]["email"], account.email);
    assert_eq!(me["user"]["id"], account.user_id.to_string());

    // The token is stored only as a digest.
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE token_hash = sha256($1::bytea)")
            .bind(account.token.as_bytes())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored, 1);
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'",
    )
    .bind(&account.token)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(plain, 0);
}

#[tokio::test]
async fn a_second_org_with_the_same_name_gets_its_own_slug() {
    let app = spawn_app().await;
    let first = app.signup("Acme").await;
    let second = app.signup("Acme").await;
    let slug = |account: &crate::helpers::Account| {
        let app = &app;
        let token = account.token.clone();
        async move {
            app.get_json(&token, "/me").await["org"]["slug"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(slug(&first).await, "acme");
    assert_eq!(slug(&second).await, "acme-2");
}

#[tokio::test]
async fn bad_sign_ups_name_every_field_and_create_nothing() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/signup"))
        .json(&json!({"org_name": " ", "name": "", "email": "not-an-email", "password": "short"}))
        .send()
        .await
        .unwrap();
    let body = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("email")).await;
    for field in ["org_name", "name", "password"] {
        assert!(body["errors"][field].is_array(), "{field} is named: {body}");
    }
    let orgs: i64 = sqlx::query_scalar("SELECT count(*) FROM organizations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(orgs, 0);
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_told_apart() {
    let app = spawn_app().await;
    let send = |body: &'static str| {
        app.client
            .post(app.url("/api/v1/signup"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    expect_problem(send("{not json").await.unwrap(), StatusCode::BAD_REQUEST, None).await;
    expect_problem(
        send(r#"{"org_name": 5, "name": "A", "email": "a@b.co", "password": "long enough pw"}"#)
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("org_name"),
    )
    .await;
    expect_problem(
        send(r#"{"name": "A"}"#).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
}

#[tokio::test]
async fn an_email_can_register_only_once() {
    let app = spawn_app().await;
    let account = app.signup("Acme").await;
    let response = app
        .client
        .post(app.url("/api/v1/signup"))
        .json(&json!({"org_name": "Other", "name": "Eve", "email": account.email.to_uppercase(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::CONFLICT, Some("email")).await;
}

#[tokio::test]
async fn tokens_are_issued_for_a_password_and_stop_working_when_revoked() {
    let app = spawn_app().await;
    let account = app.signup("Acme").await;

    let wrong = app
        .client
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"email": account.email, "password": "not the password"}))
        .send()
        .await
        .unwrap();
    expect_problem(wrong, StatusCode::UNAUTHORIZED, None).await;

    let issued = app
        .post_json(
            &account.token,
            "/tokens",
            json!({"email": account.email, "password": account.password, "name": "CI"}),
        )
        .await;
    let token = issued["token"].as_str().unwrap();
    assert!(token.len() >= 43, "at least 256 bits, base64url");
    assert_eq!(app.get_json(token, "/me").await["user"]["email"], account.email);

    let id = issued["id"].as_str().unwrap();
    let revoked = app
        .api(Method::DELETE, token, &format!("/tokens/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = app.api(Method::GET, token, "/me").send().await.unwrap();
    expect_problem(after, StatusCode::UNAUTHORIZED, None).await;
    // The sign-up token still works.
    app.get_json(&account.token, "/me").await;
}

#[tokio::test]
async fn another_orgs_token_cannot_be_revoked() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    let globex = app.signup("Globex").await;
    let token_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM api_tokens WHERE org_id = $1")
        .bind(globex.org_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let response = app
        .api(Method::DELETE, &acme.token, &format!("/tokens/{token_id}"))
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
    app.get_json(&globex.token, "/me").await;
}

#[tokio::test]
async fn the_api_needs_a_token() {
    let app = spawn_app().await;
    let none = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    expect_problem(none, StatusCode::UNAUTHORIZED, None).await;
    let bogus = app
        .api(Method::GET, "cairn_not-a-real-token", "/me")
        .send()
        .await
        .unwrap();
    expect_problem(bogus, StatusCode::UNAUTHORIZED, None).await;
}
