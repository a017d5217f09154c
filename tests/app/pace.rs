//! Pace (SPEC §10): in-progress work with both dates is expected as far along as its time is gone;
//! declared on track yet behind by the organization's threshold or more, it is optimistic, counted
//! at every level and flagged beside its health.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of, spawn_app};
use crate::rollups::{Org, build};

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

async fn optimistic(app: &TestApp, org: &Org, portfolio: &str) -> i64 {
    app.get_json(&org.account.token, &format!("/portfolios/{portfolio}/rollup"))
        .await["totals"]["optimistic"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn on_track_work_behind_its_time_by_the_threshold_is_counted_optimistic_at_every_level() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    // The hand-built organization has no in-progress work with both dates yet.
    assert_eq!(optimistic(&app, &org, &org.root).await, 0);
    let running = |progress: i64, health: &str| {
        // Started 30 days ago, due in 10: 75 % of its time is gone.
        json!({"status": "in_progress", "health": health, "progress": progress,
               "start_date": day(-30), "target_date": day(10)})
    };
    let create =
        async |portfolio: &str, fields: Value| id_of(&app.create_initiative(t, portfolio, fields).await);
    // 50 % done: 25 points behind — exactly the default threshold, so optimistic.
    let behind = create(&org.payments, running(50, "on_track")).await;
    // 51 % done: 24 points behind — not.
    let close = create(&org.payments, running(51, "on_track")).await;
    // 10 % done but declared at risk: honest, not optimistic.
    create(&org.platform, running(10, "at_risk")).await;
    // Past its target at 70 %: everything was expected, 30 behind.
    let overdue = create(
        &org.platform,
        json!({"status": "in_progress", "progress": 70, "start_date": day(-40), "target_date": day(-1)}),
    )
    .await;
    // Planned work is not judged by pace.
    create(
        &org.platform,
        json!({"status": "planned", "progress": 0, "start_date": day(-30), "target_date": day(10)}),
    )
    .await;
    assert_eq!(optimistic(&app, &org, &org.root).await, 2);
    assert_eq!(optimistic(&app, &org, &org.commerce).await, 1);
    assert_eq!(optimistic(&app, &org, &org.payments).await, 1);
    assert_eq!(optimistic(&app, &org, &org.platform).await, 1);
    // The list shows exactly those two.
    let listed = app
        .get_json(
            t,
            &format!("/initiatives?portfolio_id={}&optimistic=true", org.root),
        )
        .await;
    let mut ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut expected = [behind.as_str(), overdue.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);

    // A stricter organization: 30 points. Only the overdue one is that far behind.
    app.patch_json(t, "/organization", json!({"optimism_threshold": 30}))
        .await;
    assert_eq!(optimistic(&app, &org, &org.root).await, 1);
    assert_eq!(optimistic(&app, &org, &org.payments).await, 0);
    // A laxer one: 24 points catches the one 24 behind too.
    app.patch_json(t, "/organization", json!({"optimism_threshold": 24}))
        .await;
    assert_eq!(optimistic(&app, &org, &org.root).await, 3);
    // An update that says "at risk" ends it; progress that catches up ends it too.
    app.patch_json(t, &format!("/initiatives/{close}"), json!({"health": "at_risk"}))
        .await;
    app.patch_json(t, &format!("/initiatives/{behind}"), json!({"progress": 80}))
        .await;
    assert_eq!(optimistic(&app, &org, &org.root).await, 1);
    assert_eq!(optimistic(&app, &org, &org.commerce).await, 0);
    // Out of range: refused on its field.
    crate::helpers::expect_problem(
        app.send_json(
            reqwest::Method::PATCH,
            t,
            "/organization",
            json!({"optimism_threshold": 0}),
            None,
        )
        .await,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        Some("optimism_threshold"),
    )
    .await;
    crate::rollups::assert_maintained_totals_match(&app, org.account.org_id).await;
}
