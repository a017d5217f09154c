//! Dependencies and pace on the pages (SPEC §10): the initiative page's blockers and dependents
//! with conflicts marked and the forms that add and remove them (errors beside the field); the
//! roll-up page's two new figures and their watchlists; pace beside declared health on the
//! initiative page, the list and `/my`.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{id_of, spawn_app};
use crate::rollups::build;

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset)).to_string()
}

#[tokio::test]
async fn the_initiative_page_lists_and_edits_what_it_waits_for_with_conflicts_marked() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let blocker = app
        .patch_json(
            t,
            &format!("/initiatives/{}", org.f),
            json!({"status": "planned", "target_date": day(20)}),
        )
        .await;
    let dependent = app
        .create_initiative(
            t,
            &org.payments,
            json!({"title": "Waits", "status": "planned", "start_date": day(10)}),
        )
        .await;
    let (dependent_id, blocker_key) = (id_of(&dependent), blocker["key"].as_str().unwrap().to_owned());
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let path = format!("/initiatives/{dependent_id}");

    // An unknown key and a blank one are said beside the field, and nothing is linked.
    for (typed, says) in [
        ("NOPE-1", "no initiative has the key NOPE-1"),
        ("", "type the key"),
    ] {
        let refused = app
            .post_form(&format!("{path}/dependencies"), &[("blocker", typed)])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.field_error("blocker").unwrap().contains(says),
            "{typed:?}"
        );
        assert_eq!(refused.value("input[name='blocker']").as_deref(), Some(typed));
    }
    let added = app
        .post_form(
            &format!("{path}/dependencies"),
            &[("blocker", &blocker_key.to_lowercase())],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let page = app.get_page(&path).await;
    let row = page.one(&format!(".blockers li[data-initiative-id='{}']", org.f));
    let text: String = row.text().collect();
    assert!(row.value().classes().any(|c| c == "in-conflict"), "{text}");
    assert!(
        text.contains("Conflict") && text.contains(&format!("due {}", day(20))),
        "{text}"
    );
    assert!(page.text("dd.health").contains("Dependency conflict"));
    // The blocker's page lists it as a dependent; adding the reverse link would close a cycle.
    let blocker_page = app.get_page(&format!("/initiatives/{}", org.f)).await;
    assert!(
        blocker_page
            .text(&format!(".dependents li[data-initiative-id='{dependent_id}']"))
            .contains("Conflict")
    );
    let dependent_key = dependent["key"].as_str().unwrap();
    let cycle = app
        .post_form(
            &format!("/initiatives/{}/dependencies", org.f),
            &[("blocker", dependent_key)],
        )
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(cycle.field_error("blocker").unwrap().contains("cycle"));
    // The roll-up shows the figure and lists the initiative.
    let rollup = app.get_page(&format!("/portfolios/{}", org.root)).await;
    assert_eq!(rollup.text(".stat-conflicts .figure"), "1");
    assert_eq!(
        rollup.href(".stat-conflicts .figure"),
        format!("/initiatives?portfolio_id={}&dependency_conflict=true", org.root)
    );
    assert!(rollup.text(".watchlist.in-conflict").contains("Waits"));
    let listed = app.get_page(&rollup.href(".stat-conflicts .figure")).await;
    assert_eq!(
        listed
            .select(&format!("tr[data-initiative-id='{dependent_id}']"))
            .len(),
        1
    );
    assert_eq!(listed.select("table.initiatives tbody tr").len(), 1);
    // Removed: gone from both pages and from the figure.
    let removed = app
        .post_form(&format!("{path}/dependencies/{}/remove", org.f), &[])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(app.get_page(&path).await.select(".blockers li").is_empty());
    let rollup = app.get_page(&format!("/portfolios/{}", org.root)).await;
    assert_eq!(rollup.text(".stat-conflicts .figure"), "0");
    // A viewer sees the lists but no form.
    let viewer = app.add_member(&org.account, cairn::domain::Role::Viewer).await;
    let viewer_email = app.email_of(viewer.user_id).await;
    app.set_password(viewer.user_id, "viewer-password-1").await;
    app.post_form("/logout", &[]).await;
    app.sign_in_page(&viewer_email, "viewer-password-1", "").await;
    let page = app.get_page(&path).await;
    assert!(page.select("form.add-blocker").is_empty());
}

#[tokio::test]
async fn optimistic_work_is_flagged_beside_its_health_for_the_pm_and_the_cpo() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    // 75 % of its time gone, 40 % done, "on track": 35 points behind.
    let behind = app
        .create_initiative(
            t,
            &org.payments,
            json!({"title": "Behind", "status": "in_progress", "progress": 40,
                   "start_date": day(-30), "target_date": day(10), "owner_id": org.account.user_id}),
        )
        .await;
    let id = id_of(&behind);
    app.sign_in_page(&org.account.email, &org.account.password, "")
        .await;
    let page = app.get_page(&format!("/initiatives/{id}")).await;
    assert_eq!(
        page.text("dd.pace"),
        "Optimistic 75 % of its time gone, 40 % done: 35 points behind — declared on track, yet 25 points or more behind its time."
    );
    let my = app.get_page("/my").await;
    assert_eq!(
        my.text(&format!("li[id='{}'] .pace", behind["key"].as_str().unwrap())),
        "Optimistic You say on track, but 75 % of its time gone, 40 % done: 35 points behind."
    );
    let list = app
        .get_page(&format!("/initiatives?portfolio_id={}", org.root))
        .await;
    assert!(
        list.text(&format!("tr[data-initiative-id='{id}'] td[data-label='Health']"))
            .contains("Optimistic")
    );
    let rollup = app.get_page(&format!("/portfolios/{}", org.root)).await;
    assert_eq!(rollup.text(".stat-optimistic .figure"), "1");
    assert!(rollup.text(".watchlist.optimistic").contains("Behind"));
    // The settings page sets the threshold: at 40 points it is no longer optimistic.
    let settings = app.get_page("/settings/organization").await;
    assert_eq!(
        settings.value("input[name='optimism_threshold']").as_deref(),
        Some("25")
    );
    app.patch_json(t, "/organization", json!({"optimism_threshold": 40}))
        .await;
    let page = app.get_page(&format!("/initiatives/{id}")).await;
    assert!(
        !page.text("dd.pace").contains("Optimistic"),
        "{}",
        page.text("dd.pace")
    );
    assert_eq!(
        app.get_page(&format!("/portfolios/{}", org.root))
            .await
            .text(".stat-optimistic .figure"),
        "0"
    );
}
