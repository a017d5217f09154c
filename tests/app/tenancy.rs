//! Tenancy: another organization's ids answer exactly like ids that do not exist.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{expect_problem, id_of, spawn_app};

#[tokio::test]
async fn another_orgs_resources_are_not_found() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    let globex = app.signup("Globex").await;
    let portfolio = app
        .create_portfolio(&globex.token, "Globex", "portfolio", None)
        .await;
    let initiative = app
        .create_initiative(&globex.token, &id_of(&portfolio), json!({}))
        .await;
    let theme = app
        .post_json(&globex.token, "/themes", json!({"name": "Growth"}))
        .await;

    let resources = [
        (
            format!("/portfolios/{}", id_of(&portfolio)),
            json!({"name": "Taken"}),
        ),
        (
            format!("/initiatives/{}", id_of(&initiative)),
            json!({"title": "Taken"}),
        ),
        (format!("/themes/{}", id_of(&theme)), json!({"name": "Taken"})),
    ];
    for (path, body) in &resources {
        let get = app.api(Method::GET, &acme.token, path).send().await.unwrap();
        expect_problem(get, StatusCode::NOT_FOUND, None).await;
        let patch = app
            .send_json(Method::PATCH, &acme.token, path, body.clone(), None)
            .await;
        expect_problem(patch, StatusCode::NOT_FOUND, None).await;
        let delete = app.api(Method::DELETE, &acme.token, path).send().await.unwrap();
        expect_problem(delete, StatusCode::NOT_FOUND, None).await;
        // Globex still has it, unchanged.
        let theirs = app.get_json(&globex.token, path).await;
        assert_eq!(theirs["version"], 1, "{path}");
    }
    let missing = app
        .api(
            Method::GET,
            &acme.token,
            &format!("/portfolios/{}", uuid::Uuid::now_v7()),
        )
        .send()
        .await
        .unwrap();
    expect_problem(missing, StatusCode::NOT_FOUND, None).await;
    let not_an_id = app
        .api(Method::GET, &acme.token, "/initiatives/not-an-id")
        .send()
        .await
        .unwrap();
    expect_problem(not_an_id, StatusCode::NOT_FOUND, None).await;

    for list in ["/portfolios", "/initiatives", "/themes"] {
        assert_eq!(
            app.get_json(&acme.token, list).await["items"],
            json!([]),
            "{list}"
        );
    }
    let filtered = app
        .get_json(
            &acme.token,
            &format!("/initiatives?portfolio_id={}", id_of(&portfolio)),
        )
        .await;
    assert_eq!(filtered["items"], json!([]));
}

#[tokio::test]
async fn another_orgs_ids_are_refused_as_references() {
    let app = spawn_app().await;
    let acme = app.signup("Acme").await;
    let globex = app.signup("Globex").await;
    let theirs = app
        .create_portfolio(&globex.token, "Globex", "portfolio", None)
        .await;
    let their_theme = app
        .post_json(&globex.token, "/themes", json!({"name": "Growth"}))
        .await;
    let ours = app.create_portfolio(&acme.token, "Acme", "portfolio", None).await;
    let work = app.create_initiative(&acme.token, &id_of(&ours), json!({})).await;

    let cases: [(&str, Value, &str); 5] = [
        (
            "/initiatives",
            json!({"title": "x", "portfolio_id": id_of(&theirs)}),
            "portfolio_id",
        ),
        (
            "/initiatives",
            json!({"title": "x", "portfolio_id": id_of(&ours), "theme_id": id_of(&their_theme)}),
            "theme_id",
        ),
        (
            "/initiatives",
            json!({"title": "x", "portfolio_id": id_of(&ours), "owner_id": globex.user_id}),
            "owner_id",
        ),
        (
            "/portfolios",
            json!({"name": "x", "level": "area", "parent_id": id_of(&theirs)}),
            "parent_id",
        ),
        (
            "/portfolios",
            json!({"name": "x", "level": "portfolio", "owner_id": globex.user_id}),
            "owner_id",
        ),
    ];
    for (path, body, field) in cases {
        let response = app.send_json(Method::POST, &acme.token, path, body, None).await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let work_path = format!("/initiatives/{}", id_of(&work));
    for (body, field) in [
        (json!({"portfolio_id": id_of(&theirs)}), "portfolio_id"),
        (json!({"theme_id": id_of(&their_theme)}), "theme_id"),
        (json!({"owner_id": globex.user_id}), "owner_id"),
    ] {
        let response = app
            .send_json(Method::PATCH, &acme.token, &work_path, body, None)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let response = app
        .send_json(
            Method::PATCH,
            &acme.token,
            &format!("/portfolios/{}", id_of(&ours)),
            json!({"parent_id": id_of(&theirs)}),
            None,
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("parent_id")).await;

    assert_eq!(
        app.get_json(&acme.token, &work_path).await["version"],
        1,
        "nothing changed"
    );
    assert_eq!(
        app.get_json(&acme.token, "/portfolios").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
