//! Scenarios (SPEC §9) through the API: figures worked out by hand, the oracle (a scenario's
//! figures equal the live figures after applying it for real, at every level), apply with its
//! conflicts, its single transaction and its single effect, and who may do what.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, expect_problem, expect_status, id_of, spawn_app};
use cairn::domain::Role;

/// Root → Alpha and Beta, two themes, four initiatives and capacity in 2030-Q1 (far enough ahead
/// that nothing but the one late initiative is ever late).
pub struct Org {
    pub account: Account,
    pub root: String,
    pub alpha: String,
    pub beta: String,
    pub core: String,
    /// In progress in Alpha: 10 pw at 50 %, Growth, all of 2030-Q1.
    pub x: Value,
    /// Planned in Alpha: 6 pw, Core, February 2030.
    pub y: Value,
}

pub async fn build(app: &TestApp) -> Org {
    let account = app.signup("Scenario Co").await;
    let t = &account.token;
    let root = id_of(&app.create_portfolio(t, "Scenario Co", "portfolio", None).await);
    let alpha = id_of(
        &app.create_portfolio(t, "Alpha", "product_line", Some(&root))
            .await,
    );
    let beta = id_of(&app.create_portfolio(t, "Beta", "product_line", Some(&root)).await);
    let growth = id_of(
        &app.post_json(t, "/themes", json!({"name": "Growth", "target_share": 60}))
            .await,
    );
    let core = id_of(
        &app.post_json(t, "/themes", json!({"name": "Core", "target_share": 40}))
            .await,
    );
    let x = app
        .create_initiative(
            t,
            &alpha,
            json!({"title": "X", "status": "in_progress", "effort": 10, "progress": 50, "theme_id": growth,
                   "start_date": "2030-01-01", "target_date": "2030-03-31"}),
        )
        .await;
    let y = app
        .create_initiative(
            t,
            &alpha,
            json!({"title": "Y", "status": "planned", "effort": 6, "theme_id": core,
                   "start_date": "2030-02-01", "target_date": "2030-02-28"}),
        )
        .await;
    app.create_initiative(
        t,
        &beta,
        json!({"title": "Z", "status": "planned", "effort": 4, "theme_id": growth,
               "start_date": "2030-01-01", "target_date": "2030-03-31"}),
    )
    .await;
    app.create_initiative(
        t,
        &beta,
        json!({"title": "Late", "status": "in_progress", "effort": 2,
               "start_date": "2020-01-01", "target_date": "2020-06-30"}),
    )
    .await;
    for (portfolio, pw) in [(&alpha, 12.0), (&beta, 5.0)] {
        put(
            app,
            t,
            &format!("/portfolios/{portfolio}/capacity/2030-Q1"),
            json!({"person_weeks": pw}),
        )
        .await;
    }
    Org {
        account,
        root,
        alpha,
        beta,
        core,
        x,
        y,
    }
}

pub async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    expect_status(
        app.send_json(Method::PUT, token, path, body, None).await,
        StatusCode::OK,
    )
    .await
}

async fn apply(app: &TestApp, token: &str, scenario: &str, changes: Value) -> Value {
    let response = app
        .send_json(
            Method::POST,
            token,
            &format!("/scenarios/{scenario}/apply"),
            json!({"changes": changes}),
            None,
        )
        .await;
    expect_status(response, StatusCode::OK).await
}

/// "Cut legacy": Y cancelled, X delayed to the end of May, a hypothetical 3 pw in Beta in
/// February, and Beta's 2030-Q1 capacity raised from 5 to 8.
pub async fn cut_legacy(app: &TestApp, org: &Org) -> String {
    let t = &org.account.token;
    let scenario = id_of(
        &app.post_json(
            t,
            "/scenarios",
            json!({"name": "Cut legacy", "portfolio_id": org.root}),
        )
        .await,
    );
    let s = &scenario;
    put(
        app,
        t,
        &format!("/scenarios/{s}/changes/{}", id_of(&org.y)),
        json!({"status": "cancelled"}),
    )
    .await;
    put(
        app,
        t,
        &format!("/scenarios/{s}/changes/{}", id_of(&org.x)),
        json!({"target_date": "2030-05-31"}),
    )
    .await;
    app.post_json(
        t,
        &format!("/scenarios/{s}/initiatives"),
        json!({"title": "H", "portfolio_id": org.beta, "status": "planned", "effort": 3, "theme_id": org.core,
               "start_date": "2030-02-01", "target_date": "2030-02-28"}),
    )
    .await;
    put(
        app,
        t,
        &format!("/scenarios/{s}/capacity/{}/2030-Q1", org.beta),
        json!({"person_weeks": 8}),
    )
    .await;
    scenario
}

fn child<'a>(answer: &'a Value, id: &str) -> &'a Value {
    answer["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["portfolio"]["id"] == id)
        .unwrap()
}

