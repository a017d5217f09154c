//! The executive's journey in a real browser: a signed-in PM shares a roadmap; a fresh browser
//! profile with no cookies opens the link and reads the roadmap; the PM revokes the link; a reload
//! shows not-found. And a long shared roadmap read on screen and in print.

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

/// The board scrolls a long shared roadmap and then prints it: the month axis stays on screen
/// above the rows, every printed page starts with it, and every row's health prints in words.
#[tokio::test]
async fn a_long_shared_roadmap_keeps_its_month_axis_in_view_and_in_print() {
    let Some(board) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.signup("Long Roadmaps").await;
    let root = id_of(
        &app.create_portfolio(&admin.token, "Payments", "portfolio", None)
            .await,
    );
    for n in 0..40 {
        let health = ["on_track", "at_risk", "off_track"][n % 3];
        app.create_initiative(
            &admin.token,
            &root,
            json!({"title": format!("Initiative {n}"), "start_date": "2027-01-10", "target_date": "2027-06-30", "status": "in_progress", "health": health}),
        )
        .await;
    }
    let roadmap = app
        .post_json(
            &admin.token,
            "/roadmaps",
            json!({"name": "Payments 2027", "portfolio_id": root, "from": "2027-01-01", "to": "2027-12-31"}),
        )
        .await;
    let link = app
        .post_json(
            &admin.token,
            &format!("/roadmaps/{}/shares", id_of(&roadmap)),
            json!({}),
        )
        .await;
    board.goto(link["url"].as_str().unwrap()).await;
    board.find(".tl-head .tl-scale").await;

    let scrolled = board
        .client
        .execute(
            "window.scrollTo(0, document.documentElement.scrollHeight / 2);
             const axis = document.querySelector('.tl-head').getBoundingClientRect();
             return {scrolled: window.scrollY, top: axis.top, bottom: axis.bottom, height: window.innerHeight};",
            Vec::new(),
        )
        .await
        .expect("scroll and measure the axis");
    assert!(
        scrolled["scrolled"].as_f64().unwrap() > 300.0,
        "the page scrolled: {scrolled}"
    );
    let top = scrolled["top"].as_f64().unwrap();
    assert!(
        top >= 0.0 && scrolled["bottom"].as_f64().unwrap() <= scrolled["height"].as_f64().unwrap(),
        "the month axis is in view after scrolling: {scrolled}"
    );

    // WebDriver cannot switch the page to print media; the stylesheet's print rules are made to
    // apply to the screen instead, which shows what print computes.
    let printed = board
        .client
        .execute(
            "for (const sheet of document.styleSheets) {
               for (const rule of sheet.cssRules) {
                 if (rule instanceof CSSMediaRule && rule.media.mediaText === 'print') {
                   rule.media.mediaText = 'all';
                 }
               }
             }
             const chips = [...document.querySelectorAll('.tl-row .rm-meta .chip.health')];
             return {
               axis: getComputedStyle(document.querySelector('.tl-head')).display,
               rows: document.querySelectorAll('.tl-row').length,
               chips: chips.length,
               hidden: chips.filter(chip => getComputedStyle(chip).display === 'none'
                 || getComputedStyle(chip.closest('.rm-meta')).display === 'none'
                 || chip.getClientRects().length === 0).length,
             };",
            Vec::new(),
        )
        .await
        .expect("apply the print rules");
    assert_eq!(
        printed["axis"], "table-header-group",
        "in print the axis is the header group browsers repeat on every page: {printed}"
    );
    assert_eq!(printed["rows"], 40);
    assert_eq!(printed["chips"], 40, "every row has its health chip: {printed}");
    assert_eq!(printed["hidden"], 0, "every health chip prints: {printed}");
    board.close().await;
}
