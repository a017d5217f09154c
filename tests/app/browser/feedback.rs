//! A PM works her feedback inbox in a real browser: she links a customer's request to her own
//! initiative from the inbox (the field's suggestions come from a datalist, no script) and sees
//! the initiative's demand change on its page.

use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{PASSWORD, id_of, spawn_app};
use crate::rollups::build;
use cairn::domain::Role;

#[tokio::test]
async fn a_pm_links_feedback_to_her_initiative_from_the_inbox_and_sees_its_demand_change() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.account.token;
    // The PM leads Payments, and with it initiative a.
    let (pm, email) = app.member_with_password(&org.account, Role::Member).await;
    app.patch_json(
        t,
        &format!("/portfolios/{}", org.payments),
        json!({"owner_id": pm.user_id}),
    )
    .await;
    let initiative = app.get_json(t, &format!("/initiatives/{}", org.a)).await;
    let key = initiative["key"].as_str().unwrap().to_owned();
    let item = id_of(
        &app.post_json(
            t,
            "/feedback",
            json!({
        "text": "We need card refunds before our renewal.", "customer": "Acme Logistics",
        "customer_value": 4_800_000, "importance": "critical", "source": "Quarterly business review"}),
        )
        .await,
    );
    app.post_json(
        t,
        "/feedback",
        json!({"text": "Dark mode", "customer": "Initech", "importance": "nice_to_have"}),
    )
    .await;

    browser.sign_in(&app.url(""), &email, PASSWORD).await;
    let page = format!("/initiatives/{}", org.a);
    browser.goto(&app.url(&page)).await;
    browser
        .wait_for_text("#demand + section", "No customer feedback is linked to it yet.")
        .await;
    // From her initiative to the inbox, the link fields starting with its key.
    browser.click("#demand + section .no-demand a").await;
    browser.wait_for_text("h1", "Customer feedback").await;
    let row = format!("#feedback-{item}");
    browser.wait_for_text(&row, "Acme Logistics").await;
    let field = browser.find(&format!("{row} input[name='initiative']")).await;
    assert_eq!(field.prop("value").await.unwrap().as_deref(), Some(key.as_str()));
    assert_eq!(
        field.attr("list").await.unwrap().as_deref(),
        Some("initiative-picker")
    );
    browser
        .click(&format!("{row} form.link-feedback button[type='submit']"))
        .await;
    // The inbox showed only unlinked feedback: the item leaves it, and the notice says where it went.
    browser
        .wait_for_text(
            ".linked-now",
            &format!("Linked Acme Logistics’s feedback to {key}"),
        )
        .await;
    browser.wait_for_text(".unlinked-count", "1").await;
    assert_eq!(browser.count(&row).await, 0);

    // Her initiative now shows the request, its customer and what they are worth.
    browser.click(".linked-now a").await;
    browser.wait_for_path(&page).await;
    browser
        .wait_for_text(".demand-summary", "1 request from 1 customer")
        .await;
    browser.wait_for_text(".demand-summary", "$48,000").await;
    browser.wait_for_text(".linked-feedback", "Acme Logistics").await;
    browser.close().await;
}
