//! Every number the API takes is bounded to what the figures can carry: a value inside its bounds
//! is taken and every roll-up above it still reads; one outside answers 422 naming the field and
//! changes nothing. Random values of every magnitude, with the edges, through the real API and
//! the pages that sum them.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use cairn::domain::initiative::{BUDGET_MAX, EFFORT_MAX, EFFORT_MIN, REACH_MAX};

use crate::helpers::{Account, TestApp, expect_problem, expect_status, id_of, spawn_app};

/// A number of any magnitude from 1e-324 to 1e308, either sign, or one of the edges given.
fn any_magnitude(rng: &mut StdRng, edges: &[f64]) -> f64 {
    if rng.gen_bool(0.3) {
        return edges[rng.gen_range(0..edges.len())];
    }
    let exponent = rng.gen_range(-324..=308);
    let value = (rng.gen_range(1.0..10.0) * 10f64.powi(exponent)).min(f64::MAX);
    if rng.gen_bool(0.8) { value } else { -value }
}

fn any_whole(rng: &mut StdRng, edges: &[i64]) -> i64 {
    if rng.gen_bool(0.3) {
        return edges[rng.gen_range(0..edges.len())];
    }
    let bits = rng.gen_range(0..63);
    let value = rng.gen_range(0..=(1i64 << bits));
    if rng.gen_bool(0.8) { value } else { -value }
}

