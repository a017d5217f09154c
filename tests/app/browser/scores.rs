//! The scorecard in a real browser: an admin adds a driver, sets an initiative's value on it and
//! reads the score with its formula.

use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{id_of, spawn_app};

#[tokio::test]
async fn an_admin_adds_a_driver_sets_a_value_and_sees_the_score_with_its_formula() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.signup("Fabrikam").await;
    let line = app
        .create_portfolio(&admin.token, "Checkout", "product_line", None)
        .await;
    let initiative = app
        .create_initiative(
            &admin.token,
            &id_of(&line),
            json!({"title": "One-click pay", "effort": 4}),
        )
        .await;
    browser.sign_in(&app.url(""), &admin.email, &admin.password).await;

    browser.goto(&app.url("/settings/organization")).await;
    browser.click("nav.tabs a[href='/settings/scorecard']").await;
    browser.wait_for_text("h1", "Scorecard").await;
    browser.fill("name", "Strategic fit").await;
    browser.fill("weight", "3").await;
    browser.fill("max", "5").await;
    browser.click("form.add-driver button[type='submit']").await;
    browser
        .wait_for_text(".driver .driver-name", "Strategic fit")
        .await;
    let driver = id_of(&app.get_json(&admin.token, "/scorecard/drivers").await[0]);

    browser
        .goto(&app.url(&format!("/initiatives/{}", id_of(&initiative))))
        .await;
    // Without a value the driver counts 0.
    browser
        .wait_for_text(".score-scorecard .score-formula", "Scorecard 0.00 = 0.0 ÷ 4 pw")
        .await;
    browser.fill(&driver, "4").await;
    browser.click("form.scorecard-values button[type='submit']").await;
    // 100 × 4/5 = 80; ÷ 4 pw = 20
    browser
        .wait_for_text(".score-scorecard .score-formula", "Scorecard 20.00 = 80.0 ÷ 4 pw")
        .await;
    browser.close().await;
}
