//! The scores of SPEC §8 through the API and the initiative page, with hand-computed figures:
//! RICE, WSJF, MoAR and the organization's scorecard, each with its formula; bad inputs named and
//! changing nothing; the scorecard's drivers and who may manage them; the stored scorecard value
//! staying exact when drivers change.

use cairn::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Page, TestApp, expect_problem, expect_status, id_of, spawn_app, with_changes};

/// An admin's organization with one portfolio, and an initiative there made of `fields`.
async fn org_with_initiative(app: &TestApp, fields: Value) -> (crate::helpers::Account, String, String) {
    let admin = app.signup("Scored").await;
    let portfolio = id_of(
        &app.create_portfolio(&admin.token, "Payments", "portfolio", None)
            .await,
    );
    let initiative = id_of(&app.create_initiative(&admin.token, &portfolio, fields).await);
    (admin, portfolio, initiative)
}

async fn add_driver(app: &TestApp, token: &str, name: &str, weight: f64, max: i64) -> String {
    id_of(
        &app.post_json(
            token,
            "/scorecard/drivers",
            json!({"name": name, "weight": weight, "max": max}),
        )
        .await,
    )
}

async fn put_scores(app: &TestApp, token: &str, initiative: &str, values: Value) -> reqwest::Response {
    app.send_json(
        Method::PUT,
        token,
        &format!("/initiatives/{initiative}/scores"),
        values,
        None,
    )
    .await
}

async fn scorecard_of(app: &TestApp, token: &str, initiative: &str) -> Value {
    app.get_json(token, &format!("/initiatives/{initiative}")).await["scores"]["scorecard"].clone()
}

/// The initiative's edit form, as `form` shows it, submitted by `app` with `changes` typed in.
async fn save_edit_form(app: &TestApp, form: &Page, initiative: &str, changes: &[(&str, &str)]) -> Page {
    let action = format!("/initiatives/{initiative}");
    app.submit(&action, &with_changes(&form.form_fields(&action), changes))
        .await
}

/// The initiative page's line for one driver and its value.
fn driver_value(driver: &str) -> String {
    format!(".driver-values .driver-value[data-driver-id='{driver}']")
}

/// An organization with a scorecard of two drivers — Fit (weight 3, 0–5) and Customer reach
/// (weight 1, 0–10) — and an initiative of 5 pw, its admin signed in on the pages: the admin,
/// the portfolio, the initiative and the two drivers' ids.
async fn scorecard_with_initiative(
    app: &TestApp,
) -> (crate::helpers::Account, String, String, String, String) {
    let (admin, portfolio, id) = org_with_initiative(app, json!({"title": "Pay", "effort": 5})).await;
    let fit = add_driver(app, &admin.token, "Fit", 3.0, 5).await;
    let reach = add_driver(app, &admin.token, "Customer reach", 1.0, 10).await;
    app.sign_in_page(&admin.email, &admin.password, "").await;
    (admin, portfolio, id, fit, reach)
}

