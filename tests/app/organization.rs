//! Organization settings: the API and `/settings/organization`, and their effect on roll-ups.

use cairn::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{expect_problem, expect_status, id_of, spawn_app};

#[tokio::test]
async fn settings_are_read_by_members_and_changed_by_admins_with_if_match() {
    let app = spawn_app().await;
    let admin = app.signup("Settings Co").await;
    let response = app
        .api(Method::GET, &admin.token, "/organization")
        .send()
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let org = expect_status(response, StatusCode::OK).await;
    assert_eq!(
        (
            org["time_zone"].clone(),
            org["fiscal_year_start_month"].clone(),
            org["currency"].clone()
        ),
        (json!("UTC"), json!(1), json!("USD"))
    );
    assert_eq!(
        (
            org["off_track_threshold"].clone(),
            org["at_risk_threshold"].clone()
        ),
        (json!(25.0), json!(25.0))
    );

    let changed = app
        .api(Method::PATCH, &admin.token, "/organization")
        .header("if-match", &etag)
        .json(&json!({"time_zone": "Europe/Berlin", "fiscal_year_start_month": 4, "currency": "eur"}))
        .send()
        .await
        .unwrap();
    let changed = expect_status(changed, StatusCode::OK).await;
    assert_eq!(
        (changed["time_zone"].clone(), changed["currency"].clone()),
        (json!("Europe/Berlin"), json!("EUR"))
    );
    // The old ETag is stale now: refused, nothing changed.
    let stale = app
        .api(Method::PATCH, &admin.token, "/organization")
        .header("if-match", &etag)
        .json(&json!({"name": "Renamed"}))
        .send()
        .await
        .unwrap();
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, None).await;
    assert_eq!(
        app.get_json(&admin.token, "/organization").await["name"],
        "Settings Co"
    );

    let member = app.add_member(&admin, Role::Member).await;
    assert_eq!(
        app.get_json(&member.token, "/organization").await["currency"],
        "EUR"
    );
    let refused = app
        .api(Method::PATCH, &member.token, "/organization")
        .json(&json!({"name": "Mine"}))
        .send();
    expect_problem(refused.await.unwrap(), StatusCode::FORBIDDEN, None).await;
}

#[tokio::test]
async fn bad_settings_name_every_field_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.signup("Settings Co").await;
    let body = json!({"name": "", "time_zone": "Mars/Olympus", "fiscal_year_start_month": 13, "currency": "EURO",
                      "off_track_threshold": 0, "at_risk_threshold": 101});
    let response = app
        .api(Method::PATCH, &admin.token, "/organization")
        .json(&body)
        .send()
        .await
        .unwrap();
    let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("time_zone")).await;
    for field in [
        "name",
        "fiscal_year_start_month",
        "currency",
        "off_track_threshold",
        "at_risk_threshold",
    ] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let unknown = app
        .api(Method::PATCH, &admin.token, "/organization")
        .json(&json!({"slug": "x"}))
        .send();
    expect_problem(unknown.await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, None).await;
    assert_eq!(
        app.get_json(&admin.token, "/organization").await["time_zone"],
        "UTC"
    );
}

#[tokio::test]
async fn thresholds_decide_rolled_health() {
    let app = spawn_app().await;
    let admin = app.signup("Settings Co").await;
    let t = &admin.token;
    let root = id_of(&app.create_portfolio(t, "Root", "portfolio", None).await);
    // Active effort: 3 on track, 1 off track → off track share 25 %.
    app.create_initiative(t, &root, json!({"status": "in_progress", "effort": 3}))
        .await;
    app.create_initiative(
        t,
        &root,
        json!({"status": "in_progress", "effort": 1, "health": "off_track"}),
    )
    .await;
    let health =
        async || app.get_json(t, &format!("/portfolios/{root}/rollup")).await["totals"]["health"].clone();
    assert_eq!(health().await, "off_track");
    app.patch_json(t, "/organization", json!({"off_track_threshold": 30}))
        .await;
    assert_eq!(health().await, "at_risk");
    app.patch_json(t, "/organization", json!({"at_risk_threshold": 30}))
        .await;
    assert_eq!(health().await, "on_track");
}

#[tokio::test]
async fn admins_edit_settings_on_the_page_with_errors_beside_fields_and_conflicts_shown() {
    let app = spawn_app().await;
    let admin = app.signup("Settings Co").await;
    app.sign_in_page(&admin.email, &admin.password, "").await;
    let page = app.get_page("/settings/organization").await;
    assert_eq!(page.status, StatusCode::OK);
    let version = page.value("input[name='version']").unwrap();
    let form = |time_zone: &str, threshold: &str, version: &str| {
        vec![
            ("name".to_owned(), "Settings Co".to_owned()),
            ("time_zone".to_owned(), time_zone.to_owned()),
            ("fiscal_year_start_month".to_owned(), "4".to_owned()),
            ("currency".to_owned(), "EUR".to_owned()),
            ("off_track_threshold".to_owned(), threshold.to_owned()),
            ("at_risk_threshold".to_owned(), "20".to_owned()),
            ("optimism_threshold".to_owned(), "30".to_owned()),
            ("benefit_unit".to_owned(), "k€ ARR".to_owned()),
            ("version".to_owned(), version.to_owned()),
        ]
    };
    let bad = app
        .submit("/settings/organization", &form("Nowhere/Else", "lots", &version))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.field_error("time_zone")
            .unwrap()
            .contains("is not a time zone")
    );
    assert!(
        bad.field_error("off_track_threshold")
            .unwrap()
            .contains("must be a number")
    );
    assert_eq!(
        bad.value("input[name='time_zone']").as_deref(),
        Some("Nowhere/Else")
    );

    let saved = app
        .submit("/settings/organization", &form("Asia/Tokyo", "30", &version))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(&admin.token, "/organization").await["time_zone"],
        "Asia/Tokyo"
    );
    assert_eq!(
        app.get_json(&admin.token, "/organization").await["optimism_threshold"],
        30
    );
    assert_eq!(
        app.get_json(&admin.token, "/organization").await["benefit_unit"],
        "k€ ARR"
    );

    // The form rendered before that save is stale: it shows the saved values, keeps the input.
    let stale = app
        .submit("/settings/organization", &form("Europe/Paris", "40", &version))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.theirs("time_zone").as_deref(), Some("Asia/Tokyo"));
    assert_eq!(
        stale.value("input[name='time_zone']").as_deref(),
        Some("Europe/Paris")
    );
    assert_eq!(
        app.get_json(&admin.token, "/organization").await["time_zone"],
        "Asia/Tokyo"
    );
    let again = app
        .submit(
            "/settings/organization",
            &stale.form_fields("/settings/organization"),
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(&admin.token, "/organization").await["time_zone"],
        "Europe/Paris"
    );
}

#[tokio::test]
async fn members_read_the_settings_page_but_cannot_post_it() {
    let app = spawn_app().await;
    let admin = app.signup("Settings Co").await;
    let (_, member) = app.signed_in_member(&admin, Role::Member).await;
    let page = member.get_page("/settings/organization").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.select("form.organization-settings").is_empty());
    assert!(page.text("dl.details").contains("UTC"));
    let version = app.get_json(&admin.token, "/organization").await["version"].to_string();
    let posted = member
        .submit(
            "/settings/organization",
            &[
                ("name".to_owned(), "Mine".to_owned()),
                ("version".to_owned(), version),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_json(&admin.token, "/organization").await["name"],
        "Settings Co"
    );
}
