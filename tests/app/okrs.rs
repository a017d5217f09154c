//! OKRs through the API (SPEC §2, §3, §6): key result and objective progress, OKR progress rolled
//! up by subtree and period, check-ins, links to initiatives, and the tenant and permission rules.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, expect_status, id_of, spawn_app};
use crate::rollups::{Org, build};
use cairn::domain::Role;

async fn objective(app: &TestApp, token: &str, portfolio: &str, period: &str, title: &str) -> String {
    id_of(
        &app.post_json(
            token,
            "/objectives",
            json!({"title": title, "portfolio_id": portfolio, "period": period}),
        )
        .await,
    )
}

/// Adds a key result (titled "A key result" unless `fields` say otherwise).
pub(crate) async fn key_result(app: &TestApp, token: &str, objective: &str, fields: Value) -> Value {
    let mut body = json!({"title": "A key result"});
    body.as_object_mut()
        .unwrap()
        .extend(fields.as_object().cloned().unwrap_or_default());
    app.post_json(token, &format!("/objectives/{objective}/key-results"), body)
        .await
}

async fn okr_progress(app: &TestApp, org: &Org, portfolio: &str, period: &str) -> Value {
    app.get_json(
        &org.account.token,
        &format!("/portfolios/{portfolio}/rollup?period={period}"),
    )
    .await
}

#[tokio::test]
async fn key_result_and_objective_progress_follow_the_spec() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let o = objective(&app, t, &org.payments, "2026-Q4", "Checkout converts").await;
    let empty = app.get_json(t, &format!("/objectives/{o}")).await;
    assert_eq!(empty["progress"], Value::Null, "no key results: null");
    assert_eq!(empty["period"], "2026-Q4");

    let increase = key_result(
        &app,
        t,
        &o,
        json!({"start_value": 0, "target_value": 100, "current_value": 50, "unit": "%"}),
    )
    .await;
    assert_eq!(increase["progress"], 50.0);
    assert_eq!(increase["current_value"], 50.0);
    // A decrease, weighted 3: churn from 8 down to 4, now 6: halfway.
    let decrease = key_result(
        &app,
        t,
        &o,
        json!({"start_value": 8, "target_value": 4, "current_value": 6, "weight": 3}),
    )
    .await;
    assert_eq!(decrease["progress"], 50.0);
    assert_eq!(decrease["weight"], 3.0);
    // (1·0.5 + 3·0.5) / 4
    let got = app.get_json(t, &format!("/objectives/{o}")).await;
    assert_eq!(got["progress"], 50.0);
    assert_eq!(got["key_results"].as_array().unwrap().len(), 2);

    // Past the target clamps at 100 %: (1·1 + 3·0.5) / 4 = 62.5.
    let kr = id_of(&increase);
    let patched = app
        .patch_json(t, &format!("/key-results/{kr}"), json!({"current_value": 150}))
        .await;
    assert_eq!(patched["progress"], 100.0);
    assert_eq!(
        app.get_json(t, &format!("/objectives/{o}")).await["progress"],
        62.5
    );

    // Target equal to start: reached or not.
    let flat = key_result(
        &app,
        t,
        &o,
        json!({"start_value": 5, "target_value": 5, "current_value": 4}),
    )
    .await;
    assert_eq!(flat["progress"], 0.0);
    // (1·1 + 3·0.5 + 1·0) / 5 = 50.0
    assert_eq!(
        app.get_json(t, &format!("/objectives/{o}")).await["progress"],
        50.0
    );
    let reached = app
        .patch_json(
            t,
            &format!("/key-results/{}", id_of(&flat)),
            json!({"current_value": 5}),
        )
        .await;
    assert_eq!(reached["progress"], 100.0);

    // Deleting a key result re-weighs the rest: (1·1 + 3·0.5) / 4 = 62.5.
    let deleted = app
        .api(Method::DELETE, t, &format!("/key-results/{}", id_of(&flat)))
        .send()
        .await
        .unwrap();
    expect_status(deleted, StatusCode::NO_CONTENT).await;
    assert_eq!(
        app.get_json(t, &format!("/objectives/{o}")).await["progress"],
        62.5
    );
}

