//! The Content-Security-Policy in a real browser: what the pages do still works under it.

use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{id_of, spawn_app};

#[tokio::test]
async fn progress_bars_keep_their_widths_under_the_content_security_policy() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let account = app.signup("Bars Co").await;
    let token = &account.token;
    let root = id_of(&app.create_portfolio(token, "Bars Co", "portfolio", None).await);
    app.create_initiative(token, &root, json!({"status": "in_progress", "progress": 40}))
        .await;
    browser
        .sign_in(&app.url(""), &account.email, &account.password)
        .await;
    browser.goto(&app.url(&format!("/portfolios/{root}"))).await;

    // The bar's fill is sized by a `style` attribute, which the policy must let through.
    let bar = browser.find(".bar[aria-valuenow]").await;
    let fill = browser.find(".bar[aria-valuenow] > span").await;
    let pixels = |css: String| css.trim_end_matches("px").parse::<f64>().unwrap();
    let whole = pixels(bar.css_value("width").await.unwrap());
    let filled = pixels(fill.css_value("width").await.unwrap());
    let shown: f64 = bar.attr("aria-valuenow").await.unwrap().unwrap().parse().unwrap();
    assert_eq!(shown, 40.0);
    assert!(
        (filled / whole - 0.4).abs() < 0.02,
        "the fill is {filled}px of {whole}px"
    );
    browser.close().await;
}
