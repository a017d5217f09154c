//! Capacity against demand (SPEC §8) through the API: figures worked out by hand, who may set
//! capacity, and kept demand that always equals a from-scratch computation.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, expect_problem, expect_status, id_of, spawn_app};
use cairn::domain::Role;

/// Root → Alpha and Beta, with capacity and work whose figures the tests below work out by hand.
pub(crate) struct Plan {
    pub(crate) account: Account,
    pub(crate) root: String,
    pub(crate) alpha: String,
    pub(crate) beta: String,
}

pub(crate) async fn set_capacity(app: &TestApp, token: &str, portfolio: &str, period: &str, pw: f64) {
    let response = app
        .send_json(
            Method::PUT,
            token,
            &format!("/portfolios/{portfolio}/capacity/{period}"),
            json!({"person_weeks": pw}),
            None,
        )
        .await;
    expect_status(response, StatusCode::OK).await;
}

pub(crate) async fn build(app: &TestApp) -> Plan {
    let account = app.signup("Capacity Co").await;
    let t = &account.token;
    let root = id_of(&app.create_portfolio(t, "Capacity Co", "portfolio", None).await);
    let alpha = id_of(
        &app.create_portfolio(t, "Alpha", "product_line", Some(&root))
            .await,
    );
    let beta = id_of(&app.create_portfolio(t, "Beta", "product_line", Some(&root)).await);
    set_capacity(app, t, &root, "2027-Q1", 10.0).await;
    set_capacity(app, t, &alpha, "2027-Q1", 20.0).await;
    set_capacity(app, t, &alpha, "2027-Q2", 15.0).await;
    let work = [
        // Across the Q1/Q2 boundary: 32 days, 17 in March, 15 in April → 5.3125 and 4.6875.
        (
            &alpha,
            json!({"status": "planned", "effort": 10, "start_date": "2027-03-15", "target_date": "2027-04-15"}),
        ),
        // All of Q1: 9.
        (
            &alpha,
            json!({"status": "in_progress", "effort": 9, "start_date": "2027-01-01", "target_date": "2027-03-31"}),
        ),
        // Proposed, apart: 4 in Q1.
        (
            &alpha,
            json!({"status": "proposed", "effort": 4, "start_date": "2027-02-01", "target_date": "2027-02-28"}),
        ),
        // Done and cancelled count nothing.
        (
            &alpha,
            json!({"status": "done", "effort": 100, "start_date": "2027-01-01", "target_date": "2027-03-31"}),
        ),
        (
            &alpha,
            json!({"status": "cancelled", "effort": 50, "start_date": "2027-01-01", "target_date": "2027-03-31"}),
        ),
        // Without dates: unscheduled 3, and 2 proposed.
        (
            &alpha,
            json!({"status": "planned", "effort": 3, "target_date": "2027-02-01"}),
        ),
        (&alpha, json!({"status": "proposed", "effort": 2})),
        // Beta: the first half of 2027, 181 days: 6 × 90/181 in Q1, 6 × 91/181 in Q2.
        (
            &beta,
            json!({"status": "in_progress", "effort": 6, "start_date": "2027-01-01", "target_date": "2027-06-30"}),
        ),
    ];
    for (portfolio, fields) in work {
        app.create_initiative(t, portfolio, fields).await;
    }
    Plan {
        account,
        root,
        alpha,
        beta,
    }
}

pub(crate) async fn capacity(app: &TestApp, token: &str, portfolio: &str, query: &str) -> Value {
    app.get_json(token, &format!("/portfolios/{portfolio}/capacity?{query}"))
        .await
}

fn child<'a>(answer: &'a Value, id: &str) -> &'a Value {
    answer["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["portfolio"]["id"] == id)
        .unwrap()
}