#[tokio::test]
async fn the_four_scores_come_with_their_formulas() {
    let app = spawn_app().await;
    let (admin, _, id) = org_with_initiative(
        &app,
        json!({"reach": 1000, "impact": 2, "confidence": 80, "effort": 4,
               "business_value": 20, "time_criticality": 13, "risk_reduction": 1, "benefit": 50}),
    )
    .await;
    app.patch_json(&admin.token, "/organization", json!({"benefit_unit": "k€ ARR"}))
        .await;
    let initiative = app.get_json(&admin.token, &format!("/initiatives/{id}")).await;
    // 1,000 × 2 × 0.8 ÷ 4 = 400; (20 + 13 + 1) ÷ 4 = 8.5; 50 ÷ 4 = 12.5; no drivers: no scorecard.
    assert_eq!(
        initiative["scores"],
        json!({"rice": 400.0, "wsjf": 8.5, "moar": 12.5, "scorecard": null})
    );
    assert_eq!(initiative["rice_score"], 400.0);
    assert_eq!(
        initiative["score_formulas"],
        json!({"rice": "RICE 400.00 = 1,000 × 2 × 80 % ÷ 4 pw",
               "wsjf": "WSJF 8.50 = (20 + 13 + 1) ÷ 4 pw",
               "moar": "MoAR 12.50 = 50 k€ ARR ÷ 4 pw",
               "scorecard": null})
    );
    assert_eq!(initiative["scorecard_value"], Value::Null);
    assert_eq!(
        (
            initiative["business_value"].clone(),
            initiative["benefit"].clone()
        ),
        (json!(20), json!(50.0))
    );

    let fit = add_driver(&app, &admin.token, "Strategic fit", 3.0, 5).await;
    let demand = add_driver(&app, &admin.token, "Customer demand", 2.0, 10).await;
    add_driver(&app, &admin.token, "Revenue", 1.0, 5).await;
    // With drivers and no values, the value is 0.
    assert_eq!(scorecard_of(&app, &admin.token, &id).await, 0.0);

    let answer = put_scores(&app, &admin.token, &id, json!({&fit: 4, &demand: 5})).await;
    assert_eq!(
        answer.headers()["etag"],
        "\"2\"",
        "the values are part of the initiative"
    );
    let scored = expect_status(answer, StatusCode::OK).await;
    // 100 × (3 × 4/5 + 2 × 5/10 + 1 × 0) ÷ 6 = 56.67; ÷ 4 pw = 14.17
    assert_eq!(scored["scores"]["scorecard"], 14.17);
    assert_eq!(
        scored["score_formulas"]["scorecard"],
        "Scorecard 14.17 = 56.7 ÷ 4 pw"
    );
    assert_eq!(
        app.get_json(&admin.token, &format!("/initiatives/{id}/scores"))
            .await,
        json!({&fit: 4, &demand: 5})
    );
    // PUT replaces the set: a driver left out has no value afterwards.
    let replaced = expect_status(
        put_scores(&app, &admin.token, &id, json!({&demand: 10})).await,
        StatusCode::OK,
    )
    .await;
    // 100 × (2 × 1) ÷ 6 = 33.33; ÷ 4 = 8.33
    assert_eq!(replaced["scores"]["scorecard"], 8.33);

    // Halves round away from zero: 1 ÷ 8 pw = 0.125 → 0.13.
    let half = app
        .patch_json(
            &admin.token,
            &format!("/initiatives/{id}"),
            json!({"benefit": 1, "effort": 8}),
        )
        .await;
    assert_eq!(half["scores"]["moar"], 0.13);
    assert_eq!(half["score_formulas"]["moar"], "MoAR 0.13 = 1 k€ ARR ÷ 8 pw");
    let cleared = app
        .patch_json(
            &admin.token,
            &format!("/initiatives/{id}"),
            json!({"benefit": null, "risk_reduction": null}),
        )
        .await;
    assert_eq!(
        (
            cleared["scores"]["moar"].clone(),
            cleared["scores"]["wsjf"].clone()
        ),
        (Value::Null, Value::Null)
    );
}

