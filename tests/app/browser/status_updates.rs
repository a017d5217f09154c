//! Status updates in a real browser: a PM checks in from `/my` in one submit and finds it in the
//! history; two people updating the same initiative, the second is shown the first one's update.

use cairn::domain::Role;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{PASSWORD, TestApp, id_of, spawn_app};

/// An organization whose PM owns one in-progress initiative; the PM's sign-in email and the
/// initiative's id.
async fn pm_with_initiative(app: &TestApp) -> (String, String, String) {
    let admin = app.signup("Proseware").await;
    let (pm, email) = app.member_with_password(&admin, Role::Member).await;
    let line = app
        .create_portfolio(&admin.token, "Payments", "product_line", None)
        .await;
    let initiative = app
        .create_initiative(
            &admin.token,
            &id_of(&line),
            json!({"title": "Instant payouts", "status": "in_progress", "progress": 20, "owner_id": pm.user_id}),
        )
        .await;
    (admin.token, email, id_of(&initiative))
}

#[tokio::test]
async fn a_pm_updates_from_my_in_one_submit_and_sees_it_in_the_history() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let (_, email, initiative) = pm_with_initiative(&app).await;
    browser.sign_in(&app.url(""), &email, PASSWORD).await;

    browser.click("main a[href='/my']").await;
    browser.wait_for_text("h1", "My initiatives").await;
    browser.choose("health", "at_risk").await;
    browser.fill("progress", "35").await;
    browser.fill("note", "Bank certification slipped a week").await;
    browser.click(".my-item button[type='submit']").await;
    browser.wait_for_text(".my-item .progress .value", "35%").await;

    browser.click(".my-item h2 a").await;
    browser.wait_for_path(&format!("/initiatives/{initiative}")).await;
    let entry = browser.text(".timeline .timeline-entry").await;
    assert!(entry.contains("Health On track → At risk"), "{entry}");
    assert!(entry.contains("Progress 20% → 35%"), "{entry}");
    assert!(entry.contains("Bank certification slipped a week"), "{entry}");
    browser.close().await;
}

#[tokio::test]
async fn the_second_of_two_people_updating_from_my_is_shown_the_first_ones_update() {
    let Some(first) = Browser::start().await else {
        return;
    };
    let second = first.another_session().await;
    let app = spawn_app().await;
    let (token, email, initiative) = pm_with_initiative(&app).await;
    first.sign_in(&app.url(""), &email, PASSWORD).await;
    second.sign_in(&app.url(""), &email, PASSWORD).await;
    first.goto(&app.url("/my")).await;
    second.goto(&app.url("/my")).await;

    first.fill("progress", "50").await;
    first.fill("note", "Partner API is live").await;
    first.click(".my-item button[type='submit']").await;
    first.wait_for_text(".my-item .progress .value", "50%").await;

    second.choose("health", "off_track").await;
    second.fill("progress", "25").await;
    second.click(".my-item button[type='submit']").await;
    second
        .wait_for_text(
            ".alert",
            "You saved this initiative in another tab or window while you were editing here",
        )
        .await;
    assert_eq!(
        second
            .text(".field.has-theirs:has([name='progress']) .theirs-value")
            .await,
        "50%"
    );
    // Only what the first window changed is marked; the health was changed here alone.
    assert_eq!(second.count(".field.has-theirs").await, 1);
    assert_eq!(second.text(".since .note").await, "Partner API is live");
    assert_eq!(second.value("progress").await, "25", "their input is kept");
    assert_eq!(second.value("health").await, "off_track");
    let saved = app.get_json(&token, &format!("/initiatives/{initiative}")).await;
    assert_eq!(
        (&saved["progress"], &saved["health"]),
        (&json!(50), &json!("on_track")),
        "not overwritten"
    );
    second.close().await;
    first.close().await;
}
