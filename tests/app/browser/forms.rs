//! The portfolio and initiative forms in a real browser: building the hierarchy by hand, and two
//! people editing one initiative at once.

use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{Account, TestApp, id_of, spawn_app};

async fn sign_in(browser: &Browser, app: &TestApp, account: &Account) {
    browser
        .sign_in(&app.url(""), &account.email, &account.password)
        .await;
}

#[tokio::test]
async fn an_admin_builds_a_portfolio_and_an_initiative_through_the_forms() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.signup("Tailspin Toys").await;
    sign_in(&browser, &app, &admin).await;

    browser.goto(&app.url("/portfolios")).await;
    browser.click(".actions a.new-portfolio").await;
    browser.fill("name", "Retail").await;
    browser.choose("level", "product_line").await;
    browser
        .click("form[action='/portfolios'] button[type='submit']")
        .await;
    browser.wait_for_text("h1", "Retail").await;

    browser.click(".actions a.new-initiative").await;
    browser.fill("title", "Self-checkout kiosks").await;
    browser.choose("status", "in_progress").await;
    browser.fill("progress", "20").await;
    browser.fill("budget", "48000.75").await;
    browser
        .click("form[action='/initiatives'] button[type='submit']")
        .await;
    browser.wait_for_text("h1", "Self-checkout kiosks").await;

    browser.click(".breadcrumb li:last-child a").await;
    browser.wait_for_text("h1", "Retail").await;
    assert_eq!(
        browser.text("table.initiatives tbody .title a").await,
        "Self-checkout kiosks"
    );
    let listed = app.get_json(&admin.token, "/initiatives").await;
    assert_eq!(listed["items"][0]["budget"], 4_800_075);
    browser.close().await;
}

#[tokio::test]
async fn the_second_of_two_people_editing_an_initiative_is_shown_the_conflict() {
    let Some(first) = Browser::start().await else {
        return;
    };
    let second = first.another_session().await;
    let app = spawn_app().await;
    let admin = app.signup("Wide World Importers").await;
    let line = app
        .create_portfolio(&admin.token, "Logistics", "product_line", None)
        .await;
    let initiative = app
        .create_initiative(&admin.token, &id_of(&line), json!({"title": "Route planner"}))
        .await;
    let edit = app.url(&format!("/initiatives/{}/edit", id_of(&initiative)));
    sign_in(&first, &app, &admin).await;
    sign_in(&second, &app, &admin).await;
    first.goto(&edit).await;
    second.goto(&edit).await;

    first.fill("title", "Route planner with live traffic").await;
    first.click("main form button[type='submit']").await;
    first.wait_for_text("h1", "Route planner with live traffic").await;

    second.fill("title", "Route planner v2").await;
    second.choose("health", "at_risk").await;
    second.click("main form button[type='submit']").await;
    second
        .wait_for_text(".alert", "You saved this initiative in another tab or window")
        .await;
    assert_eq!(
        second.text(".field.has-theirs .theirs-value").await,
        "Route planner with live traffic"
    );
    assert_eq!(
        second.value("title").await,
        "Route planner v2",
        "their input is kept"
    );
    assert_eq!(second.value("health").await, "at_risk");
    let saved = app
        .get_json(&admin.token, &format!("/initiatives/{}", id_of(&initiative)))
        .await;
    assert_eq!(
        saved["title"], "Route planner with live traffic",
        "not overwritten"
    );
    assert_eq!(saved["health"], "on_track");

    // Saving again, knowing, goes through.
    second.click("main form button[type='submit']").await;
    second.wait_for_text("h1", "Route planner v2").await;
    second.close().await;
    first.close().await;
}
