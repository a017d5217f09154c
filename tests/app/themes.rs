//! Themes: the investment categories an admin sets up and their planned mix.

use cairn::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{expect_problem, id_of, spawn_app};

#[tokio::test]
async fn an_admin_creates_renames_and_deletes_a_theme() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;

    let growth = app
        .post_json(
            &admin.token,
            "/themes",
            json!({"name": "Growth", "colour": "#1F77B4", "target_share": 40.5}),
        )
        .await;
    assert_eq!(growth["colour"], "#1f77b4", "colours are stored lower case");
    assert_eq!(growth["target_share"], 40.5);
    assert_eq!(growth["version"], 1);
    let id = id_of(&growth);

    let list = app.get_json(&admin.token, "/themes").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["next_cursor"], serde_json::Value::Null);

    let renamed = app
        .patch_json(
            &admin.token,
            &format!("/themes/{id}"),
            json!({"name": "Expansion"}),
        )
        .await;
    assert_eq!(renamed["name"], "Expansion");
    assert_eq!(renamed["colour"], "#1f77b4", "what the PATCH leaves out is kept");
    assert_eq!(renamed["version"], 2);

    let deleted = app
        .api(Method::DELETE, &admin.token, &format!("/themes/{id}"))
        .header("if-match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app
        .api(Method::GET, &admin.token, &format!("/themes/{id}"))
        .send()
        .await
        .unwrap();
    expect_problem(gone, StatusCode::NOT_FOUND, None).await;
}

#[tokio::test]
async fn bad_themes_name_every_field_and_duplicates_conflict() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let bad = app
        .send_json(
            Method::POST,
            &admin.token,
            "/themes",
            json!({"name": "", "colour": "blue", "target_share": 120}),
            None,
        )
        .await;
    let body = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("name")).await;
    assert!(body["errors"]["colour"].is_array());
    assert!(body["errors"]["target_share"].is_array());

    app.post_json(&admin.token, "/themes", json!({"name": "Growth"}))
        .await;
    let duplicate = app
        .send_json(
            Method::POST,
            &admin.token,
            "/themes",
            json!({"name": "Growth"}),
            None,
        )
        .await;
    expect_problem(duplicate, StatusCode::CONFLICT, Some("name")).await;
    let list = app.get_json(&admin.token, "/themes").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_targets_of_all_themes_sum_to_at_most_one_hundred() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    app.post_json(
        &admin.token,
        "/themes",
        json!({"name": "Growth", "target_share": 60}),
    )
    .await;
    let retention = app
        .post_json(
            &admin.token,
            "/themes",
            json!({"name": "Retention", "target_share": 40}),
        )
        .await;

    let over = app
        .send_json(
            Method::POST,
            &admin.token,
            "/themes",
            json!({"name": "Tech debt", "target_share": 0.1}),
            None,
        )
        .await;
    expect_problem(over, StatusCode::UNPROCESSABLE_ENTITY, Some("target_share")).await;
    let raise = app
        .send_json(
            Method::PATCH,
            &admin.token,
            &format!("/themes/{}", id_of(&retention)),
            json!({"target_share": 40.1}),
            None,
        )
        .await;
    expect_problem(raise, StatusCode::UNPROCESSABLE_ENTITY, Some("target_share")).await;

    let list = app.get_json(&admin.token, "/themes").await;
    let shares: Vec<f64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target_share"].as_f64().unwrap())
        .collect();
    assert_eq!(shares, [60.0, 40.0], "refused writes changed nothing");
    // A zero-target theme still fits.
    app.post_json(&admin.token, "/themes", json!({"name": "Keep the lights on"}))
        .await;
}

#[tokio::test]
async fn only_admins_change_themes_and_everyone_reads_them() {
    let app = spawn_app().await;
    let admin = app.signup("Acme").await;
    let theme = app
        .post_json(&admin.token, "/themes", json!({"name": "Growth"}))
        .await;
    for role in [Role::Member, Role::Viewer] {
        let someone = app.add_member(&admin, role).await;
        let create = app
            .send_json(
                Method::POST,
                &someone.token,
                "/themes",
                json!({"name": "Mine"}),
                None,
            )
            .await;
        expect_problem(create, StatusCode::FORBIDDEN, None).await;
        let path = format!("/themes/{}", id_of(&theme));
        let rename = app
            .send_json(
                Method::PATCH,
                &someone.token,
                &path,
                json!({"name": "Mine"}),
                None,
            )
            .await;
        expect_problem(rename, StatusCode::FORBIDDEN, None).await;
        let delete = app
            .api(Method::DELETE, &someone.token, &path)
            .send()
            .await
            .unwrap();
        expect_problem(delete, StatusCode::FORBIDDEN, None).await;
        let list = app.get_json(&someone.token, "/themes").await;
        assert_eq!(list["items"][0]["name"], "Growth");
    }
    let response = app
        .api(Method::GET, &admin.token, "/themes?limit=0")
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("limit")).await;
}