#[tokio::test]
async fn okr_progress_rolls_up_by_subtree_and_period() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let half = json!({"start_value": 0, "target_value": 10, "current_value": 5});
    let done = json!({"start_value": 0, "target_value": 10, "current_value": 10});
    let none = json!({"start_value": 0, "target_value": 10});
    let payments = objective(&app, t, &org.payments, "2026-Q4", "Payments").await;
    key_result(&app, t, &payments, half.clone()).await;
    let checkout = objective(&app, t, &org.checkout, "2026-Q4", "Checkout").await;
    key_result(&app, t, &checkout, done.clone()).await;
    let platform = objective(&app, t, &org.platform, "2026-Q4", "Platform").await;
    key_result(&app, t, &platform, none).await;
    // Left out: no key results, and another period.
    objective(&app, t, &org.commerce, "2026-Q4", "Nothing measured").await;
    let next = objective(&app, t, &org.payments, "2027-Q1", "Next quarter").await;
    key_result(&app, t, &next, done).await;

    let root = okr_progress(&app, &org, &org.root, "2026-Q4").await;
    assert_eq!(root["totals"]["okr_progress"], 50.0, "mean of 50, 100 and 0");
    let child = |rollup: &Value, id: &str| {
        rollup["children"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["portfolio"]["id"] == id)
            .unwrap()["okr_progress"]
            .clone()
    };
    assert_eq!(child(&root, &org.commerce), 75.0);
    assert_eq!(child(&root, &org.platform), 0.0);
    let payments_next = okr_progress(&app, &org, &org.payments, "2027-Q1").await;
    assert_eq!(payments_next["totals"]["okr_progress"], 100.0);
    let empty_period = okr_progress(&app, &org, &org.root, "2025").await;
    assert_eq!(empty_period["totals"]["okr_progress"], Value::Null);

    // The default period is the organization's current fiscal quarter.
    let current = cairn::domain::period::Period::current_quarter(chrono::Utc::now().date_naive(), 1);
    let explicit = okr_progress(&app, &org, &org.root, &current.to_string()).await;
    let default = app.get_json(t, &format!("/portfolios/{}/rollup", org.root)).await;
    assert_eq!(
        default["totals"]["okr_progress"],
        explicit["totals"]["okr_progress"]
    );

    // A check-in is visible at every level in the next request.
    let kr = id_of(&app.get_json(t, &format!("/objectives/{payments}")).await["key_results"][0]);
    app.patch_json(t, &format!("/key-results/{kr}"), json!({"current_value": 10}))
        .await;
    let root = okr_progress(&app, &org, &org.root, "2026-Q4").await;
    assert_eq!(root["totals"]["okr_progress"], 66.7, "mean of 100, 100 and 0");
    assert_eq!(child(&root, &org.commerce), 100.0);

    // Moving an objective moves its progress between subtrees.
    app.patch_json(
        t,
        &format!("/objectives/{platform}"),
        json!({"portfolio_id": org.checkout}),
    )
    .await;
    let root = okr_progress(&app, &org, &org.root, "2026-Q4").await;
    assert_eq!(child(&root, &org.commerce), 66.7);
    assert_eq!(child(&root, &org.platform), Value::Null);
    assert_maintained_okr_totals_match(&app).await;

    // Moving a whole portfolio moves its objectives' progress with it: Payments under Platform.
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.payments),
        json!({"parent_id": org.platform}),
    )
    .await;
    let root = okr_progress(&app, &org, &org.root, "2026-Q4").await;
    assert_eq!(
        child(&root, &org.platform),
        100.0,
        "Payments' objective came along"
    );
    assert_eq!(
        child(&root, &org.commerce),
        50.0,
        "Checkout's 100 and the moved-in 0"
    );
    assert_maintained_okr_totals_match(&app).await;

    // Deleting an objective takes it out of every figure.
    let deleted = app
        .api(Method::DELETE, t, &format!("/objectives/{platform}"))
        .send()
        .await
        .unwrap();
    expect_status(deleted, StatusCode::NO_CONTENT).await;
    let root = okr_progress(&app, &org, &org.root, "2026-Q4").await;
    assert_eq!(root["totals"]["okr_progress"], 100.0);
    assert_maintained_okr_totals_match(&app).await;
}