/// The roll-up of the portfolio and of its parent read, as JSON, page and CSV.
async fn figures_read(app: &TestApp, admin: &Account, portfolios: &[&str]) {
    for portfolio in portfolios {
        app.get_json(&admin.token, &format!("/portfolios/{portfolio}/rollup"))
            .await;
        for path in [
            format!("/portfolios/{portfolio}"),
            format!("/portfolios/{portfolio}/children.csv"),
        ] {
            let response = app.client.get(app.url(&path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
        }
    }
}

#[tokio::test]
async fn initiative_numbers_beyond_the_figures_are_refused_by_field_and_the_rest_roll_up() {
    let app = spawn_app().await;
    let admin = app.signup("Bounded").await;
    app.sign_in_page(&admin.email, &admin.password, "").await;
    let root = id_of(
        &app.create_portfolio(&admin.token, "Bounded", "portfolio", None)
            .await,
    );
    let line = id_of(
        &app.create_portfolio(&admin.token, "Line", "product_line", Some(&root))
            .await,
    );
    let mut rng = StdRng::seed_from_u64(14);
    let effort_edges = [
        EFFORT_MIN, EFFORT_MAX, 0.0, 0.009, 100_000.01, 1e29, 1e308, 5e-324,
    ];
    let whole_edges = [
        0,
        -1,
        BUDGET_MAX,
        BUDGET_MAX + 1,
        REACH_MAX,
        REACH_MAX + 1,
        i64::MAX,
    ];
    let mut taken = 0;
    for case in 0..60 {
        let (field, value, inside) = match case % 5 {
            0 => {
                let effort = any_magnitude(&mut rng, &effort_edges);
                (
                    "effort",
                    json!(effort),
                    (EFFORT_MIN..=EFFORT_MAX).contains(&effort),
                )
            }
            1 => {
                let budget = any_whole(&mut rng, &whole_edges);
                ("budget", json!(budget), (0..=BUDGET_MAX).contains(&budget))
            }
            2 => {
                let reach = any_whole(&mut rng, &whole_edges);
                ("reach", json!(reach), (0..=REACH_MAX).contains(&reach))
            }
            3 => {
                let progress = rng.gen_range(-5..=105);
                ("progress", json!(progress), (0..=100).contains(&progress))
            }
            _ => {
                let confidence = rng.gen_range(-5..=105);
                ("confidence", json!(confidence), (0..=100).contains(&confidence))
            }
        };
        let body = json!({"title": format!("Case {case}"), "portfolio_id": line, "status": "in_progress",
                          field: value});
        let response = app
            .send_json(Method::POST, &admin.token, "/initiatives", body, None)
            .await;
        if inside {
            let created = expect_status(response, StatusCode::CREATED).await;
            assert_eq!(
                created[field].as_f64(),
                value.as_f64(),
                "{field} = {value} is kept as sent"
            );
            taken += 1;
            figures_read(&app, &admin, &[&line, &root]).await;
        } else {
            expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
        }
    }
    let listed = app
        .get_json(
            &admin.token,
            &format!("/initiatives?portfolio_id={root}&limit=200"),
        )
        .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        taken,
        "a refused value created nothing"
    );

    // A PATCH is held to the same bounds, and a refused one changes nothing.
    let initiative = app.create_initiative(&admin.token, &line, json!({})).await;
    let path = format!("/initiatives/{}", id_of(&initiative));
    for (field, value) in [
        ("effort", json!(1e308)),
        ("budget", json!(BUDGET_MAX + 1)),
        ("reach", json!(-1)),
    ] {
        let response = app
            .send_json(Method::PATCH, &admin.token, &path, json!({field: value}), None)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let after = app.get_json(&admin.token, &path).await;
    assert_eq!(
        (after["version"].as_i64(), after["effort"].as_f64()),
        (initiative["version"].as_i64(), Some(1.0))
    );
    // Every initiative at its largest, and the figures above them still read.
    for _ in 0..3 {
        app.create_initiative(
            &admin.token,
            &line,
            json!({"effort": EFFORT_MAX, "budget": BUDGET_MAX, "reach": REACH_MAX, "status": "in_progress",
                   "progress": 99}),
        )
        .await;
    }
    figures_read(&app, &admin, &[&line, &root]).await;
}

#[tokio::test]
async fn key_result_values_and_periods_beyond_their_bounds_are_refused_by_field() {
    let app = spawn_app().await;
    let admin = app.signup("Measured").await;
    let root = id_of(
        &app.create_portfolio(&admin.token, "Measured", "portfolio", None)
            .await,
    );
    for period in ["0000", "0000-Q1", "0999-Q4"] {
        let response = app
            .send_json(
                Method::POST,
                &admin.token,
                "/objectives",
                json!({"title": "Ancient", "portfolio_id": root, "period": period}),
                None,
            )
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("period")).await;
    }
    let objective = app
        .post_json(
            &admin.token,
            "/objectives",
            json!({"title": "Grow", "portfolio_id": root, "period": "1000-Q1"}),
        )
        .await;
    assert_eq!(objective["period"], "1000-Q1");
    let key_results = format!("/objectives/{}/key-results", id_of(&objective));
    let mut rng = StdRng::seed_from_u64(5);
    for case in 0..30 {
        let field = ["start_value", "target_value", "current_value"][case % 3];
        let value = any_magnitude(&mut rng, &[1e12, -1e12, 1e12 + 1.0, 1e300]);
        let mut body = json!({"title": format!("KR {case}"), "start_value": 0, "target_value": 10});
        body[field] = json!(value);
        let response = app
            .send_json(Method::POST, &admin.token, &key_results, body, None)
            .await;
        if value.abs() <= 1e12 {
            expect_status(response, StatusCode::CREATED).await;
            app.get_json(&admin.token, &format!("/portfolios/{root}/rollup?period=1000-Q1"))
                .await;
        } else {
            expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
        }
    }
}

/// A sign-in email that PostgreSQL text cannot hold is an email no account has.
#[tokio::test]
async fn a_sign_in_email_with_nul_matches_no_account() {
    let app = spawn_app().await;
    let admin = app.signup("Nul").await;
    let page = app.sign_in_page("a\0@x", &admin.password, "").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    let token = app
        .client
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"email": format!("{}\0", admin.email), "password": admin.password}))
        .send()
        .await
        .unwrap();
    expect_problem(token, StatusCode::UNAUTHORIZED, None).await;
    let value: Value = app.get_json(&admin.token, "/me").await;
    assert_eq!(value["role"], "admin");
}

/// Health thresholds are percentages in tenths: one too small to carry (the fuzzer's 5e-324) is
/// refused on its field, and the organization's roll-ups still read.
#[tokio::test]
async fn health_thresholds_too_fine_to_carry_are_refused_by_field() {
    let app = spawn_app().await;
    let admin = app.signup("Thresholds").await;
    let root = id_of(
        &app.create_portfolio(&admin.token, "Thresholds", "portfolio", None)
            .await,
    );
    for (field, value) in [
        ("at_risk_threshold", json!(5e-324)),
        ("off_track_threshold", json!(0.05)),
        ("at_risk_threshold", json!(12.25)),
    ] {
        let response = app
            .send_json(
                Method::PATCH,
                &admin.token,
                "/organization",
                json!({field: value}),
                None,
            )
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let taken = app
        .send_json(
            Method::PATCH,
            &admin.token,
            "/organization",
            json!({"at_risk_threshold": 12.5}),
            None,
        )
        .await;
    expect_status(taken, StatusCode::OK).await;
    app.get_json(&admin.token, &format!("/portfolios/{root}/rollup"))
        .await;
}