#[tokio::test]
async fn demand_is_spread_over_each_quarter_by_days_and_summed_up_the_tree() {
    let app = spawn_app().await;
    let plan = build(&app).await;
    let answer = capacity(&app, &plan.account.token, &plan.root, "from=2027-Q1&quarters=3").await;
    // Root Q1: capacity 10 + 20; demand 5.3125 + 9 + 540/181 = 17.2959… → 17.3, 57.65 % used.
    assert_eq!(
        answer["quarters"],
        json!([
            {"period": "2027-Q1", "capacity": 30.0, "demand": 17.3, "proposed": 4.0, "free": 12.7, "utilisation": 57.7},
            {"period": "2027-Q2", "capacity": 15.0, "demand": 7.7, "proposed": 0.0, "free": 7.3, "utilisation": 51.4},
            {"period": "2027-Q3", "capacity": 0.0, "demand": 0.0, "proposed": 0.0, "free": 0.0, "utilisation": null}
        ])
    );
    assert_eq!(
        (
            answer["unscheduled"].clone(),
            answer["unscheduled_proposed"].clone()
        ),
        (json!(3.0), json!(2.0))
    );
    let alpha = child(&answer, &plan.alpha);
    assert_eq!(
        alpha["quarters"][0],
        json!({"period": "2027-Q1", "capacity": 20.0, "demand": 14.3, "proposed": 4.0, "free": 5.7, "utilisation": 71.6})
    );
    assert_eq!(
        alpha["quarters"][1],
        json!({"period": "2027-Q2", "capacity": 15.0, "demand": 4.7, "proposed": 0.0, "free": 10.3, "utilisation": 31.3})
    );
    // Beta has no capacity: demand over nothing, utilisation null, free negative.
    let beta = child(&answer, &plan.beta);
    assert_eq!(
        beta["quarters"][0],
        json!({"period": "2027-Q1", "capacity": 0.0, "demand": 3.0, "proposed": 0.0, "free": -3.0, "utilisation": null})
    );
    assert_eq!(beta["unscheduled"], json!(0.0));
    // Four quarters by default, from the current fiscal quarter.
    let default = capacity(&app, &plan.account.token, &plan.alpha, "").await;
    assert_eq!(default["quarters"].as_array().unwrap().len(), 4);
    assert_eq!(default["portfolio"]["id"], plan.alpha.as_str());
}

