//! The executive's journey in a real browser: a signed-in PM shares a roadmap; a fresh browser
//! profile with no cookies opens the link and reads the roadmap; the PM revokes the link; a reload
//! shows not-found.

use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{id_of, spawn_app};

#[tokio::test]
async fn a_pm_shares_a_roadmap_a_stranger_reads_it_until_it_is_revoked() {
    let Some(pm) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.signup("Shared Roadmaps").await;
    let root = id_of(
        &app.create_portfolio(&admin.token, "Payments", "portfolio", None)
            .await,
    );
    app.create_initiative(
        &admin.token,
        &root,
        json!({"title": "Instant refunds", "start_date": "2027-01-10", "target_date": "2027-03-31", "status": "in_progress"}),
    )
    .await;
    let roadmap = app
        .post_json(
            &admin.token,
            "/roadmaps",
            json!({"name": "Payments 2027", "portfolio_id": root, "from": "2027-01-01", "to": "2027-12-31"}),
        )
        .await;
    let path = format!("/roadmaps/{}", id_of(&roadmap));

    pm.sign_in(&app.url(""), &admin.email, &admin.password).await;
    pm.goto(&app.url(&path)).await;
    pm.choose("expires_in", "30").await;
    pm.click("form.share-create button[type='submit']").await;
    let url = pm
        .find(".new-link input.share-url")
        .await
        .prop("value")
        .await
        .expect("read the link")
        .expect("the link is shown");
    assert!(url.contains("/s/"), "{url}");

    // Another profile: no cookies, no session.
    let stranger = pm.another_session().await;
    stranger.goto(&url).await;
    assert_eq!(stranger.text("h1").await, "Payments 2027");
    assert!(
        stranger
            .text(".tl-row .rm-title")
            .await
            .contains("Instant refunds")
    );

    pm.goto(&app.url(&path)).await;
    pm.reload_until_text(".share-list .views", "1").await;
    pm.click(".share-list button.revoke").await;
    pm.wait_for_text(".share-list .state", "Revoked").await;

    stranger.reload().await;
    stranger.wait_for_text("h1", "Link not found").await;
    stranger.close().await;
    pm.close().await;
}