/// The OKR sums kept per subtree and period equal a from-scratch computation over the closure.
async fn assert_maintained_okr_totals_match(app: &TestApp) {
    let mismatches: Vec<(String, String)> = sqlx::query_as(
        "WITH scratch AS (
             SELECT c.org_id, c.ancestor_id AS portfolio_id, o.period, count(*) AS objectives,
                    sum(o.progress) AS progress
             FROM portfolio_closure c
             JOIN objectives o ON o.org_id = c.org_id AND o.portfolio_id = c.descendant_id
             WHERE o.progress IS NOT NULL
             GROUP BY 1, 2, 3
         ), kept AS (SELECT * FROM portfolio_okr_totals WHERE objectives <> 0)
         SELECT coalesce(k.portfolio_id, s.portfolio_id)::text, coalesce(k.period, s.period)
         FROM kept k FULL JOIN scratch s USING (org_id, portfolio_id, period)
         WHERE (k.objectives, k.progress) IS DISTINCT FROM (s.objectives, s.progress)",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        mismatches.is_empty(),
        "maintained OKR totals differ: {mismatches:?}"
    );
}

#[tokio::test]
async fn check_ins_keep_every_new_value_with_its_note_and_author() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let o = objective(&app, t, &org.payments, "2026-Q4", "Faster payouts").await;
    let kr = key_result(
        &app,
        t,
        &o,
        json!({"start_value": 10, "target_value": 2, "unit": "days"}),
    )
    .await;
    assert_eq!(
        kr["current_value"], 10.0,
        "a new key result starts at its start value"
    );
    let path = format!("/key-results/{}", id_of(&kr));
    let response = app
        .send_json(
            Method::PATCH,
            t,
            &path,
            json!({"current_value": 7, "note": "New payout provider live"}),
            Some("\"1\""),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
    // A title change alone records nothing.
    app.patch_json(t, &path, json!({"title": "Payout time"})).await;
    app.patch_json(t, &path, json!({"current_value": 5.5})).await;
    // A stale If-Match changes nothing.
    let stale = app
        .send_json(
            Method::PATCH,
            t,
            &path,
            json!({"current_value": 2}),
            Some("\"1\""),
        )
        .await;
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, None).await;
    let current = app.get_json(t, &path).await;
    assert_eq!(current["current_value"], 5.5);
    assert_eq!(current["progress"], 56.3, "(10 − 5.5) / 8 = 56.25 %");

    let check_ins = app.get_json(t, &format!("{path}/check-ins")).await;
    let items = check_ins["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{check_ins}");
    assert_eq!(items[0]["value"], 5.5, "newest first");
    assert_eq!(items[0]["previous_value"], 7.0);
    assert_eq!(items[1]["value"], 7.0);
    assert_eq!(items[1]["previous_value"], 10.0);
    assert_eq!(items[1]["note"], "New payout provider live");
    assert_eq!(items[1]["author"]["id"], org.account.user_id.to_string());
    assert_eq!(items[1]["author"]["name"], "Ada Admin");
}

