//! Dependencies (SPEC §10): links between any two initiatives of an organization, across
//! portfolios; a cycle answers 409; the conflict rule by hand-computed cases; and
//! `dependency_conflicts` kept at every level as the blocker's date and status change.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_problem, expect_status, id_of, spawn_app};
use crate::rollups::{Org, build};

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

async fn link(app: &TestApp, token: &str, dependent: &str, blocker: &str) -> reqwest::Response {
    app.api(
        Method::PUT,
        token,
        &format!("/initiatives/{dependent}/dependencies/{blocker}"),
    )
    .send()
    .await
    .unwrap()
}

async fn conflicts(app: &TestApp, org: &Org, portfolio: &str) -> (i64, Vec<(String, i64)>) {
    let rollup = app
        .get_json(&org.account.token, &format!("/portfolios/{portfolio}/rollup"))
        .await;
    let children = rollup["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["portfolio"]["name"].as_str().unwrap().to_owned(),
                c["dependency_conflicts"].as_i64().unwrap(),
            )
        })
        .collect();
    (
        rollup["totals"]["dependency_conflicts"].as_i64().unwrap(),
        children,
    )
}

#[tokio::test]
async fn a_blocker_due_on_or_after_the_dependent_starts_is_a_conflict_counted_up_the_tree() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    // Platform's f (proposed) blocks a Payments initiative that starts in 10 days.
    app.patch_json(
        t,
        &format!("/initiatives/{}", org.f),
        json!({"start_date": day(0), "target_date": day(20)}),
    )
    .await;
    let dependent = id_of(
        &app.create_initiative(
            t,
            &org.payments,
            json!({"status": "planned", "start_date": day(10), "target_date": day(40)}),
        )
        .await,
    );
    let links = expect_status(link(&app, t, &dependent, &org.f).await, StatusCode::OK).await;
    assert_eq!(links["blockers"][0]["id"], org.f.as_str());
    assert_eq!(
        links["blockers"][0]["conflict"], true,
        "due day 20, starts day 10"
    );
    // Every level holding the dependent counts it; Platform, holding only the blocker, does not.
    assert_eq!(conflicts(&app, &org, &org.root).await.0, 1);
    assert_eq!(conflicts(&app, &org, &org.commerce).await.0, 1);
    assert_eq!(conflicts(&app, &org, &org.checkout).await.0, 1);
    assert_eq!(conflicts(&app, &org, &org.payments).await.0, 1);
    assert_eq!(conflicts(&app, &org, &org.platform).await.0, 0);
    let (_, children) = conflicts(&app, &org, &org.root).await;
    assert!(children.contains(&("Commerce".to_owned(), 1)) && children.contains(&("Platform".to_owned(), 0)));
    // The blocker's page lists the dependent, with the conflict.
    let blocker_links = app
        .get_json(t, &format!("/initiatives/{}/dependencies", org.f))
        .await;
    assert_eq!(blocker_links["dependents"][0]["id"], dependent.as_str());
    assert_eq!(blocker_links["dependents"][0]["conflict"], true);
    assert_eq!(
        app.get_json(t, &format!("/initiatives/{dependent}")).await["dependency_conflict"],
        true
    );

    // Each write that ends the conflict clears it at every level, and the next brings it back.
    let blocker = format!("/initiatives/{}", org.f);
    let cases: [(&str, Value, i64); 6] = [
        (
            "the blocker due the day before the start",
            json!({"target_date": day(9)}),
            0,
        ),
        ("the blocker due on the start", json!({"target_date": day(10)}), 1),
        ("the blocker done", json!({"status": "done"}), 0),
        ("the blocker reopened", json!({"status": "in_progress"}), 1),
        ("the blocker cancelled", json!({"status": "cancelled"}), 0),
        (
            "the blocker undated",
            json!({"status": "planned", "start_date": null, "target_date": null}),
            0,
        ),
    ];
    for (what, change, expected) in cases {
        app.patch_json(t, &blocker, change).await;
        assert_eq!(conflicts(&app, &org, &org.root).await.0, expected, "root, {what}");
        assert_eq!(
            conflicts(&app, &org, &org.payments).await.0,
            expected,
            "Payments, {what}"
        );
    }
    app.patch_json(t, &blocker, json!({"target_date": day(30)})).await;
    assert_eq!(conflicts(&app, &org, &org.root).await.0, 1);
    // The dependent's own writes: starting after the blocker is due, then cancelled.
    let dependent_path = format!("/initiatives/{dependent}");
    app.patch_json(t, &dependent_path, json!({"start_date": day(31)}))
        .await;
    assert_eq!(
        conflicts(&app, &org, &org.root).await.0,
        0,
        "starts after the blocker is due"
    );
    app.patch_json(t, &dependent_path, json!({"start_date": day(30)}))
        .await;
    assert_eq!(conflicts(&app, &org, &org.root).await.0, 1);
    app.patch_json(t, &dependent_path, json!({"status": "cancelled"}))
        .await;
    assert_eq!(
        conflicts(&app, &org, &org.root).await.0,
        0,
        "a cancelled dependent waits for nothing"
    );
    app.patch_json(t, &dependent_path, json!({"status": "planned"}))
        .await;
    // Moving the dependent's portfolio moves its conflict: Payments under Platform.
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.payments),
        json!({"parent_id": org.platform}),
    )
    .await;
    assert_eq!(conflicts(&app, &org, &org.commerce).await.0, 0);
    assert_eq!(conflicts(&app, &org, &org.platform).await.0, 1);
    // The list filter finds it.
    let listed = app
        .get_json(
            t,
            &format!("/initiatives?portfolio_id={}&dependency_conflict=true", org.root),
        )
        .await;
    let keys: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [dependent.as_str()]);
    // Removing the link ends it; deleting a blocker does too.
    let delete = app
        .api(
            Method::DELETE,
            t,
            &format!("/initiatives/{dependent}/dependencies/{}", org.f),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
    assert_eq!(conflicts(&app, &org, &org.root).await.0, 0);
    expect_problem(
        app.api(
            Method::DELETE,
            t,
            &format!("/initiatives/{dependent}/dependencies/{}", org.f),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    expect_status(link(&app, t, &dependent, &org.f).await, StatusCode::OK).await;
    assert_eq!(conflicts(&app, &org, &org.root).await.0, 1);
    let response = app.api(Method::DELETE, t, &blocker).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(conflicts(&app, &org, &org.root).await.0, 0, "its blocker is gone");
    crate::rollups::assert_maintained_totals_match(&app, org.account.org_id).await;
}

#[tokio::test]
async fn cycles_answer_409_and_links_stay_within_the_organization_and_its_permissions() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let (a, e, f) = (&org.a, &org.e, &org.f);
    expect_status(link(&app, t, a, e).await, StatusCode::OK).await;
    expect_status(link(&app, t, e, f).await, StatusCode::OK).await;
    // Setting a link twice is harmless.
    let again = expect_status(link(&app, t, a, e).await, StatusCode::OK).await;
    assert_eq!(again["blockers"].as_array().unwrap().len(), 1);
    for (dependent, blocker, what) in [(f, a, "through e"), (e, a, "directly"), (a, a, "itself")] {
        let body = expect_problem(
            link(&app, t, dependent, blocker).await,
            StatusCode::CONFLICT,
            None,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap().contains("cycle")
                || body["detail"].as_str().unwrap().contains("itself"),
            "{what}: {body}"
        );
    }
    // Nothing was added by the refused links.
    let f_links = app.get_json(t, &format!("/initiatives/{f}/dependencies")).await;
    assert_eq!(f_links["blockers"], json!([]));
    assert_eq!(f_links["dependents"][0]["id"], e.as_str());

    // Another organization's initiative is not found, either way round.
    let other = app.signup("Elsewhere").await;
    let portfolio = id_of(
        &app.create_portfolio(&other.token, "Elsewhere", "portfolio", None)
            .await,
    );
    let theirs = id_of(&app.create_initiative(&other.token, &portfolio, json!({})).await);
    expect_problem(link(&app, t, a, &theirs).await, StatusCode::NOT_FOUND, None).await;
    expect_problem(
        link(&app, &other.token, &theirs, a).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    expect_problem(
        app.api(
            Method::GET,
            &other.token,
            &format!("/initiatives/{a}/dependencies"),
        )
        .send()
        .await
        .unwrap(),
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    // A viewer reads the links but may not change them.
    let viewer = app.add_member(&org.account, cairn::domain::Role::Viewer).await;
    app.get_json(&viewer.token, &format!("/initiatives/{a}/dependencies"))
        .await;
    expect_problem(link(&app, &viewer.token, f, a).await, StatusCode::FORBIDDEN, None).await;
}
