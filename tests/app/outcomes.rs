//! Outcomes through the API (SPEC §11): KPI status and trend by hand-computed cases, the `kpis`
//! figure at every level after values, moves and deletes, CSV uploads that report bad rows by line
//! and write nothing; feedback and each initiative's demand (the same customer twice counts once,
//! with their highest value and importance); the inbox's filters; permissions and tenancy.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, expect_status, id_of, spawn_app};
use crate::rollups::{Org, assert_maintained_totals_match, build};
use cairn::domain::Role;

async fn kpi(app: &TestApp, token: &str, portfolio: &str, body: Value) -> Value {
    expect_status(
        app.send_json(
            Method::POST,
            token,
            &format!("/portfolios/{portfolio}/kpis"),
            body,
            None,
        )
        .await,
        StatusCode::CREATED,
    )
    .await
}

/// Records a value: 201 for a date's first, 200 for one replacing it.
async fn record(app: &TestApp, token: &str, kpi: &str, date: &str, value: f64) -> Value {
    let response = app
        .send_json(
            Method::POST,
            token,
            &format!("/kpis/{kpi}/values"),
            json!({"date": date, "value": value}),
            None,
        )
        .await;
    let status = response.status();
    let body = expect_status(response, status).await;
    let expected = if body["written"] == 0 {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    assert_eq!(status, expected, "{body}");
    body
}

async fn upload(app: &TestApp, token: &str, kpi: &str, csv: &str) -> reqwest::Response {
    app.api(Method::POST, token, &format!("/kpis/{kpi}/values"))
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

/// `kpis` of the portfolio's totals, as [on_target, off_target, no_data].
async fn kpi_counts(app: &TestApp, org: &Org, portfolio: &str) -> [i64; 3] {
    let rollup = app
        .get_json(&org.account.token, &format!("/portfolios/{portfolio}/rollup"))
        .await;
    let k = &rollup["totals"]["kpis"];
    ["on_target", "off_target", "no_data"].map(|s| k[s].as_i64().unwrap())
}

#[tokio::test]
async fn a_kpi_is_on_target_by_its_latest_value_and_its_trend_is_the_change_from_the_one_before() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let nps = kpi(
        &app,
        t,
        &org.checkout,
        json!({"name": "NPS", "unit": "pts", "direction": "increase", "target": 40}),
    )
    .await;
    let id = id_of(&nps);
    assert_eq!(
        (nps["status"].clone(), nps["latest"].clone(), nps["trend"].clone()),
        (json!("no_data"), Value::Null, Value::Null)
    );
    // One value: below target, no trend yet.
    let first = record(&app, t, &id, "2026-09-30", 38.0).await;
    assert_eq!(first, json!({"written": 1, "replaced": 0}));
    let one = app.get_json(t, &format!("/kpis/{id}")).await;
    assert_eq!(one["status"], "off_target");
    assert_eq!(one["latest"], json!({"date": "2026-09-30", "value": 38.0}));
    assert_eq!(one["trend"], Value::Null, "a single value has no trend");
    // A later value equal to the target is on target; the trend is 40 − 38.
    record(&app, t, &id, "2026-10-31", 40.0).await;
    let two = app.get_json(t, &format!("/kpis/{id}")).await;
    assert_eq!(
        (two["status"].as_str(), two["trend"].as_f64()),
        (Some("on_target"), Some(2.0))
    );
    // A value for an earlier date changes the trend's "before" only if it is the one before.
    record(&app, t, &id, "2026-08-31", 10.0).await;
    assert_eq!(app.get_json(t, &format!("/kpis/{id}")).await["trend"], 2.0);
    // A second value for the same date replaces the first and says so.
    let replaced = record(&app, t, &id, "2026-10-31", 37.5).await;
    assert_eq!(replaced, json!({"written": 0, "replaced": 1}));
    let after = app.get_json(t, &format!("/kpis/{id}")).await;
    assert_eq!(
        (after["status"].as_str(), after["trend"].as_f64()),
        (Some("off_target"), Some(-0.5))
    );
    let values = app.get_json(t, &format!("/kpis/{id}/values")).await;
    let dates: Vec<&str> = values["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        ["2026-10-31", "2026-09-30", "2026-08-31"],
        "newest first, one per date"
    );
    let page = app.get_json(t, &format!("/kpis/{id}/values?limit=2")).await;
    assert_eq!(page["next_cursor"], "2026-09-30");
    let rest = app
        .get_json(t, &format!("/kpis/{id}/values?limit=2&cursor=2026-09-30"))
        .await;
    assert_eq!(rest["items"], json!([{"date": "2026-08-31", "value": 10.0}]));

    // A decrease KPI: at or below target is on target; the trend keeps its sign.
    let churn = id_of(
        &kpi(
            &app,
            t,
            &org.checkout,
            json!({"name": "Churn", "unit": "%", "direction": "decrease", "target": 2}),
        )
        .await,
    );
    record(&app, t, &churn, "2026-10-31", 2.5).await;
    record(&app, t, &churn, "2026-11-30", 2.0).await;
    let churn = app.get_json(t, &format!("/kpis/{churn}")).await;
    assert_eq!(
        (churn["status"].as_str(), churn["trend"].as_f64()),
        (Some("on_target"), Some(-0.5))
    );

    // The figure counts the subtree's KPIs at every level, and only there.
    assert_eq!(kpi_counts(&app, &org, &org.checkout).await, [1, 1, 0]);
    assert_eq!(kpi_counts(&app, &org, &org.commerce).await, [1, 1, 0]);
    assert_eq!(kpi_counts(&app, &org, &org.root).await, [1, 1, 0]);
    assert_eq!(kpi_counts(&app, &org, &org.payments).await, [0, 0, 0]);
    assert_eq!(kpi_counts(&app, &org, &org.platform).await, [0, 0, 0]);
    let root = app.get_json(t, &format!("/portfolios/{}/rollup", org.root)).await;
    let commerce = root["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["portfolio"]["id"] == org.commerce.as_str())
        .unwrap();
    assert_eq!(
        commerce["kpis"],
        json!({"on_target": 1, "off_target": 1, "no_data": 0})
    );
    let listed = app
        .get_json(t, &format!("/portfolios/{}/kpis", org.checkout))
        .await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Churn", "NPS"]);
    assert_maintained_totals_match(&app, org.account.org_id).await;
}

#[tokio::test]
async fn kpi_figures_follow_edits_moves_and_deletes() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let id = id_of(
        &kpi(
            &app,
            t,
            &org.checkout,
            json!({"name": "Conversion", "direction": "increase", "target": 3}),
        )
        .await,
    );
    record(&app, t, &id, "2026-11-30", 2.8).await;
    kpi(
        &app,
        t,
        &org.platform,
        json!({"name": "Uptime", "unit": "%", "direction": "increase", "target": 99.9}),
    )
    .await;
    assert_eq!(kpi_counts(&app, &org, &org.root).await, [0, 1, 1]);
    // A lower target puts it on target, everywhere above it.
    app.assert_if_match_guards(
        t,
        &format!("/kpis/{id}"),
        json!({"target": 2.5}),
        json!({"target": 9}),
    )
    .await;
    assert_eq!(kpi_counts(&app, &org, &org.commerce).await, [1, 0, 0]);
    // Checkout moves to Platform and takes its KPI along.
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.checkout),
        json!({"parent_id": org.platform}),
    )
    .await;
    assert_eq!(kpi_counts(&app, &org, &org.commerce).await, [0, 0, 0]);
    assert_eq!(kpi_counts(&app, &org, &org.platform).await, [1, 0, 1]);
    assert_eq!(kpi_counts(&app, &org, &org.root).await, [1, 0, 1]);
    assert_maintained_totals_match(&app, org.account.org_id).await;
    // A portfolio with KPIs is not empty.
    let empty_area = id_of(
        &app.create_portfolio(t, "Empty", "area", Some(&org.checkout))
            .await,
    );
    kpi(
        &app,
        t,
        &empty_area,
        json!({"name": "Signups", "direction": "increase", "target": 10}),
    )
    .await;
    let refused = app
        .api(Method::DELETE, t, &format!("/portfolios/{empty_area}"))
        .send()
        .await
        .unwrap();
    expect_problem(refused, StatusCode::CONFLICT, None).await;
    // Deleting a KPI takes its values and its count away.
    let deleted = app
        .api(Method::DELETE, t, &format!("/kpis/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(kpi_counts(&app, &org, &org.root).await, [0, 0, 2]);
    let gone = app
        .api(Method::GET, t, &format!("/kpis/{id}/values"))
        .send()
        .await
        .unwrap();
    expect_problem(gone, StatusCode::NOT_FOUND, None).await;
    assert_maintained_totals_match(&app, org.account.org_id).await;
}

#[tokio::test]
async fn bad_kpis_and_values_are_refused_by_field_and_change_nothing() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let path = format!("/portfolios/{}/kpis", org.checkout);
    for (body, field) in [
        (json!({"direction": "increase", "target": 1}), "name"),
        (json!({"name": "X", "target": 1}), "direction"),
        (
            json!({"name": "X", "direction": "sideways", "target": 1}),
            "direction",
        ),
        (json!({"name": "X", "direction": "increase"}), "target"),
        (
            json!({"name": "X", "direction": "increase", "target": 1e13}),
            "target",
        ),
        (
            json!({"name": "X", "unit": "much too long a unit name", "direction": "increase", "target": 1}),
            "unit",
        ),
    ] {
        let refused = app.send_json(Method::POST, t, &path, body.clone(), None).await;
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    assert_eq!(app.get_json(t, &path).await, json!([]));
    let id = id_of(
        &kpi(
            &app,
            t,
            &org.checkout,
            json!({"name": "NPS", "direction": "increase", "target": 40}),
        )
        .await,
    );
    let values = format!("/kpis/{id}/values");
    for (body, field) in [
        (json!({"value": 1}), "date"),
        (json!({"date": "2026-02-30", "value": 1}), "date"),
        (json!({"date": "2026-02-01"}), "value"),
    ] {
        let refused = app.send_json(Method::POST, t, &values, body, None).await;
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }

    // An upload with bad rows names each by its line and writes none of the good ones.
    let bad = upload(
        &app,
        t,
        &id,
        "date,value\n2026-01-31,30\n2026-02-30,31\n2026-03-31,lots\n2026-04-30\n2026-01-31,32\n",
    )
    .await;
    let problem = expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("body")).await;
    let messages: Vec<&str> = problem["errors"]["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 4, "{messages:?}");
    for line in [
        "line 3:",
        "line 4:",
        "line 5:",
        "line 6: repeats the date 2026-01-31 of line 2",
    ] {
        assert!(
            messages.iter().any(|m| m.starts_with(line)),
            "{line} in {messages:?}"
        );
    }
    assert_eq!(
        app.get_json(t, &values).await["items"],
        json!([]),
        "nothing written"
    );
    // A good one writes every row, and says how many replaced a value.
    record(&app, t, &id, "2026-02-28", 1.0).await;
    let good = upload(&app, t, &id, "2026-01-31,30\n2026-02-28,31.5\n2026-03-31,33\n").await;
    assert_eq!(
        expect_status(good, StatusCode::CREATED).await,
        json!({"written": 2, "replaced": 1})
    );
    let now = app.get_json(t, &format!("/kpis/{id}")).await;
    assert_eq!(
        (now["latest"]["value"].as_f64(), now["trend"].as_f64()),
        (Some(33.0), Some(1.5))
    );
    let empty = upload(&app, t, &id, "date,value\n").await;
    expect_problem(empty, StatusCode::UNPROCESSABLE_ENTITY, Some("body")).await;
}

/// Feedback linked to an initiative: `demand` by the rule, each customer once.
#[tokio::test]
async fn demand_counts_each_customer_once_with_their_highest_value_and_importance() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let post = async |body: Value| {
        id_of(
            &expect_status(
                app.send_json(Method::POST, t, "/feedback", body, None).await,
                StatusCode::CREATED,
            )
            .await,
        )
    };
    let one = post(json!({"text": "Export to Excel", "customer": "Acme", "customer_value": 500000, "importance": "nice_to_have", "source": "Sales call"})).await;
    let two = post(json!({"text": "Excel export, please", "customer": " acme ", "customer_value": 200000, "importance": "critical"})).await;
    let three =
        post(json!({"text": "We need exports", "customer": "Globex", "importance": "important"})).await;
    let unrelated = post(
        json!({"text": "Dark mode", "customer": "Initech", "customer_value": 1000, "importance": "critical"}),
    )
    .await;
    let demand = async || app.get_json(t, &format!("/initiatives/{}", org.a)).await["demand"].clone();
    assert_eq!(
        demand().await,
        json!({"requests": 0, "customers": 0, "customer_value": 0, "importance": 0})
    );
    for item in [&one, &two, &three] {
        let linked = app
            .api(Method::PUT, t, &format!("/initiatives/{}/feedback/{item}", org.a))
            .send()
            .await
            .unwrap();
        let body = expect_status(linked, StatusCode::OK).await;
        assert_eq!(body["initiative_ids"], json!([org.a]));
    }
    // Linking twice is harmless.
    app.api(Method::PUT, t, &format!("/initiatives/{}/feedback/{one}", org.a))
        .send()
        .await
        .unwrap();
    // Acme twice: once, with 500000 (its highest value) and critical (3, its highest importance);
    // Globex: no value, important (2).
    assert_eq!(
        demand().await,
        json!({"requests": 3, "customers": 2, "customer_value": 500000, "importance": 5})
    );
    // The priorities and the list sort by it, and carry it.
    let ranked = app
        .get_json(t, &format!("/portfolios/{}/priorities?by=demand", org.root))
        .await;
    assert_eq!(ranked["items"][0]["initiative"]["id"], org.a.as_str());
    assert_eq!(ranked["items"][0]["demand"]["importance"], 5);
    assert!(
        ranked["items"][0]["formula"]
            .as_str()
            .unwrap()
            .starts_with("Demand 5 = ")
    );
    // Unlinking Acme's critical request leaves its other one: nice to have.
    let unlinked = app
        .api(
            Method::DELETE,
            t,
            &format!("/initiatives/{}/feedback/{two}", org.a),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unlinked.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        demand().await,
        json!({"requests": 2, "customers": 2, "customer_value": 500000, "importance": 3})
    );
    let again = app
        .api(
            Method::DELETE,
            t,
            &format!("/initiatives/{}/feedback/{two}", org.a),
        )
        .send()
        .await
        .unwrap();
    expect_problem(again, StatusCode::NOT_FOUND, None).await;
    // Deleting the initiative unlinks its feedback, which waits in the inbox again.
    app.api(Method::DELETE, t, &format!("/initiatives/{}", org.a))
        .send()
        .await
        .unwrap();
    let inbox = app.get_json(t, "/feedback?linked=false").await;
    let ids: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [unrelated.as_str(), three.as_str(), two.as_str(), one.as_str()],
        "newest first"
    );
    assert_maintained_totals_match(&app, org.account.org_id).await;
}

