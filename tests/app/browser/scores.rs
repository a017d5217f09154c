//! The scorecard in a real browser: an admin adds a driver, and the PM who owns an initiative sets
//! its value on the initiative's edit form and reads the score with its formula.

use cairn::domain::Role;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{PASSWORD, id_of, spawn_app};

#[tokio::test]
async fn an_admin_adds_a_driver_and_a_pm_sets_its_value_on_the_edit_form_and_sees_the_score() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.signup("Fabrikam").await;
    let (pm, pm_email) = app.member_with_password(&admin, Role::Member).await;
    let line = app
        .create_portfolio(&admin.token, "Checkout", "product_line", None)
        .await;
    let initiative = id_of(
        &app.create_initiative(
            &admin.token,
            &id_of(&line),
            json!({"title": "One-click pay", "effort": 4, "owner_id": pm.user_id}),
        )
        .await,
    );
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

    let pm_browser = browser.another_session().await;
    pm_browser.sign_in(&app.url(""), &pm_email, PASSWORD).await;
    pm_browser
        .goto(&app.url(&format!("/initiatives/{initiative}")))
        .await;
    // Without a value the driver counts 0.
    pm_browser
        .wait_for_text(".score-scorecard .score-formula", "Scorecard 0.00 = 0.0 ÷ 4 pw")
        .await;
    pm_browser.click(".page-header a.edit").await;
    pm_browser
        .wait_for_text(&format!("label[for='{driver}']"), "Strategic fit (0–5)")
        .await;
    pm_browser
        .fill("title", "One-click pay for returning buyers")
        .await;
    pm_browser.fill(&driver, "4").await;
    pm_browser
        .click(&format!(
            "form[action='/initiatives/{initiative}'] button.primary"
        ))
        .await;
    // 100 × 4/5 = 80; ÷ 4 pw = 20
    pm_browser
        .wait_for_text(".score-scorecard .score-formula", "Scorecard 20.00 = 80.0 ÷ 4 pw")
        .await;
    assert_eq!(pm_browser.text("h1").await, "One-click pay for returning buyers");
    assert_eq!(pm_browser.text(".driver-value .value").await, "4");
    pm_browser.close().await;
    browser.close().await;
}
