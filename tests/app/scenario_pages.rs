//! Scenario pages (SPEC §9): a scenario's figures beside the live plan's, every figure that differs
//! marked with its difference; the forms that change a scenario, with errors beside their fields
//! and a stale form kept with the other person's change shown; apply with what was held back; the
//! compare page; and who may do what.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Page, TestApp, id_of, spawn_app};
use crate::scenarios::{Org, build, cut_legacy};
use cairn::domain::Role;

/// The organization of the API tests with "Cut legacy", its admin signed in on the pages.
async fn signed_in(app: &TestApp) -> (Org, String) {
    let org = build(app).await;
    let scenario = cut_legacy(app, &org).await;
    let signed_in = app
        .sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    (org, scenario)
}

/// The totals line of `figure`: plan A, plan B and the difference as shown.
fn total(page: &Page, figure: &str) -> [String; 3] {
    let row = format!(".comparison.totals tr[data-figure='{figure}']");
    ["a", "b", "difference"].map(|cell| page.text(&format!("{row} td.{cell}")))
}

fn key_of(initiative: &serde_json::Value) -> String {
    initiative["key"].as_str().unwrap().to_owned()
}

/// The version the page's forms carry.
fn version(page: &Page, scenario: &str) -> String {
    page.value(&format!(
        "form[action='/scenarios/{scenario}/changes'] input[name='version']"
    ))
    .unwrap()
}

#[tokio::test]
async fn a_scenarios_page_shows_its_figures_beside_the_live_ones_and_what_it_changes() {
    let app = spawn_app().await;
    let (org, scenario) = signed_in(&app).await;
    let page = app.get_page(&format!("/scenarios/{scenario}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1"), "Cut legacy");
    // The figures of the API test, as people read them: live on the left, the scenario on the right.
    assert_eq!(total(&page, "Initiatives"), ["4", "5", "+1"].map(String::from));
    assert_eq!(
        total(&page, "Effort (pw)"),
        ["22", "19", "\u{2212}3"].map(String::from)
    );
    assert_eq!(
        total(&page, "Progress"),
        ["22.7%", "26.3%", "+3.6 pts"].map(String::from)
    );
    assert_eq!(total(&page, "Late"), ["1", "1", "same"].map(String::from));
    let changed: Vec<String> = page
        .select(".comparison.totals tr.changed th")
        .iter()
        .map(|th| th.text().collect())
        .collect();
    assert!(changed.contains(&"Effort (pw)".to_owned()), "{changed:?}");
    assert!(!changed.contains(&"Late".to_owned()), "{changed:?}");
    // Alpha lost Y's 6 pw; the row says so in words, and drills into the same compare for Alpha.
    let alpha = page
        .select(".comparison.children tr.child.changed")
        .into_iter()
        .find(|row| row.text().any(|t| t == "Alpha"))
        .unwrap();
    let text: String = alpha.text().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("Alpha") && text.contains("16") && text.contains("10"),
        "{text}"
    );
    let link = scraper::Selector::parse("a").unwrap();
    assert_eq!(
        alpha.select(&link).next().unwrap().value().attr("href"),
        Some(
            format!(
                "/scenarios/compare?a=live&b={scenario}&portfolio_id={}",
                org.alpha
            )
            .as_str()
        )
    );
    let core = page
        .select(".comparison.themes tr.theme")
        .into_iter()
        .find(|row| row.text().any(|t| t == "Core"))
        .unwrap();
    assert!(core.text().any(|t| t.contains("\u{2212}11.5 pts")));
    // What it changes, who made each change, the work only it has, the capacity it sets.
    let name: String = sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
        .bind(org.account.user_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let y = page.one(&format!(
        ".scenario-changes tr[data-initiative-id='{}']",
        id_of(&org.y)
    ));
    let y_text = y.text().collect::<String>();
    assert!(y_text.contains("Status: Planned → Cancelled"), "{y_text}");
    assert!(y_text.contains(&name), "{y_text}");
    assert!(
        page.text(".scenario-initiatives .hypothetical")
            .contains("H Planned in Beta, 3 pw")
    );
    assert_eq!(
        page.text(".scenario-capacity tr.capacity-change"),
        format!("Beta 2030-Q1 5.0 8.0 {name}")
    );
    // The roll-up page leads here and starts new scenarios.
    let rollup = app.get_page(&format!("/portfolios/{}", org.root)).await;
    assert_eq!(
        rollup.href(".actions a.scenarios"),
        format!("/scenarios?portfolio_id={}", org.root)
    );
    assert_eq!(
        rollup.value(".what-if input[name='portfolio_id']").as_deref(),
        Some(org.root.as_str())
    );
    let list = app.get_page("/scenarios").await;
    assert_eq!(list.text("table.scenarios td.title"), "Cut legacy");
}