#[tokio::test]
async fn initiatives_link_to_key_results_and_objectives_list_them() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let o = objective(&app, t, &org.payments, "2026-Q4", "Conversion").await;
    let kr = id_of(&key_result(&app, t, &o, json!({"start_value": 0, "target_value": 1})).await);
    let link = format!("/initiatives/{}/key-results/{kr}", org.a);
    for _ in 0..2 {
        let put = app.api(Method::PUT, t, &link).send().await.unwrap();
        expect_status(put, StatusCode::NO_CONTENT).await;
    }
    let listed = app.get_json(t, &format!("/key-results/{kr}")).await;
    assert_eq!(
        listed["initiative_ids"],
        json!([org.a]),
        "linking twice links once"
    );

    // Someone who may not update the initiative cannot link it; a viewer neither.
    let member = app.add_member(&org.account, Role::Member).await;
    let viewer = app.add_member(&org.account, Role::Viewer).await;
    for token in [&member.token, &viewer.token] {
        let refused = app.api(Method::PUT, token, &link).send().await.unwrap();
        expect_problem(refused, StatusCode::FORBIDDEN, None).await;
    }
    // Another organization's key result is not found, whatever the caller's role.
    let other = app.signup("Other Co").await;
    let foreign_root = id_of(
        &app.create_portfolio(&other.token, "Other", "portfolio", None)
            .await,
    );
    let foreign_o = objective(&app, &other.token, &foreign_root, "2026-Q4", "Theirs").await;
    let foreign_kr = id_of(
        &key_result(
            &app,
            &other.token,
            &foreign_o,
            json!({"start_value": 0, "target_value": 1}),
        )
        .await,
    );
    let cross = app
        .api(
            Method::PUT,
            t,
            &format!("/initiatives/{}/key-results/{foreign_kr}", org.a),
        )
        .send()
        .await
        .unwrap();
    expect_problem(cross, StatusCode::NOT_FOUND, None).await;
    let cross = app.api(Method::PUT, &other.token, &link).send().await.unwrap();
    expect_problem(cross, StatusCode::NOT_FOUND, None).await;

    let unlink = app.api(Method::DELETE, t, &link).send().await.unwrap();
    expect_status(unlink, StatusCode::NO_CONTENT).await;
    let listed = app.get_json(t, &format!("/key-results/{kr}")).await;
    assert_eq!(listed["initiative_ids"], json!([]));
}

#[tokio::test]
async fn objectives_are_checked_scoped_and_guarded() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let send = async |token: &str, method: Method, path: &str, body: Value| {
        app.send_json(method, token, path, body, None).await
    };

    // Every bad field is named.
    let bad = send(
        t,
        Method::POST,
        "/objectives",
        json!({"title": "", "portfolio_id": org.payments, "period": "2026-Q5"}),
    )
    .await;
    let body = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("period")).await;
    assert!(body["errors"]["title"].is_array());
    let other = app.signup("Other Co").await;
    let foreign_root = id_of(
        &app.create_portfolio(&other.token, "Other", "portfolio", None)
            .await,
    );
    let foreign = send(
        t,
        Method::POST,
        "/objectives",
        json!({"title": "x", "portfolio_id": foreign_root, "period": "2026"}),
    )
    .await;
    expect_problem(foreign, StatusCode::UNPROCESSABLE_ENTITY, Some("portfolio_id")).await;

    // Alignment: a parent from the organization, never in a circle.
    let company = objective(&app, t, &org.root, "2026", "Be the default checkout").await;
    let team = id_of(
        &app.post_json(
            t,
            "/objectives",
            json!({"title": "Conversion", "portfolio_id": org.payments, "period": "2026-Q4", "parent_id": company}),
        )
        .await,
    );
    let cycle = send(
        t,
        Method::PATCH,
        &format!("/objectives/{company}"),
        json!({"parent_id": team}),
    )
    .await;
    expect_problem(cycle, StatusCode::UNPROCESSABLE_ENTITY, Some("parent_id")).await;
    let bad_kr = send(
        t,
        Method::POST,
        &format!("/objectives/{team}/key-results"),
        json!({"title": "x", "start_value": 0, "weight": -1}),
    )
    .await;
    let body = expect_problem(bad_kr, StatusCode::UNPROCESSABLE_ENTITY, Some("weight")).await;
    assert!(body["errors"]["target_value"].is_array());

    // Lists filter by period and by the portfolio's whole subtree.
    let listed = app
        .get_json(
            t,
            &format!("/objectives?period=2026-Q4&portfolio_id={}", org.commerce),
        )
        .await;
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![team.as_str()]);
    assert_eq!(listed["next_cursor"], Value::Null);
    let all = app.get_json(t, "/objectives").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);

    // Tenancy: another organization sees nothing and changes nothing.
    for (method, path) in [
        (Method::GET, format!("/objectives/{team}")),
        (Method::PATCH, format!("/objectives/{team}")),
        (Method::DELETE, format!("/objectives/{team}")),
        (Method::POST, format!("/objectives/{team}/key-results")),
    ] {
        let response = send(
            &other.token,
            method,
            &path,
            json!({"title": "Mine now", "start_value": 0, "target_value": 1}),
        )
        .await;
        expect_problem(response, StatusCode::NOT_FOUND, None).await;
    }
    let theirs = app.get_json(&other.token, "/objectives").await;
    assert_eq!(theirs["items"], json!([]));

    // Viewers read but do not write; a member edits what they own.
    let viewer = app.add_member(&org.account, Role::Viewer).await;
    app.get_json(&viewer.token, &format!("/objectives/{team}")).await;
    let refused = send(
        &viewer.token,
        Method::PATCH,
        &format!("/objectives/{team}"),
        json!({"title": "No"}),
    )
    .await;
    expect_problem(refused, StatusCode::FORBIDDEN, None).await;
    let member = app.add_member(&org.account, Role::Member).await;
    let refused = send(
        &member.token,
        Method::POST,
        &format!("/objectives/{team}/key-results"),
        json!({"title": "x", "start_value": 0, "target_value": 1}),
    )
    .await;
    expect_problem(refused, StatusCode::FORBIDDEN, None).await;
    app.patch_json(
        t,
        &format!("/objectives/{team}"),
        json!({"owner_id": member.user_id}),
    )
    .await;
    let own = key_result(
        &app,
        &member.token,
        &team,
        json!({"start_value": 0, "target_value": 1}),
    )
    .await;
    app.patch_json(
        &member.token,
        &format!("/key-results/{}", id_of(&own)),
        json!({"current_value": 1}),
    )
    .await;
    let unchanged = app.get_json(t, &format!("/objectives/{team}")).await;
    assert_eq!(unchanged["title"], "Conversion");
    assert_eq!(unchanged["progress"], 100.0);

    // A stale If-Match is refused; a portfolio with objectives is not empty.
    let stale = app
        .send_json(
            Method::PATCH,
            t,
            &format!("/objectives/{team}"),
            json!({"title": "Late"}),
            Some("\"1\""),
        )
        .await;
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, None).await;
    let payments_area = app.get_json(t, &format!("/portfolios/{}", org.payments)).await;
    assert_eq!(payments_area["name"], "Payments");
    let empty_area = id_of(
        &app.create_portfolio(t, "Empty", "area", Some(&org.checkout))
            .await,
    );
    objective(&app, t, &empty_area, "2026-Q4", "Holds it").await;
    let not_empty = send(t, Method::DELETE, &format!("/portfolios/{empty_area}"), json!({})).await;
    expect_problem(not_empty, StatusCode::CONFLICT, None).await;
}