fn shares(rollup: &Value) -> Vec<(String, Value)> {
    rollup["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t["share"].clone()))
        .collect()
}

#[tokio::test]
async fn a_scenarios_figures_are_the_live_ones_with_its_changes_worked_out_by_hand() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let scenario = cut_legacy(&app, &org).await;

    let live = app.get_json(t, &format!("/portfolios/{}/rollup", org.root)).await;
    // Live: 22 pw, 10 × 50 % of it done → 22.7 %; one late.
    assert_eq!(live["totals"]["effort"], 22.0);
    assert_eq!(live["totals"]["progress"], 22.7);
    assert_eq!(live["totals"]["late"], 1);

    let rollup = app.get_json(t, &format!("/scenarios/{scenario}/rollup")).await;
    let totals = &rollup["totals"];
    // Y cancelled (still counted), H added: 5 initiatives, 19 pw over A, 500 / 19 = 26.3 %.
    assert_eq!(totals["counts"]["total"], 5);
    assert_eq!(totals["counts"]["by_status"]["cancelled"], 1);
    assert_eq!(totals["counts"]["by_status"]["planned"], 2);
    assert_eq!(totals["counts"]["by_health"]["on_track"], 4);
    assert_eq!(totals["effort"], 19.0);
    assert_eq!(totals["progress"], 26.3);
    assert_eq!(totals["late"], 1);
    // Growth 14 / 19, Core 3 / 19, unthemed 2 / 19.
    assert_eq!(
        shares(&rollup),
        [
            ("Core".to_owned(), json!(15.8)),
            ("Growth".to_owned(), json!(73.7)),
            ("Unassigned".to_owned(), json!(10.5))
        ]
    );
    assert_eq!(rollup["initiatives"], json!([]));
    let alpha = child(&rollup, &org.alpha);
    assert_eq!(
        (alpha["counts"]["total"].clone(), alpha["effort"].clone()),
        (json!(2), json!(10.0))
    );
    assert_eq!(alpha["progress"], 50.0);
    let beta = child(&rollup, &org.beta);
    assert_eq!(
        (beta["counts"]["total"].clone(), beta["effort"].clone()),
        (json!(3), json!(9.0))
    );

    // Capacity: X's 10 pw now run over 151 days, 90 of them in Q1 (5.960…) and 61 in Q2 (4.039…);
    // Q1 demand 5.960… + 4 + 3 = 12.96 of 12 + 8.
    let capacity = app
        .get_json(
            t,
            &format!("/scenarios/{scenario}/capacity?from=2030-Q1&quarters=2"),
        )
        .await;
    assert_eq!(
        capacity["quarters"],
        json!([
            {"period": "2030-Q1", "capacity": 20.0, "demand": 13.0, "proposed": 0.0, "free": 7.0, "utilisation": 64.8},
            {"period": "2030-Q2", "capacity": 0.0, "demand": 4.0, "proposed": 0.0, "free": -4.0, "utilisation": null}
        ])
    );
    let alpha = child(&capacity, &org.alpha);
    assert_eq!(
        alpha["quarters"][0],
        json!({"period": "2030-Q1", "capacity": 12.0, "demand": 6.0, "proposed": 0.0, "free": 6.0, "utilisation": 49.7})
    );
    // The unscheduled figure is the live one: no change touches work without dates.
    assert_eq!(capacity["unscheduled"], 0.0);

    // A portfolio inside the scenario's subtree has its own scenario figures.
    let beta = app
        .get_json(
            t,
            &format!("/scenarios/{scenario}/rollup?portfolio_id={}", org.beta),
        )
        .await;
    assert_eq!(beta["portfolio"]["id"], org.beta.as_str());
    assert_eq!(beta["totals"]["counts"]["total"], 3);
    assert_eq!(beta["totals"]["late"], 1);

    // The live plan is untouched.
    let after = app.get_json(t, &format!("/portfolios/{}/rollup", org.root)).await;
    assert_eq!(after["totals"], live["totals"]);
    let live_capacity = app
        .get_json(
            t,
            &format!("/portfolios/{}/capacity?from=2030-Q1&quarters=1", org.root),
        )
        .await;
    assert_eq!(live_capacity["quarters"][0]["demand"], 20.0);
    assert_eq!(live_capacity["quarters"][0]["capacity"], 17.0);
}