#[tokio::test]
async fn the_forms_change_a_scenario_and_refuse_bad_or_stale_input_beside_the_fields() {
    let app = spawn_app().await;
    let (org, _) = signed_in(&app).await;
    let t = &org.account.token;
    // Started from the roll-up page's form: opened at once, over the portfolio.
    let started = app
        .post_form("/scenarios", &[("name", "Try"), ("portfolio_id", &org.root)])
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let path = started.location.unwrap();
    let id = path.trim_start_matches("/scenarios/").to_owned();
    let page = app.get_page(&path).await;
    let action = format!("{path}/changes");
    let fields = page.form_fields(&action);

    // A key nobody has and an effort that is no number: both beside their fields, as typed.
    let bad = crate::helpers::with_changes(&fields, &[("key", "NOPE-1"), ("effort", "lots")]);
    let refused = app.submit(&action, &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors: Vec<String> = refused
        .select(".change-form .field-error")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(
        errors,
        [
            "Initiative key is not the key of an initiative in this organization",
            "Effort must be a number"
        ]
    );
    assert_eq!(
        refused.value(".change-form input[name='effort']").as_deref(),
        Some("lots")
    );
    // A field left blank stays as the live plan has it: cancelling Y sets its status only.
    let y = key_of(&org.y);
    let cancel =
        crate::helpers::with_changes(&fields, &[("key", &y.to_lowercase()), ("status", "cancelled")]);
    let saved = app.submit(&action, &cancel).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(saved.location, Some(format!("{path}#changes")));
    let detail = app.get_json(t, &format!("/scenarios/{id}")).await;
    assert_eq!(
        detail["changes"][0]["fields"],
        json!([{"field": "status", "live": "planned", "scenario": "cancelled"}])
    );

    // Someone else changes the scenario meanwhile: the old form is refused, their change shown.
    let stale_page = app.get_page(&path).await;
    app.send_json(
        reqwest::Method::PUT,
        t,
        &format!("/scenarios/{id}/changes/{}", id_of(&org.x)),
        json!({"target_date": "2030-05-31"}),
        None,
    )
    .await;
    let x = key_of(&org.x);
    let delay = crate::helpers::with_changes(
        &stale_page.form_fields(&action),
        &[("key", &y), ("progress", "40")],
    );
    let stale = app.submit(&action, &delay).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(
        stale.text(".change-form .alert.warning strong"),
        "Someone changed this scenario while you were editing."
    );
    assert_eq!(
        stale.value(".change-form input[name='progress']").as_deref(),
        Some("40")
    );
    assert!(
        stale
            .text(&format!(
                ".scenario-changes tr[data-initiative-id='{}']",
                id_of(&org.x)
            ))
            .contains(&format!("{x} X"))
    );
    // Sent again from the refreshed form, it saves.
    let again = app.submit(&action, &stale.form_fields(&action)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);

    // Work only in the scenario: refused without effort, then added.
    let page = app.get_page(&path).await;
    let add = format!("{path}/initiatives");
    let no_effort = crate::helpers::with_changes(&page.form_fields(&add), &[("title", "Pilot")]);
    let refused = app.submit(&add, &no_effort).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text(".hypothetical-form .field-error"),
        "Effort is required"
    );
    let added = app
        .submit(
            &add,
            &crate::helpers::with_changes(&page.form_fields(&add), &[("title", "Pilot"), ("effort", "3")]),
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);

    // Capacity: a negative figure is refused beside its field; a quarter of the choices is set.
    let page = app.get_page(&path).await;
    let capacity = format!("{path}/capacity");
    let fields = page.form_fields(&capacity);
    let quarter = fields.iter().find(|(n, _)| n == "period").unwrap().1.clone();
    let refused = app
        .submit(
            &capacity,
            &crate::helpers::with_changes(&fields, &[("portfolio_id", &org.beta), ("person_weeks", "-1")]),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.text(".capacity-form .field-error"),
        "Person-weeks must be a number from 0 to 999,999,999"
    );
    let set = app
        .submit(
            &capacity,
            &crate::helpers::with_changes(&fields, &[("portfolio_id", &org.beta), ("person_weeks", "9")]),
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let detail = app.get_json(t, &format!("/scenarios/{id}")).await;
    assert_eq!(detail["capacity"][0]["period"], quarter.as_str());
    assert_eq!(detail["capacity"][0]["person_weeks"], 9.0);
    assert_eq!(detail["initiatives"][0]["title"], "Pilot");

    // Taking X's change out again, renaming, branching and deleting.
    let page = app.get_page(&path).await;
    let v = version(&page, &id);
    let removed = app
        .post_form(
            &format!("{path}/changes/{}/remove", id_of(&org.x)),
            &[("version", &v)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let detail = app.get_json(t, &format!("/scenarios/{id}")).await;
    assert_eq!(detail["changes"].as_array().unwrap().len(), 1);
    let v = detail["version"].to_string();
    let unnamed = app.post_form(&path, &[("name", " "), ("version", &v)]).await;
    assert_eq!(unnamed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unnamed.text(".rename-form .field-error").starts_with("Name "));
    let renamed = app
        .post_form(&path, &[("name", "Try harder"), ("version", &v)])
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    let copied = app.post_form(&format!("{path}/copy"), &[]).await;
    assert_eq!(copied.status, StatusCode::SEE_OTHER);
    let copy = app.get_page(&copied.location.unwrap()).await;
    assert_eq!(copy.text("h1"), "Try harder (copy)");
    assert_eq!(copy.select(".scenario-changes tr.change").len(), 1);
    let v = app.get_json(t, &format!("/scenarios/{id}")).await["version"].to_string();
    let deleted = app.post_form(&format!("{path}/delete"), &[("version", &v)]).await;
    assert_eq!(deleted.location.as_deref(), Some("/scenarios"));
    assert_eq!(app.get_page(&path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn apply_on_the_page_says_what_was_applied_and_what_was_held_back() {
    let app = spawn_app().await;
    let (org, scenario) = signed_in(&app).await;
    let t = &org.account.token;
    let path = format!("/scenarios/{scenario}");
    // X changes in the live plan after the scenario's change of it: the page marks it.
    app.patch_json(
        t,
        &format!("/initiatives/{}", id_of(&org.x)),
        json!({"progress": 60}),
    )
    .await;
    let page = app.get_page(&path).await;
    let stale = page.one(&format!(
        "tr.change.stale[data-initiative-id='{}']",
        id_of(&org.x)
    ));
    assert!(
        stale
            .text()
            .collect::<String>()
            .contains("Changed in the live plan since")
    );

    let nothing = app.post_form(&format!("{path}/apply"), &[]).await;
    assert_eq!(nothing.status, StatusCode::CONFLICT);
    assert_eq!(
        nothing.text(".alert p + p"),
        "Tick the changes to apply, or apply all."
    );

    let y = id_of(&org.y);
    let one = app.post_form(&format!("{path}/apply"), &[("changes", &y)]).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        one.text(".applied-result ul.applied"),
        format!("{} Y", key_of(&org.y))
    );
    let live_y = app.get_json(t, &format!("/initiatives/{y}")).await;
    assert_eq!(live_y["status"], "cancelled");

    let all = app.post_form(&format!("{path}/apply"), &[("all", "1")]).await;
    assert_eq!(all.status, StatusCode::OK);
    let applied = all.text(".applied-result ul.applied");
    assert!(
        applied.contains("H") && applied.contains("Capacity of Beta in 2030-Q1"),
        "{applied}"
    );
    assert_eq!(
        all.href(".applied-result ul.conflicts a"),
        format!("/initiatives/{}", id_of(&org.x))
    );
    // The held-back change stays in the scenario to redo.
    assert_eq!(all.select(".scenario-changes tr.change").len(), 1);
}

#[tokio::test]
async fn the_compare_page_sets_any_two_plans_side_by_side() {
    let app = spawn_app().await;
    let (org, scenario) = signed_in(&app).await;
    let page = app
        .get_page(&format!("/scenarios/compare?a=live&b={scenario}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(total(&page, "Initiatives"), ["4", "5", "+1"].map(String::from));
    assert_eq!(page.selected("b"), scenario);
    assert_eq!(page.select(".side-changes tr.change").len(), 2);
    assert!(
        page.text(".side-changes tr.capacity-change")
            .starts_with("Beta 2030-Q1 5.0 8.0")
    );
    // Kept for the next request only while nothing changed: a change shows at once.
    app.send_json(
        reqwest::Method::PUT,
        &org.account.token,
        &format!("/scenarios/{scenario}/changes/{}", id_of(&org.x)),
        json!({"status": "cancelled"}),
        None,
    )
    .await;
    let again = app
        .get_page(&format!("/scenarios/compare?a=live&b={scenario}"))
        .await;
    assert_eq!(
        total(&again, "Effort (pw)"),
        ["22", "9", "\u{2212}13"].map(String::from)
    );
    // Two copies of one scenario, for Alpha: the same figures.
    let copy = id_of(
        &app.post_json(
            &org.account.token,
            &format!("/scenarios/{scenario}/copy"),
            json!({}),
        )
        .await,
    );
    let same = app
        .get_page(&format!(
            "/scenarios/compare?a={scenario}&b={copy}&portfolio_id={}",
            org.alpha
        ))
        .await;
    assert_eq!(
        same.text(".no-difference"),
        "The two plans have the same figures."
    );
    assert_eq!(same.select(".side-changes").len(), 2);
    // No second plan yet: the chooser alone. A plan that is neither: said beside it.
    let chooser = app.get_page("/scenarios/compare").await;
    assert_eq!(chooser.status, StatusCode::OK);
    assert!(chooser.select(".comparison").is_empty());
    let refused = app.get_page("/scenarios/compare?a=live&b=tomorrow").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.text(".alert p + p"),
        "Choose two plans: the live plan or a scenario."
    );
    let both_live = app.get_page("/scenarios/compare?a=live&b=live").await;
    assert_eq!(both_live.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn viewers_read_scenario_pages_without_forms_and_other_orgs_see_nothing() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let scenario = cut_legacy(&app, &org).await;
    let path = format!("/scenarios/{scenario}");
    let (_, viewer) = app.signed_in_member(&org.account, Role::Viewer).await;
    let page = viewer.get_page(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.select("form[action$='/changes']").is_empty());
    assert!(page.select("input[name='changes']").is_empty());
    let y = key_of(&org.y);
    for form in [
        vec![("key", y.as_str()), ("status", "cancelled"), ("version", "1")],
        // Unreadable text is refused for who may not edit before any error is shown.
        vec![("key", "NOPE-1"), ("effort", "lots"), ("version", "1")],
    ] {
        let refused = viewer.post_form(&format!("{path}/changes"), &form).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        viewer
            .post_form(&format!("{path}/apply"), &[("all", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let stranger = app.signup("Elsewhere").await;
    let outsider = app.with_client(crate::helpers::new_client());
    outsider
        .sign_in_page(&stranger.email, &stranger.password, "")
        .await;
    assert_eq!(outsider.get_page(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        outsider
            .post_form(&format!("{path}/apply"), &[("all", "1")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