#[tokio::test]
async fn status_date_and_capacity_changes_show_in_the_next_request() {
    let app = spawn_app().await;
    let plan = build(&app).await;
    let t = &plan.account.token;
    let q1 = async |app: &TestApp| {
        capacity(app, t, &plan.root, "from=2027-Q1&quarters=1").await["quarters"][0].clone()
    };
    let id = id_of(
        &app.create_initiative(
            t,
            &plan.beta,
            json!({"status": "proposed", "effort": 2,
            "start_date": "2027-01-01", "target_date": "2027-03-31"}),
        )
        .await,
    );
    assert_eq!(q1(&app).await["proposed"], json!(6.0));
    // Planned: from proposed into demand.
    app.patch_json(t, &format!("/initiatives/{id}"), json!({"status": "planned"}))
        .await;
    assert_eq!(
        (
            q1(&app).await["demand"].clone(),
            q1(&app).await["proposed"].clone()
        ),
        (json!(19.3), json!(4.0))
    );
    // Done: out of demand.
    app.patch_json(t, &format!("/initiatives/{id}"), json!({"status": "done"}))
        .await;
    assert_eq!(q1(&app).await["demand"], json!(17.3));
    // Capacity changed and set back to zero.
    set_capacity(&app, t, &plan.beta, "2027-Q1", 12.5).await;
    assert_eq!(q1(&app).await["capacity"], json!(42.5));
    set_capacity(&app, t, &plan.beta, "2027-Q1", 0.0).await;
    assert_eq!(q1(&app).await["capacity"], json!(30.0));
    // A portfolio deleted takes its capacity with it.
    let gamma = id_of(
        &app.create_portfolio(t, "Gamma", "product_line", Some(&plan.root))
            .await,
    );
    set_capacity(&app, t, &gamma, "2027-Q1", 7.0).await;
    assert_eq!(q1(&app).await["capacity"], json!(37.0));
    let response = app
        .api(Method::DELETE, t, &format!("/portfolios/{gamma}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(q1(&app).await["capacity"], json!(30.0));
    assert_maintained_demand_matches(&app, plan.account.org_id).await;
}

#[tokio::test]
async fn quarters_follow_the_organizations_fiscal_year() {
    let app = spawn_app().await;
    let account = app.signup("April Co").await;
    let t = &account.token;
    let root = id_of(&app.create_portfolio(t, "April Co", "portfolio", None).await);
    app.create_initiative(
        t,
        &root,
        json!({"status": "planned", "effort": 10,
        "start_date": "2026-03-15", "target_date": "2026-04-15"}),
    )
    .await;
    let quarters = async |from: &str| {
        capacity(&app, t, &root, &format!("from={from}&quarters=2")).await["quarters"].clone()
    };
    // January years: March is 2026-Q1, April 2026-Q2.
    assert_eq!(quarters("2026-Q1").await[0]["demand"], json!(5.3));
    assert_eq!(quarters("2026-Q1").await[1]["demand"], json!(4.7));
    // The year starting in April: March 2026 ends fiscal 2026 (Q4), April 2026 opens 2027-Q1.
    app.patch_json(t, "/organization", json!({"fiscal_year_start_month": 4}))
        .await;
    let april = quarters("2026-Q4").await;
    assert_eq!(
        (april[0]["period"].clone(), april[0]["demand"].clone()),
        (json!("2026-Q4"), json!(5.3))
    );
    assert_eq!(
        (april[1]["period"].clone(), april[1]["demand"].clone()),
        (json!("2027-Q1"), json!(4.7))
    );
    assert_eq!(quarters("2026-Q1").await[0]["demand"], json!(0.0));
    assert_maintained_demand_matches(&app, account.org_id).await;
}

/// A quarter's capacity is versioned like every record a person edits: each PUT answers its
/// `ETag`, and `If-Match` with one someone else has moved past answers 412 and keeps their value.
#[tokio::test]
async fn setting_capacity_with_a_stale_if_match_changes_nothing() {
    let app = spawn_app().await;
    let plan = build(&app).await;
    let t = &plan.account.token;
    let path = format!("/portfolios/{}/capacity/2031-Q2", plan.alpha);
    let put =
        |body: Value, if_match: Option<&'static str>| app.send_json(Method::PUT, t, &path, body, if_match);
    let etag = |response: &reqwest::Response| response.headers()["etag"].to_str().unwrap().to_owned();
    // Never set: version 0.
    let first = put(json!({"person_weeks": 5}), Some("\"0\"")).await;
    assert_eq!(etag(&first), "\"1\"");
    assert_eq!(expect_status(first, StatusCode::OK).await["version"], 1);
    let second = put(json!({"person_weeks": 6}), Some("\"1\"")).await;
    assert_eq!(etag(&second), "\"2\"");
    // Stale: refused, the value stays.
    let stale = put(json!({"person_weeks": 7}), Some("\"1\"")).await;
    expect_problem(stale, StatusCode::PRECONDITION_FAILED, None).await;
    let never_set = put(json!({"person_weeks": 7}), Some("\"0\"")).await;
    expect_problem(never_set, StatusCode::PRECONDITION_FAILED, None).await;
    let shown = app
        .get_json(
            t,
            &format!("/portfolios/{}/capacity?from=2031-Q2&quarters=1", plan.alpha),
        )
        .await;
    assert_eq!(shown["quarters"][0]["capacity"], json!(6.0));
    // Already what the stale writer wants: both agree, nothing to refuse or write.
    let agreed = put(json!({"person_weeks": 6}), Some("\"1\"")).await;
    assert_eq!(etag(&agreed), "\"2\"");
    // Without If-Match the last writer wins, as before.
    let blind = put(json!({"person_weeks": 8}), None).await;
    assert_eq!(etag(&blind), "\"3\"");
}

#[tokio::test]
async fn only_editors_set_capacity_and_other_organizations_see_nothing() {
    let app = spawn_app().await;
    let plan = build(&app).await;
    let path = format!("/portfolios/{}/capacity/2027-Q1", plan.alpha);
    let body = json!({"person_weeks": 5});
    let viewer = app.add_member(&plan.account, Role::Viewer).await;
    let member = app.add_member(&plan.account, Role::Member).await;
    for token in [&viewer.token, &member.token] {
        let response = app.send_json(Method::PUT, token, &path, body.clone(), None).await;
        expect_problem(response, StatusCode::FORBIDDEN, None).await;
    }
    // A member who owns Alpha may; viewers still read.
    app.patch_json(
        &plan.account.token,
        &format!("/portfolios/{}", plan.alpha),
        json!({"owner_id": member.user_id}),
    )
    .await;
    let response = app
        .send_json(Method::PUT, &member.token, &path, body.clone(), None)
        .await;
    let set = expect_status(response, StatusCode::OK).await;
    assert_eq!(
        set,
        json!({"portfolio_id": plan.alpha, "period": "2027-Q1", "person_weeks": 5.0, "version": 2}),
        "the build set it once before"
    );
    let read = capacity(&app, &viewer.token, &plan.alpha, "from=2027-Q1&quarters=1").await;
    assert_eq!(read["quarters"][0]["capacity"], json!(5.0));
    // Another organization: 404 for reads and writes alike.
    let other = app.signup("Other Co").await;
    let response = app
        .send_json(Method::PUT, &other.token, &path, body.clone(), None)
        .await;
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
    let response = app
        .api(
            Method::GET,
            &other.token,
            &format!("/portfolios/{}/capacity", plan.alpha),
        )
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
}

#[tokio::test]
async fn bad_periods_counts_and_person_weeks_answer_422_naming_the_field() {
    let app = spawn_app().await;
    let plan = build(&app).await;
    let t = &plan.account.token;
    for (period, pw, field) in [
        ("2027", json!(5), "period"),
        ("2027-Q5", json!(5), "period"),
        ("next", json!(5), "period"),
        ("2027-Q1", json!(-1), "person_weeks"),
        ("2027-Q1", json!("many"), "person_weeks"),
    ] {
        let path = format!("/portfolios/{}/capacity/{period}", plan.alpha);
        let response = app
            .send_json(Method::PUT, t, &path, json!({"person_weeks": pw}), None)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    for (query, field) in [
        ("from=2027", "from"),
        ("quarters=0", "quarters"),
        ("quarters=99", "quarters"),
    ] {
        let path = format!("/portfolios/{}/capacity?{query}", plan.alpha);
        let response = app.api(Method::GET, t, &path).send().await.unwrap();
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    // Nothing changed.
    let q1 = capacity(&app, t, &plan.alpha, "from=2027-Q1&quarters=1").await;
    assert_eq!(q1["quarters"][0]["capacity"], json!(20.0));
}

/// Random writes, status and date changes, capacity changes and moves of initiatives and
/// portfolios through the API; after each batch the kept demand and capacity at every level must
/// equal a from-scratch computation.
#[tokio::test]
async fn kept_demand_and_capacity_always_equal_a_from_scratch_computation() {
    let app = spawn_app().await;
    let org = crate::rollups::build(&app).await;
    let t = &org.account.token;
    let portfolios = [
        &org.root,
        &org.commerce,
        &org.checkout,
        &org.payments,
        &org.platform,
    ];
    let statuses = ["proposed", "planned", "in_progress", "done", "cancelled"];
    let quarters = ["2026-Q4", "2027-Q1", "2027-Q2", "2027-Q3"];
    let seed: u64 = rand::random();
    println!("property test seed: {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let day = |rng: &mut StdRng| {
        (chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap() + chrono::Duration::days(rng.gen_range(0..400)))
            .to_string()
    };
    let mut initiatives: Vec<String> = vec![org.a.clone(), org.e.clone(), org.f.clone()];
    for step in 0..120 {
        match rng.gen_range(0..12) {
            0..=2 => {
                let start = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
                    + chrono::Duration::days(rng.gen_range(0..300));
                let target = start + chrono::Duration::days(rng.gen_range(0..200));
                let fields = json!({"status": statuses.choose(&mut rng), "effort": f64::from(rng.gen_range(1..40)) / 4.0,
                                    "start_date": start.to_string(), "target_date": target.to_string()});
                let id = id_of(
                    &app.create_initiative(t, portfolios.choose(&mut rng).unwrap(), fields)
                        .await,
                );
                initiatives.push(id);
            }
            3..=6 if !initiatives.is_empty() => {
                let id = initiatives.choose(&mut rng).unwrap();
                let (a, b) = (day(&mut rng), day(&mut rng));
                let change = match rng.gen_range(0..5) {
                    0 => json!({"status": statuses.choose(&mut rng)}),
                    1 => json!({"effort": f64::from(rng.gen_range(1..40)) / 3.0}),
                    2 => json!({"portfolio_id": portfolios.choose(&mut rng)}),
                    3 => json!({"start_date": a.clone().min(b.clone()), "target_date": a.max(b)}),
                    _ => json!({"start_date": null}),
                };
                app.patch_json(t, &format!("/initiatives/{id}"), change).await;
            }
            7 if !initiatives.is_empty() => {
                let id = initiatives.swap_remove(rng.gen_range(0..initiatives.len()));
                let response = app
                    .api(Method::DELETE, t, &format!("/initiatives/{id}"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::NO_CONTENT);
            }
            8 | 9 => {
                let pw = f64::from(rng.gen_range(0..80)) / 2.0;
                let portfolio = portfolios.choose(&mut rng).unwrap();
                set_capacity(&app, t, portfolio, quarters.choose(&mut rng).unwrap(), pw).await;
            }
            _ => crate::rollups::move_at_random(&app, t, &org, &mut rng, step).await,
        }
        if step % 10 == 9 {
            assert_maintained_demand_matches(&app, org.account.org_id).await;
        }
    }
}

/// Compares the kept capacity, demand and unscheduled sums with the same sums computed from the
/// initiatives, the capacities and the `parent_id` links alone (not the closure table).
pub async fn assert_maintained_demand_matches(app: &TestApp, org_id: uuid::Uuid) {
    let mismatches: Vec<(String, String)> = sqlx::query_as(
        r#"
        WITH RECURSIVE subtree AS (
            SELECT id AS ancestor_id, id AS descendant_id FROM portfolios WHERE org_id = $1
            UNION ALL
            SELECT s.ancestor_id, p.id FROM subtree s JOIN portfolios p ON p.org_id = $1 AND p.parent_id = s.descendant_id
        ),
        shares AS (
            SELECT s.ancestor_id, d.quarter, d.demand, d.proposed, 0::numeric AS capacity
            FROM subtree s
            JOIN initiatives i ON i.org_id = $1 AND i.portfolio_id = s.descendant_id
            JOIN organizations o ON o.id = i.org_id
            CROSS JOIN LATERAL initiative_demand(i.status, i.effort::numeric, i.start_date, i.target_date,
                                                 o.fiscal_year_start_month) d
            UNION ALL
            SELECT s.ancestor_id, k.quarter, 0, 0, k.person_weeks
            FROM subtree s JOIN portfolio_capacity k ON k.org_id = $1 AND k.portfolio_id = s.descendant_id
        ),
        scratch AS (
            SELECT ancestor_id, quarter, sum(capacity) AS capacity, sum(demand) AS demand, sum(proposed) AS proposed
            FROM shares WHERE quarter IS NOT NULL GROUP BY 1, 2
        ),
        undated AS (
            SELECT ancestor_id, sum(demand) AS demand, sum(proposed) AS proposed
            FROM shares WHERE quarter IS NULL GROUP BY 1
        )
        SELECT coalesce(x.ancestor_id, y.portfolio_id)::text, coalesce(x.quarter, y.quarter)
        FROM scratch x
        FULL JOIN (SELECT * FROM portfolio_quarter_totals WHERE org_id = $1) y
          ON x.ancestor_id = y.portfolio_id AND x.quarter = y.quarter
        WHERE (coalesce(x.capacity, 0), coalesce(x.demand, 0), coalesce(x.proposed, 0))
              <> (coalesce(y.capacity, 0), coalesce(y.demand, 0), coalesce(y.proposed, 0))
        UNION ALL
        SELECT coalesce(x.ancestor_id, y.portfolio_id)::text, 'unscheduled'
        FROM undated x
        FULL JOIN (SELECT * FROM portfolio_unscheduled WHERE org_id = $1) y ON x.ancestor_id = y.portfolio_id
        WHERE (coalesce(x.demand, 0), coalesce(x.proposed, 0)) <> (coalesce(y.demand, 0), coalesce(y.proposed, 0))
        "#,
    )
    .bind(org_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        mismatches.is_empty(),
        "kept capacity differs from scratch: {mismatches:?}"
    );
    // The quarters themselves, from the domain's calendar: every initiative's shares add up to its
    // effort, and each falls in the quarter whose dates hold it.
    let misplaced: Vec<(String,)> = sqlx::query_as(
        r#"SELECT i.id::text FROM initiatives i JOIN organizations o ON o.id = i.org_id
           CROSS JOIN LATERAL (SELECT sum(share) AS total FROM initiative_quarter_shares(
               i.effort::numeric, i.start_date, i.target_date, o.fiscal_year_start_month)) s
           WHERE i.org_id = $1 AND i.start_date IS NOT NULL AND i.target_date IS NOT NULL
             AND abs(s.total - i.effort::numeric) > 1e-9"#,
    )
    .bind(org_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(
        misplaced.is_empty(),
        "shares do not add up to the effort: {misplaced:?}"
    );
}