#[tokio::test]
async fn compare_shows_both_plans_and_their_differences() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let scenario = cut_legacy(&app, &org).await;
    let compare = app
        .get_json(t, &format!("/scenarios/compare?a=live&b={scenario}"))
        .await;
    assert_eq!(compare["portfolio"]["id"], org.root.as_str());
    assert_eq!(compare["a"]["name"], "Live plan");
    assert_eq!(compare["b"]["name"], "Cut legacy");
    assert_eq!(compare["a"]["totals"]["effort"], 22.0);
    assert_eq!(compare["b"]["totals"]["effort"], 19.0);
    let totals = &compare["differences"]["totals"];
    assert_eq!(totals["total"], 1);
    assert_eq!(totals["effort"], -3.0);
    // 26.3 − 22.7 points.
    assert_eq!(totals["progress"], 3.6);
    assert_eq!(totals["late"], 0);
    let alpha = compare["differences"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["portfolio_id"] == org.alpha.as_str())
        .unwrap();
    assert_eq!(alpha["effort"], -6.0);
    let themes: Vec<(String, Value)> = compare["differences"]["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t["difference"].clone()))
        .collect();
    // Growth 63.6 → 73.7, Core 27.3 → 15.8, Unassigned 9.1 → 10.5.
    assert_eq!(
        themes,
        [
            ("Core".to_owned(), json!(-11.5)),
            ("Growth".to_owned(), json!(10.1)),
            ("Unassigned".to_owned(), json!(1.4))
        ]
    );
    // The compare reads the next four quarters from today; capacity and demand differ in none of
    // them unless 2030 is near, so only its shape is checked here.
    assert_eq!(compare["differences"]["capacity"].as_array().unwrap().len(), 4);
    // The changes, with who made them.
    let changes = compare["b"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert!(
        changes
            .iter()
            .all(|c| c["made_by"]["id"] == org.account.user_id.to_string())
    );
    let y = changes.iter().find(|c| c["title"] == "Y").unwrap();
    assert_eq!(
        y["fields"],
        json!([{"field": "status", "live": "planned", "scenario": "cancelled"}])
    );
    assert_eq!(compare["b"]["initiatives"][0]["title"], "H");
    assert_eq!(
        (
            compare["b"]["capacity_changes"][0]["period"].clone(),
            compare["b"]["capacity_changes"][0]["live_person_weeks"].clone(),
            compare["b"]["capacity_changes"][0]["person_weeks"].clone()
        ),
        (json!("2030-Q1"), json!(5.0), json!(8.0))
    );
    assert_eq!(compare["a"]["capacity_changes"], json!([]));
    assert_eq!(compare["a"]["changes"], json!([]));

    // Two scenarios side by side, for a portfolio inside both.
    let copy = id_of(
        &app.post_json(t, &format!("/scenarios/{scenario}/copy"), json!({}))
            .await,
    );
    let copied = app.get_json(t, &format!("/scenarios/{copy}")).await;
    assert_eq!(copied["name"], "Cut legacy (copy)");
    assert_eq!(copied["changes"].as_array().unwrap().len(), 2);
    let same = app
        .get_json(
            t,
            &format!(
                "/scenarios/compare?a={scenario}&b={copy}&portfolio_id={}",
                org.alpha
            ),
        )
        .await;
    assert_eq!(same["portfolio"]["id"], org.alpha.as_str());
    assert_eq!(same["differences"]["totals"]["total"], 0);
    assert_eq!(same["a"]["totals"], same["b"]["totals"]);

    let refused = app
        .api(Method::GET, t, "/scenarios/compare?a=live&b=tomorrow")
        .send()
        .await
        .unwrap();
    expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some("b")).await;
    let refused = app
        .api(Method::GET, t, "/scenarios/compare?a=live&b=live")
        .send()
        .await
        .unwrap();
    expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some("portfolio_id")).await;
}

