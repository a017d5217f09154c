//! Signing up and signing in, in a real browser.

use crate::browser::Browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_visitor_signs_up_in_the_browser_and_lands_on_their_home() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;

    browser.goto(&app.url("/signup")).await;
    browser.fill("org_name", "Blue Yonder Airlines").await;
    browser.fill("name", "Amelia Earhart").await;
    browser.fill("email", "amelia@blueyonder.test").await;
    browser.fill("password", "a long enough password").await;
    browser
        .click("form[action='/signup'] button[type='submit']")
        .await;

    browser.wait_for_path("/").await;
    assert_eq!(browser.text("h1").await, "Blue Yonder Airlines");
    browser.close().await;
}

#[tokio::test]
async fn a_wrong_password_in_the_browser_shows_why_and_keeps_the_email() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let account = app.signup("Coho Winery").await;

    browser.goto(&app.url("/login")).await;
    browser.fill("email", &account.email).await;
    browser.fill("password", "not the password").await;
    browser.click("form[action='/login'] button[type='submit']").await;

    assert!(browser.text(".alert").await.contains("do not match"));
    assert_eq!(browser.value("email").await, account.email);
    assert_eq!(browser.value("password").await, "");
    browser.close().await;
}