#[tokio::test]
async fn the_inbox_lists_unlinked_feedback_first_and_filters_by_customer_and_text() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let mut ids = vec![];
    for (text, customer) in [
        ("SSO with Okta", "Acme"),
        ("Audit log export", "Globex"),
        ("SSO for contractors", "ACME "),
        ("100% offline mode", "Initech"),
    ] {
        let body = json!({"text": text, "customer": customer, "importance": "important"});
        ids.push(id_of(&app.post_json(t, "/feedback", body).await));
    }
    // The oldest is linked: it goes after every unlinked one.
    app.api(
        Method::PUT,
        t,
        &format!("/initiatives/{}/feedback/{}", org.e, ids[0]),
    )
    .send()
    .await
    .unwrap();
    let order = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.get_json(t, "/feedback").await;
    assert_eq!(
        order(&all),
        [ids[3].as_str(), ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]
    );
    // Pages follow the same order.
    let first = app.get_json(t, "/feedback?limit=3").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(t, &format!("/feedback?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(order(&second), [ids[0].as_str()]);
    assert_eq!(
        order(&app.get_json(t, "/feedback?linked=true").await),
        [ids[0].as_str()]
    );
    assert_eq!(
        order(&app.get_json(t, "/feedback?customer=acme").await),
        [ids[2].as_str(), ids[0].as_str()]
    );
    assert_eq!(
        order(&app.get_json(t, "/feedback?q=sso&linked=false").await),
        [ids[2].as_str()]
    );
    // `%` is a character, not a wildcard.
    assert_eq!(
        order(&app.get_json(t, "/feedback?q=100%25").await),
        [ids[3].as_str()]
    );
    let bad = app
        .api(Method::GET, t, "/feedback?linked=maybe")
        .send()
        .await
        .unwrap();
    expect_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, Some("linked")).await;
    for (body, field) in [
        (json!({"customer": "A", "importance": "critical"}), "text"),
        (json!({"text": "A", "importance": "critical"}), "customer"),
        (json!({"text": "A", "customer": "B"}), "importance"),
        (
            json!({"text": "A", "customer": "B", "importance": "urgent"}),
            "importance",
        ),
        (
            json!({"text": "A", "customer": "B", "importance": "critical", "customer_value": -5}),
            "customer_value",
        ),
    ] {
        let refused = app.send_json(Method::POST, t, "/feedback", body, None).await;
        expect_problem(refused, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    assert_eq!(
        app.get_json(t, "/feedback").await["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn viewers_read_outcomes_and_other_organizations_see_none_of_them() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let id = id_of(
        &kpi(
            &app,
            t,
            &org.checkout,
            json!({"name": "NPS", "direction": "increase", "target": 40}),
        )
        .await,
    );
    let feedback = id_of(
        &app.post_json(
            t,
            "/feedback",
            json!({"text": "SSO", "customer": "Acme", "importance": "critical"}),
        )
        .await,
    );
    let viewer = app.add_member(&org.account, Role::Viewer).await;
    let v = &viewer.token;
    app.get_json(v, &format!("/kpis/{id}")).await;
    app.get_json(v, "/feedback").await;
    for (method, path, body) in [
        (
            Method::POST,
            format!("/portfolios/{}/kpis", org.checkout),
            json!({"name": "X", "direction": "increase", "target": 1}),
        ),
        (
            Method::POST,
            format!("/kpis/{id}/values"),
            json!({"date": "2026-01-01", "value": 1}),
        ),
        (
            Method::POST,
            "/feedback".to_owned(),
            json!({"text": "X", "customer": "Y", "importance": "critical"}),
        ),
        (
            Method::PUT,
            format!("/initiatives/{}/feedback/{feedback}", org.a),
            Value::Null,
        ),
    ] {
        let refused = app.send_json(method, v, &path, body, None).await;
        expect_problem(refused, StatusCode::FORBIDDEN, None).await;
    }
    // A member who leads nothing may record feedback but not link it to work they cannot edit.
    let member = app.add_member(&org.account, Role::Member).await;
    let m = &member.token;
    let own = app
        .send_json(
            Method::POST,
            m,
            "/feedback",
            json!({"text": "Y", "customer": "Z", "importance": "important"}),
            None,
        )
        .await;
    expect_status(own, StatusCode::CREATED).await;
    let link = app
        .api(
            Method::PUT,
            m,
            &format!("/initiatives/{}/feedback/{feedback}", org.a),
        )
        .send()
        .await
        .unwrap();
    expect_problem(link, StatusCode::FORBIDDEN, None).await;
    let patch = app
        .send_json(
            Method::PATCH,
            m,
            &format!("/kpis/{id}"),
            json!({"target": 1}),
            None,
        )
        .await;
    expect_problem(patch, StatusCode::FORBIDDEN, None).await;

    // Another organization: every id answers 404, and its lists hold nothing of this one.
    let other = app.signup("Elsewhere").await;
    let o = &other.token;
    for path in [
        format!("/kpis/{id}"),
        format!("/kpis/{id}/values"),
        format!("/feedback/{feedback}"),
        format!("/portfolios/{}/kpis", org.checkout),
    ] {
        let answer = app.api(Method::GET, o, &path).send().await.unwrap();
        expect_problem(answer, StatusCode::NOT_FOUND, None).await;
    }
    let theirs = id_of(&app.create_portfolio(o, "Theirs", "portfolio", None).await);
    let their_initiative = id_of(&app.create_initiative(o, &theirs, json!({})).await);
    let cross = app
        .api(
            Method::PUT,
            o,
            &format!("/initiatives/{their_initiative}/feedback/{feedback}"),
        )
        .send()
        .await
        .unwrap();
    expect_problem(cross, StatusCode::NOT_FOUND, None).await;
    let write = app
        .send_json(
            Method::POST,
            o,
            &format!("/kpis/{id}/values"),
            json!({"date": "2026-01-01", "value": 1}),
            None,
        )
        .await;
    expect_problem(write, StatusCode::NOT_FOUND, None).await;
    assert_eq!(app.get_json(o, "/feedback").await["items"], json!([]));
    assert_eq!(
        app.get_json(t, &format!("/kpis/{id}")).await["latest"],
        Value::Null
    );
}