#[tokio::test]
async fn apply_holds_back_what_changed_since_and_writes_history() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let scenario = cut_legacy(&app, &org).await;
    let (x, y) = (id_of(&org.x), id_of(&org.y));
    // Someone edits X live after the scenario's change to it was made.
    app.patch_json(t, &format!("/initiatives/{x}"), json!({"title": "X, renamed"}))
        .await;

    let before = app.get_json(t, &format!("/portfolios/{}/rollup", org.root)).await;
    let answer = apply(&app, t, &scenario, json!("all")).await;
    // The baseline taken first holds the plan as it was before anything was applied.
    let baseline = app
        .get_json(
            t,
            &format!("/baselines/{}", answer["baseline_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(baseline["name"], "Before applying Cut legacy");
    assert_eq!(baseline["portfolio_id"], org.root.as_str());
    assert_eq!(baseline["initiatives"], 4);
    assert_eq!(baseline["figures"]["totals"], before["totals"]);
    assert_eq!(baseline["figures"]["children"], before["children"]);
    let frozen_y: String = sqlx::query_scalar(
        "SELECT status FROM baseline_initiatives WHERE baseline_id = $1 AND initiative_id = $2::uuid",
    )
    .bind(
        answer["baseline_id"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .unwrap(),
    )
    .bind(&y)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(frozen_y, "planned");
    let applied: Vec<(String, String)> = answer["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        applied,
        [
            ("change".to_owned(), "Y".to_owned()),
            ("initiative".to_owned(), "H".to_owned()),
            ("capacity".to_owned(), "Beta".to_owned())
        ]
    );
    assert_eq!(
        answer["conflicts"],
        json!([{"initiative_id": x, "key": org.x["key"], "title": "X, renamed", "kept_version": 1, "current_version": 2}])
    );
    // The applied change is real and its history says where it came from.
    let y_now = app.get_json(t, &format!("/initiatives/{y}")).await;
    assert_eq!(y_now["status"], "cancelled");
    let history = app.get_json(t, &format!("/initiatives/{y}/updates")).await;
    assert_eq!(history["items"][0]["note"], "Applied from scenario Cut legacy");
    assert_eq!(history["items"][0]["previous"]["status"], "planned");
    // X kept its live target; its change stays in the scenario, marked stale, to be redone.
    let x_now = app.get_json(t, &format!("/initiatives/{x}")).await;
    assert_eq!(x_now["target_date"], "2030-03-31");
    let left = app.get_json(t, &format!("/scenarios/{scenario}")).await;
    assert_eq!(left["changes"].as_array().unwrap().len(), 1);
    assert_eq!(left["changes"][0]["initiative_id"], x.as_str());
    assert_eq!(left["initiatives"], json!([]));
    assert_eq!(left["capacity"], json!([]));
    let beta = app
        .get_json(
            t,
            &format!("/portfolios/{}/capacity?from=2030-Q1&quarters=1", org.beta),
        )
        .await;
    assert_eq!(beta["quarters"][0]["capacity"], 8.0);

    // Redone over what is live now, it applies.
    put(
        &app,
        t,
        &format!("/scenarios/{scenario}/changes/{x}"),
        json!({"target_date": "2030-05-31"}),
    )
    .await;
    let answer = apply(&app, t, &scenario, json!([x])).await;
    assert_eq!(answer["applied"][0]["title"], "X, renamed");
    assert_eq!(answer["conflicts"], json!([]));
    let x_now = app.get_json(t, &format!("/initiatives/{x}")).await;
    assert_eq!(x_now["target_date"], "2030-05-31");
    // A date change alone writes no status update.
    let history = app.get_json(t, &format!("/initiatives/{x}/updates")).await;
    assert_eq!(history["items"], json!([]));
    // Nothing is left to apply.
    let again = app
        .send_json(
            Method::POST,
            t,
            &format!("/scenarios/{scenario}/apply"),
            json!({"changes": "all"}),
            None,
        )
        .await;
    expect_status(again, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn applying_one_scenario_twice_at_once_applies_it_once() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let y = id_of(&org.y);
    let scenario = id_of(
        &app.post_json(t, "/scenarios", json!({"name": "Race", "portfolio_id": org.root}))
            .await,
    );
    put(
        &app,
        t,
        &format!("/scenarios/{scenario}/changes/{y}"),
        json!({"status": "in_progress", "progress": 30}),
    )
    .await;
    let body = json!({"changes": "all"});
    let path = format!("/scenarios/{scenario}/apply");
    let (first, second) = tokio::join!(
        app.send_json(Method::POST, t, &path, body.clone(), None),
        app.send_json(Method::POST, t, &path, body.clone(), None)
    );
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let history = app.get_json(t, &format!("/initiatives/{y}/updates")).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
    assert_eq!(history["items"][0]["progress"], 30);
}

#[tokio::test]
async fn a_failure_in_the_middle_of_apply_leaves_nothing_applied() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let scenario = cut_legacy(&app, &org).await;
    // The database refuses the hypothetical initiative, created after Y's change was written.
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_h() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'refused for the test'; END $$;
         CREATE TRIGGER refuse_h BEFORE INSERT ON initiatives FOR EACH ROW WHEN (NEW.title = 'H')
             EXECUTE FUNCTION refuse_h();",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let failed = app
        .send_json(
            Method::POST,
            t,
            &format!("/scenarios/{scenario}/apply"),
            json!({"changes": "all"}),
            None,
        )
        .await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let y = app.get_json(t, &format!("/initiatives/{}", id_of(&org.y))).await;
    assert_eq!(
        (y["status"].clone(), y["version"].clone()),
        (json!("planned"), json!(1))
    );
    let history = app
        .get_json(t, &format!("/initiatives/{}/updates", id_of(&org.y)))
        .await;
    assert_eq!(history["items"], json!([]));
    let baselines: i64 = sqlx::query_scalar("SELECT count(*) FROM baselines WHERE org_id = $1")
        .bind(org.account.org_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(baselines, 0, "the baseline went with the rest");
    let held = app.get_json(t, &format!("/scenarios/{scenario}")).await;
    assert_eq!(held["changes"].as_array().unwrap().len(), 2);
    assert_eq!(held["initiatives"].as_array().unwrap().len(), 1);
    assert_eq!(held["capacity"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_changes_are_refused_by_field_and_change_nothing() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let scenario = id_of(
        &app.post_json(
            t,
            "/scenarios",
            json!({"name": "Checks", "portfolio_id": org.alpha}),
        )
        .await,
    );
    let x = id_of(&org.x);
    let change = |body: Value, path: String| {
        let app = &app;
        async move { app.send_json(Method::PUT, t, &path, body, None).await }
    };
    let path = format!("/scenarios/{scenario}/changes/{x}");
    let cases = [
        (json!({"progress": 150}), "progress"),
        (json!({"target_date": "2029-12-01"}), "target_date"),
        (json!({}), "status"),
        (json!({"status": "paused"}), "status"),
        (json!({"portfolio_id": org.beta}), "portfolio_id"),
    ];
    for (body, field) in cases {
        expect_problem(
            change(body, path.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(field),
        )
        .await;
    }
    // Work outside the scenario's subtree is not the scenario's to change.
    let z_in_beta = app
        .create_initiative(t, &org.beta, json!({"title": "Outside"}))
        .await;
    let outside = change(
        json!({"status": "done"}),
        format!("/scenarios/{scenario}/changes/{}", id_of(&z_in_beta)),
    )
    .await;
    expect_problem(outside, StatusCode::UNPROCESSABLE_ENTITY, Some("initiative_id")).await;
    let negative = app
        .send_json(
            Method::PUT,
            t,
            &format!("/scenarios/{scenario}/capacity/{}/2030-Q1", org.alpha),
            json!({"person_weeks": -1}),
            None,
        )
        .await;
    expect_problem(negative, StatusCode::UNPROCESSABLE_ENTITY, Some("person_weeks")).await;
    let unnamed = app
        .send_json(
            Method::POST,
            t,
            "/scenarios",
            json!({"name": " ", "portfolio_id": org.root}),
            None,
        )
        .await;
    expect_problem(unnamed, StatusCode::UNPROCESSABLE_ENTITY, Some("name")).await;
    let held = app.get_json(t, &format!("/scenarios/{scenario}")).await;
    assert_eq!(held["changes"], json!([]));
    assert_eq!(held["capacity"], json!([]));
    // A stale If-Match on the scenario is refused.
    let stale = app
        .send_json(Method::PUT, t, &path, json!({"status": "done"}), Some("\"99\""))
        .await;
    expect_status(stale, StatusCode::PRECONDITION_FAILED).await;
}

#[tokio::test]
async fn members_read_scenarios_only_editors_change_them_and_other_orgs_see_nothing() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let scenario = cut_legacy(&app, &org).await;
    let y = id_of(&org.y);
    let viewer = app.add_member(&org.account, Role::Viewer).await;
    let member = app.add_member(&org.account, Role::Member).await;
    for reader in [&viewer.token, &member.token] {
        app.get_json(reader, &format!("/scenarios/{scenario}")).await;
        app.get_json(reader, &format!("/scenarios/{scenario}/rollup"))
            .await;
        let refused = app
            .send_json(
                Method::PUT,
                reader,
                &format!("/scenarios/{scenario}/changes/{y}"),
                json!({"status": "done"}),
                None,
            )
            .await;
        expect_status(refused, StatusCode::FORBIDDEN).await;
        let refused = app
            .send_json(
                Method::POST,
                reader,
                "/scenarios",
                json!({"name": "Mine", "portfolio_id": org.root}),
                None,
            )
            .await;
        expect_status(refused, StatusCode::FORBIDDEN).await;
        let refused = app
            .send_json(
                Method::POST,
                reader,
                &format!("/scenarios/{scenario}/apply"),
                json!({"changes": "all"}),
                None,
            )
            .await;
        expect_status(refused, StatusCode::FORBIDDEN).await;
    }
    // The owner of Alpha may make a scenario of Alpha, not of the root.
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.alpha),
        json!({"owner_id": member.user_id}),
    )
    .await;
    let own = app
        .send_json(
            Method::POST,
            &member.token,
            "/scenarios",
            json!({"name": "Alpha's", "portfolio_id": org.alpha}),
            None,
        )
        .await;
    expect_status(own, StatusCode::CREATED).await;

    let other = app.signup("Other Co").await;
    let other_root = id_of(
        &app.create_portfolio(&other.token, "Other", "portfolio", None)
            .await,
    );
    for path in [
        format!("/scenarios/{scenario}"),
        format!("/scenarios/{scenario}/rollup"),
        format!("/scenarios/{scenario}/capacity"),
        format!("/scenarios/compare?a=live&b={scenario}&portfolio_id={other_root}"),
    ] {
        let response = app.api(Method::GET, &other.token, &path).send().await.unwrap();
        expect_status(response, StatusCode::NOT_FOUND).await;
    }
    let theirs = id_of(
        &app.post_json(
            &other.token,
            "/scenarios",
            json!({"name": "Theirs", "portfolio_id": other_root}),
        )
        .await,
    );
    // Another organization's initiative cannot be put in a scenario.
    let foreign = app
        .send_json(
            Method::PUT,
            &other.token,
            &format!("/scenarios/{theirs}/changes/{y}"),
            json!({"status": "done"}),
            None,
        )
        .await;
    expect_status(foreign, StatusCode::NOT_FOUND).await;
    let listed = app.get_json(&other.token, "/scenarios").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

/// The oracle: for random scenarios, every figure at every level of the subtree equals what the
/// live plan shows after the same changes are applied for real.
#[tokio::test]
async fn a_scenarios_figures_equal_the_live_figures_after_applying_it() {
    let app = spawn_app().await;
    // Whether some scenario made or cleared a dependency conflict: the oracle must cover them.
    let mut conflicts_moved = false;
    for seed in 0..6u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let account = app.signup(&format!("Oracle {seed}")).await;
        let t = &account.token;
        let root = id_of(&app.create_portfolio(t, "Root", "portfolio", None).await);
        let mut portfolios = vec![root.clone()];
        for name in ["A", "B"] {
            let child = id_of(&app.create_portfolio(t, name, "product_line", Some(&root)).await);
            for grandchild in ["1", "2"] {
                let id = id_of(
                    &app.create_portfolio(t, &format!("{name}{grandchild}"), "product", Some(&child))
                        .await,
                );
                portfolios.push(id);
            }
            portfolios.push(child);
        }
        let themes = vec![
            id_of(
                &app.post_json(t, "/themes", json!({"name": "T1", "target_share": 50}))
                    .await,
            ),
            id_of(
                &app.post_json(t, "/themes", json!({"name": "T2", "target_share": 30}))
                    .await,
            ),
        ];
        let mut initiatives = Vec::new();
        for n in 0..18 {
            let portfolio = portfolios.choose(&mut rng).unwrap();
            let mut fields = random_fields(&mut rng, &themes);
            fields["title"] = json!(format!("I{n}"));
            initiatives.push(id_of(&app.create_initiative(t, portfolio, fields).await));
        }
        // Live dependencies, so that the scenario's dates and statuses make and clear conflicts.
        for _ in 0..10 {
            let dependent = initiatives.choose(&mut rng).unwrap();
            let blocker = initiatives.choose(&mut rng).unwrap();
            let status = app
                .api(
                    Method::PUT,
                    t,
                    &format!("/initiatives/{dependent}/dependencies/{blocker}"),
                )
                .send()
                .await
                .unwrap()
                .status();
            assert!(
                status == StatusCode::OK || status == StatusCode::CONFLICT,
                "{status}"
            );
        }
        for portfolio in &portfolios {
            if rng.gen_bool(0.5) {
                let pw = rng.gen_range(0..40);
                put(
                    &app,
                    t,
                    &format!("/portfolios/{portfolio}/capacity/2030-Q1"),
                    json!({"person_weeks": pw}),
                )
                .await;
            }
        }
        let scenario = id_of(
            &app.post_json(
                t,
                "/scenarios",
                json!({"name": format!("Random {seed}"), "portfolio_id": root}),
            )
            .await,
        );
        let s = &scenario;
        for initiative in initiatives.choose_multiple(&mut rng, 9) {
            let change = random_change(&mut rng, &themes, &portfolios);
            put(&app, t, &format!("/scenarios/{s}/changes/{initiative}"), change).await;
        }
        for n in 0..2 {
            let mut fields = random_fields(&mut rng, &themes);
            fields["title"] = json!(format!("H{n}"));
            fields["portfolio_id"] = json!(portfolios.choose(&mut rng).unwrap());
            app.post_json(t, &format!("/scenarios/{s}/initiatives"), fields)
                .await;
        }
        for portfolio in portfolios.choose_multiple(&mut rng, 3) {
            let quarter = ["2030-Q1", "2030-Q2"].choose(&mut rng).unwrap();
            let pw = rng.gen_range(0..30);
            put(
                &app,
                t,
                &format!("/scenarios/{s}/capacity/{portfolio}/{quarter}"),
                json!({"person_weeks": pw}),
            )
            .await;
        }

        let mut expected = Vec::new();
        for portfolio in &portfolios {
            let rollup = app
                .get_json(t, &format!("/scenarios/{s}/rollup?portfolio_id={portfolio}"))
                .await;
            let capacity = app
                .get_json(
                    t,
                    &format!("/scenarios/{s}/capacity?portfolio_id={portfolio}&from=2029-Q4&quarters=4"),
                )
                .await;
            expected.push((portfolio, figures(&rollup), capacity));
        }
        let live_before = app.get_json(t, &format!("/portfolios/{root}/rollup")).await;
        conflicts_moved |=
            live_before["totals"]["dependency_conflicts"] != expected[0].1["totals"]["dependency_conflicts"];
        let answer = apply(&app, t, s, json!("all")).await;
        assert_eq!(answer["conflicts"], json!([]), "seed {seed}");
        assert_ne!(
            figures(&live_before),
            expected[0].1,
            "seed {seed}: the scenario changed nothing"
        );
        for (portfolio, scenario_figures, scenario_capacity) in expected {
            let rollup = app.get_json(t, &format!("/portfolios/{portfolio}/rollup")).await;
            assert_eq!(
                figures(&rollup),
                scenario_figures,
                "seed {seed}, portfolio {portfolio}"
            );
            let capacity = app
                .get_json(
                    t,
                    &format!("/portfolios/{portfolio}/capacity?from=2029-Q4&quarters=4"),
                )
                .await;
            assert_eq!(capacity, scenario_capacity, "seed {seed}, portfolio {portfolio}");
        }
    }
    assert!(conflicts_moved, "no scenario changed a dependency conflict");
}

/// A roll-up's figures without the attached initiatives (a scenario lists none).
fn figures(rollup: &Value) -> Value {
    json!({"totals": rollup["totals"], "children": rollup["children"], "themes": rollup["themes"]})
}

fn random_dates(rng: &mut StdRng) -> (Value, Value) {
    let day = |rng: &mut StdRng| {
        chrono::NaiveDate::from_ymd_opt(2029, 10, 1).unwrap() + chrono::Duration::days(rng.gen_range(0..400))
    };
    match rng.gen_range(0..5) {
        0 => (Value::Null, Value::Null),
        1 => (Value::Null, json!(day(rng))),
        // Now and then already late.
        2 => (json!("2020-01-01"), json!("2020-03-01")),
        _ => {
            let (a, b) = (day(rng), day(rng));
            (json!(a.min(b)), json!(a.max(b)))
        }
    }
}

fn random_fields(rng: &mut StdRng, themes: &[String]) -> Value {
    let statuses = ["proposed", "planned", "in_progress", "done", "cancelled"];
    let healths = ["on_track", "at_risk", "off_track"];
    let (start, target) = random_dates(rng);
    json!({
        "status": statuses.choose(rng).unwrap(),
        "health": healths.choose(rng).unwrap(),
        "progress": rng.gen_range(0..=100),
        "effort": rng.gen_range(1..40) as f64 / 2.0,
        "budget": if rng.gen_bool(0.5) { json!(rng.gen_range(0..100_000)) } else { Value::Null },
        "theme_id": if rng.gen_bool(0.7) { json!(themes.choose(rng).unwrap()) } else { Value::Null },
        "start_date": start,
        "target_date": target,
    })
}

fn random_change(rng: &mut StdRng, themes: &[String], portfolios: &[String]) -> Value {
    let statuses = ["proposed", "planned", "in_progress", "done", "cancelled"];
    let mut change = serde_json::Map::new();
    while change.is_empty() {
        if rng.gen_bool(0.4) {
            change.insert("status".into(), json!(statuses.choose(rng).unwrap()));
        }
        if rng.gen_bool(0.3) {
            // Both dates together, so that the pair is always in order.
            let (start, target) = random_dates(rng);
            change.insert("start_date".into(), start);
            change.insert("target_date".into(), target);
        }
        if rng.gen_bool(0.3) {
            change.insert("effort".into(), json!(rng.gen_range(1..40) as f64 / 4.0));
        }
        if rng.gen_bool(0.3) {
            change.insert("progress".into(), json!(rng.gen_range(0..=100)));
        }
        if rng.gen_bool(0.3) {
            change.insert("portfolio_id".into(), json!(portfolios.choose(rng).unwrap()));
        }
        if rng.gen_bool(0.3) {
            let theme = if rng.gen_bool(0.7) {
                json!(themes.choose(rng).unwrap())
            } else {
                Value::Null
            };
            change.insert("theme_id".into(), theme);
        }
    }
    Value::Object(change)
}

/// Every item of a priorities list at `path` (ending in `?` or `&`), page by page (two a page), as
/// the comparison reads them (title, score, remaining and cumulative effort, whether it fits), and
/// the capacity.
async fn ranked(app: &TestApp, token: &str, path: &str, by: &str) -> (Value, Vec<Value>) {
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get_json(token, &format!("{path}by={by}&period=2030-Q1&limit=2{cursor}"))
            .await;
        for item in page["items"].as_array().unwrap() {
            items.push(json!([
                item["initiative"]["title"],
                item["score"],
                item["remaining_effort"],
                item["cumulative_effort"],
                item["fits"]
            ]));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return (page["capacity"].clone(), items),
        }
    }
}

#[tokio::test]
async fn a_scenarios_priorities_are_the_live_ones_after_applying_it() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let beta = app
        .get_json(t, &format!("/initiatives?portfolio_id={}", org.beta))
        .await;
    let z = beta["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "Z")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // RICE 800 (X), 2,666.67 (Y), 625 (Z); Late has none and comes last.
    for (id, reach, impact) in [
        (id_of(&org.x), 100, 1),
        (id_of(&org.y), 100, 2),
        (z.clone(), 50, 1),
    ] {
        app.patch_json(
            t,
            &format!("/initiatives/{id}"),
            json!({"reach": reach, "impact": impact, "confidence": if id == z { 50 } else { 80 }}),
        )
        .await;
    }
    let ranked_by_rice = app
        .send_json(
            Method::POST,
            t,
            &format!("/portfolios/{}/priorities/apply", org.root),
            json!({"by": "rice"}),
            None,
        )
        .await;
    expect_status(ranked_by_rice, StatusCode::OK).await;
    let scenario = id_of(
        &app.post_json(
            t,
            "/scenarios",
            json!({"name": "Reorder", "portfolio_id": org.root}),
        )
        .await,
    );
    let s = &scenario;
    // Y leaves the open work, Z jumps to the top, new work ties with Z (and follows it: it has no
    // key number yet, and gets the next one when applied), X moves to Beta and shrinks.
    put(
        &app,
        t,
        &format!("/scenarios/{s}/changes/{}", id_of(&org.y)),
        json!({"status": "cancelled"}),
    )
    .await;
    put(
        &app,
        t,
        &format!("/scenarios/{s}/changes/{z}"),
        json!({"effort": 0.5}),
    )
    .await;
    put(
        &app,
        t,
        &format!("/scenarios/{s}/changes/{}", id_of(&org.x)),
        json!({"portfolio_id": org.beta, "effort": 8, "progress": 25}),
    )
    .await;
    app.post_json(
        t,
        &format!("/scenarios/{s}/initiatives"),
        json!({"title": "H", "portfolio_id": org.beta, "status": "planned", "effort": 2,
               "reach": 100, "impact": 1, "confidence": 100}),
    )
    .await;
    put(
        &app,
        t,
        &format!("/scenarios/{s}/capacity/{}/2030-Q1", org.beta),
        json!({"person_weeks": 9}),
    )
    .await;

    let orders = ["rice", "wsjf", "rank"];
    let mut in_scenario = Vec::new();
    for by in orders {
        in_scenario.push(ranked(&app, t, &format!("/scenarios/{s}/priorities?"), by).await);
    }
    // A portfolio inside the scenario's: Beta, which gains X and H.
    let beta_path = format!("/scenarios/{s}/priorities?portfolio_id={}&", org.beta);
    let beta_in_scenario = ranked(&app, t, &beta_path, "rice").await;
    let beta_titles: Vec<&Value> = beta_in_scenario.1.iter().map(|item| &item[0]).collect();
    assert_eq!(
        beta_titles,
        [&json!("Z"), &json!("H"), &json!("X"), &json!("Late")]
    );
    let (capacity, rice) = &in_scenario[0];
    assert_eq!(*capacity, json!(21.0));
    let titles: Vec<&Value> = rice.iter().map(|item| &item[0]).collect();
    assert_eq!(titles, [&json!("Z"), &json!("H"), &json!("X"), &json!("Late")]);
    // Nothing live moved.
    let live = ranked(&app, t, &format!("/portfolios/{}/priorities?", org.root), "rice").await;
    assert_eq!(live.1.len(), 4);
    assert_eq!(live.1[0][0], "Y");

    // Outside the scenario's subtree: refused on the field.
    let alpha_only = id_of(
        &app.post_json(
            t,
            "/scenarios",
            json!({"name": "Alpha only", "portfolio_id": org.alpha}),
        )
        .await,
    );
    let outside = app
        .api(
            Method::GET,
            t,
            &format!("/scenarios/{alpha_only}/priorities?portfolio_id={}", org.beta),
        )
        .send()
        .await
        .unwrap();
    expect_problem(outside, StatusCode::UNPROCESSABLE_ENTITY, Some("portfolio_id")).await;

    apply(&app, t, s, json!("all")).await;
    for (by, expected) in orders.iter().zip(&in_scenario) {
        let after = ranked(&app, t, &format!("/portfolios/{}/priorities?", org.root), by).await;
        assert_eq!(&after, expected, "by {by}");
    }
    let beta_after = ranked(&app, t, &format!("/portfolios/{}/priorities?", org.beta), "rice").await;
    assert_eq!(beta_after, beta_in_scenario);
    // Inside the scenario's subtree only: a portfolio of its own is the scenario's whole view.
    let gone = app
        .api(
            Method::GET,
            t,
            "/scenarios/01900000-0000-7000-8000-000000000000/priorities",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}
