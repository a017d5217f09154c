//! The CPO tries a plan in a real browser: starts a scenario from the roll-up page, cancels one
//! initiative and delays another there, compares it with the live plan, and applies one change.

use crate::browser::Browser;
use crate::helpers::{id_of, spawn_app};
use crate::scenarios::build;

#[tokio::test]
async fn the_cpo_cuts_and_delays_in_a_scenario_compares_it_and_applies_one_change() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    browser
        .sign_in(&app.url(""), &org.account.email, &org.account.password)
        .await;
    let rollup = format!("/portfolios/{}", org.root);
    browser.goto(&app.url(&rollup)).await;
    browser.fill("name", "Cut Y, delay X").await;
    browser.click(".what-if button[type='submit']").await;
    browser.wait_to_leave(&rollup).await;
    browser.wait_for_text("h1", "Cut Y, delay X").await;

    let (x, y) = (org.x["key"].as_str().unwrap(), org.y["key"].as_str().unwrap());
    browser.fill("key", y).await;
    browser.choose("status", "cancelled").await;
    browser.click(".change-form button[type='submit']").await;
    browser
        .wait_for_text(".scenario-changes", "Status: Planned → Cancelled")
        .await;
    browser.fill("key", x).await;
    // A date control's typing order follows the browser's locale; set it as its picker would.
    browser
        .client
        .execute(
            "document.querySelector('.change-form [name=target_date]').value = '2030-05-31'",
            vec![],
        )
        .await
        .expect("set the target date");
    browser.click(".change-form button[type='submit']").await;
    browser
        .wait_for_text(".scenario-changes", "Target: 2030-03-31 → 2030-05-31")
        .await;
    // Y's 6 pw are out of the scenario's effort; the live plan still has them.
    assert_eq!(
        browser
            .text(".comparison.totals tr[data-figure='Effort (pw)'] td.b")
            .await,
        "16"
    );

    browser.click(".actions a.compare").await;
    browser.wait_for_path("/scenarios/compare").await;
    browser
        .wait_for_text(
            ".comparison.totals tr[data-figure='Effort (pw)'] td.difference",
            "\u{2212}6",
        )
        .await;
    assert_eq!(browser.count(".side-changes tr.change").await, 2);

    browser.click(".side-changes h2 a").await;
    browser.find(".apply").await;
    browser.click(&format!("#apply-{}", id_of(&org.y))).await;
    browser.click("button.apply-chosen").await;
    browser
        .wait_for_text(".applied-result ul.applied", &format!("{y} Y"))
        .await;
    let live_y = app.get_json(t, &format!("/initiatives/{}", id_of(&org.y))).await;
    assert_eq!(live_y["status"], "cancelled");
    let live_x = app.get_json(t, &format!("/initiatives/{}", id_of(&org.x))).await;
    assert_eq!(live_x["target_date"], "2030-03-31", "the delay was not applied");
    assert_eq!(browser.count(".scenario-changes tr.change").await, 1);
    browser.close().await;
}