#[tokio::test]
async fn a_portfolio_owner_sets_objectives_in_their_subtree_only() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let director = app.add_member(&org.account, Role::Member).await;
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.checkout),
        json!({"owner_id": director.user_id}),
    )
    .await;
    // Checkout's subtree (Payments below it) is theirs; Platform is not.
    let own = objective(
        &app,
        &director.token,
        &org.payments,
        "2026-Q4",
        "Payments for all",
    )
    .await;
    key_result(
        &app,
        &director.token,
        &own,
        json!({"start_value": 0, "target_value": 3}),
    )
    .await;
    let elsewhere = app
        .send_json(
            Method::POST,
            &director.token,
            "/objectives",
            json!({"title": "Not mine", "portfolio_id": org.platform, "period": "2026-Q4"}),
            None,
        )
        .await;
    expect_problem(elsewhere, StatusCode::FORBIDDEN, None).await;
    // Nor may they move their objective out of their subtree.
    let moved = app
        .send_json(
            Method::PATCH,
            &director.token,
            &format!("/objectives/{own}"),
            json!({"portfolio_id": org.platform}),
            None,
        )
        .await;
    expect_problem(moved, StatusCode::FORBIDDEN, None).await;
    let unchanged = app.get_json(t, &format!("/objectives/{own}")).await;
    assert_eq!(unchanged["portfolio_id"], org.payments.as_str());
    let deleted = app
        .api(Method::DELETE, &director.token, &format!("/objectives/{own}"))
        .send()
        .await
        .unwrap();
    expect_status(deleted, StatusCode::NO_CONTENT).await;
    let gone = app
        .api(Method::GET, t, &format!("/objectives/{own}"))
        .send()
        .await
        .unwrap();
    expect_problem(gone, StatusCode::NOT_FOUND, None).await;
}