#[tokio::test]
async fn bad_score_inputs_are_named_and_change_nothing() {
    let app = spawn_app().await;
    let (admin, portfolio, id) = org_with_initiative(&app, json!({"benefit": 5, "business_value": 8})).await;
    let fit = add_driver(&app, &admin.token, "Strategic fit", 3.0, 5).await;
    expect_status(
        put_scores(&app, &admin.token, &id, json!({&fit: 2})).await,
        StatusCode::OK,
    )
    .await;
    let path = format!("/initiatives/{id}");
    let before = app.get_json(&admin.token, &path).await;
    let values_before = app.get_json(&admin.token, &format!("{path}/scores")).await;

    for (field, value) in [
        ("business_value", json!(4)),
        ("time_criticality", json!(21)),
        ("risk_reduction", json!(0)),
        ("benefit", json!(-1)),
        ("benefit", json!(0.00001)),
        ("benefit", json!(1e15)),
    ] {
        let refused = app
            .send_json(Method::PATCH, &admin.token, &path, json!({field: value}), None)
            .await;
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
        let created = app
            .send_json(
                Method::POST,
                &admin.token,
                "/initiatives",
                json!({"title": "T", "portfolio_id": portfolio, field: value}),
                None,
            )
            .await;
        expect_problem(created, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let stranger = uuid::Uuid::now_v7().to_string();
    for (key, body) in [
        (fit.clone(), json!({&fit: 6})),
        (fit.clone(), json!({&fit: -1})),
        (fit.clone(), json!({&fit: 2.5})),
        (stranger.clone(), json!({&fit: 3, &stranger: 1})),
        ("nope".to_owned(), json!({"nope": 1})),
    ] {
        let refused = put_scores(&app, &admin.token, &id, body).await;
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some(&key)).await;
    }
    // A stale version is refused before anything is written.
    let stale = app
        .send_json(
            Method::PUT,
            &admin.token,
            &format!("{path}/scores"),
            json!({&fit: 1}),
            Some("\"1\""),
        )
        .await;
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, None).await;
    assert_eq!(app.get_json(&admin.token, &path).await, before);
    assert_eq!(
        app.get_json(&admin.token, &format!("{path}/scores")).await,
        values_before
    );
    let drivers = app.get_json(&admin.token, "/scorecard/drivers").await;
    for (body, field) in [
        (json!({"name": "", "weight": 0, "max": 101}), "name"),
        (json!({"name": "X", "weight": -1}), "weight"),
        (json!({"name": "X", "max": 0}), "max"),
    ] {
        let refused = app
            .send_json(Method::POST, &admin.token, "/scorecard/drivers", body, None)
            .await;
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let duplicate = app
        .send_json(
            Method::POST,
            &admin.token,
            "/scorecard/drivers",
            json!({"name": "Strategic fit"}),
            None,
        )
        .await;
    expect_problem(duplicate, StatusCode::CONFLICT, Some("name")).await;
    assert_eq!(app.get_json(&admin.token, "/scorecard/drivers").await, drivers);
}

#[tokio::test]
async fn admins_manage_drivers_members_read_them_and_other_organizations_see_none() {
    let app = spawn_app().await;
    let (admin, _, id) = org_with_initiative(&app, json!({})).await;
    let member = app.add_member(&admin, Role::Member).await;
    let viewer = app.add_member(&admin, Role::Viewer).await;
    let fit = add_driver(&app, &admin.token, "Strategic fit", 3.0, 5).await;
    let path = format!("/scorecard/drivers/{fit}");

    for token in [&member.token, &viewer.token] {
        let list = app.get_json(token, "/scorecard/drivers").await;
        assert_eq!(list[0]["name"], "Strategic fit");
        assert_eq!(
            (list[0]["weight"].clone(), list[0]["max"].clone()),
            (json!(3.0), json!(5))
        );
        for (method, target, body) in [
            (Method::POST, "/scorecard/drivers", json!({"name": "Mine"})),
            (Method::PATCH, path.as_str(), json!({"weight": 1})),
            (Method::DELETE, path.as_str(), json!({})),
        ] {
            app.expect_refused(method, token, target, body, StatusCode::FORBIDDEN)
                .await;
        }
    }
    // A viewer may not set an initiative's values; its editor (the admin here) may.
    app.expect_refused(
        Method::PUT,
        &viewer.token,
        &format!("/initiatives/{id}/scores"),
        json!({&fit: 1}),
        StatusCode::FORBIDDEN,
    )
    .await;

    let other = app.signup("Elsewhere").await;
    let unseen = app.api(Method::GET, &other.token, &path).send().await.unwrap();
    expect_problem(unseen, StatusCode::NOT_FOUND, None).await;
    for (method, body) in [(Method::PATCH, json!({"weight": 1})), (Method::DELETE, json!({}))] {
        app.expect_refused(method, &other.token, &path, body, StatusCode::NOT_FOUND)
            .await;
    }
    app.expect_refused(
        Method::PUT,
        &other.token,
        &format!("/initiatives/{id}/scores"),
        json!({}),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.get_json(&other.token, "/scorecard/drivers").await, json!([]));

    app.assert_if_match_guards(
        &admin.token,
        &path,
        json!({"name": "Fit"}),
        json!({"name": "Fit again"}),
    )
    .await;
}

#[tokio::test]
async fn the_scorecard_value_stays_exact_when_drivers_change() {
    let app = spawn_app().await;
    let (admin, portfolio, a) = org_with_initiative(&app, json!({"effort": 4})).await;
    let b = id_of(
        &app.create_initiative(&admin.token, &portfolio, json!({"effort": 2}))
            .await,
    );
    let fit = add_driver(&app, &admin.token, "Strategic fit", 3.0, 5).await;
    let demand = add_driver(&app, &admin.token, "Customer demand", 2.0, 10).await;
    add_driver(&app, &admin.token, "Revenue", 1.0, 5).await;
    expect_status(
        put_scores(&app, &admin.token, &a, json!({&fit: 4, &demand: 5})).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        put_scores(&app, &admin.token, &b, json!({&demand: 10})).await,
        StatusCode::OK,
    )
    .await;
    // A: 100 × (2.4 + 1) ÷ 6 = 56.67 ÷ 4 = 14.17; B: 100 × 2 ÷ 6 = 33.33 ÷ 2 = 16.67
    assert_eq!(scorecard_of(&app, &admin.token, &a).await, 14.17);
    assert_eq!(scorecard_of(&app, &admin.token, &b).await, 16.67);
    // Work created now has no values: 0.
    let c = id_of(&app.create_initiative(&admin.token, &portfolio, json!({})).await);
    assert_eq!(scorecard_of(&app, &admin.token, &c).await, 0.0);

    // Fit weighs 1: A = 100 × (0.8 + 1) ÷ 4 = 45 ÷ 4 = 11.25; B = 100 × 2 ÷ 4 = 50 ÷ 2 = 25
    app.patch_json(
        &admin.token,
        &format!("/scorecard/drivers/{fit}"),
        json!({"weight": 1}),
    )
    .await;
    assert_eq!(scorecard_of(&app, &admin.token, &a).await, 11.25);
    assert_eq!(scorecard_of(&app, &admin.token, &b).await, 25.0);
    // Demand's scale shrinks to 5: A's 5 is now full (5/5), B's 10 becomes 5:
    // A = 100 × (0.8 + 2) ÷ 4 = 70 ÷ 4 = 17.5; B = 100 × 2 ÷ 4 = 50 ÷ 2 = 25
    app.patch_json(
        &admin.token,
        &format!("/scorecard/drivers/{demand}"),
        json!({"max": 5}),
    )
    .await;
    assert_eq!(scorecard_of(&app, &admin.token, &a).await, 17.5);
    assert_eq!(
        app.get_json(&admin.token, &format!("/initiatives/{b}/scores"))
            .await,
        json!({&demand: 5})
    );

    // Demand deleted: A = 100 × 0.8 ÷ 2 = 40 ÷ 4 = 10; B has no value left: 0.
    let deleted = app
        .api(
            Method::DELETE,
            &admin.token,
            &format!("/scorecard/drivers/{demand}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(scorecard_of(&app, &admin.token, &a).await, 10.0);
    assert_eq!(scorecard_of(&app, &admin.token, &b).await, 0.0);
    // No drivers left: no scorecard at all.
    for driver in app
        .get_json(&admin.token, "/scorecard/drivers")
        .await
        .as_array()
        .unwrap()
    {
        let gone = app
            .api(
                Method::DELETE,
                &admin.token,
                &format!("/scorecard/drivers/{}", id_of(driver)),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    }
    for id in [&a, &b, &c] {
        assert_eq!(scorecard_of(&app, &admin.token, id).await, Value::Null);
    }
}

#[tokio::test]
async fn the_initiative_page_shows_every_score_with_its_formula_and_what_is_missing() {
    let app = spawn_app().await;
    let (admin, _, id) = org_with_initiative(
        &app,
        json!({"reach": 12000, "impact": 2, "confidence": 80, "effort": 4,
               "business_value": 20, "time_criticality": 20, "benefit": 50}),
    )
    .await;
    app.sign_in_page(&admin.email, &admin.password, "").await;
    let page = app.get_page(&format!("/initiatives/{id}")).await;
    assert_eq!(
        page.text(".score-rice .score-formula"),
        "RICE 4,800.00 = 12,000 × 2 × 80 % ÷ 4 pw"
    );
    assert_eq!(
        page.text(".score-moar .score-formula"),
        "MoAR 12.50 = 50 points ÷ 4 pw"
    );
    assert_eq!(
        page.text(".score-wsjf .score-formula"),
        "WSJF = (20 + 20 + ?) ÷ 4 pw"
    );
    assert_eq!(
        page.text(".score-wsjf .score-missing"),
        "(no score until risk reduction is given)"
    );
    assert!(page.text(".score-scorecard .score-missing").contains("scorecard"));
}

#[tokio::test]
async fn admins_set_up_themes_on_their_page_and_targets_sum_to_at_most_one_hundred() {
    let app = spawn_app().await;
    let admin = app.signup("Themed").await;
    app.sign_in_page(&admin.email, &admin.password, "").await;
    let page = app.get_page("/settings/themes").await;
    assert_eq!(page.text(".left-to-assign"), "100.0 % left to assign");
    let added = app
        .post_form(
            "/settings/themes",
            &[("name", "Growth"), ("colour", "#1F77B4"), ("target_share", "65")],
        )
        .await;
    assert!(
        added.status.is_redirection() || added.status.is_success(),
        "{}",
        added.status
    );
    let growth = id_of(&app.get_json(&admin.token, "/themes").await["items"][0]);
    let page = app.get_page("/settings/themes").await;
    assert_eq!(page.text(".left-to-assign"), "35.0 % left to assign");

    // Renamed, recoloured and retargeted in one save.
    let saved = app
        .post_form(
            &format!("/settings/themes/{growth}"),
            &[
                ("name", "Expansion"),
                ("colour", "#2ca02c"),
                ("target_share", "60.5"),
                ("version", "1"),
            ],
        )
        .await;
    assert!(
        saved.status.is_redirection() || saved.status.is_success(),
        "{}",
        saved.status
    );
    let theme = app.get_json(&admin.token, &format!("/themes/{growth}")).await;
    assert_eq!(
        (
            theme["name"].clone(),
            theme["colour"].clone(),
            theme["target_share"].clone()
        ),
        (json!("Expansion"), json!("#2ca02c"), json!(60.5))
    );
    assert_eq!(
        app.get_page("/settings/themes").await.text(".left-to-assign"),
        "39.5 % left to assign"
    );

    // More than what is left is refused beside the field, and what was typed stays.
    let over = app
        .post_form(
            "/settings/themes",
            &[
                ("name", "Retention"),
                ("colour", "#d62728"),
                ("target_share", "40"),
            ],
        )
        .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        over.text(".add-theme .field-error").contains("100"),
        "{}",
        over.text(".add-theme .field-error")
    );
    assert_eq!(
        over.value(".add-theme input[name='name']").as_deref(),
        Some("Retention")
    );
    let raised = app
        .post_form(
            &format!("/settings/themes/{growth}"),
            &[
                ("name", "Expansion"),
                ("colour", "#2ca02c"),
                ("target_share", "100.5"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(raised.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !raised
            .text(&format!("[data-theme-id='{growth}'] .field-error"))
            .is_empty()
    );
    assert_eq!(
        app.get_json(&admin.token, "/themes").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Members read the themes without forms.
    let (_, member_app) = app.signed_in_member(&admin, Role::Member).await;
    let read = member_app.get_page("/settings/themes").await;
    assert_eq!(read.text(".theme .target"), "60.5 %");
    assert!(read.select("form.theme-form, form.add-theme").is_empty());
}

#[tokio::test]
async fn admins_manage_the_scorecard_on_its_page_and_the_initiative_page_explains_the_score() {
    let app = spawn_app().await;
    let (admin, _, id) = org_with_initiative(&app, json!({"effort": 4})).await;
    app.sign_in_page(&admin.email, &admin.password, "").await;
    assert!(
        !app.get_page("/settings/scorecard")
            .await
            .select(".no-drivers")
            .is_empty()
    );
    let refused = app
        .post_form(
            "/settings/scorecard",
            &[("name", "Fit"), ("weight", "0"), ("max", "5")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("weight").is_some());
    assert_eq!(
        refused.value(".add-driver input[name='name']").as_deref(),
        Some("Fit")
    );
    app.post_form(
        "/settings/scorecard",
        &[("name", "Fit"), ("weight", "3"), ("max", "5")],
    )
    .await;
    let fit = id_of(&app.get_json(&admin.token, "/scorecard/drivers").await[0]);
    app.post_form(
        &format!("/settings/scorecard/{fit}"),
        &[
            ("name", "Strategic fit"),
            ("weight", "2"),
            ("max", "10"),
            ("version", "1"),
        ],
    )
    .await;
    let driver = app
        .get_json(&admin.token, &format!("/scorecard/drivers/{fit}"))
        .await;
    assert_eq!(
        (
            driver["name"].clone(),
            driver["weight"].clone(),
            driver["max"].clone()
        ),
        (json!("Strategic fit"), json!(2.0), json!(10))
    );
    // The edit form has a field per driver; a value above its max is refused beside it.
    let form = app.get_page(&format!("/initiatives/{id}/edit")).await;
    let too_high = save_edit_form(&app, &form, &id, &[(fit.as_str(), "11")]).await;
    assert_eq!(too_high.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_high.field_error(&fit).unwrap().contains("from 0 to 10"));
    assert_eq!(
        too_high.value(&format!("input[name='{fit}']")).as_deref(),
        Some("11")
    );
    let saved = save_edit_form(&app, &form, &id, &[(fit.as_str(), "5")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    // 100 × 5/10 = 50; ÷ 4 pw = 12.5
    let page = app.get_page(&format!("/initiatives/{id}")).await;
    assert_eq!(page.text(&driver_value(&fit)), "Strategic fit 5 of 10");
    assert_eq!(
        page.text(".score-scorecard .score-formula"),
        "Scorecard 12.50 = 50.0 ÷ 4 pw"
    );

    let (_, viewer_app) = app.signed_in_member(&admin, Role::Viewer).await;
    let read = viewer_app.get_page("/settings/scorecard").await;
    assert_eq!(read.text(".driver .driver-name"), "Strategic fit");
    assert!(
        read.select("form")
            .iter()
            .all(|f| f.value().attr("action") == Some("/logout"))
    );

    app.post_form(&format!("/settings/scorecard/{fit}/delete"), &[("version", "2")])
        .await;
    assert_eq!(app.get_json(&admin.token, "/scorecard/drivers").await, json!([]));
    assert_eq!(scorecard_of(&app, &admin.token, &id).await, Value::Null);
}

#[tokio::test]
async fn the_edit_form_saves_driver_values_with_the_other_fields_in_one_version() {
    let app = spawn_app().await;
    let (admin, portfolio, id, fit, reach) = scorecard_with_initiative(&app).await;
    let t = &admin.token;
    let form = app.get_page(&format!("/initiatives/{id}/edit")).await;
    assert_eq!(form.text(&format!("label[for='{fit}']")), "Fit (0–5)");
    assert_eq!(
        form.text(&format!("label[for='{reach}']")),
        "Customer reach (0–10)"
    );
    assert_eq!(form.value(&format!("input[name='{fit}']")).as_deref(), Some(""));

    let saved = save_edit_form(
        &app,
        &form,
        &id,
        &[("title", "Pay in one click"), (&fit, "4"), (&reach, "5")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    // 100 × (3 × 4/5 + 1 × 5/10) ÷ (3 + 1) = 72.5; ÷ 5 pw = 14.5
    let initiative = app.get_json(t, &format!("/initiatives/{id}")).await;
    assert_eq!(initiative["title"], "Pay in one click");
    assert_eq!(initiative["version"], 2, "one save, one version");
    assert_eq!(initiative["scores"]["scorecard"], json!(14.5));
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{id}/scores")).await,
        json!({fit.clone(): 4, reach.clone(): 5})
    );
    let page = app.get_page(&format!("/initiatives/{id}")).await;
    assert_eq!(
        page.text(".score-scorecard .score-formula"),
        "Scorecard 14.50 = 72.5 ÷ 5 pw"
    );
    assert_eq!(page.text(&driver_value(&fit)), "Fit 4 of 5");
    assert_eq!(page.text(&driver_value(&reach)), "Customer reach 5 of 10");
    // The page's own scorecard form is gone: its values are set with the initiative's fields.
    assert!(
        page.select(&format!("form[action='/initiatives/{id}/scores']"))
            .is_empty()
    );
    assert_eq!(
        page.href(".driver-values + p a"),
        format!("/initiatives/{id}/edit#scorecard")
    );

    // The form shows what is saved; emptying a field takes the value away (it counts 0).
    let form = app.get_page(&format!("/initiatives/{id}/edit")).await;
    assert_eq!(form.value(&format!("input[name='{fit}']")).as_deref(), Some("4"));
    let cleared = save_edit_form(&app, &form, &id, &[(&reach, "")]).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{id}/scores")).await,
        json!({fit.clone(): 4})
    );

    // A new initiative's form has the drivers too.
    let new = app
        .get_page(&format!("/initiatives/new?portfolio_id={portfolio}"))
        .await;
    let fields = with_changes(
        &new.form_fields("/initiatives"),
        &[("title", "Wallet"), ("effort", "2"), (&fit, "5")],
    );
    let created = app.submit("/initiatives", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let created = created.location.unwrap().replace("/initiatives/", "");
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{created}/scores")).await,
        json!({fit.clone(): 5})
    );
    // 100 × 3 × 5/5 ÷ 4 = 75; ÷ 2 pw = 37.5
    assert_eq!(scorecard_of(&app, t, &created).await, json!(37.5));
}

#[tokio::test]
async fn a_driver_value_off_its_scale_is_answered_beside_its_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let (admin, portfolio, id, fit, reach) = scorecard_with_initiative(&app).await;
    let t = &admin.token;
    let form = app.get_page(&format!("/initiatives/{id}/edit")).await;
    let refused = save_edit_form(
        &app,
        &form,
        &id,
        &[("title", "Pay in one click"), (&fit, "6"), (&reach, "-1")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.field_error(&fit).as_deref(),
        Some("Fit (0–5) must be a whole number from 0 to 5")
    );
    assert_eq!(
        refused.field_error(&reach).as_deref(),
        Some("Customer reach (0–10) must be a whole number from 0 to 10")
    );
    let field = refused.one(&format!("input[name='{fit}']"));
    assert_eq!(field.value().attr("value"), Some("6"));
    assert_eq!(field.value().attr("aria-invalid"), Some("true"));
    assert!(
        field
            .value()
            .attr("aria-describedby")
            .unwrap()
            .split(' ')
            .any(|described| described == format!("{fit}-error"))
    );
    assert_eq!(
        refused.value(&format!("input[name='{reach}']")).as_deref(),
        Some("-1")
    );
    assert_eq!(
        refused.value("input[name='title']").as_deref(),
        Some("Pay in one click")
    );
    let unchanged = app.get_json(t, &format!("/initiatives/{id}")).await;
    assert_eq!(
        (unchanged["title"].clone(), unchanged["version"].clone()),
        (json!("Pay"), json!(1))
    );
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{id}/scores")).await,
        json!({})
    );

    // Text that is no number, beside another field that does not parse: every problem at once.
    let refused = save_edit_form(&app, &form, &id, &[("effort", "lots"), (&fit, "four")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error("effort").is_some());
    assert_eq!(
        refused.field_error(&fit).as_deref(),
        Some("Fit (0–5) must be a whole number from 0 to 5")
    );
    assert_eq!(
        refused.value(&format!("input[name='{fit}']")).as_deref(),
        Some("four")
    );
    assert_eq!(app.get_json(t, &format!("/initiatives/{id}")).await["version"], 1);

    // The same on a new initiative's form: nothing is created.
    let new = app
        .get_page(&format!("/initiatives/new?portfolio_id={portfolio}"))
        .await;
    let fields = with_changes(
        &new.form_fields("/initiatives"),
        &[("title", "Wallet"), (&fit, "9")],
    );
    let refused = app.submit("/initiatives", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field_error(&fit).unwrap().contains("from 0 to 5"));
    let listed = app
        .get_json(t, &format!("/initiatives?portfolio_id={portfolio}"))
        .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_stale_edit_form_never_overwrites_driver_values_saved_meanwhile() {
    let app = spawn_app().await;
    let (admin, _, id, fit, reach) = scorecard_with_initiative(&app).await;
    let t = &admin.token;
    let values =
        |fit_value: i64, reach_value: i64| json!({fit.clone(): fit_value, reach.clone(): reach_value});
    let scores_path = format!("/initiatives/{id}/scores");
    let scores_now = || app.get_json(t, &scores_path);
    expect_status(put_scores(&app, t, &id, values(1, 1)).await, StatusCode::OK).await;

    // Someone raises the fit through the API while this form is open; here only the reach is
    // changed: both stay.
    let form = app.get_page(&format!("/initiatives/{id}/edit")).await;
    expect_status(put_scores(&app, t, &id, values(2, 1)).await, StatusCode::OK).await;
    let merged = save_edit_form(&app, &form, &id, &[(&reach, "7")]).await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER);
    assert!(merged.location.unwrap().contains("merged=1"));
    assert_eq!(scores_now().await, values(2, 7));

    // Both change the fit, differently: refused with theirs beside the field, nothing written.
    let form = app.get_page(&format!("/initiatives/{id}/edit")).await;
    expect_status(put_scores(&app, t, &id, values(3, 7)).await, StatusCode::OK).await;
    let version = app.get_json(t, &format!("/initiatives/{id}")).await["version"].clone();
    let stale = save_edit_form(&app, &form, &id, &[(&fit, "5")]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.theirs(&fit).as_deref(), Some("3"));
    assert_eq!(stale.theirs(&reach), None);
    assert_eq!(stale.value(&format!("input[name='{fit}']")).as_deref(), Some("5"));
    assert_eq!(scores_now().await, values(3, 7));
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{id}")).await["version"],
        version
    );

    // Saving the form as shown again settles it, on the version it now carries.
    let action = format!("/initiatives/{id}");
    let settled = app.submit(&action, &stale.form_fields(&action)).await;
    assert_eq!(settled.status, StatusCode::SEE_OTHER);
    assert_eq!(scores_now().await, values(5, 7));
}
