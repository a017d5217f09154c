//! The CPO asks "what changed since the quarter's plan, and why" in a real browser: takes a
//! baseline from the roll-up page, later opens it from there, reads the slip with the PM's reason,
//! and follows the slipped initiative to its history.

use chrono::{Duration, Utc};
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::spawn_app;
use crate::rollups::build;

#[tokio::test]
async fn the_cpo_opens_the_baseline_diff_from_the_roll_up_and_follows_a_slip_to_its_history() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    let day = |offset: i64| (Utc::now().date_naive() + Duration::days(offset)).to_string();
    let platform_work = format!("/initiatives/{}", org.f);
    app.patch_json(
        t,
        &platform_work,
        json!({"status": "planned", "target_date": day(10)}),
    )
    .await;
    browser
        .sign_in(&app.url(""), &org.account.email, &org.account.password)
        .await;
    let rollup = format!("/portfolios/{}", org.root);
    browser.goto(&app.url(&rollup)).await;
    // (The "What if…" form above has a name field too.)
    let name = browser.find(".take-baseline [name='name']").await;
    name.send_keys("Q1 plan").await.expect("type the name");
    browser.click(".take-baseline button[type='submit']").await;
    browser.wait_to_leave(&rollup).await;
    browser.wait_for_text("h1", "What changed since “Q1 plan”").await;
    browser
        .wait_for_text(".summary-line", "Nothing slipped, was added or dropped.")
        .await;

    // Later the PM slips Platform's work by three weeks and says why.
    app.patch_json(t, &platform_work, json!({"target_date": day(31)}))
        .await;
    app.post_json(
        t,
        &format!("{platform_work}/updates"),
        json!({"note": "Vendor contract signed three weeks late."}),
    )
    .await;

    // The CPO opens the baseline from the roll-up page.
    browser.goto(&app.url(&rollup)).await;
    browser.click(".baseline-list a").await;
    browser.wait_to_leave(&rollup).await;
    browser
        .wait_for_text(".summary-line", "1 slipped by 21 days on average.")
        .await;
    let slipped = format!(".change-group.slipped tr[data-initiative-id='{}']", org.f);
    browser
        .wait_for_text(&slipped, "Vendor contract signed three weeks late.")
        .await;
    browser.wait_for_text(&slipped, "(+21 days)").await;
    // …and follows it to the initiative's history, where the same note stands.
    browser.click(&format!("{slipped} td.title a")).await;
    browser.wait_for_path(&platform_work).await;
    browser
        .wait_for_text("#history + section", "Vendor contract signed three weeks late.")
        .await;
    browser.close().await;
}
